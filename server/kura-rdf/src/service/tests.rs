//! SERVICE: the allow-list, the calls and the parsing of answers.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use kura_core::access::Subject;
use oxigraph::sparql::DefaultServiceHandler;
use spargebra::algebra::GraphPattern;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::call::parse_solutions;
use super::*;
use crate::sparql::{Limits, ResultFormat, run};
use crate::store::RdfStore;

/// Hands out `token` and counts how often it was asked.
struct Token {
    token: Option<&'static str>,
    asked: AtomicUsize,
}

impl PeerCredentials for Token {
    fn bearer<'a>(&'a self, _endpoint: &'a str) -> BearerFuture<'a> {
        self.asked.fetch_add(1, Ordering::SeqCst);
        Box::pin(async move { Ok(self.token.map(str::to_owned)) })
    }
}

fn token(token: Option<&'static str>) -> Arc<Token> {
    Arc::new(Token { token, asked: AtomicUsize::new(0) })
}

fn http() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

fn limits(timeout_ms: u64, max_results: usize) -> Limits {
    Limits { timeout: Duration::from_millis(timeout_ms), max_results }
}

async fn ask(text: &str, limits: Limits, remote: Remote) -> Result<String, SparqlError> {
    let query = ParsedQuery::parse(text, None, &[], &[])?;
    let store = Arc::new(RdfStore::new().unwrap());
    let out = run(store, Subject::default(), query, ResultFormat::Json, limits, remote).await?;
    Ok(String::from_utf8(out).unwrap())
}

/// What a fake peer does with each request.
#[derive(Clone)]
enum Peer {
    Answer(u16, &'static str, String),
    Hang,
}

/// A fake SPARQL endpoint on port 0: its IRI, and the requests it received (head and body).
async fn peer(behaviour: Peer) -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let iri = format!("http://{}/sparql", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let (log, behaviour) = (log.clone(), behaviour.clone());
            tokio::spawn(async move {
                let mut request = Vec::new();
                let mut buf = [0u8; 4096];
                loop {
                    let n = socket.read(&mut buf).await.unwrap_or(0);
                    request.extend_from_slice(&buf[..n]);
                    let text = String::from_utf8_lossy(&request).to_string();
                    if let Some(end) = text.find("\r\n\r\n") {
                        let length = text
                            .lines()
                            .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length:").map(str::to_owned))
                            .and_then(|v| v.trim().parse::<usize>().ok())
                            .unwrap_or(0);
                        if request.len() >= end + 4 + length || n == 0 {
                            break;
                        }
                    }
                    if n == 0 {
                        break;
                    }
                }
                log.lock().unwrap().push(String::from_utf8_lossy(&request).to_string());
                match behaviour {
                    Peer::Hang => tokio::time::sleep(Duration::from_secs(30)).await,
                    Peer::Answer(status, media, body) => {
                        let head = format!(
                            "HTTP/1.1 {status} X\r\ncontent-type: {media}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                            body.len()
                        );
                        let _ = socket.write_all(head.as_bytes()).await;
                        let _ = socket.write_all(body.as_bytes()).await;
                    }
                }
            });
        }
    });
    (iri, seen)
}

