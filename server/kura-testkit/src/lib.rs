//! The one test fixture of Kura's integration tests (dev only, never published): a real Kura —
//! REST and, when asked, Flight, as `kura serve` runs them — on port 0 with a fresh data
//! directory and catalog, and the world of the authorization matrix ([`world`]).
//!
//! The catalog is SQLite in the data directory, or, when `KURA_TEST_DATABASE_URL` names a
//! PostgreSQL server (`postgres://user@host/postgres`), a fresh database created on it per app.

pub mod cluster;
pub mod readable;
pub mod world;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use arrow_flight::FlightClient;
use kura_api::{AppState, Application, open_state_with};
use kura_core::Config;
use sea_orm::{ConnectionTrait, Database};
use serde_json::Value;
use tonic::transport::Channel;

/// A running Kura and an HTTP client for it.
pub struct TestApp {
    /// `http://127.0.0.1:PORT`, the site root.
    pub base: String,
    /// The Flight endpoint (`http://127.0.0.1:PORT`), when Flight runs.
    pub flight: Option<String>,
    /// The HTTP client the tests use.
    pub client: reqwest::Client,
    /// An admin's API token.
    pub token: String,
    /// The server's state (catalog, store, projections, configuration).
    pub state: AppState,
    /// SQL statements run by requests (not by the projections' background workers).
    pub statements: Arc<AtomicUsize>,
    /// The directory holding the data directory (`data/`), removed when the app is dropped.
    pub dir: tempfile::TempDir,
    /// Ends the HTTP server (see [`TestApp::stop`]).
    shutdown: Arc<tokio::sync::Notify>,
    server: tokio::sync::Mutex<Option<tokio::task::JoinHandle<()>>>,
}

/// A fresh PostgreSQL database when `KURA_TEST_DATABASE_URL` is set, else `None` (SQLite in the
/// data directory).
pub async fn database_url() -> Option<String> {
    let admin = std::env::var("KURA_TEST_DATABASE_URL").ok().filter(|u| u.starts_with("postgres"))?;
    let name = format!("kura_test_{}", uuid::Uuid::new_v4().simple());
    let conn = Database::connect(&admin).await.expect("cannot reach KURA_TEST_DATABASE_URL");
    conn.execute_unprepared(&format!("CREATE DATABASE {name}")).await.expect("create test database");
    let base = admin.rsplit_once('/').map(|(b, _)| b.to_owned()).unwrap_or(admin.clone());
    let url = format!("{base}/{name}");
    // As `kura migrate` does before servers start: they only check a PostgreSQL schema.
    let catalog = kura_catalog::Catalog::connect(&url).await.expect("connect to the test database");
    catalog.migrate().await.expect("migrate the test database");
    Some(url)
}

/// Points `config`'s object store at a fresh bucket when `KURA_TEST_S3_ENDPOINT` is set (an
/// S3-compatible test server on loopback that takes any credentials), else leaves it local.
pub async fn s3_bucket(config: &mut Config) {
    let Some(endpoint) = std::env::var("KURA_TEST_S3_ENDPOINT").ok().filter(|e| !e.is_empty()) else { return };
    let bucket = format!("kura-test-{}", uuid::Uuid::new_v4().simple());
    let created = reqwest::Client::new().put(format!("{endpoint}/{bucket}")).send().await;
    assert!(created.is_ok_and(|r| r.status().is_success()), "cannot create a bucket at KURA_TEST_S3_ENDPOINT");
    config.s3_bucket = Some(bucket);
    config.s3_endpoint = Some(endpoint);
    config.s3_region = Some("us-east-1".into());
    config.s3_access_key_id = Some("kura-test".into());
    config.s3_secret_access_key = Some("kura-test-secret".into());
    config.s3_allow_http = true;
    config.s3_path_style = true;
}

/// Kura's REST API, FAIR surfaces and portal.
pub async fn spawn_app() -> TestApp {
    spawn(|_, _| {}, no_flight).await
}

/// Like [`spawn_app`], letting the test adjust the configuration (given the data directory's parent).
pub async fn spawn_app_with(adjust: impl FnOnce(&mut Config, &std::path::Path)) -> TestApp {
    spawn(adjust, no_flight).await
}

