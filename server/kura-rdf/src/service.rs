//! SPARQL 1.1 Federated Query: `SERVICE` to the SPARQL endpoints of trusted peers, and nowhere
//! else. A query naming any other endpoint (or a variable) is refused before it is evaluated, so
//! before any request leaves the node; the handler checks the allow-list again before each call.
//! A call carries the caller's bearer token at the peer (see [`PeerCredentials`]) and shares the
//! query's deadline and result limit: it asks for one solution more than the limit, reads at most
//! [`MAX_ANSWER_BYTES`], and ends a little before the query's deadline so that `SERVICE SILENT`
//! can still answer with its one empty solution.

use std::collections::BTreeSet;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use oxigraph::model::NamedNode;
use oxigraph::sparql::results::{QueryResultsFormat, QueryResultsParser, SliceQueryResultsParserOutput};
use oxigraph::sparql::{DefaultServiceHandler, QuerySolution, QuerySolutionIter};
use oxiri::Iri;
use spargebra::algebra::{AggregateExpression, Expression, GraphPattern, OrderExpression};
use spargebra::term::NamedNodePattern;
use tokio::runtime::Handle;
use tokio::time::Instant;

use crate::sparql::{ParsedQuery, SparqlError};

/// The header counting the nodes a federated request passed through (the same name as
/// `kura_federation::HOPS_HEADER`): a peer does not pass a query on again.
pub const HOPS_HEADER: &str = "kura-federation-hops";

/// Largest answer read from one SERVICE call.
pub const MAX_ANSWER_BYTES: u64 = 32 << 20;

/// Most SERVICE calls one evaluation makes: each is a request to a peer.
pub const MAX_CALLS: usize = 32;

/// Longest part of the query's time kept back from SERVICE calls, so that a silent call that
/// timed out still leaves the query time to answer.
const MAX_RESERVE: Duration = Duration::from_secs(1);

/// What a token lookup returns: the caller's bearer token, `None` when they are anonymous there.
pub type BearerFuture<'a> = Pin<Box<dyn Future<Output = Result<Option<String>, String>> + Send + 'a>>;

/// The caller's identity at the peers: implemented where tokens are exchanged (kura-federation).
pub trait PeerCredentials: Send + Sync {
    /// The caller's bearer token at the peer whose SPARQL endpoint is `endpoint`.
    fn bearer<'a>(&'a self, endpoint: &'a str) -> BearerFuture<'a>;
}

/// Which SERVICE endpoints one query may call, and how.
#[derive(Clone)]
pub struct Remote {
    allowed: Allowed,
    hops: u32,
}

#[derive(Clone)]
enum Allowed {
    /// Exactly these endpoint IRIs, called with this client and these credentials.
    Endpoints { iris: Arc<BTreeSet<String>>, http: reqwest::Client, credentials: Arc<dyn PeerCredentials> },
    /// No endpoint: every SERVICE IRI is untrusted.
    Nowhere,
    /// No SERVICE at all, for this reason.
    Refused(String),
}

impl std::fmt::Debug for Remote {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.allowed {
            Allowed::Endpoints { iris, .. } => f.debug_struct("Remote").field("endpoints", iris).finish(),
            Allowed::Nowhere => f.debug_struct("Remote").field("endpoints", &"none").finish(),
            Allowed::Refused(reason) => f.debug_struct("Remote").field("refused", reason).finish(),
        }
    }
}

impl Remote {
    /// No endpoint is trusted: any SERVICE is refused as not a trusted peer's endpoint.
    pub fn none() -> Remote {
        Remote { allowed: Allowed::Nowhere, hops: 0 }
    }

    /// No SERVICE for this caller, for `reason` (a partner's user, a query that already crossed a node).
    pub fn refused(reason: impl Into<String>) -> Remote {
        Remote { allowed: Allowed::Refused(reason.into()), hops: 0 }
    }

    /// SERVICE to exactly the endpoint IRIs `endpoints` (`<peer base URL>/sparql`), with `http`
    /// (which must not follow redirects: an answer is taken only from the endpoint asked) and
    /// the caller's `credentials`; calls say they are the `hops`-th hop.
    pub fn trusted(
        http: reqwest::Client,
        endpoints: impl IntoIterator<Item = String>,
        credentials: Arc<dyn PeerCredentials>,
        hops: u32,
    ) -> Remote {
        let iris = Arc::new(endpoints.into_iter().collect());
        Remote { allowed: Allowed::Endpoints { iris, http, credentials }, hops }
    }

