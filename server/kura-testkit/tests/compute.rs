//! Compute jobs against a running Kura, through REST and GA4GH TES: a SQL job joining a
//! consortium table and a restricted table writes an output no looser than either (and only
//! its group sees the draft); a right lost between submission and start fails the job naming
//! the input; cancel; jobs a stopped worker left reach a final state; masked columns never
//! enter a job; script jobs are refused on a node without a sandbox.

use std::time::Duration;

use kura_testkit::{TestApp, spawn_app_with};
use serde_json::{Value, json};

/// The people and datasets of these tests.
struct Lab {
    app: TestApp,
    /// Steward of Lab B (the output's group), consortium member who accepted, grant holder.
    researcher: String,
    /// Member of Lab C, in the consortium too: reads the consortium input, not the output.
    colleague: String,
    /// No group at all.
    outsider: String,
    steward: String,
    researcher_id: uuid::Uuid,
    /// The researcher's group, which owns the outputs.
    group_b: uuid::Uuid,
}

async fn user(app: &TestApp, name: &str) -> (String, String) {
    let user = app.ok("POST", "/users", &app.token, json!({"username": name})).await;
    let id = user["id"].as_str().unwrap().to_owned();
    let token =
        app.ok("POST", &format!("/users/{id}/tokens"), &app.token, json!({"name": "t", "scope": "write"})).await;
    (id, token["secret"].as_str().unwrap().to_owned())
}

/// `ds-cons` (consortium C1, a masked column, a unit) and `ds-restr` (restricted) of Lab A, a
/// grant on `ds-restr` for the researcher.
async fn lab() -> Lab {
    lab_with(|_| {}).await
}

/// [`lab`] on a node whose configuration `adjust` changes.
async fn lab_with(adjust: impl FnOnce(&mut kura_core::Config)) -> Lab {
    let app = spawn_app_with(|c, _| {
        c.job_lease_seconds = 3;
        adjust(c);
    })
    .await;
    let admin = app.token.clone();
    let org = app.ok("POST", "/organizations", &admin, json!({"name": "Uni"})).await;
    let org = org["id"].as_str().unwrap().to_owned();
    let mut groups = Vec::new();
    for name in ["Lab A", "Lab B", "Lab C"] {
        let g = app.ok("POST", &format!("/organizations/{org}/groups"), &admin, json!({"name": name})).await;
        groups.push(g["id"].as_str().unwrap().to_owned());
    }
    let (steward_id, steward) = user(&app, "steward").await;
    let (researcher_id, researcher) = user(&app, "researcher").await;
    let (colleague_id, colleague) = user(&app, "colleague").await;
    let (_, outsider) = user(&app, "outsider").await;
    for (group, who, role) in [
        (&groups[0], &steward_id, "steward"),
        (&groups[1], &researcher_id, "steward"),
        (&groups[2], &colleague_id, "member"),
    ] {
        let path = format!("/groups/{group}/members/{who}");
        assert_eq!(app.call("PUT", &path, &admin, json!({"role": role})).await.0, 204);
    }
    let consortium = app.ok("POST", "/consortia", &admin, json!({"name": "C1", "terms": "share"})).await;
    let consortium = consortium["id"].as_str().unwrap().to_owned();
    for group in [&groups[1], &groups[2]] {
        let path = format!("/consortia/{consortium}/members");
        assert_eq!(app.call("POST", &path, &admin, json!({"group": group})).await.0, 204);
    }
    for token in [&researcher, &colleague] {
        app.ok("POST", &format!("/consortia/{consortium}/accept"), token, json!({})).await;
    }
    let datasets = [
        (
            "ds-cons",
            "id,Temperature [K],secretcol\n1,20.5,s1\n2,21,s2\n3,22.5,s3\n",
            json!({"level": "consortium", "consortia": [consortium], "masked_columns": ["secretcol"]}),
        ),
        ("ds-restr", "id,label\n1,a\n2,b\n4,d\n", json!({"level": "restricted"})),
    ];
    for (name, csv, policy) in datasets {
        app.ok("POST", "/datasets", &admin, json!({"name": name, "title": name, "group": groups[0]})).await;
        assert_eq!(app.upload(name, vec![("t.csv", csv.as_bytes().to_vec())]).await.status(), 201);
        assert_eq!(app.ingest(name).await["state"], "succeeded");
        let metadata = serde_json::to_value(kura_metadata::samples::open_uvvis().metadata).unwrap();
        let patched = app.client.patch(app.url(&format!("/datasets/{name}/draft"))).bearer_auth(&admin);
        assert_eq!(patched.json(&json!({"metadata": metadata})).send().await.unwrap().status(), 200);
        assert!(app.put_policy(name, &policy).await.status().is_success());
        assert_eq!(app.publish(name).await.status(), 200);
    }
    let request = app.ok("POST", "/datasets/ds-restr/access-requests", &researcher, json!({"reason": "join"})).await;
    let path = format!("/datasets/ds-restr/access-requests/{}", request["id"].as_str().unwrap());
    let expires = (chrono::Utc::now() + chrono::Duration::days(1)).to_rfc3339();
    app.ok("POST", &path, &steward, json!({"decision": "approve", "expires_at": expires})).await;
    let researcher_id = researcher_id.parse().unwrap();
    Lab { app, researcher, colleague, outsider, steward, researcher_id, group_b: groups[1].parse().unwrap() }
}

