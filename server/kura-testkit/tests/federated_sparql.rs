//! Federated SPARQL on three nodes (`kura_testkit::cluster`): `SERVICE <b>/sparql` from `a`
//! answers with what `b` lets the caller see (identity carried by token exchange, audited at
//! `b`), any other SERVICE IRI is refused with 400 before a request leaves `a`, a partner's user
//! and a query that already crossed a node get no SERVICE, and a silent SERVICE to a node that
//! went down is one empty solution.

use kura_testkit::TestApp;
use kura_testkit::cluster::{self, Cluster, HIDDEN_WORDS};
use serde_json::Value;

const DCT: &str = "PREFIX dct: <http://purl.org/dc/terms/>";

/// `POST /sparql` (a form) on `app` with an optional token and extra headers: status and body.
async fn sparql(app: &TestApp, token: Option<&str>, headers: &[(&str, &str)], query: &str) -> (u16, String) {
    let mut request = app
        .client
        .post(format!("{}/sparql", app.base))
        .header("accept", "application/sparql-results+json")
        .form(&[("query", query)]);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

/// The values of `variable` in a SPARQL JSON answer, sorted.
fn values(body: &str, variable: &str) -> Vec<String> {
    let v: Value = serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"));
    let mut out: Vec<String> = v["results"]["bindings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|b| b[variable]["value"].as_str().map(str::to_owned))
        .collect();
    out.sort();
    out
}

/// Titles of every dataset `endpoint` shows `token`'s user, asked at `a` through SERVICE.
fn titles_at(endpoint: &str) -> String {
    format!("{DCT} SELECT ?title WHERE {{ SERVICE <{endpoint}> {{ ?d dct:title ?title }} }}")
}

fn endpoint(app: &TestApp) -> String {
    format!("{}/sparql", app.base)
}

/// The token `b` gives `a`'s user behind `token`, through `a`'s federation.
async fn token_at_b(cluster: &Cluster, token: &str) -> String {
    let a = &cluster.a.app;
    let principal = a.state.credentials.bearer(token).await.unwrap();
    let peer = kura_service::federation::trusted_peer(&a.state, "b").await.unwrap().unwrap();
    a.state.federation().unwrap().token_for(&principal, &peer).await.unwrap().expect("a token of b")
}

#[tokio::test]
async fn service_reaches_trusted_peers_only_carrying_the_callers_identity() {
    let cluster = cluster::three_nodes().await;
    let (a, b, c) = (&cluster.a.app, &cluster.b.app, &cluster.c.app);
    let b_sparql = endpoint(b);

    // Anonymous at a: b's public datasets, as b describes them.
    let (status, body) = sparql(a, None, &[], &titles_at(&b_sparql)).await;
    assert_eq!(status, 200, "{body}");
    let anonymous = values(&body, "title");
    assert!(anonymous.iter().any(|t| t.starts_with("b-open ")), "{body}");
    // Joined with a's own graphs in one query.
    let joined = format!(
        "{DCT} SELECT ?mine ?theirs WHERE {{ ?x dct:title ?mine FILTER(STRSTARTS(?mine, \"a-open\")) \
         SERVICE <{b_sparql}> {{ ?d dct:title ?theirs FILTER(STRSTARTS(?theirs, \"b-open\")) }} }}"
    );
    let (status, body) = sparql(a, None, &[], &joined).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(values(&body, "mine").len(), 1, "{body}");
    assert!(values(&body, "theirs")[0].starts_with("b-open "), "{body}");

    let exchanges = async || {
        let audit = b.ok("GET", "/audit?action=federation.token_exchange", &b.token, Value::Null).await;
        let actors = audit["items"].as_array().unwrap().iter().map(|e| e["actor"].as_str().unwrap().to_owned());
        actors.collect::<std::collections::BTreeSet<String>>()
    };
    assert!(exchanges().await.is_empty(), "an anonymous caller is anonymous at b too");

    // Signed in at a: the identity travels as a token of b, exchanged for each user (and audited
    // at b under the user's name at home), and b decides with its own rules.
    for user in [&cluster.alice, &cluster.bob] {
        let (status, body) = sparql(a, Some(user), &[], &titles_at(&b_sparql)).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(values(&body, "title"), anonymous, "b shows a's users what it shows anyone: {body}");
    }
    let actors = exchanges().await;
    assert_eq!(actors.len(), 2, "{actors:?}");
    assert!(actors.iter().all(|a| a.starts_with("user:") && a.ends_with("@a")), "{actors:?}");

    // b's closed and draft datasets never come back through a, whoever asks and however.
    let everything = format!("SELECT * WHERE {{ SERVICE <{b_sparql}> {{ GRAPH ?g {{ ?s ?p ?o }} }} }}");
    for token in [None, Some(cluster.alice.as_str()), Some(cluster.bob.as_str())] {
        for query in [titles_at(&b_sparql), everything.clone()] {
            let (status, body) = sparql(a, token, &[], &query).await;
            assert_eq!(status, 200, "{body}");
            for word in HIDDEN_WORDS.iter().chain(&["b-closed", "b-draft"]) {
                assert!(!body.contains(word), "{word} leaked from b through a: {body}");
            }
        }
    }

    // Any other IRI is refused before a request leaves a: a listener that records connections
    // stands in for an untrusted endpoint.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let untrusted = format!("http://{}/sparql", listener.local_addr().unwrap());
    let refused = [
        untrusted.clone(),
        "http://127.0.0.1:1/sparql".to_owned(),
        format!("{}/api/v1/sparql", b.base),
        format!("{b_sparql}/"),
    ];
    for iri in &refused {
        for silent in ["", "SILENT "] {
            let query = format!("SELECT * WHERE {{ SERVICE {silent}<{iri}> {{ ?s ?p ?o }} }}");
            let (status, body) = sparql(a, Some(&cluster.alice), &[], &query).await;
            assert_eq!(status, 400, "{query}: {body}");
            let message = format!("SERVICE <{iri}> is not a trusted peer's SPARQL endpoint");
            assert!(body.contains(&message), "{body}");
        }
    }
    let (status, body) = sparql(a, None, &[], "SELECT * WHERE { SERVICE ?x { ?s ?p ?o } }").await;
    assert_eq!(status, 400, "{body}");
    assert!(matches!(listener.accept(), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock), "a request left a");

    // A partner's user is not passed on: b refuses SERVICE for a's user, also to a trusted peer.
    let alice_at_b = token_at_b(&cluster, &cluster.alice).await;
    let (status, body) = sparql(b, Some(&alice_at_b), &[], &titles_at(&endpoint(c))).await;
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("a partner node's user is not passed on"), "{body}");
    let (status, body) =
        sparql(b, Some(&alice_at_b), &[], &format!("{DCT} SELECT ?t WHERE {{ ?d dct:title ?t }}")).await;
    assert_eq!(status, 200, "without SERVICE they query b as usual: {body}");
    // Nor does a query that already crossed a node go further.
    let hop = [(kura_federation::HOPS_HEADER, "1")];
    let (status, body) = sparql(b, None, &hop, &titles_at(&endpoint(c))).await;
    assert_eq!(status, 400, "{body}");

    // A removed peer is refused at once.
    let c_sparql = endpoint(c);
    let (status, body) = sparql(a, None, &[], &titles_at(&c_sparql)).await;
    assert_eq!(status, 200, "{body}");
    assert!(values(&body, "title").iter().any(|t| t.starts_with("c-open ")), "{body}");
    let removed = a.client.delete(a.url("/federation/peers/c")).bearer_auth(&a.token).send().await.unwrap();
    assert_eq!(removed.status(), 204);
    let (status, body) = sparql(a, None, &[], &titles_at(&c_sparql)).await;
    assert_eq!(status, 400, "{body}");
    assert!(body.contains(&format!("SERVICE <{c_sparql}> is not a trusted peer's SPARQL endpoint")), "{body}");

    // A trusted node that went down: an error naming it, or with SILENT one empty solution.
    b.stop().await;
    let loud = format!("SELECT * WHERE {{ VALUES ?x {{ 1 }} SERVICE <{b_sparql}> {{ ?s ?p ?o }} }}");
    let (status, body) = sparql(a, None, &[], &loud).await;
    assert_eq!(status, 503, "{body}");
    assert!(body.contains(&format!("SERVICE <{b_sparql}> failed")), "{body}");
    let (status, body) = sparql(a, None, &[], &loud.replace("SERVICE <", "SERVICE SILENT <")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(values(&body, "x"), ["1"], "{body}");
    assert!(values(&body, "s").is_empty(), "{body}");
}