/// Like [`spawn_app`], with Flight and Flight SQL too (under `limits`), as `kura serve` runs them.
pub async fn spawn_with_flight(limits: kura_flight::SqlLimits) -> TestApp {
    spawn(|_, _| {}, |state| start_flight(state, limits)).await
}

/// Like [`spawn_with_flight`], letting the test adjust the configuration (given the data
/// directory's parent): a node of a federation, with its own `node_id`.
pub async fn spawn_with_flight_and(
    limits: kura_flight::SqlLimits,
    adjust: impl FnOnce(&mut Config, &std::path::Path),
) -> TestApp {
    spawn(adjust, |state| start_flight(state, limits)).await
}

/// SQL limits roomy enough for any test that is not about them.
pub fn roomy_sql_limits() -> kura_flight::SqlLimits {
    kura_flight::SqlLimits { time: std::time::Duration::from_secs(30), memory_bytes: 256 << 20, per_caller: 2 }
}

async fn no_flight(_: AppState) -> Option<String> {
    None
}

/// Starts Kura; `flight` starts Flight beside it, or not. Generic, so that tests without Flight
/// never reference it and their executables link none of it (DataFusion doubles their size).
async fn spawn<F: Future<Output = Option<String>>>(
    adjust: impl FnOnce(&mut Config, &std::path::Path),
    flight: impl FnOnce(AppState) -> F,
) -> TestApp {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut config = Config {
        http_addr: "127.0.0.1:0".into(),
        flight_addr: "127.0.0.1:0".into(),
        data_dir: dir.path().join("data"),
        database_url: database_url().await,
        ..Config::default()
    };
    s3_bucket(&mut config).await;
    adjust(&mut config, dir.path());
    let statements = Arc::new(AtomicUsize::new(0));
    let counter = statements.clone();
    let state = open_state_with(
        config,
        // Statements of requests only: the search projection's worker polls the outbox in the
        // background and would make counts depend on timing.
        Some(Arc::new(move |sql: &str| {
            if !sql.contains("outbox") {
                counter.fetch_add(1, Ordering::SeqCst);
            }
        })),
    )
    .await
    .expect("open state");
    let (_, token) = state.catalog.create_admin_token("test").await.expect("token");
    let app = Application::build(state).await.expect("build app");
    let state = app.state().clone();
    // Flight starts from the built state: it shares the federation the build created.
    let flight = flight(state.clone()).await;
    let base = format!("http://{}", app.address());
    let shutdown = Arc::new(tokio::sync::Notify::new());
    let stopped = shutdown.clone();
    let server = tokio::spawn(async move {
        app.run_until(async move { stopped.notified().await }).await.expect("server");
    });
    let server = tokio::sync::Mutex::new(Some(server));
    TestApp { base, flight, client: reqwest::Client::new(), token, state, statements, dir, shutdown, server }
}

/// Binds Flight beside REST on the same catalog, store, credentials and federation; returns its
/// address.
async fn start_flight(state: AppState, limits: kura_flight::SqlLimits) -> Option<String> {
    let mut ctx = kura_flight::FlightContext::new(
        state.services.clone(),
        state.credentials.clone(),
        &state.config.data_dir,
        limits,
    )
    .expect("flight context");
    if let Some(federation) = state.federation.clone() {
        ctx = ctx.with_federation(federation);
    }
    let flight = kura_flight::FlightServer::bind(ctx, &state.config.flight_addr).await.expect("bind flight");
    let address = format!("http://{}", flight.address());
    tokio::spawn(async move { flight.run_until(std::future::pending()).await.expect("flight server") });
    Some(address)
}

