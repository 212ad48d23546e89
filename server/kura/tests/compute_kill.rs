//! A running compute job canceled stops; a node killed with SIGKILL while one runs: after the restart the job is final
//! (SYSTEM_ERROR, saying the node stopped; here no attempt is left to resume it), never RUNNING.
//! One `kura serve` process on an SQLite data directory, set up with the CLI, driven over REST.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

fn kura(data: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_kura"));
    command
        .current_dir(data)
        .env("KURA_DATA_DIR", data)
        .env_remove("KURA_DATABASE_URL")
        .env("KURA_JOB_LEASE_SECONDS", "3")
        .env("KURA_JOB_MAX_ATTEMPTS", "1");
    command
}

/// Runs a CLI command and returns its first line of output.
fn cli(data: &Path, args: &[&str]) -> String {
    let out = kura(data).args(args).output().expect("run kura");
    assert!(out.status.success(), "kura {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).lines().next().unwrap_or_default().trim().to_owned()
}

struct Node(Child, u16);

impl Node {
    async fn start(data: &Path) -> Node {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let flight = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let log = std::fs::OpenOptions::new().create(true).append(true).open(data.join("serve.log")).unwrap();
        let child = kura(data)
            .arg("serve")
            .env("KURA_HTTP_ADDR", format!("127.0.0.1:{port}"))
            .env("KURA_FLIGHT_ADDR", format!("127.0.0.1:{flight}"))
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start kura serve");
        let node = Node(child, port);
        for _ in 0..600 {
            if reqwest::get(node.url("/health")).await.is_ok_and(|r| r.status().is_success()) {
                return node;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("kura serve did not answer");
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}/api/v1{path}", self.1)
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn job(node: &Node, token: &str, id: &str) -> Value {
    let r = reqwest::Client::new().get(node.url(&format!("/jobs/{id}"))).bearer_auth(token).send().await.unwrap();
    r.json().await.unwrap()
}

/// Submits `body` and waits until the job runs; returns its id.
async fn running_job(node: &Node, token: &str, body: &Value) -> String {
    let submitted = reqwest::Client::new().post(node.url("/jobs")).bearer_auth(token).json(body).send().await.unwrap();
    assert_eq!(submitted.status(), 201);
    let id = submitted.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned();
    for _ in 0..300 {
        if job(node, token, &id).await["state"] == "RUNNING" {
            return id;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("job {id} never ran: {}", job(node, token, &id).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_running_when_the_node_is_killed_is_final_after_the_restart() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let user = cli(data, &["admin", "user", "alice"]);
    let group = cli(data, &["admin", "group", "Uni", "Lab"]);
    cli(data, &["admin", "member", &group, &user]);
    let token = cli(data, &["admin", "user-token", &user]);
    let csv: String =
        std::iter::once("x,y\n".to_owned()).chain((0..3000).map(|i| format!("{i},{}\n", i % 7))).collect();
    std::fs::write(data.join("big.csv"), csv).unwrap();
    cli(data, &["ingest", "big.csv", "--dataset", "big", "--group", &group, "--quiet"]);

    let mut node = Node::start(data).await;
    // 3000³ rows to sum (no statistics answer it): it runs far longer than this test waits.
    let body = json!({"kind": "sql", "code": "SELECT sum(a.x * b.x + c.y) AS s FROM big a, big b, big c",
        "inputs": [{"name": "big", "dataset": "big", "table": "big"}]});
    // A running job canceled stops (its slot frees: the next job of the same user starts).
    let canceled = running_job(&node, &token, &body).await;
    let client = reqwest::Client::new();
    let answer = client.post(node.url(&format!("/jobs/{canceled}/cancel"))).bearer_auth(&token).send().await.unwrap();
    assert_eq!(answer.status(), 200);
    let id = running_job(&node, &token, &body).await;
    assert_eq!(job(&node, &token, &canceled).await["state"], "CANCELED");

    node.0.kill().unwrap(); // SIGKILL
    node.0.wait().unwrap();
    let node = Node::start(data).await;
    let mut last = Value::Null;
    for _ in 0..300 {
        last = job(&node, &token, &id).await;
        if last["finished_at"].is_string() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(last["state"], "SYSTEM_ERROR", "{last}");
    assert!(last["message"].as_str().unwrap().contains("node stopped"), "{last}");
}
