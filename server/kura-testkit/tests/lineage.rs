//! Lineage of compute jobs against a running Kura: every run's OpenLineage events (START,
//! COMPLETE, FAIL, ABORT) are kept and served at `/api/v1/jobs/{id}/lineage`, and POSTed to
//! the configured endpoint (here a real HTTP server in the test), which is retried after a
//! refusal without holding up the job.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use kura_testkit::{TestApp, spawn_app_with};
use serde_json::{Value, json};

/// What the receiver got; it refuses its first POST, as an endpoint briefly down would.
#[derive(Clone, Default)]
struct Received {
    events: Arc<Mutex<Vec<Value>>>,
    refused: Arc<Mutex<u32>>,
}

async fn receive(State(received): State<Received>, Json(event): Json<Value>) -> StatusCode {
    {
        let mut refused = received.refused.lock().unwrap();
        if *refused == 0 {
            *refused += 1;
            return StatusCode::SERVICE_UNAVAILABLE;
        }
    }
    received.events.lock().unwrap().push(event);
    StatusCode::CREATED
}

/// An OpenLineage endpoint on port 0; its URL.
async fn receiver(received: Received) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/api/v1/lineage", listener.local_addr().unwrap());
    let app = axum::Router::new().route("/api/v1/lineage", axum::routing::post(receive)).with_state(received);
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    url
}

/// A researcher (steward of Lab B, which owns the outputs) and an open dataset `ds-open`:
/// the app, the researcher's token, id and group.
async fn lab(url: String) -> (TestApp, String, uuid::Uuid, uuid::Uuid) {
    let app = spawn_app_with(move |c, _| c.openlineage_url = Some(url)).await;
    let admin = app.token.clone();
    let org = app.ok("POST", "/organizations", &admin, json!({"name": "Uni"})).await;
    let group = app
        .ok("POST", &format!("/organizations/{}/groups", org["id"].as_str().unwrap()), &admin, json!({"name": "Lab B"}))
        .await;
    let user = app.ok("POST", "/users", &admin, json!({"username": "researcher"})).await;
    let id = user["id"].as_str().unwrap();
    let path = format!("/groups/{}/members/{id}", group["id"].as_str().unwrap());
    assert_eq!(app.call("PUT", &path, &admin, json!({"role": "steward"})).await.0, 204);
    let token = app.ok("POST", &format!("/users/{id}/tokens"), &admin, json!({"name": "t", "scope": "write"})).await;
    app.described_dataset("ds-open", None, "open", true).await;
    let ids: (uuid::Uuid, uuid::Uuid) = (id.parse().unwrap(), group["id"].as_str().unwrap().parse().unwrap());
    (app, token["secret"].as_str().unwrap().to_owned(), ids.0, ids.1)
}

fn job(code: &str) -> Value {
    json!({"name": "sum", "kind": "sql", "code": code, "inputs": [{"dataset": "ds-open", "table": "t"}]})
}