impl TestApp {
    /// Brings the search index and the RDF store up to date with the catalog (their workers do
    /// this every 300 ms).
    pub async fn index_now(&self) {
        self.state.search.as_ref().expect("search runs in the server").catch_up().await.expect("catch up");
        self.state.rdf.as_ref().expect("the RDF store runs in the server").catch_up().await.expect("RDF catch up");
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}/api/v1{}", self.base, path)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.expect("request")
    }

    pub async fn get_admin(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).bearer_auth(&self.token).send().await.expect("request")
    }

    pub async fn post_admin(&self, path: &str, body: serde_json::Value) -> reqwest::Response {
        self.client.post(self.url(path)).bearer_auth(&self.token).json(&body).send().await.expect("request")
    }

    pub async fn create_dataset(&self, name: &str) {
        let r =
            self.post_admin("/datasets", serde_json::json!({"name": name, "title": format!("Title of {name}")})).await;
        assert_eq!(r.status(), 201, "create {name}: {}", r.text().await.unwrap_or_default());
    }

    /// Uploads files (name, bytes) to the dataset's draft; returns the response.
    pub async fn upload(&self, dataset: &str, files: Vec<(&str, Vec<u8>)>) -> reqwest::Response {
        let mut form = reqwest::multipart::Form::new();
        for (name, bytes) in files {
            form = form.part("file", reqwest::multipart::Part::bytes(bytes).file_name(name.to_owned()));
        }
        self.client
            .post(self.url(&format!("/datasets/{dataset}/draft/files")))
            .bearer_auth(&self.token)
            .multipart(form)
            .send()
            .await
            .expect("upload")
    }

    /// Starts an ingest job on the draft and waits for it to end; returns the final job.
    pub async fn ingest(&self, dataset: &str) -> serde_json::Value {
        self.ingest_with(dataset, serde_json::json!({})).await
    }

    /// Like [`TestApp::ingest`], with a request body (read parameters per file, files to read again).
    pub async fn ingest_with(&self, dataset: &str, body: serde_json::Value) -> serde_json::Value {
        let r = self.post_admin(&format!("/datasets/{dataset}/draft/ingest"), body).await;
        assert_eq!(r.status(), 202, "start ingest: {}", r.text().await.unwrap_or_default());
        let job: serde_json::Value = r.json().await.unwrap();
        self.wait_for_job(&job).await
    }

    /// Waits for a job (its JSON, as `POST …/draft/ingest` answers) to end and returns it as
    /// `GET …/jobs/{id}` shows it then. The one way tests wait for jobs: woken by the job runner
    /// whenever a job changes state, without polling; a minute's timeout only stops a hung test.
    pub async fn wait_for_job(&self, job: &serde_json::Value) -> serde_json::Value {
        let id = |key: &str| job[key].as_str().and_then(|s| s.parse::<uuid::Uuid>().ok()).expect("a job's ids");
        let wait = self.state.jobs.wait(id("dataset_id"), id("id"));
        let ended = tokio::time::timeout(std::time::Duration::from_secs(60), wait)
            .await
            .unwrap_or_else(|_| panic!("job {job} did not end within a minute"))
            .expect("the job");
        serde_json::to_value(ended).expect("a job as JSON")
    }

    /// Every table of the dataset's first version as (name, rows, column names), through REST.
    pub async fn draft_tables(&self, dataset: &str) -> Vec<(String, i64, Vec<String>)> {
        let page: serde_json::Value =
            self.get_admin(&format!("/datasets/{dataset}/versions/1/tables")).await.json().await.unwrap();
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| {
                let columns = t["columns"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap().to_owned());
                (t["name"].as_str().unwrap().to_owned(), t["row_count"].as_i64().unwrap(), columns.collect())
            })
            .collect()
    }

    pub async fn publish(&self, dataset: &str) -> reqwest::Response {
        self.post_admin(&format!("/datasets/{dataset}/draft/publish"), serde_json::json!({})).await
    }

    /// `PUT /datasets/{name}/policy` as the admin.
    pub async fn put_policy(&self, name: &str, policy: &serde_json::Value) -> reqwest::Response {
        let url = self.url(&format!("/datasets/{name}/policy"));
        self.client.put(url).bearer_auth(&self.token).json(policy).send().await.expect("request")
    }

    /// Sets the dataset's access level through its policy.
    pub async fn set_level(&self, name: &str, level: &str) {
        let r = self.put_policy(name, &serde_json::json!({"level": level})).await;
        assert!(r.status().is_success(), "{}", r.text().await.unwrap());
    }

    /// A dataset with one ingested CSV and the sample profile metadata (its English title
    /// replaced by `title` if given), at access `level`, published if `publish`; returns its id.
    pub async fn described_dataset(&self, name: &str, title: Option<&str>, level: &str, publish: bool) -> String {
        self.create_dataset(name).await;
        assert_eq!(self.upload(name, vec![("t.csv", b"temp [Cel],x\n1,2\n3,4\n".to_vec())]).await.status(), 201);
        self.ingest(name).await;
        let mut md = serde_json::to_value(kura_metadata::samples::open_uvvis().metadata).unwrap();
        let mut draft = serde_json::json!({});
        if let Some(title) = title {
            md["titles"] = serde_json::json!([{"value": title, "lang": "en"}]);
            draft["title"] = title.into();
        }
        draft["metadata"] = md;
        let r = self
            .client
            .patch(self.url(&format!("/datasets/{name}/draft")))
            .bearer_auth(&self.token)
            .json(&draft)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
        self.set_level(name, level).await;
        if publish {
            assert_eq!(self.publish(name).await.status(), 200);
        }
        let v: serde_json::Value = self.get_admin(&format!("/datasets/{name}")).await.json().await.unwrap();
        v.get("dataset").unwrap_or(&v)["id"].as_str().unwrap().to_owned()
    }

    /// Stops serving HTTP (a node that went down): waits until the listener and every idle
    /// connection are closed, so that connections are refused from then on.
    pub async fn stop(&self) {
        self.shutdown.notify_one();
        if let Some(server) = self.server.lock().await.take() {
            let _ = server.await;
        }
    }

    pub async fn assert_healthy(&self) {
        let r = self.get("/health").await;
        assert_eq!(r.status(), 200, "server stopped answering");
    }

    /// A request to `/api/v1{path}` as `token`: the status and the JSON answer (null if none).
    pub async fn call(&self, method: &str, path: &str, token: &str, body: Value) -> (u16, Value) {
        let request = match method {
            "GET" => self.client.get(self.url(path)),
            "POST" => self.client.post(self.url(path)).json(&body),
            "PUT" => self.client.put(self.url(path)).json(&body),
            "PATCH" => self.client.patch(self.url(path)).json(&body),
            other => panic!("unknown method {other}"),
        };
        let response = request.bearer_auth(token).send().await.expect("request");
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// Like [`TestApp::call`], asserting success.
    pub async fn ok(&self, method: &str, path: &str, token: &str, body: Value) -> Value {
        let (status, value) = self.call(method, path, token, body).await;
        assert!(status < 300, "{method} {path}: {status} {value}");
        value
    }

    /// Takes one compute slot of `user` (`compute_max_per_user` is 1 by default): a job another
    /// worker runs under a live lease, so the user's next jobs wait QUEUED until it is canceled.
    pub async fn occupy_compute_slot(&self, user: uuid::Uuid, group: uuid::Uuid) -> uuid::Uuid {
        self.compute_job_held_elsewhere(user, group, kura_core::TaskState::Running).await
    }

    /// A compute job of `user`'s that another node holds in `state` under a live lease (an hour)
    /// and does not move on.
    pub async fn compute_job_held_elsewhere(
        &self,
        user: uuid::Uuid,
        group: uuid::Uuid,
        state: kura_core::TaskState,
    ) -> uuid::Uuid {
        use kura_catalog::entity::compute_job;
        use sea_orm::{EntityTrait, Set};
        let now = chrono::Utc::now();
        let id = uuid::Uuid::now_v7();
        let row = compute_job::ActiveModel {
            id: Set(id),
            submitter: Set(user),
            actor: Set(format!("user:{user}")),
            group_id: Set(group),
            name: Set("elsewhere".into()),
            kind: Set("sql".into()),
            code: Set("SELECT 1".into()),
            inputs: Set(serde_json::json!([])),
            outputs: Set(serde_json::json!(["result"])),
            tags: Set(serde_json::json!({})),
            output_dataset_id: Set(None),
            inherited_level: Set(None),
            state: Set(state),
            message: Set(None),
            log: Set(String::new()),
            created_at: Set(now),
            initializing_at: Set(Some(now)),
            running_at: Set((state == kura_core::TaskState::Running).then_some(now)),
            finished_at: Set(None),
            updated_at: Set(now),
            worker: Set(Some("another-node:1:0".into())),
            lease_until: Set(Some(now + chrono::Duration::hours(1))),
            attempts: Set(1),
        };
        compute_job::Entity::insert(row).exec(self.state.catalog.connection()).await.expect("occupy a slot");
        id
    }

    /// A channel to the Flight endpoint.
    pub async fn channel(&self) -> Channel {
        let address = self.flight.clone().expect("Flight runs: start the app with spawn_with_flight");
        Channel::from_shared(address).unwrap().connect().await.expect("connect to flight")
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
