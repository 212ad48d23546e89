//! Starts a real Kura — REST and Flight, as `kura serve` does — on port 0 with a fresh data
//! directory, and builds a small world of datasets at every access level through the REST API.

#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::Arc;

use arrow_flight::FlightClient;
use kura_api::{AppState, Application, open_state};
use kura_core::Config;
use serde_json::{Value, json};
use tonic::transport::Channel;

pub const PASSWORD: &str = "correct horse battery staple";

pub struct TestApp {
    pub base: String,
    pub flight: String,
    pub client: reqwest::Client,
    pub token: String,
    pub state: AppState,
    pub dir: tempfile::TempDir,
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(kura_flight::SqlLimits {
        time: std::time::Duration::from_secs(30),
        memory_bytes: 256 << 20,
        per_caller: 2,
    })
    .await
}

/// Like [`spawn_app`], with SQL limits of the test's choosing.
pub async fn spawn_app_with(limits: kura_flight::SqlLimits) -> TestApp {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = Config {
        http_addr: "127.0.0.1:0".into(),
        flight_addr: "127.0.0.1:0".into(),
        data_dir: dir.path().join("data"),
        ..Config::default()
    };
    let state = open_state(config).await.expect("open state");
    let (_, token) = state.catalog.create_admin_token("test").await.expect("token");
    let ctx = kura_flight::FlightContext::new(
        state.catalog.clone(),
        state.store.clone(),
        state.auth.clone(),
        state.login_limiter.clone(),
        &state.config.data_dir,
        limits,
    )
    .expect("flight context");
    let flight = kura_flight::FlightServer::bind(ctx, &state.config.flight_addr).await.expect("bind flight");
    let flight_addr = format!("http://{}", flight.address());
    tokio::spawn(async move { flight.run_until(std::future::pending()).await.expect("flight server") });
    let app = Application::build(state).await.expect("build app");
    let state = app.state().clone();
    let base = format!("http://{}", app.address());
    tokio::spawn(async move { app.run_until(std::future::pending()).await.expect("server") });
    TestApp { base, flight: flight_addr, client: reqwest::Client::new(), token, state, dir }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}/api/v1{}", self.base, path)
    }

    pub async fn call(&self, method: &str, path: &str, token: &str, body: Value) -> (u16, Value) {
        let request = match method {
            "GET" => self.client.get(self.url(path)),
            "POST" => self.client.post(self.url(path)).json(&body),
            "PUT" => self.client.put(self.url(path)).json(&body),
            other => panic!("unknown method {other}"),
        };
        let response = request.bearer_auth(token).send().await.expect("request");
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    pub async fn ok(&self, method: &str, path: &str, token: &str, body: Value) -> Value {
        let (status, value) = self.call(method, path, token, body).await;
        assert!(status < 300, "{method} {path}: {status} {value}");
        value
    }

    /// Waits for a job (its JSON, as `POST …/draft/ingest` answers) to end; returns its state.
    /// Woken by the job runner, no polling (the API tests' `TestApp::wait_for_job` does the same).
    pub async fn wait_for_job(&self, job: &Value) -> kura_core::JobState {
        let id = |key: &str| job[key].as_str().and_then(|s| s.parse::<uuid::Uuid>().ok()).expect("a job's ids");
        let wait = self.state.jobs.wait(id("dataset_id"), id("id"));
        let ended = tokio::time::timeout(std::time::Duration::from_secs(60), wait).await.expect("job ended").unwrap();
        ended.state
    }

    pub async fn channel(&self) -> Channel {
        Channel::from_shared(self.flight.clone()).unwrap().connect().await.expect("connect to flight")
    }

    /// A Flight client sending `token` (none: anonymous).
    pub async fn flight_client(&self, token: Option<&str>) -> FlightClient {
        let mut client = FlightClient::new(self.channel().await);
        if let Some(t) = token {
            client.add_header("authorization", &format!("Bearer {t}")).unwrap();
        }
        client
    }
}

