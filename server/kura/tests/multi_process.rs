//! Several `kura serve` processes over one PostgreSQL catalog and one S3 bucket, as behind a
//! load balancer (CI sets `KURA_TEST_DATABASE_URL` and `KURA_TEST_S3_ENDPOINT`; without them
//! this test says so and passes). Shown: migrations are `kura migrate`'s alone and race-free,
//! a server refuses an unmigrated schema; what one process ingests the others search, query
//! and serve over Flight (with tickets one process signed); a job goes to exactly one worker,
//! and a worker killed mid-job loses it to another after its lease.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use futures::TryStreamExt;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use serde_json::{Value, json};

struct Shared {
    database: String,
    s3: String,
    bucket: String,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

impl Shared {
    fn command(&self, data: &Path, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_kura"));
        command
            .args(args)
            .current_dir(data)
            .env("KURA_DATA_DIR", data)
            .env("KURA_DATABASE_URL", &self.database)
            .env("KURA_S3_BUCKET", &self.bucket)
            .env("KURA_S3_ENDPOINT", &self.s3)
            .env("KURA_S3_REGION", "us-east-1")
            .env("KURA_S3_ACCESS_KEY_ID", "kura-test")
            .env("KURA_S3_SECRET_ACCESS_KEY", "kura-test-secret")
            .env("KURA_S3_ALLOW_HTTP", "true")
            .env("KURA_JOB_LEASE_SECONDS", "3");
        command
    }