const JOIN: &str =
    r#"SELECT c.id, c."Temperature" AS temperature, r.label FROM cons c JOIN restr r ON c.id = r.id ORDER BY c.id"#;

fn join_job() -> Value {
    json!({
        "name": "join",
        "kind": "sql",
        "code": JOIN,
        "inputs": [
            {"name": "cons", "dataset": "ds-cons", "table": "t"},
            {"name": "restr", "dataset": "ds-restr", "version": "latest", "table": "t"},
        ],
    })
}

/// Polls a job until it is final (a minute at most): jobs run in the server's worker.
async fn wait_final(app: &TestApp, token: &str, id: &str) -> Value {
    for _ in 0..600 {
        let job = app.ok("GET", &format!("/jobs/{id}"), token, Value::Null).await;
        if ["COMPLETE", "EXECUTOR_ERROR", "SYSTEM_ERROR", "CANCELED"].contains(&job["state"].as_str().unwrap()) {
            return job;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("job {id} did not end within a minute");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_join_of_consortium_and_restricted_data_is_restricted_and_only_its_group_sees_it() {
    let Lab { app, researcher, colleague, outsider, steward, .. } = lab().await;
    let (status, job) = app.call("POST", "/jobs", &researcher, join_job()).await;
    assert_eq!(status, 201, "{job}");
    assert_eq!(job["state"], "QUEUED");
    assert_eq!(job["inputs"][1]["version"], "1", "`latest` is pinned at submission");
    let id = job["id"].as_str().unwrap();
    let job = wait_final(&app, &researcher, id).await;
    assert_eq!(job["state"], "COMPLETE", "{job}");
    let output = job["output_dataset_id"].as_str().unwrap();

    // The output's policy is the strictest of the inputs': restricted (consortium ∧ restricted).
    let policy = app.ok("GET", &format!("/datasets/{output}/policy"), &researcher, Value::Null).await;
    assert_eq!(policy["level"], "restricted", "{policy}");

    // Its owner group may tighten it, never loosen it: that is an airlock release.
    let policy_path = format!("/datasets/{output}/policy");
    let (status, body) = app.call("PUT", &policy_path, &app.token, json!({"level": "open"})).await;
    assert_eq!(status, 403, "{body}");
    assert!(body.to_string().contains("airlock release"), "{body}");
    app.ok("PUT", &policy_path, &app.token, json!({"level": "closed"})).await;
    app.ok("PUT", &policy_path, &app.token, json!({"level": "restricted"})).await;

    // The airlock: the owner asks with a reason; until a steward of the inputs' group (Lab A)
    // approves, nothing changes; the requester and other groups cannot approve it.
    let path = format!("/datasets/{output}/airlock");
    let (status, _) = app.call("POST", &path, &researcher, json!({"policy": {"level": "open"}, "reason": " "})).await;
    assert_eq!(status, 400, "a release needs a reason");
    let release = json!({"policy": {"level": "open"}, "reason": "aggregates only, checked for disclosure"});
    let release = app.ok("POST", &path, &researcher, release).await;
    assert_eq!(release["state"], "pending");
    let approve = format!("/airlock/{}/approve", release["id"].as_str().unwrap());
    assert_eq!(app.call("POST", &approve, &researcher, json!({})).await.0, 403, "not a steward of Lab A");
    assert_eq!(app.call("POST", &approve, &colleague, json!({})).await.0, 404, "not concerned at all");
    let policy = app.ok("GET", &policy_path, &researcher, Value::Null).await;
    assert_eq!(policy["level"], "restricted", "nothing changes before the approval");
    let pending = app.ok("GET", "/airlock", &steward, Value::Null).await;
    assert_eq!(pending[0]["id"], release["id"], "the steward sees what waits for them");
    let approved = app.ok("POST", &approve, &steward, json!({})).await;
    assert_eq!(approved["state"], "approved");
    assert_eq!(app.ok("GET", &policy_path, &researcher, Value::Null).await["level"], "open");
    let audit = app.ok("GET", &format!("/audit?dataset_id={output}&limit=100"), &app.token, Value::Null).await;
    let released = audit["items"].as_array().unwrap().iter().find(|e| e["action"] == "airlock.released");
    assert!(released.is_some_and(|e| e.to_string().contains("checked for disclosure")), "{audit}");
    assert_eq!(app.call("POST", &approve, &steward, json!({})).await.0, 409);

    // Its rows are the join the inputs give, and the passed-through column keeps its unit.
    let path = format!("/datasets/{output}/versions/latest/tables/result");
    let table = app.ok("GET", &path, &researcher, Value::Null).await;
    let releases = &table["provenance"]["airlock_releases"];
    assert_eq!(releases[0]["reason"], "aggregates only, checked for disclosure", "{table}");
    let input = app.ok("GET", "/datasets/ds-cons/versions/latest/tables/t", &researcher, Value::Null).await;
    let unit =
        |t: &Value, c: &str| t["columns"].as_array().unwrap().iter().find(|x| x["name"] == c).unwrap()["unit"].clone();
    assert!(unit(&input, "Temperature").is_string(), "{input}");
    assert_eq!(unit(&table, "temperature"), unit(&input, "Temperature"), "a column passed through keeps its unit");
    let rows = app.ok("GET", &format!("{path}/rows"), &researcher, Value::Null).await;
    let cons = app.ok("GET", "/datasets/ds-cons/versions/latest/tables/t/rows", &researcher, Value::Null).await;
    let restr = app.ok("GET", "/datasets/ds-restr/versions/latest/tables/t/rows", &researcher, Value::Null).await;
    let ids = |v: &Value| -> Vec<i64> { v.as_array().unwrap().iter().map(|r| r["id"].as_i64().unwrap()).collect() };
    let expected: Vec<i64> = ids(&cons).into_iter().filter(|i| ids(&restr).contains(i)).collect();
    assert_eq!(ids(&rows), expected, "{rows}");
    assert!(!rows.to_string().contains("secretcol"), "masked columns never reach an output");

    // The wrong users: the colleague reads the consortium input but not the output, the outsider
    // nothing; neither sees the job.
    let (status, _) = app.call("GET", "/datasets/ds-cons/versions/latest/tables/t/rows", &colleague, Value::Null).await;
    assert_eq!(status, 200, "the colleague may read the consortium input");
    for token in [&colleague, &outsider] {
        assert_eq!(app.call("GET", &format!("/datasets/{output}"), token, Value::Null).await.0, 404);
        assert_eq!(app.call("GET", &format!("{path}/rows"), token, Value::Null).await.0, 404);
        assert_eq!(app.call("GET", &format!("/jobs/{id}"), token, Value::Null).await.0, 404);
        assert_eq!(app.call("POST", &format!("/jobs/{id}/cancel"), token, json!({})).await.0, 404);
        let listed = app.ok("GET", "/jobs", token, Value::Null).await;
        assert_eq!(listed["total"], 0);
    }
    // The log is the submitter's.
    let log = app.client.get(app.url(&format!("/jobs/{id}/log"))).bearer_auth(&researcher).send().await.unwrap();
    assert_eq!(log.status(), 200);
    assert!(log.text().await.unwrap().contains("wrote 2 rows"));
    let log = app.client.get(app.url(&format!("/jobs/{id}/log"))).bearer_auth(&app.token).send().await.unwrap();
    assert_eq!(log.status(), 403, "not even an administrator reads another's log");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn submissions_are_decided_for_the_submitter_with_precise_refusals() {
    let Lab { app, researcher, colleague, outsider, .. } = lab().await;
    // The colleague has no grant on the restricted input: refused, naming it.
    let (status, body) = app.call("POST", "/jobs", &colleague, join_job()).await;
    assert_eq!(status, 403, "{body}");
    assert!(body.to_string().contains("restr"), "{body}");
    // A dataset the outsider may not know of is not found.
    let mut job = join_job();
    job["inputs"][0]["dataset"] = json!("no-such-dataset");
    assert_eq!(app.call("POST", "/jobs", &outsider, job).await.0, 403, "no group: no output owner");
    let mut job = join_job();
    job["inputs"][0]["dataset"] = json!("no-such-dataset");
    let (status, body) = app.call("POST", "/jobs", &researcher, job).await;
    assert_eq!(status, 404, "{body}");
    // A masked column answers like a column that does not exist.
    let mut job = join_job();
    job["inputs"][0]["columns"] = json!(["id", "secretcol"]);
    let (status, body) = app.call("POST", "/jobs", &researcher, job).await;
    assert_eq!(status, 400, "{body}");
    assert!(body.to_string().contains("no column \\\"secretcol\\\" a job may read"), "{body}");
    // Malformed, unauthenticated, and a kind this node does not run.
    let (status, _) = app.call("POST", "/jobs", &researcher, json!({"kind": "sql", "code": "", "inputs": []})).await;
    assert_eq!(status, 400);
    assert_eq!(app.call("POST", "/jobs", "", join_job()).await.0, 401);
    let mut job = join_job();
    job["kind"] = json!("script");
    let (status, body) = app.call("POST", "/jobs", &researcher, job).await;
    assert_eq!(status, 422, "{body}");
    assert!(body.to_string().contains("not enabled on this node"), "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_grant_revoked_before_start_fails_the_job_naming_the_input_and_cancel_works() {
    let lab = lab().await;
    let slot = occupy_slot(&lab).await;
    let Lab { app, researcher, steward, .. } = lab;
    let job = app.ok("POST", "/jobs", &researcher, join_job()).await;
    let id = job["id"].as_str().unwrap().to_owned();
    let other = app.ok("POST", "/jobs", &researcher, join_job()).await;
    let other = other["id"].as_str().unwrap().to_owned();

    // Cancel: a queued job ends CANCELED at once, and a second cancel is a conflict.
    let canceled = app.ok("POST", &format!("/jobs/{other}/cancel"), &researcher, json!({})).await;
    assert_eq!(canceled["state"], "CANCELED");
    assert_eq!(app.call("POST", &format!("/jobs/{other}/cancel"), &researcher, json!({})).await.0, 409);

    // The steward revokes the researcher's grant while the job waits.
    let grants = app.ok("GET", "/datasets/ds-restr/grants", &steward, Value::Null).await;
    let grant = grants["items"][0]["id"].as_str().or(grants[0]["id"].as_str()).expect("a grant").to_owned();
    let revoked = app
        .client
        .delete(app.url(&format!("/datasets/ds-restr/grants/{grant}")))
        .bearer_auth(&steward)
        .send()
        .await
        .unwrap();
    assert!(revoked.status().is_success(), "{}", revoked.status());

    // The job waited for the researcher's slot; freed, the job starts: access is decided
    // again, and fails.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    assert_eq!(app.ok("GET", &format!("/jobs/{id}"), &researcher, Value::Null).await["state"], "QUEUED");
    app.ok("POST", &format!("/jobs/{slot}/cancel"), &researcher, json!({})).await;
    let job = wait_final(&app, &researcher, &id).await;
    assert_eq!(job["state"], "EXECUTOR_ERROR", "{job}");
    let message = job["message"].as_str().unwrap();
    assert!(message.contains("\"restr\"") && message.contains("ds-restr/1/t"), "{message}");
    assert!(job["output_dataset_id"].is_null(), "nothing was written");
    assert_eq!(app.ok("GET", &format!("/jobs/{other}"), &researcher, Value::Null).await["state"], "CANCELED");
}

/// Takes the researcher's one slot (`compute_max_per_user` is 1), so their next jobs wait.
async fn occupy_slot(lab: &Lab) -> String {
    lab.app.occupy_compute_slot(lab.researcher_id, lab.group_b).await.to_string()
}

/// A job of the researcher's that another node holds in `state` under a live lease.
async fn held_elsewhere(lab: &Lab, state: kura_core::TaskState) -> String {
    lab.app.compute_job_held_elsewhere(lab.researcher_id, lab.group_b, state).await.to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_state_has_a_time_limit_and_the_worker_ends_jobs_past_it() {
    use kura_core::TaskState;
    let lab = lab_with(|c| {
        c.compute_queue_seconds = 1;
        c.compute_initializing_seconds = 1;
        c.compute_time_limit_seconds = 3;
    })
    .await;
    // Another node holds one job of the researcher's RUNNING and one INITIALIZING, and stops
    // moving them on (its leases stay live): only the limits end them. A third waits QUEUED
    // behind them (one job per user at a time).
    let running = held_elsewhere(&lab, TaskState::Running).await;
    let initializing = held_elsewhere(&lab, TaskState::Initializing).await;
    let Lab { app, researcher, .. } = &lab;
    let queued = app.ok("POST", "/jobs", researcher, join_job()).await;
    let queued = queued["id"].as_str().unwrap().to_owned();
    let cases = [
        (queued, "SYSTEM_ERROR", "QUEUED", "compute_queue_seconds"),
        (initializing, "SYSTEM_ERROR", "INITIALIZING", "compute_initializing_seconds"),
        (running, "EXECUTOR_ERROR", "RUNNING", "compute_time_limit_seconds"),
    ];
    for (id, state, stayed, setting) in cases {
        let job = wait_final(app, researcher, &id).await;
        assert_eq!(job["state"], state, "{job}");
        let message = job["message"].as_str().unwrap();
        assert!(message.contains(stayed) && message.contains(setting), "{message}");
    }
    assert_eq!(app.state.catalog.unended_compute_jobs().await.unwrap(), 0, "every job is final");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jobs_a_stopped_worker_left_are_taken_over_or_end_as_system_errors() {
    use kura_catalog::entity::compute_job;
    use sea_orm::{ActiveModelTrait, EntityTrait, Set};
    let lab = lab().await;
    let slot = occupy_slot(&lab).await;
    let Lab { app, researcher, .. } = lab;
    let mut ids = Vec::new();
    for _ in 0..2 {
        let job = app.ok("POST", "/jobs", &researcher, join_job()).await;
        ids.push(job["id"].as_str().unwrap().parse::<uuid::Uuid>().unwrap());
    }
    // What a worker killed mid-run leaves: RUNNING under its lease, which then passes. The first
    // had an attempt left, the second had used its last one.
    let db = app.state.catalog.connection();
    for (id, attempts) in [(ids[0], 1), (ids[1], app.state.config.job_max_attempts)] {
        let row = compute_job::Entity::find_by_id(id).one(db).await.unwrap().unwrap();
        let mut row: compute_job::ActiveModel = row.into();
        row.state = Set(kura_core::TaskState::Running);
        row.worker = Set(Some("dead:1:0".into()));
        row.lease_until = Set(Some(chrono::Utc::now() - chrono::Duration::seconds(1)));
        row.attempts = Set(attempts);
        row.update(db).await.unwrap();
    }
    // The worker of this node takes them once the researcher's slot is free.
    app.ok("POST", &format!("/jobs/{slot}/cancel"), &researcher, json!({})).await;
    let taken = wait_final(&app, &researcher, &ids[0].to_string()).await;
    assert_eq!(taken["state"], "COMPLETE", "taken over and finished: {taken}");
    let failed = wait_final(&app, &researcher, &ids[1].to_string()).await;
    assert_eq!(failed["state"], "SYSTEM_ERROR", "{failed}");
    assert!(failed["message"].as_str().unwrap().contains("node stopped"), "{failed}");
    assert_eq!(app.state.catalog.unended_compute_jobs().await.unwrap(), 0, "every job is final");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tes_clients_submit_poll_list_and_cancel_with_the_exact_states() {
    let lab = lab().await;
    occupy_slot(&lab).await;
    let Lab { app, researcher, .. } = lab;
    let tes = |path: &str| format!("{}/ga4gh/tes/v1{path}", app.base);
    let info: Value = app.client.get(tes("/service-info")).send().await.unwrap().json().await.unwrap();
    assert_eq!(info["type"]["artifact"], "tes");
    let task = json!({
        "name": "join",
        "inputs": [{"url": "kura:ds-cons/latest/t", "path": "/inputs/cons.parquet"},
                   {"url": "kura:ds-restr/1/t", "path": "/inputs/restr.parquet"}],
        "outputs": [{"path": "/outputs/joined.parquet", "url": "kura:out"}],
        "executors": [{"image": "kura/sql", "command": [JOIN]}],
    });
    let created = app.client.post(tes("/tasks")).bearer_auth(&researcher).json(&task).send().await.unwrap();
    assert_eq!(created.status(), 200);
    let id = created.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned();
    let get = |path: String| {
        let request = app.client.get(tes(&path)).bearer_auth(&researcher);
        async move { request.send().await.unwrap().json::<Value>().await.unwrap() }
    };
    let got = get(format!("/tasks/{id}?view=FULL")).await;
    assert_eq!(got["state"], "QUEUED");
    assert_eq!(got["inputs"][0]["url"], "kura:ds-cons/1/t");
    let listed = get("/tasks".into()).await;
    assert_eq!(listed["tasks"][0]["id"], id.as_str());
    let cancel = app.client.post(tes(&format!("/tasks/{id}:cancel"))).bearer_auth(&researcher).send().await.unwrap();
    assert_eq!(cancel.status(), 200);
    let got = get(format!("/tasks/{id}")).await;
    assert_eq!(got["state"], "CANCELED");
    let docker = json!({"executors": [{"image": "ubuntu", "command": ["cat", "/etc/passwd"]}]});
    let refused = app.client.post(tes("/tasks")).bearer_auth(&researcher).json(&docker).send().await.unwrap();
    assert_eq!(refused.status(), 400);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_reads_only_its_declared_tables_through_a_credential_that_expires() {
    use kura_core::ErrorCode;
    use kura_core::access::Action;
    use kura_service::Which;
    use kura_service::access::authorize;
    use kura_service::readable::{readable_table, readable_tables};
    let Lab { app, researcher, group_b, .. } = lab().await;
    // A dataset of the researcher's group with two tables: the researcher reads both.
    let body = json!({"name": "ds-two", "title": "two tables", "group": group_b.to_string()});
    app.ok("POST", "/datasets", &app.token, body).await;
    let files = vec![("a.csv", b"id,x\n1,10\n2,20\n".to_vec()), ("b.csv", b"id,y\n1,secret\n".to_vec())];
    assert_eq!(app.upload("ds-two", files).await.status(), 201);
    assert_eq!(app.ingest("ds-two").await["state"], "succeeded");
    let (status, _) = app.call("GET", "/datasets/ds-two/versions/latest/tables/b/rows", &researcher, Value::Null).await;
    assert_eq!(status, 200, "the submitter may read b");

    // A job declaring only a cannot name b.
    let job = json!({"kind": "sql", "code": "SELECT * FROM b", "inputs": [{"dataset": "ds-two", "table": "a"}]});
    let job = app.ok("POST", "/jobs", &researcher, job).await;
    let id = job["id"].as_str().unwrap();
    let job = wait_final(&app, &researcher, id).await;
    assert_eq!(job["state"], "EXECUTOR_ERROR", "{job}");
    assert!(job["message"].as_str().unwrap().contains("\"b\" is not an input of this job"), "{job}");

    // The credential the job read with reaches table a of that version and nothing else.
    let row = app.state.catalog.compute_job(id.parse().unwrap()).await.unwrap();
    let credential = kura_service::compute::worker::credential(&app.state, &row).await.unwrap();
    assert!(!credential.can_write, "a job's credential writes nothing");
    let read =
        |name: &'static str| authorize(&app.state, &credential, name, Which::Version("latest"), Action::ReadData);
    let target = read("ds-two").await.unwrap();
    assert!(readable_table(&app.state, &credential, &target, "a").await.is_ok());
    let refused = readable_table(&app.state, &credential, &target, "b").await.unwrap_err();
    assert_eq!(refused.code, ErrorCode::NotFound, "b answers as if absent");
    assert_eq!(read("ds-cons").await.unwrap_err().code, ErrorCode::NotFound, "another dataset the submitter reads");
    let listed = readable_tables(&app.state, &credential, None, true).await.unwrap();
    let names: Vec<_> = listed.iter().map(|(r, _)| format!("{}/{}", r.dataset.name, r.table.name)).collect();
    assert_eq!(names, ["ds-two/a"]);
    let edit = authorize(&app.state, &credential, "ds-two", Which::Version("latest"), Action::Edit).await;
    assert!(edit.is_err(), "it changes nothing");

    // Past its expiry it reads nothing, not even the metadata of its input.
    let mut expired = credential.clone();
    expired.subject.job.as_mut().unwrap().expires = chrono::Utc::now() - chrono::Duration::seconds(1);
    for action in [Action::ReadData, Action::ReadMetadata] {
        let refused = authorize(&app.state, &expired, "ds-two", Which::Version("latest"), action).await.unwrap_err();
        assert_eq!(refused.code, ErrorCode::NotFound, "{action:?}");
    }
}