    /// Refuses `query` if it calls a SERVICE other than an allowed endpoint.
    pub fn admit(&self, query: &ParsedQuery) -> Result<(), SparqlError> {
        let mut names = Vec::new();
        services_of_query(&query.query, &mut names);
        for name in names {
            let iri = match name {
                NamedNodePattern::NamedNode(iri) => iri,
                NamedNodePattern::Variable(v) => {
                    return Err(SparqlError::ServiceRefused(format!(
                        "SERVICE needs the IRI of a trusted peer's SPARQL endpoint, not the variable {v}"
                    )));
                }
            };
            self.check(&iri)?;
        }
        Ok(())
    }

    fn check(&self, iri: &NamedNode) -> Result<(), SparqlError> {
        match &self.allowed {
            Allowed::Refused(reason) => Err(SparqlError::ServiceRefused(reason.clone())),
            Allowed::Endpoints { iris, .. } if iris.contains(iri.as_str()) => Ok(()),
            Allowed::Endpoints { .. } | Allowed::Nowhere => Err(SparqlError::UntrustedService(iri.as_str().to_owned())),
        }
    }

    /// The handler of one evaluation, ending its calls shortly before `deadline`.
    pub(crate) fn handler(&self, runtime: Handle, deadline: Instant, timeout: Duration, max_results: usize) -> Calls {
        let reserve = (timeout / 10).min(MAX_RESERVE);
        let deadline = deadline.checked_sub(reserve).unwrap_or(deadline);
        Calls { remote: self.clone(), runtime, deadline, max_results, made: AtomicUsize::new(0) }
    }
}

/// Oxigraph's SERVICE handler for one evaluation (which runs on a blocking thread: each call
/// blocks on `runtime` until its answer or the deadline).
pub(crate) struct Calls {
    remote: Remote,
    runtime: Handle,
    deadline: Instant,
    max_results: usize,
    /// Calls made so far (a SERVICE on the right of a join may be called once per solution).
    made: AtomicUsize,
}

impl DefaultServiceHandler for Calls {
    type Error = SparqlError;

    fn handle(
        &self,
        service_name: &NamedNode,
        pattern: &GraphPattern,
        base_iri: Option<&Iri<String>>,
    ) -> Result<QuerySolutionIter<'static>, SparqlError> {
        self.remote.check(service_name)?;
        let Allowed::Endpoints { http, credentials, .. } = &self.remote.allowed else {
            return Err(SparqlError::UntrustedService(service_name.as_str().to_owned()));
        };
        if self.made.fetch_add(1, Ordering::Relaxed) >= MAX_CALLS {
            return Err(SparqlError::ServiceRefused(format!(
                "a query makes at most {MAX_CALLS} SERVICE calls; move the SERVICE out of OPTIONAL, MINUS or EXISTS"
            )));
        }
        let iri = service_name.as_str();
        // One more than the limit: an answer that has it is too large.
        let query = spargebra::Query::Select {
            dataset: None,
            pattern: GraphPattern::Slice {
                inner: Box::new(pattern.clone()),
                start: 0,
                length: Some(self.max_results.saturating_add(1)),
            },
            base_iri: base_iri.cloned(),
        }
        .to_string();
        let call = async {
            let token = credentials.bearer(iri).await.map_err(|reason| failed(iri, reason))?;
            post(http, iri, &query, token.as_deref(), self.remote.hops).await
        };
        let (content_type, body) = self
            .runtime
            .block_on(async { tokio::time::timeout_at(self.deadline, call).await })
            .map_err(|_| SparqlError::ServiceTimeout(iri.to_owned()))??;
        let (variables, solutions) = parse_solutions(iri, content_type.as_deref(), &body, self.max_results)?;
        Ok(QuerySolutionIter::new(variables, solutions.into_iter().map(Ok)))
    }
}

