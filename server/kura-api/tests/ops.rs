//! `/livez`, `/readyz` and `/metrics`: answered without credentials (a bad one included), and
//! telling only route templates, states and counts — never a dataset's name.

mod common;

use common::spawn_app;

#[tokio::test]
async fn probes_and_metrics_answer_anyone_and_count_requests_by_route_template() {
    let app = spawn_app().await;
    app.create_dataset("secret-plans").await;
    app.index_now().await;
    let client = reqwest::Client::new();

    let live = client.get(format!("{}/livez", app.base)).send().await.unwrap();
    assert_eq!(live.status(), 200);
    // A probe with a stale credential is still answered: these routes sit outside authentication.
    let ready = client.get(format!("{}/readyz", app.base)).bearer_auth("kura_nonsense").send().await.unwrap();
    assert_eq!(ready.status(), 200);
    let body: serde_json::Value = ready.json().await.unwrap();
    assert_eq!(body["ready"], true, "{body}");
    let names: Vec<&str> = body["checks"].as_array().unwrap().iter().filter_map(|c| c["name"].as_str()).collect();
    assert_eq!(names, ["catalog", "schema", "search", "rdf"], "{body}");

    for _ in 0..2 {
        assert_eq!(app.get("/datasets/secret-plans").await.status(), 404, "closed to the anonymous");
    }
    assert_eq!(app.get_admin("/datasets/secret-plans").await.status(), 200);
    assert_eq!(client.get(format!("{}/no/such/page/x1", app.base)).send().await.unwrap().status(), 404);

    let scraped = client.get(format!("{}/metrics", app.base)).send().await.unwrap();
    assert_eq!(scraped.status(), 200);
    let media = scraped.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(media.starts_with("application/openmetrics-text"), "{media}");
    let text = scraped.text().await.unwrap();
    let series = |s: &str| text.lines().any(|l| l.starts_with(s));
    assert!(
        series(r#"kura_http_requests_total{method="GET",route="/api/v1/datasets/{name}",status="4xx"} 2"#),
        "{text}"
    );
    assert!(series(r#"kura_http_requests_total{method="GET",route="/api/v1/datasets/{name}",status="2xx"} 1"#));
    assert!(
        text.lines().any(|l| l.starts_with("kura_http_request_duration_seconds_count{")
            && l.contains(r#"route="/api/v1/datasets/{name}",status="4xx""#)
            && l.ends_with(" 2")),
        "{text}"
    );
    assert!(series(r#"kura_http_requests_total{method="GET",route="/readyz",status="2xx"} 1"#), "{text}");
    assert!(series(r#"kura_http_requests_total{method="GET",route="unmatched",status="4xx"} 1"#), "{text}");
    assert!(series(r#"kura_ingest_jobs{state="running"} 0"#), "{text}");
    assert!(series(r#"kura_outbox_lag_events{projection="search"} 0"#), "{text}");
    assert!(series(r#"kura_outbox_lag_events{projection="rdf"} 0"#), "{text}");
    assert!(series("kura_flight_sent_bytes_total 0"), "{text}");
    assert!(text.ends_with("# EOF\n"));
    for leak in ["secret-plans", "x1"] {
        assert!(!text.contains(leak), "{leak} in metrics: {text}");
    }
}