/// Actors of the world, and the datasets: one per level, each with a table `t` of three rows
/// (`a` integer 1..3, `b` text, `secret` masked).
pub struct World {
    pub app: TestApp,
    pub tokens: HashMap<&'static str, String>,
    pub users: HashMap<&'static str, String>,
}

pub const LEVELS: [&str; 5] = ["open", "closed", "restricted", "consortium", "embargoed"];

pub async fn build_world() -> World {
    let app = spawn_app().await;
    let admin = app.token.clone();
    let org = app.ok("POST", "/organizations", &admin, json!({"name": "Uni A"})).await;
    let org_id = org["id"].as_str().unwrap().to_owned();
    let owner = app.ok("POST", &format!("/organizations/{org_id}/groups"), &admin, json!({"name": "Lab A"})).await;
    let partner = app.ok("POST", &format!("/organizations/{org_id}/groups"), &admin, json!({"name": "Lab B"})).await;
    let owner_id = owner["id"].as_str().unwrap().to_owned();
    let partner_id = partner["id"].as_str().unwrap().to_owned();
    let mut tokens = HashMap::new();
    let mut users = HashMap::new();
    for actor in ["outsider", "owner", "partner"] {
        let user = app.ok("POST", "/users", &admin, json!({"username": actor, "password": PASSWORD})).await;
        let id = user["id"].as_str().unwrap().to_owned();
        let token =
            app.ok("POST", &format!("/users/{id}/tokens"), &admin, json!({"name": "t", "scope": "write"})).await;
        tokens.insert(actor, token["secret"].as_str().unwrap().to_owned());
        users.insert(actor, id);
    }
    tokens.insert("admin", admin.clone());
    let (s, _) = app
        .call("PUT", &format!("/groups/{owner_id}/members/{}", users["owner"]), &admin, json!({"role": "steward"}))
        .await;
    assert_eq!(s, 204);
    let (s, _) = app
        .call("PUT", &format!("/groups/{partner_id}/members/{}", users["partner"]), &admin, json!({"role": "member"}))
        .await;
    assert_eq!(s, 204);
    let consortium = app.ok("POST", "/consortia", &admin, json!({"name": "C1", "terms": "share"})).await;
    let consortium_id = consortium["id"].as_str().unwrap().to_owned();
    let (s, _) =
        app.call("POST", &format!("/consortia/{consortium_id}/members"), &admin, json!({"group": partner_id})).await;
    assert_eq!(s, 204);
    app.ok("POST", &format!("/consortia/{consortium_id}/accept"), &tokens["partner"], json!({})).await;

    let steward = tokens["owner"].clone();
    for level in LEVELS {
        let name = format!("ds-{level}");
        app.ok("POST", "/datasets", &steward, json!({"name": name, "title": format!("T {level}"), "group": owner_id}))
            .await;
        let csv = format!("a,b,secret\n1,{level},s1\n2,x,s2\n3,y,s3\n").into_bytes();
        let form =
            reqwest::multipart::Form::new().part("file", reqwest::multipart::Part::bytes(csv).file_name("t.csv"));
        let upload = app
            .client
            .post(app.url(&format!("/datasets/{name}/draft/files")))
            .bearer_auth(&steward)
            .multipart(form)
            .send()
            .await
            .unwrap();
        assert_eq!(upload.status(), 201);
        let job = app.ok("POST", &format!("/datasets/{name}/draft/ingest"), &steward, json!({})).await;
        assert_eq!(app.wait_for_job(&job).await, kura_core::JobState::Succeeded);
        let mut policy = match level {
            "embargoed" => json!({"level": "embargoed", "until": "2999-01-01T00:00:00Z"}),
            "consortium" => json!({"level": "consortium", "consortia": [consortium_id]}),
            other => json!({"level": other}),
        };
        policy["masked_columns"] = json!(["secret"]);
        app.ok("PUT", &format!("/datasets/{name}/policy"), &steward, policy).await;
        app.ok("POST", &format!("/datasets/{name}/draft/publish"), &steward, json!({})).await;
    }
    World { app, tokens, users }
}

pub fn shared<T>(t: T) -> Arc<T> {
    Arc::new(t)
}