    /// Runs a command to its end: (exit code, stdout + stderr).
    fn run(&self, data: &Path, args: &[&str]) -> (i32, String) {
        let out = self.command(data, args).output().expect("run kura");
        let text = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
        (out.status.code().unwrap_or(-1), text)
    }
}

/// A `kura serve` process with its own data directory (its search index), sharing the rest.
struct Node {
    child: Child,
    http: u16,
    flight: u16,
}

impl Node {
    async fn start(shared: &Shared, data: &Path, roles: &str) -> Node {
        std::fs::create_dir_all(data).unwrap();
        let (http, flight) = (free_port(), free_port());
        let log = std::fs::File::create(data.join("serve.log")).unwrap();
        let child = shared
            .command(data, &["serve", "--roles", roles])
            .env("KURA_HTTP_ADDR", format!("127.0.0.1:{http}"))
            .env("KURA_FLIGHT_ADDR", format!("127.0.0.1:{flight}"))
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start kura serve");
        let node = Node { child, http, flight };
        let health = format!("{}/api/v1/health", node.url());
        eventually(&format!("{roles} process on {http} answers"), || async {
            reqwest::get(&health).await.is_ok_and(|r| r.status().is_success())
        })
        .await;
        node
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.http)
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Waits (bounded, generously) until `check` holds.
async fn eventually<F, Fut>(what: &str, check: F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    for _ in 0..1200 {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("never: {what}");
}

struct Api {
    client: reqwest::Client,
    token: String,
}

impl Api {
    async fn call(&self, node: &Node, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut request = self.client.request(method, format!("{}/api/v1{path}", node.url())).bearer_auth(&self.token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("request");
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// A dataset with one CSV of `rows` rows in its draft and a profile-valid description.
    async fn dataset(&self, node: &Node, name: &str, rows: usize) {
        let (status, body) =
            self.call(node, reqwest::Method::POST, "/datasets", Some(json!({"name": name, "title": name}))).await;
        assert_eq!(status, 201, "{body}");
        let mut csv = String::from("time [s],signal [mV]\n");
        for i in 0..rows {
            csv.push_str(&format!("{i},{}\n", i % 97));
        }
        let form = reqwest::multipart::Form::new()
            .part("file", reqwest::multipart::Part::bytes(csv.into_bytes()).file_name("signal.csv"));
        let url = format!("{}/api/v1/datasets/{name}/draft/files", node.url());
        let uploaded = self.client.post(url).bearer_auth(&self.token).multipart(form).send().await.unwrap();
        assert_eq!(uploaded.status(), 201);
        let metadata = serde_json::to_value(kura_metadata::samples::open_uvvis().metadata).unwrap();
        let path = format!("/datasets/{name}/draft");
        let (status, body) = self.call(node, reqwest::Method::PATCH, &path, Some(json!({"metadata": metadata}))).await;
        assert_eq!(status, 200, "{body}");
    }

    /// Starts the draft's ingest job; returns its id.
    async fn ingest(&self, node: &Node, name: &str) -> String {
        let path = format!("/datasets/{name}/draft/ingest");
        let (status, job) = self.call(node, reqwest::Method::POST, &path, Some(json!({}))).await;
        assert_eq!(status, 202, "{job}");
        job["id"].as_str().unwrap().to_owned()
    }

    async fn job_state(&self, node: &Node, name: &str, job: &str) -> String {
        let (_, job) = self.call(node, reqwest::Method::GET, &format!("/datasets/{name}/jobs/{job}"), None).await;
        job["state"].as_str().unwrap_or_default().to_owned()
    }

    async fn wait_succeeded(&self, node: &Node, name: &str, job: &str) {
        eventually(&format!("{name}'s job succeeds"), || async {
            let state = self.job_state(node, name, job).await;
            assert!(!["failed", "cancelled"].contains(&state.as_str()), "{name}'s job ended {state}");
            state == "succeeded"
        })
        .await;
    }
}

/// (worker, attempts) of a job, as the catalog has them.
async fn claim_of(db: &DatabaseConnection, job: &str) -> (String, i32) {
    let row = db
        .query_one_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            format!("SELECT worker, attempts FROM ingest_jobs WHERE id = '{job}'"),
        ))
        .await
        .unwrap()
        .expect("the job's row");
    (row.try_get::<Option<String>>("", "worker").unwrap().unwrap_or_default(), row.try_get("", "attempts").unwrap())
}

fn pid_of(worker: &str) -> u32 {
    worker.split(':').nth(1).and_then(|p| p.parse().ok()).unwrap_or(0)
}

fn copy_keys(from: &Path, to: &Path) {
    std::fs::create_dir_all(to.join("keys")).unwrap();
    for entry in std::fs::read_dir(from.join("keys")).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), to.join("keys").join(entry.file_name())).unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn processes_share_one_catalog_and_store_and_divide_the_work() {
    let (Some(admin), Some(s3)) = (
        std::env::var("KURA_TEST_DATABASE_URL").ok().filter(|u| u.starts_with("postgres")),
        std::env::var("KURA_TEST_S3_ENDPOINT").ok().filter(|u| !u.is_empty()),
    ) else {
        eprintln!("KURA_TEST_DATABASE_URL (PostgreSQL) and KURA_TEST_S3_ENDPOINT are not set: this test runs in CI");
        return;
    };
    let name = format!("kura_test_{}", uuid::Uuid::new_v4().simple());
    Database::connect(&admin).await.unwrap().execute_unprepared(&format!("CREATE DATABASE {name}")).await.unwrap();
    let database = format!("{}/{name}", admin.rsplit_once('/').unwrap().0);
    let bucket = name.replace('_', "-");
    assert!(reqwest::Client::new().put(format!("{s3}/{bucket}")).send().await.unwrap().status().is_success());
    let shared = Shared { database: database.clone(), s3, bucket };
    let dir = tempfile::tempdir().unwrap();
    let data = |n: &str| -> PathBuf {
        let path = dir.path().join(n);
        std::fs::create_dir_all(&path).unwrap();
        path
    };

    // An unmigrated catalog: a server refuses it, `kura migrate --check` says so.
    let (code, out) = shared.run(&data("a"), &["serve"]);
    assert!(code != 0 && out.contains("run `kura migrate`"), "{out}");
    assert_eq!(shared.run(&data("a"), &["migrate", "--check"]).0, 1);
    // Two processes migrate at the same moment: both succeed, each migration applied once.
    let racing: Vec<Child> = ["m1", "m2"]
        .iter()
        .map(|d| shared.command(&data(d), &["migrate"]).stdout(Stdio::null()).spawn().unwrap())
        .collect();
    for mut child in racing {
        assert!(child.wait().unwrap().success(), "a racing migration failed");
    }
    assert_eq!(shared.run(&data("a"), &["migrate", "--check"]).0, 0);
    let db = Database::connect(&database).await.unwrap();

    // A (api, flight) and B (api, flight, worker) share the keys that sign tickets and sessions.
    let printed = shared.command(&data("a"), &["admin", "token", "--name", "multi-process"]).output().unwrap();
    assert!(printed.status.success(), "{}", String::from_utf8_lossy(&printed.stderr));
    let token = String::from_utf8(printed.stdout).unwrap().trim().lines().last().unwrap().to_owned();
    let api = Api { client: reqwest::Client::new(), token };
    let a = Node::start(&shared, &data("a"), "api,flight").await;
    copy_keys(&data("a"), &data("b"));
    let b = Node::start(&shared, &data("b"), "api,flight,worker").await;

    // Ingested through A, whose process runs no worker: B's worker runs the job.
    api.dataset(&a, "shared", 2_000).await;
    let job = api.ingest(&a, "shared").await;
    api.wait_succeeded(&a, "shared", &job).await;
    let (worker, attempts) = claim_of(&db, &job).await;
    assert_eq!((pid_of(&worker), attempts), (b.pid(), 1), "{worker}");
    let (status, body) = api.call(&a, reqwest::Method::POST, "/datasets/shared/draft/publish", Some(json!({}))).await;
    assert_eq!(status, 200, "{body}");

    // B searches and queries it (its own index and RDF store, fed from the shared outbox).
    eventually("B's search finds it", || async {
        let (_, hits) = api.call(&b, reqwest::Method::GET, "/search?q=shared", None).await;
        hits.to_string().contains("\"shared\"")
    })
    .await;
    let (_, shown) = api.call(&a, reqwest::Method::GET, "/datasets/shared", None).await;
    let id = shown.get("dataset").unwrap_or(&shown)["id"].as_str().expect("the dataset id").to_owned();
    let sparql = format!("{}/sparql", b.url());
    let query =
        format!("SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH ?g {{ ?s ?p ?o FILTER(CONTAINS(STR(?s), \"{id}\")) }} }}");
    eventually("B's SPARQL describes it", || async {
        let answer = api
            .client
            .get(&sparql)
            .bearer_auth(&api.token)
            .query(&[("query", query.as_str())])
            .header("accept", "application/sparql-results+json")
            .send()
            .await;
        match answer {
            Ok(r) => r.json::<Value>().await.is_ok_and(|v| {
                v["results"]["bindings"][0]["n"]["value"].as_str().is_some_and(|n| n.parse::<u64>().unwrap_or(0) > 0)
            }),
            Err(_) => false,
        }
    })
    .await;
    // Flight: A plans (signs the ticket), B serves the rows from the shared bucket.
    let token = api.token.clone();
    let connect = |port: u16| {
        let token = token.clone();
        async move {
            let channel = tonic::transport::Endpoint::from_shared(format!("http://127.0.0.1:{port}"))
                .unwrap()
                .connect()
                .await
                .unwrap();
            let mut client = arrow_flight::FlightClient::new(channel);
            client.add_header("authorization", &format!("Bearer {token}")).unwrap();
            client
        }
    };
    let descriptor = arrow_flight::FlightDescriptor::new_path(vec!["shared".into(), "latest".into(), "signal".into()]);
    let info = connect(a.flight).await.get_flight_info(descriptor).await.expect("A's flight info");
    let mut rows = 0;
    for endpoint in info.endpoint {
        let batches: Vec<arrow::record_batch::RecordBatch> =
            connect(b.flight).await.do_get(endpoint.ticket.unwrap()).await.unwrap().try_collect().await.unwrap();
        rows += batches.iter().map(|b| b.num_rows()).sum::<usize>();
    }
    assert_eq!(rows, 2_000, "B honours A's tickets and reads the objects A's job's worker wrote");

    // Sign-in failures are counted in the catalog: guesses spread over A and B are limited as
    // if one process had seen them all.
    let (status, body) = api
        .call(
            &a,
            reqwest::Method::POST,
            "/users",
            Some(json!({"username": "guessed", "password": "a long enough password"})),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let mut statuses = Vec::new();
    for i in 0..kura_auth::login_limit::FREE_ATTEMPTS + 1 {
        let node = if i % 2 == 0 { &a } else { &b };
        let wrong = json!({"username": "guessed", "password": "wrong-wrong-wrong"});
        let r = api.client.post(format!("{}/api/v1/session", node.url())).json(&wrong).send().await.unwrap();
        statuses.push(r.status().as_u16());
    }
    let free = kura_auth::login_limit::FREE_ATTEMPTS as usize;
    assert_eq!(statuses[..free], vec![401; free], "{statuses:?}");
    assert_eq!(statuses[free], 429, "the guess after the free ones waits, whichever process it reaches");

    // Jobs submitted at once to two workers: each runs on exactly one, once.
    let c = Node::start(
        &shared,
        &{
            let path = data("c");
            copy_keys(&data("a"), &path);
            path
        },
        "worker",
    )
    .await;
    let mut jobs = Vec::new();
    for i in 0..4 {
        let name = format!("many-{i}");
        api.dataset(&a, &name, 500).await;
        jobs.push((name.clone(), api.ingest(&a, &name).await));
    }
    for (name, job) in &jobs {
        api.wait_succeeded(&a, name, job).await;
        let (worker, attempts) = claim_of(&db, job).await;
        assert!([b.pid(), c.pid()].contains(&pid_of(&worker)), "{worker}");
        assert_eq!(attempts, 1, "{name}'s job was claimed once");
    }

    // A worker killed mid-job: the other takes the job over once the lease (3 s) has passed.
    api.dataset(&a, "killed", 1_500_000).await;
    let job = api.ingest(&a, "killed").await;
    eventually("a worker runs the big job", || async { api.job_state(&a, "killed", &job).await == "running" }).await;
    let (worker, _) = claim_of(&db, &job).await;
    let (mut doomed, survivor) = if pid_of(&worker) == b.pid() { (b, c) } else { (c, b) };
    assert_eq!(pid_of(&worker), doomed.pid(), "{worker}");
    doomed.child.kill().unwrap(); // SIGKILL
    doomed.child.wait().unwrap();
    api.wait_succeeded(&a, "killed", &job).await;
    let (worker, attempts) = claim_of(&db, &job).await;
    assert_eq!((pid_of(&worker), attempts), (survivor.pid(), 2), "{worker}");
    let (_, tables) = api.call(&a, reqwest::Method::GET, "/datasets/killed/versions/1/tables", None).await;
    assert_eq!(tables["items"][0]["row_count"], 1_500_000, "{tables}");

    streams_take_appends_through_any_process(&api, &shared, a, &data("d"), &data("a"), &db).await;
}

/// Appends to one stream table through two processes: a retry through the other process is
/// applied once, and a batch acknowledged by a process killed (SIGKILL) before it committed it
/// is committed by the other, once.
async fn streams_take_appends_through_any_process(
    api: &Api,
    shared: &Shared,
    mut a: Node,
    d_data: &Path,
    keys_from: &Path,
    db: &DatabaseConnection,
) {
    copy_keys(keys_from, d_data);
    let d = Node::start(shared, d_data, "api,flight").await;
    let (status, body) =
        api.call(&a, reqwest::Method::POST, "/datasets", Some(json!({"name": "robot", "title": "robot"}))).await;
    assert_eq!(status, 201, "{body}");
    let append = |node: &Node, sequence: i64| {
        let url = format!("{}/api/v1/datasets/robot/streams/arm/rows", node.url());
        let request = api
            .client
            .post(url)
            .bearer_auth(&api.token)
            .header("content-type", "application/x-ndjson")
            .header("kura-writer-id", "arm-1")
            .header("kura-sequence", sequence.to_string())
            .body(format!("{{\"i\": {sequence}}}\n"));
        async move {
            let response = request.send().await.expect("append");
            assert!(response.status().is_success(), "append {sequence}: {}", response.status());
            response.json::<Value>().await.unwrap()["duplicate"].as_bool().unwrap()
        }
    };
    assert!(!append(&a, 1).await);
    assert!(!append(&d, 2).await);
    assert!(append(&d, 1).await, "a retry through the other process is a duplicate");
    assert!(!append(&a, 3).await);
    a.child.kill().unwrap(); // SIGKILL, most likely before its committer ran
    a.child.wait().unwrap();
    eventually("the other process commits every acknowledged batch", || async {
        let (_, info) = api.call(&d, reqwest::Method::GET, "/datasets/robot/streams/arm", None).await;
        info["row_count"] == 3
    })
    .await;
    let (_, rows) = api.call(&d, reqwest::Method::GET, "/datasets/robot/streams/arm/rows", None).await;
    let mut seen: Vec<i64> = rows.as_array().unwrap().iter().map(|r| r["i"].as_i64().unwrap()).collect();
    seen.sort();
    assert_eq!(seen, [1, 2, 3], "{rows}");
    let waiting = db
        .query_one_raw(sea_orm::Statement::from_string(
            sea_orm::DatabaseBackend::Postgres,
            "SELECT COUNT(*) AS n FROM stream_pending".to_owned(),
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(waiting.try_get::<i64>("", "n").unwrap(), 0, "nothing waits any more");
}
