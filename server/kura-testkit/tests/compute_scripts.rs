//! Script jobs against a running Kura whose node runs scripts in its sandbox (bubblewrap, the
//! pyarrow venv): a script's output table equals what its inputs give, masked columns are not in
//! its inputs, and a script that reaches for the host's files fails as the job's own error while
//! the node keeps serving. Skipped with the reason where the sandbox or the venv is missing,
//! except in CI (`KURA_REQUIRE_SANDBOX`).

use std::path::PathBuf;
use std::time::Duration;

use kura_testkit::{TestApp, spawn_app_with};
use serde_json::{Value, json};

fn venv_python() -> PathBuf {
    let venv = std::env::var("KURA_VENV")
        .unwrap_or_else(|_| format!("{}/.cache/kura-venv", std::env::var("HOME").unwrap_or_default()));
    PathBuf::from(venv).join("bin/python")
}

/// A node that runs scripts and the analyst's token, or `None` (skipped) where it cannot.
async fn node() -> Option<(TestApp, String)> {
    let python = venv_python();
    let available = python.exists() && kura_sandbox::Sandbox::detect().await.is_ok();
    if !available {
        assert!(
            std::env::var_os("KURA_REQUIRE_SANDBOX").is_none(),
            "the sandbox and {} are required here",
            python.display()
        );
        eprintln!("skipped: no sandbox (bubblewrap) or no pyarrow venv at {}", python.display());
        return None;
    }
    let app = spawn_app_with(move |c, _| {
        c.compute_script_python = Some(python);
        c.compute_script_cpu_seconds = 30;
        c.compute_time_limit_seconds = 120;
    })
    .await;
    let admin = app.token.clone();
    let org = app.ok("POST", "/organizations", &admin, json!({"name": "Uni"})).await;
    let path = format!("/organizations/{}/groups", org["id"].as_str().unwrap());
    let group = app.ok("POST", &path, &admin, json!({"name": "Lab"})).await;
    app.ok("POST", "/datasets", &admin, json!({"name": "temps", "title": "temps", "group": group["id"]})).await;
    let csv = b"id,Temperature [K],secretcol\n1,20.5,s1\n2,21,s2\n3,22.5,s3\n".to_vec();
    // A second table, `u`, which the analyst may read but no job here declares.
    let other = b"id,pressure\n1,101.3\n".to_vec();
    assert_eq!(app.upload("temps", vec![("t.csv", csv), ("u.csv", other)]).await.status(), 201);
    assert_eq!(app.ingest("temps").await["state"], "succeeded");
    let metadata = serde_json::to_value(kura_metadata::samples::open_uvvis().metadata).unwrap();
    let draft = app.client.patch(app.url("/datasets/temps/draft")).bearer_auth(&admin);
    assert_eq!(draft.json(&json!({"metadata": metadata})).send().await.unwrap().status(), 200);
    let policy = json!({"level": "open", "masked_columns": ["secretcol"]});
    assert!(app.put_policy("temps", &policy).await.status().is_success());
    assert_eq!(app.publish("temps").await.status(), 200);
    // The analyst is of another group (which owns the outputs): the masked column is not theirs.
    let other = app.ok("POST", &path, &admin, json!({"name": "Other lab"})).await;
    let user = app.ok("POST", "/users", &admin, json!({"username": "analyst"})).await;
    let member = format!("/groups/{}/members/{}", other["id"].as_str().unwrap(), user["id"].as_str().unwrap());
    assert_eq!(app.call("PUT", &member, &admin, json!({"role": "member"})).await.0, 204);
    let path = format!("/users/{}/tokens", user["id"].as_str().unwrap());
    let token = app.ok("POST", &path, &admin, json!({"name": "t", "scope": "write"})).await;
    let token = token["secret"].as_str().unwrap().to_owned();
    Some((app, token))
}

async fn run(app: &TestApp, token: &str, script: &str) -> Value {
    let body =
        json!({"kind": "script", "code": script, "inputs": [{"name": "data", "dataset": "temps", "table": "t"}]});
    let (status, job) = app.call("POST", "/jobs", token, body).await;
    assert_eq!(status, 201, "{job}");
    let id = job["id"].as_str().unwrap().to_owned();
    for _ in 0..1200 {
        let job = app.ok("GET", &format!("/jobs/{id}"), token, Value::Null).await;
        if ["COMPLETE", "EXECUTOR_ERROR", "SYSTEM_ERROR", "CANCELED"].contains(&job["state"].as_str().unwrap()) {
            return job;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("job {id} did not end within two minutes");
}

const DOUBLE: &str = r#"
import pyarrow as pa, pyarrow.compute as pc, pyarrow.parquet as pq
t = pq.read_table("/inputs/data.parquet")
columns = ",".join(t.column_names)
out = pa.table({"id": t["id"], "double": pc.multiply(t["Temperature"], 2), "seen": [columns] * t.num_rows})
pq.write_table(out, "/outputs/result.parquet")
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_script_computes_its_output_from_what_its_submitter_may_read_in_the_sandbox() {
    let Some((app, token)) = node().await else { return };
    let job = run(&app, &token, DOUBLE).await;
    assert_eq!(job["state"], "COMPLETE", "{job}");
    let output = job["output_dataset_id"].as_str().unwrap();
    let rows =
        app.ok("GET", &format!("/datasets/{output}/versions/latest/tables/result/rows"), &token, Value::Null).await;
    let rows = rows.as_array().unwrap();
    let got: Vec<(i64, f64)> =
        rows.iter().map(|r| (r["id"].as_i64().unwrap(), r["double"].as_f64().unwrap())).collect();
    assert_eq!(got, [(1, 41.0), (2, 42.0), (3, 45.0)]);
    assert_eq!(rows[0]["seen"], "id,Temperature", "the masked column is not among the inputs");

    // Reaching for the host: the job's own failure, named; the node goes on serving.
    let job = run(&app, &token, "print(open('/etc/passwd').read())").await;
    assert_eq!(job["state"], "EXECUTOR_ERROR", "{job}");
    let log =
        app.client.get(app.url(&format!("/jobs/{}/log", job["id"].as_str().unwrap()))).bearer_auth(&token).send().await;
    let log = log.unwrap().text().await.unwrap();
    assert!(log.contains("No such file") && !log.contains("root:"), "{log}");
    let job = run(&app, &token, "import pyarrow\n# writes nothing").await;
    assert_eq!(job["state"], "EXECUTOR_ERROR", "{job}");
    assert!(job.to_string().contains("wrote no file for output"), "{job}");
    app.assert_healthy().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_script_sees_only_the_tables_its_job_declares() {
    let Some((app, token)) = node().await else { return };
    let (status, _) = app.call("GET", "/datasets/temps/versions/latest/tables/u/rows", &token, Value::Null).await;
    assert_eq!(status, 200, "the analyst may read table u");
    let list = r#"
import os, pyarrow as pa, pyarrow.parquet as pq
seen = sorted(f for f in os.listdir("/inputs") if f.endswith(".parquet"))
pq.write_table(pa.table({"files": [";".join(seen)], "count": [len(seen)]}), "/outputs/result.parquet")
"#;
    let job = run(&app, &token, list).await;
    assert_eq!(job["state"], "COMPLETE", "{job}");
    let output = job["output_dataset_id"].as_str().unwrap();
    let rows =
        app.ok("GET", &format!("/datasets/{output}/versions/latest/tables/result/rows"), &token, Value::Null).await;
    assert_eq!(rows[0]["files"], "data.parquet", "only the declared input is materialised: {rows}");
}