fn titles(titles: &[&str]) -> String {
    let bindings: Vec<String> =
        titles.iter().map(|t| format!(r#"{{"t":{{"type":"literal","value":"{t}","xml:lang":"en"}}}}"#)).collect();
    format!(r#"{{"head":{{"vars":["t"]}},"results":{{"bindings":[{}]}}}}"#, bindings.join(","))
}

const JSON: &str = "application/sparql-results+json";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_service_outside_the_allow_list_is_refused_before_any_request() {
    // A listener that would record any connection.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port();
    let listed = format!("http://127.0.0.1:{port}/sparql");
    let other = format!("http://127.0.0.1:{port}/elsewhere/sparql");
    let credentials = token(Some("secret"));
    let remote = Remote::trusted(http(), [listed.clone()], credentials.clone(), 1);
    let queries = [
        format!("SELECT * WHERE {{ SERVICE <{other}> {{ ?s ?p ?o }} }}"),
        format!("SELECT * WHERE {{ SERVICE SILENT <{other}> {{ ?s ?p ?o }} }}"),
        format!("SELECT * WHERE {{ SERVICE <{listed}/> {{ ?s ?p ?o }} }}"),
        format!("SELECT * WHERE {{ ?s ?p ?o FILTER NOT EXISTS {{ SERVICE <{other}> {{ ?s ?p ?o }} }} }}"),
        format!("ASK {{ SERVICE <{listed}> {{ SERVICE <{other}> {{ ?s ?p ?o }} }} }}"),
    ];
    for text in &queries {
        let err = ask(text, Limits::default(), remote.clone()).await.unwrap_err();
        assert!(matches!(err, SparqlError::UntrustedService(_)), "{text}: {err}");
        assert!(err.to_string().contains("is not a trusted peer's SPARQL endpoint"), "{err}");
    }
    let err = ask("SELECT * WHERE { SERVICE ?x { ?s ?p ?o } }", Limits::default(), remote.clone()).await.unwrap_err();
    assert!(matches!(err, SparqlError::ServiceRefused(_)), "{err}");
    // No peer at all, and a caller refused any SERVICE.
    let text = format!("SELECT * WHERE {{ SERVICE <{listed}> {{ ?s ?p ?o }} }}");
    let err = ask(&text, Limits::default(), Remote::none()).await.unwrap_err();
    assert_eq!(err.to_string(), format!("SERVICE <{listed}> is not a trusted peer's SPARQL endpoint"));
    let err = ask(&text, Limits::default(), Remote::refused("not for partners")).await.unwrap_err();
    assert_eq!(err.to_string(), "SERVICE is refused: not for partners");
    // The handler itself refuses too, should a SERVICE escape the check of the query.
    let calls = remote.handler(Handle::current(), Instant::now() + Duration::from_secs(5), Duration::from_secs(5), 10);
    let pattern = GraphPattern::Bgp { patterns: Vec::new() };
    let name = NamedNode::new(&other).unwrap();
    assert!(matches!(calls.handle(&name, &pattern, None), Err(SparqlError::UntrustedService(_))));

    assert_eq!(credentials.asked.load(Ordering::SeqCst), 0, "no token was asked for");
    assert!(
        matches!(listener.accept(), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock),
        "no connection was made"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trusted_service_is_asked_with_the_callers_token_within_the_result_limit() {
    let (iri, seen) = peer(Peer::Answer(200, JSON, titles(&["Rain", "Snow"]))).await;
    let remote = Remote::trusted(http(), [iri.clone()], token(Some("tok-1")), 1);
    let text =
        format!("SELECT ?t WHERE {{ SERVICE <{iri}> {{ ?d <http://purl.org/dc/terms/title> ?t }} }} ORDER BY ?t");
    let answer = ask(&text, limits(5_000, 10), remote.clone()).await.unwrap();
    assert!(answer.contains(r#""value":"Rain""#) && answer.contains(r#""value":"Snow""#), "{answer}");
    let request = seen.lock().unwrap()[0].clone();
    let lower = request.to_ascii_lowercase();
    assert!(request.starts_with("POST /sparql "), "{request}");
    assert!(lower.contains("authorization: bearer tok-1"), "{request}");
    assert!(lower.contains("kura-federation-hops: 1"), "{request}");
    assert!(lower.contains("accept: application/sparql-results+json"), "{request}");
    let body = request.split("\r\n\r\n").nth(1).unwrap();
    let query: String = form_urlencoded::parse(body.as_bytes()).find(|(k, _)| k == "query").unwrap().1.into();
    // One solution more than the limit is asked for: that many is too many.
    assert!(query.contains("LIMIT 11"), "{query}");
    assert!(query.contains("<http://purl.org/dc/terms/title>"), "{query}");

    let err = ask(&text, limits(5_000, 1), remote).await.unwrap_err();
    assert!(matches!(err, SparqlError::ServiceTooManyResults { max: 1, .. }), "{err}");

    // Anonymous callers send no token.
    let (iri, seen) = peer(Peer::Answer(200, JSON, titles(&[]))).await;
    let text = format!("SELECT ?t WHERE {{ SERVICE <{iri}> {{ ?d ?p ?t }} }}");
    ask(&text, limits(5_000, 10), Remote::trusted(http(), [iri.clone()], token(None), 1)).await.unwrap();
    assert!(!seen.lock().unwrap()[0].to_ascii_lowercase().contains("authorization"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_service_is_an_error_or_with_silent_one_empty_solution() {
    let (failing, _) = peer(Peer::Answer(500, "text/plain", "boom".into())).await;
    let (slow, _) = peer(Peer::Hang).await;
    for (iri, timeout_ms) in [(failing, 5_000), (slow, 1_500)] {
        let remote = Remote::trusted(http(), [iri.clone()], token(Some("t")), 1);
        let loud = format!("SELECT * WHERE {{ VALUES ?x {{ 1 }} SERVICE <{iri}> {{ ?s ?p ?o }} }}");
        let err = ask(&loud, limits(timeout_ms, 10), remote.clone()).await.unwrap_err();
        match timeout_ms {
            1_500 => assert!(matches!(err, SparqlError::ServiceTimeout(_)), "{err}"),
            _ => assert!(matches!(err, SparqlError::ServiceFailed { .. }), "{err}"),
        }
        let silent = loud.replace("SERVICE <", "SERVICE SILENT <");
        let answer = ask(&silent, limits(timeout_ms, 10), remote).await.unwrap();
        let parsed: serde_json::Value = serde_json::from_str(&answer).unwrap();
        let bindings = parsed["results"]["bindings"].as_array().unwrap();
        assert_eq!(bindings.len(), 1, "{answer}");
        assert_eq!(bindings[0]["x"]["value"], "1", "{answer}");
        assert!(bindings[0].get("s").is_none(), "{answer}");
    }
}

#[test]
fn results_parse_from_json_and_xml_up_to_the_limit() {
    let json = r#"{"head":{"vars":["s","t","n","b"]},"results":{"bindings":[
        {"s":{"type":"uri","value":"https://b.test/pid/1"},"t":{"type":"literal","value":"Regen","xml:lang":"de"},
         "n":{"type":"literal","value":"3","datatype":"http://www.w3.org/2001/XMLSchema#integer"},
         "b":{"type":"bnode","value":"x1"}},
        {"s":{"type":"uri","value":"https://b.test/pid/2"}}]}}"#;
    let (vars, solutions) = parse_solutions("http://b/sparql", Some(JSON), json.as_bytes(), 10).unwrap();
    assert_eq!(vars.iter().map(|v| v.as_str()).collect::<Vec<_>>(), ["s", "t", "n", "b"]);
    assert_eq!(solutions.len(), 2);
    assert_eq!(solutions[0].get("t").unwrap().to_string(), "\"Regen\"@de");
    assert_eq!(solutions[0].get("n").unwrap().to_string(), "\"3\"^^<http://www.w3.org/2001/XMLSchema#integer>");
    assert!(solutions[1].get("t").is_none());
    // No media type: JSON is assumed.
    assert_eq!(parse_solutions("http://b/sparql", None, json.as_bytes(), 10).unwrap().1.len(), 2);

    let err = parse_solutions("http://b/sparql", Some(JSON), json.as_bytes(), 1).unwrap_err();
    assert!(matches!(err, SparqlError::ServiceTooManyResults { max: 1, .. }));

    let xml = r#"<?xml version="1.0"?><sparql xmlns="http://www.w3.org/2005/sparql-results#">
        <head><variable name="s"/></head><results><result><binding name="s"><uri>https://b.test/x</uri></binding></result></results></sparql>"#;
    let (_, solutions) =
        parse_solutions("http://b/sparql", Some("application/sparql-results+xml"), xml.as_bytes(), 10).unwrap();
    assert_eq!(solutions[0].get("s").unwrap().to_string(), "<https://b.test/x>");

    let refused =
        [(Some(JSON), r#"{"head":{},"boolean":true}"#), (Some(JSON), "{not json"), (Some("text/csv"), "s\nx\n")];
    for (media, body) in refused {
        let err = parse_solutions("http://b/sparql", media, body.as_bytes(), 10).unwrap_err();
        assert!(matches!(err, SparqlError::ServiceFailed { .. }), "{body}: {err}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_query_makes_a_bounded_number_of_calls() {
    let (iri, seen) = peer(Peer::Answer(200, JSON, titles(&["Rain"]))).await;
    let remote = Remote::trusted(http(), [iri.clone()], token(None), 1);
    // LATERAL evaluates its right side once per solution of its left side.
    let values: Vec<String> = (0..MAX_CALLS + 8).map(|n| n.to_string()).collect();
    let text = format!(
        "SELECT * WHERE {{ VALUES ?x {{ {} }} LATERAL {{ SERVICE <{iri}> {{ ?d ?p ?t }} }} }}",
        values.join(" ")
    );
    let err = ask(&text, limits(20_000, 1_000), remote).await.unwrap_err();
    assert!(matches!(err, SparqlError::ServiceRefused(_)), "{err}");
    assert!(err.to_string().contains(&format!("at most {MAX_CALLS} SERVICE calls")), "{err}");
    assert_eq!(seen.lock().unwrap().len(), MAX_CALLS);
}