fn failed(iri: &str, reason: impl Into<String>) -> SparqlError {
    SparqlError::ServiceFailed { iri: iri.to_owned(), reason: reason.into() }
}

/// POSTs `query` (SPARQL Protocol, a form) to `iri`; the answer's media type and body.
async fn post(
    http: &reqwest::Client,
    iri: &str,
    query: &str,
    bearer: Option<&str>,
    hops: u32,
) -> Result<(Option<String>, Vec<u8>), SparqlError> {
    let form = form_urlencoded::Serializer::new(String::new()).append_pair("query", query).finish();
    let mut request = http
        .post(iri)
        .header(reqwest::header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(reqwest::header::ACCEPT, "application/sparql-results+json")
        .header(HOPS_HEADER, hops.to_string())
        .body(form);
    if let Some(token) = bearer {
        request = request.bearer_auth(token);
    }
    let mut response = request.send().await.map_err(|e| {
        tracing::warn!(service = iri, error = %e, "SERVICE call failed");
        failed(iri, "the peer is unreachable")
    })?;
    let status = response.status();
    let content_type =
        response.headers().get(reqwest::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let too_large = || failed(iri, format!("the answer is larger than {MAX_ANSWER_BYTES} bytes"));
    if response.content_length().is_some_and(|n| n > MAX_ANSWER_BYTES) {
        return Err(too_large());
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|_| failed(iri, "the answer broke off"))? {
        if (body.len() + chunk.len()) as u64 > MAX_ANSWER_BYTES {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    if !status.is_success() {
        // A peer's 4xx message is written for its callers; anything else is only logged.
        let excerpt = String::from_utf8_lossy(&body[..body.len().min(300)]).trim().to_owned();
        tracing::warn!(service = iri, %status, answer = %excerpt, "SERVICE call refused");
        return Err(if status.is_client_error() {
            failed(iri, format!("the peer answered {status}: {excerpt}"))
        } else {
            failed(iri, format!("the peer answered {status}"))
        });
    }
    Ok((content_type, body))
}

/// The solutions of a SPARQL results document (JSON, or XML if the peer says so), at most `max`.
pub(crate) fn parse_solutions(
    iri: &str,
    content_type: Option<&str>,
    body: &[u8],
    max: usize,
) -> Result<(Arc<[oxigraph::sparql::Variable]>, Vec<QuerySolution>), SparqlError> {
    let format = content_type.and_then(QueryResultsFormat::from_media_type).unwrap_or(QueryResultsFormat::Json);
    if !matches!(format, QueryResultsFormat::Json | QueryResultsFormat::Xml) {
        return Err(failed(iri, format!("the answer is {format}, not SPARQL results in JSON or XML")));
    }
    let parsed = QueryResultsParser::from_format(format)
        .for_slice(body)
        .map_err(|e| failed(iri, format!("the answer is not SPARQL results: {e}")))?;
    let SliceQueryResultsParserOutput::Solutions(solutions) = parsed else {
        return Err(failed(iri, "the answer is a boolean, not solutions"));
    };
    let variables: Arc<[oxigraph::sparql::Variable]> = solutions.variables().into();
    let mut out = Vec::new();
    for solution in solutions {
        if out.len() == max {
            return Err(SparqlError::ServiceTooManyResults { iri: iri.to_owned(), max });
        }
        out.push(solution.map_err(|e| failed(iri, format!("the answer is not SPARQL results: {e}")))?);
    }
    Ok((variables, out))
}

fn services_of_query(query: &spargebra::Query, out: &mut Vec<NamedNodePattern>) {
    match query {
        spargebra::Query::Select { pattern, .. }
        | spargebra::Query::Construct { pattern, .. }
        | spargebra::Query::Describe { pattern, .. }
        | spargebra::Query::Ask { pattern, .. } => services_of_pattern(pattern, out),
    }
}

/// Every SERVICE name in `pattern`, including those inside `EXISTS` and `NOT EXISTS`.
fn services_of_pattern(pattern: &GraphPattern, out: &mut Vec<NamedNodePattern>) {
    match pattern {
        GraphPattern::Bgp { .. } | GraphPattern::Path { .. } | GraphPattern::Values { .. } => {}
        GraphPattern::Join { left, right }
        | GraphPattern::Lateral { left, right }
        | GraphPattern::Union { left, right }
        | GraphPattern::Minus { left, right } => {
            services_of_pattern(left, out);
            services_of_pattern(right, out);
        }
        GraphPattern::LeftJoin { left, right, expression } => {
            services_of_pattern(left, out);
            services_of_pattern(right, out);
            if let Some(e) = expression {
                services_of_expression(e, out);
            }
        }
        GraphPattern::Filter { expr, inner } => {
            services_of_expression(expr, out);
            services_of_pattern(inner, out);
        }
        GraphPattern::Extend { inner, expression, .. } => {
            services_of_expression(expression, out);
            services_of_pattern(inner, out);
        }
        GraphPattern::OrderBy { inner, expression } => {
            for e in expression {
                let (OrderExpression::Asc(e) | OrderExpression::Desc(e)) = e;
                services_of_expression(e, out);
            }
            services_of_pattern(inner, out);
        }
        GraphPattern::Group { inner, aggregates, .. } => {
            for (_, aggregate) in aggregates {
                if let AggregateExpression::FunctionCall { expr, .. } = aggregate {
                    services_of_expression(expr, out);
                }
            }
            services_of_pattern(inner, out);
        }
        GraphPattern::Graph { inner, .. }
        | GraphPattern::Project { inner, .. }
        | GraphPattern::Distinct { inner }
        | GraphPattern::Reduced { inner }
        | GraphPattern::Slice { inner, .. } => services_of_pattern(inner, out),
        GraphPattern::Service { name, inner, .. } => {
            out.push(name.clone());
            services_of_pattern(inner, out);
        }
    }
}

fn services_of_expression(expression: &Expression, out: &mut Vec<NamedNodePattern>) {
    match expression {
        Expression::NamedNode(_) | Expression::Literal(_) | Expression::Variable(_) | Expression::Bound(_) => {}
        Expression::Exists(pattern) => services_of_pattern(pattern, out),
        Expression::Or(a, b)
        | Expression::And(a, b)
        | Expression::Equal(a, b)
        | Expression::SameTerm(a, b)
        | Expression::Greater(a, b)
        | Expression::GreaterOrEqual(a, b)
        | Expression::Less(a, b)
        | Expression::LessOrEqual(a, b)
        | Expression::Add(a, b)
        | Expression::Subtract(a, b)
        | Expression::Multiply(a, b)
        | Expression::Divide(a, b) => {
            services_of_expression(a, out);
            services_of_expression(b, out);
        }
        Expression::UnaryPlus(a) | Expression::UnaryMinus(a) | Expression::Not(a) => services_of_expression(a, out),
        Expression::If(a, b, c) => {
            for e in [a, b, c] {
                services_of_expression(e, out);
            }
        }
        Expression::In(a, list) => {
            services_of_expression(a, out);
            list.iter().for_each(|e| services_of_expression(e, out));
        }
        Expression::Coalesce(list) | Expression::FunctionCall(_, list) => {
            list.iter().for_each(|e| services_of_expression(e, out));
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;
    use std::sync::atomic::AtomicUsize;

    use kura_core::access::Subject;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

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
        let err =
            ask("SELECT * WHERE { SERVICE ?x { ?s ?p ?o } }", Limits::default(), remote.clone()).await.unwrap_err();
        assert!(matches!(err, SparqlError::ServiceRefused(_)), "{err}");
        // No peer at all, and a caller refused any SERVICE.
        let text = format!("SELECT * WHERE {{ SERVICE <{listed}> {{ ?s ?p ?o }} }}");
        let err = ask(&text, Limits::default(), Remote::none()).await.unwrap_err();
        assert_eq!(err.to_string(), format!("SERVICE <{listed}> is not a trusted peer's SPARQL endpoint"));
        let err = ask(&text, Limits::default(), Remote::refused("not for partners")).await.unwrap_err();
        assert_eq!(err.to_string(), "SERVICE is refused: not for partners");
        // The handler itself refuses too, should a SERVICE escape the check of the query.
        let calls =
            remote.handler(Handle::current(), Instant::now() + Duration::from_secs(5), Duration::from_secs(5), 10);
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
}
