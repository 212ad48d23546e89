//! `/sparql` over HTTP: the protocol (GET, POST form, POST query body), every result format, the
//! service description, the caller's graphs only (closed and draft datasets absent for those
//! who may not see them, also when named explicitly), the projection following policy changes,
//! and the time and result limits answering with errors while the server keeps serving.

mod common;

use common::{TestApp, spawn_app, spawn_app_with};
use serde_json::Value;

const TITLES: &str = "PREFIX dct: <http://purl.org/dc/terms/> PREFIX dcat: <http://www.w3.org/ns/dcat#>
SELECT ?g ?ds ?title WHERE { GRAPH ?g { ?ds a dcat:Dataset ; dct:title ?title } } ORDER BY ?title";

async fn dataset(app: &TestApp, name: &str, level: &str, publish: bool) -> String {
    app.described_dataset(name, Some(&format!("Spectra of {name}")), level, publish).await
}

async fn rdf_now(app: &TestApp) {
    app.state.rdf.as_ref().expect("the server runs the RDF store").catch_up().await.expect("catch up");
}

/// `GET /sparql?query=…` with an optional token and `Accept`.
async fn query(app: &TestApp, q: &str, token: Option<&str>, accept: Option<&str>) -> reqwest::Response {
    let mut r = app.client.get(format!("{}/sparql", app.base)).query(&[("query", q)]);
    if let Some(t) = token {
        r = r.bearer_auth(t);
    }
    if let Some(a) = accept {
        r = r.header("accept", a);
    }
    r.send().await.expect("request")
}