/// Polls until `done` holds of the answer to `GET path` (a minute at most).
async fn poll(app: &TestApp, token: &str, path: &str, done: impl Fn(&Value) -> bool) -> Value {
    for _ in 0..600 {
        let value = app.ok("GET", path, token, Value::Null).await;
        if done(&value) {
            return value;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{path} did not reach the expected state within a minute");
}

fn types(events: &Value) -> Vec<&str> {
    events.as_array().unwrap().iter().map(|e| e["eventType"].as_str().unwrap()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_run_keeps_its_events_and_they_reach_the_endpoint_after_a_refusal() {
    let received = Received::default();
    let url = receiver(received.clone()).await;
    let (app, researcher, researcher_id, group) = lab(url).await;

    // A job that completes: START then COMPLETE, naming the input with its version and the output.
    let done = app.ok("POST", "/jobs", &researcher, job(r#"SELECT SUM(x) AS total FROM t"#)).await;
    let done = done["id"].as_str().unwrap().to_owned();
    let finished = |j: &Value| j["finished_at"].is_string();
    let ended = poll(&app, &researcher, &format!("/jobs/{done}"), finished).await;
    assert_eq!(ended["state"], "COMPLETE", "{ended}");
    let events = app.ok("GET", &format!("/jobs/{done}/lineage"), &researcher, Value::Null).await;
    assert_eq!(types(&events), ["START", "COMPLETE"], "{events}");
    let complete = &events[1];
    assert_eq!(complete["run"]["runId"], done.as_str());
    assert_eq!(complete["job"]["namespace"], app.state.config.base_url());
    assert_eq!(complete["inputs"][0]["name"], "ds-open/t");
    assert_eq!(complete["inputs"][0]["facets"]["version"]["datasetVersion"], "1");
    let output = app
        .ok("GET", &format!("/datasets/{}", ended["output_dataset_id"].as_str().unwrap()), &researcher, Value::Null)
        .await;
    let output = output.get("dataset").unwrap_or(&output)["name"].as_str().unwrap().to_owned();
    assert_eq!(complete["outputs"][0]["name"], format!("{output}/result"), "{complete}");

    // A job that fails: FAIL says why; one cancelled while queued: ABORT.
    let failed = app.ok("POST", "/jobs", &researcher, job("SELECT no_such_column FROM t")).await;
    let failed = failed["id"].as_str().unwrap().to_owned();
    let ended = poll(&app, &researcher, &format!("/jobs/{failed}"), finished).await;
    assert_eq!(ended["state"], "EXECUTOR_ERROR", "{ended}");
    let events = app.ok("GET", &format!("/jobs/{failed}/lineage"), &researcher, Value::Null).await;
    let last = events.as_array().unwrap().last().unwrap();
    assert_eq!(last["eventType"], "FAIL", "{events}");
    assert!(last["run"]["facets"]["errorMessage"]["message"].as_str().unwrap().contains("no_such_column"), "{last}");

    // A job cancelled while it waits for the researcher's slot: ABORT, and it never started.
    app.occupy_compute_slot(researcher_id, group).await;
    let aborted = app.ok("POST", "/jobs", &researcher, job("SELECT x FROM t")).await;
    let aborted = aborted["id"].as_str().unwrap().to_owned();
    app.ok("POST", &format!("/jobs/{aborted}/cancel"), &researcher, json!({})).await;
    let events = app.ok("GET", &format!("/jobs/{aborted}/lineage"), &researcher, Value::Null).await;
    assert_eq!(types(&events), ["ABORT"], "{events}");
    assert_eq!(events[0]["outputs"], json!([]), "a cancelled run wrote nothing");

    // Another user sees no job, so no lineage; the administrator sees both.
    let other = app.ok("POST", "/users", &app.token, json!({"username": "other"})).await;
    let other = app
        .ok(
            "POST",
            &format!("/users/{}/tokens", other["id"].as_str().unwrap()),
            &app.token,
            json!({"name": "t", "scope": "read"}),
        )
        .await;
    let other = other["secret"].as_str().unwrap();
    assert_eq!(app.call("GET", &format!("/jobs/{done}/lineage"), other, Value::Null).await.0, 404);
    let anonymous = app.client.get(app.url(&format!("/jobs/{done}/lineage"))).send().await.unwrap();
    assert_eq!(anonymous.status(), 404);
    assert_eq!(app.call("GET", "/jobs/not-a-uuid/lineage", &researcher, Value::Null).await.0, 404);
    assert_eq!(app.call("GET", &format!("/jobs/{done}/lineage"), &app.token, Value::Null).await.0, 200);

    // The endpoint refused the first POST; the delivery tried again and every event arrived,
    // in the order they happened, as served.
    let mut served = Vec::new();
    for id in [&done, &failed, &aborted] {
        let events = app.ok("GET", &format!("/jobs/{id}/lineage"), &researcher, Value::Null).await;
        served.extend(events.as_array().unwrap().iter().cloned());
    }
    for _ in 0..300 {
        if received.events.lock().unwrap().len() >= served.len() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(*received.refused.lock().unwrap(), 1, "the first POST was refused");
    let got = received.events.lock().unwrap().clone();
    assert_eq!(got.len(), served.len(), "every event arrived once: {got:?}");
    for event in &served {
        assert!(got.contains(event), "{event} did not arrive");
    }
    let runs: Vec<&str> = got.iter().map(|e| e["run"]["runId"].as_str().unwrap()).collect();
    assert_eq!(runs.iter().position(|r| *r == failed), Some(2), "in the order they happened: {runs:?}");
}