/// The titles a SELECT over every graph returns.
async fn titles(app: &TestApp, token: Option<&str>) -> Vec<String> {
    let r = query(app, TITLES, token, None).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/sparql-results+json");
    let v: Value = r.json().await.unwrap();
    v["results"]["bindings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["title"]["value"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn sparql_answers_over_the_callers_graphs_only() {
    let app = spawn_app().await;
    dataset(&app, "sp-open", "open", true).await;
    let closed_id = dataset(&app, "sp-closed", "closed", true).await;
    dataset(&app, "sp-restricted", "restricted", true).await;
    dataset(&app, "sp-draft", "open", false).await;
    rdf_now(&app).await;

    // Anonymous: open and restricted (metadata public), not closed, not the draft.
    assert_eq!(titles(&app, None).await, ["Spectra of sp-open", "Spectra of sp-restricted"]);
    // The admin sees the closed dataset too; drafts are never in the store.
    assert_eq!(
        titles(&app, Some(&app.token)).await,
        ["Spectra of sp-closed", "Spectra of sp-open", "Spectra of sp-restricted"]
    );

    // Naming the closed graph (FROM NAMED, FROM, the protocol's parameters) finds nothing.
    let closed_graph = format!("{}/pid/{closed_id}/1", app.base);
    for q in [
        format!("SELECT * FROM NAMED <{closed_graph}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}"),
        format!("SELECT * FROM <{closed_graph}> WHERE {{ ?s ?p ?o }}"),
        format!("SELECT * WHERE {{ GRAPH <{closed_graph}> {{ ?s ?p ?o }} }}"),
    ] {
        let r = query(&app, &q, None, None).await;
        assert_eq!(r.status(), 200);
        let body = r.text().await.unwrap();
        assert!(!body.contains("sp-closed") && !body.contains(&closed_id), "{q}: {body}");
        let v: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v["results"]["bindings"].as_array().unwrap().len(), 0, "{q}");
        // The admin gets the triples.
        let r = query(&app, &q, Some(&app.token), None).await;
        let v: Value = r.json().await.unwrap();
        assert!(!v["results"]["bindings"].as_array().unwrap().is_empty(), "{q}");
    }
    let r = app
        .client
        .get(format!("{}/sparql", app.base))
        .query(&[("query", "SELECT * WHERE { ?s ?p ?o }"), ("default-graph-uri", closed_graph.as_str())])
        .send()
        .await
        .unwrap();
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["results"]["bindings"].as_array().unwrap().len(), 0);
    let ask = query(&app, "ASK { ?s <http://purl.org/dc/terms/title> \"Spectra of sp-closed\"@en }", None, None).await;
    assert_eq!(ask.json::<Value>().await.unwrap()["boolean"], false);

    // Every result format.
    for (accept, content_type, probe) in [
        ("application/sparql-results+xml", "application/sparql-results+xml", "<sparql"),
        ("text/csv", "text/csv; charset=utf-8", "g,ds,title\r\n"),
        ("text/tab-separated-values", "text/tab-separated-values; charset=utf-8", "?g\t?ds\t?title\n"),
        ("application/json", "application/sparql-results+json", "\"bindings\""),
        ("*/*", "application/sparql-results+json", "\"bindings\""),
    ] {
        let r = query(&app, TITLES, None, Some(accept)).await;
        assert_eq!(r.status(), 200, "{accept}");
        assert_eq!(r.headers()["content-type"], content_type, "{accept}");
        let body = r.text().await.unwrap();
        assert!(body.contains(probe) && body.contains("Spectra of sp-open"), "{accept}: {body}");
    }
    let construct =
        "CONSTRUCT { ?ds <http://purl.org/dc/terms/title> ?t } WHERE { ?ds <http://purl.org/dc/terms/title> ?t }";
    for (accept, content_type) in [
        ("text/turtle", "text/turtle; charset=utf-8"),
        ("application/n-triples", "application/n-triples"),
        ("application/rdf+xml", "application/rdf+xml"),
    ] {
        let r = query(&app, construct, None, Some(accept)).await;
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["content-type"], content_type);
        let body = r.text().await.unwrap();
        assert!(body.contains("Spectra of sp-open") && !body.contains("sp-closed"), "{accept}: {body}");
    }
    assert_eq!(query(&app, TITLES, None, Some("image/png")).await.status(), 406);
    assert_eq!(query(&app, construct, None, Some("text/csv")).await.status(), 406);
    let r = app
        .client
        .get(format!("{}/sparql", app.base))
        .query(&[("query", TITLES), ("format", "csv")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["content-type"], "text/csv; charset=utf-8");

    // POST with a form and with the query as the body.
    let r = app.client.post(format!("{}/sparql", app.base)).form(&[("query", TITLES)]).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.unwrap()["results"]["bindings"].as_array().unwrap().len(), 2);
    let r = app
        .client
        .post(format!("{}/sparql", app.base))
        .header("content-type", "application/sparql-query")
        .body(TITLES)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = app
        .client
        .post(format!("{}/sparql", app.base))
        .header("content-type", "text/plain")
        .body(TITLES)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 415);

    // Bad queries, updates and graph IRIs are 400s with the reason.
    for (q, reason) in [
        ("SELECT * WHERE { ?s ?p }", "syntax"),
        ("INSERT DATA { <urn:a> <urn:b> <urn:c> }", "syntax"),
        // No trusted peer: any SERVICE is refused (kura-testkit's federated_sparql has the rest).
        (
            "SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }",
            "SERVICE <http://example.org/sparql> is not a trusted peer's SPARQL endpoint",
        ),
    ] {
        let r = query(&app, q, Some(&app.token), None).await;
        assert_eq!(r.status(), 400, "{q}");
        assert!(r.text().await.unwrap().contains(reason), "{q}");
    }
    let r = app.client.post(format!("{}/sparql", app.base)).form(&[("update", "CLEAR ALL")]).send().await.unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("read-only"));
    assert_eq!(titles(&app, Some(&app.token)).await.len(), 3, "an update attempt changed the store");

    // The service description.
    let r = app.client.get(format!("{}/sparql", app.base)).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "text/turtle; charset=utf-8");
    let sd = r.text().await.unwrap();
    assert!(sd.contains("sd:SPARQL11Query") && sd.contains(&format!("<{}/sparql>", app.base)));

    // The projection follows the catalog: closing the open dataset hides it.
    app.set_level("sp-open", "closed").await;
    rdf_now(&app).await;
    assert_eq!(titles(&app, None).await, ["Spectra of sp-restricted"]);
    app.assert_healthy().await;
}

#[tokio::test]
async fn sparql_limits_answer_with_errors_and_the_server_keeps_serving() {
    let app = spawn_app_with(|c, _| {
        c.sparql_timeout_ms = 200;
        c.sparql_max_results = 5;
    })
    .await;
    dataset(&app, "sp-a", "open", true).await;
    rdf_now(&app).await;
    let r = query(&app, "SELECT * WHERE { ?s ?p ?o }", None, None).await;
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("more than 5 results"));
    let r = query(&app, "SELECT * WHERE { ?s ?p ?o } LIMIT 5", None, None).await;
    assert_eq!(r.status(), 200);
    // Cross products of every triple with itself: far beyond 200 ms. The three-way one notices
    // its cancellation at once; the four-way one only between long stretches of combining, yet
    // its caller is answered at the deadline all the same.
    for heavy in [
        "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }",
        "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }",
    ] {
        let started = std::time::Instant::now();
        let r = query(&app, heavy, None, None).await;
        assert_eq!(r.status(), 503);
        assert!(r.text().await.unwrap().contains("longer than the limit"));
        assert!(started.elapsed() < std::time::Duration::from_secs(3), "the time limit did not answer promptly");
        app.assert_healthy().await;
    }
    let r = query(&app, "ASK { ?s ?p ?o }", None, None).await;
    assert_eq!(r.json::<Value>().await.unwrap()["boolean"], true);
}
