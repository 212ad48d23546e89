//! Stream tables end to end on a running Kura: REST appends (NDJSON, Arrow IPC) with
//! idempotency keys, widening and refusals, robot and read tokens, `since` reads, publishing
//! freezing a snapshot, Flight DoPut and a follower. Waits are on conditions, never on time.

use std::sync::Arc;
use std::time::Duration;

use arrow::array::{Float64Array, Int64Array, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema};
use arrow_flight::encode::FlightDataEncoderBuilder;
use arrow_flight::{FlightDescriptor, Ticket};
use futures::{StreamExt, TryStreamExt};
use kura_testkit::{TestApp, roomy_sql_limits, spawn_with_flight_and};
use serde_json::{Value, json};

/// The lab: a group with a steward (a write token), the steward's robot token for `lab/temps`,
/// and the steward's read token; the dataset `lab` of the group.
struct Lab {
    app: TestApp,
    steward: String,
    robot: String,
    reader: String,
}

async fn lab() -> Lab {
    // Commits come quickly so the waits below are short; nothing depends on their timing.
    let app = spawn_with_flight_and(roomy_sql_limits(), |config, _| config.stream_commit_ms = 50).await;
    let admin = app.token.clone();
    let org = app.ok("POST", "/organizations", &admin, json!({"name": "Uni"})).await;
    let group = app
        .ok("POST", &format!("/organizations/{}/groups", org["id"].as_str().unwrap()), &admin, json!({"name": "Lab"}))
        .await;
    let group = group["id"].as_str().unwrap().to_owned();
    let user = app.ok("POST", "/users", &admin, json!({"username": "stella"})).await;
    let user = user["id"].as_str().unwrap().to_owned();
    assert_eq!(
        app.call("PUT", &format!("/groups/{group}/members/{user}"), &admin, json!({"role": "steward"})).await.0,
        204
    );
    let mint = |body: Value| {
        let (app, admin, user) = (&app, &admin, &user);
        async move {
            app.ok("POST", &format!("/users/{user}/tokens"), admin, body).await["secret"].as_str().unwrap().to_owned()
        }
    };
    let steward = mint(json!({"name": "w", "scope": "write"})).await;
    let robot = mint(json!({"name": "robot", "scope": "append", "streams": ["lab/temps"]})).await;
    let reader = mint(json!({"name": "r", "scope": "read"})).await;
    app.ok("POST", "/datasets", &steward, json!({"name": "lab", "title": "Lab log", "group": group})).await;
    Lab { app, steward, robot, reader }
}

impl Lab {
    async fn append(
        &self,
        token: &str,
        table: &str,
        key: Option<(&str, i64)>,
        media: &str,
        body: Vec<u8>,
    ) -> (u16, Value) {
        let mut request = self
            .app
            .client
            .post(self.app.url(&format!("/datasets/lab/streams/{table}/rows?run_id=run-1&instrument=thermo-3")))
            .bearer_auth(token)
            .header("content-type", media)
            .body(body);
        if let Some((writer, sequence)) = key {
            request = request.header("kura-writer-id", writer).header("kura-sequence", sequence.to_string());
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// Waits until the stream's latest snapshot holds `rows` rows; returns that snapshot.
    async fn committed(&self, table: &str, rows: i64) -> i64 {
        let wait = async {
            loop {
                let (status, info) =
                    self.app.call("GET", &format!("/datasets/lab/streams/{table}"), &self.steward, json!({})).await;
                if status == 200 && info["row_count"].as_i64() == Some(rows) {
                    return info["snapshot"].as_i64().unwrap();
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        };
        tokio::time::timeout(Duration::from_secs(60), wait).await.expect("the stream commits within a minute")
    }

    async fn rows(&self, token: Option<&str>, path: &str) -> (u16, Value) {
        let mut request = self.app.client.get(self.app.url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }
}

fn ipc(batch: &RecordBatch) -> Vec<u8> {
    let mut out = Vec::new();
    let mut writer = arrow::ipc::writer::StreamWriter::try_new(&mut out, &batch.schema()).unwrap();
    writer.write(batch).unwrap();
    writer.finish().unwrap();
    out
}

fn temps(first: i64, n: i64) -> RecordBatch {
    let schema =
        Arc::new(Schema::new(vec![Field::new("i", DataType::Int64, true), Field::new("t", DataType::Float64, true)]));
    let ids = Int64Array::from_iter_values(first..first + n);
    let values = Float64Array::from_iter_values((first..first + n).map(|i| i as f64 + 0.5));
    RecordBatch::try_new(schema, vec![Arc::new(ids), Arc::new(values)]).unwrap()
}

fn ids(rows: &Value) -> Vec<i64> {
    rows.as_array().unwrap().iter().map(|r| r["i"].as_i64().unwrap()).collect()
}

#[tokio::test]
async fn rest_appends_are_durable_once_widen_refuse_and_freeze_with_a_version() {
    let lab = lab().await;
    let ndjson = "application/x-ndjson";
    let first = b"{\"i\": 0, \"t\": 20.5}\n{\"i\": 1, \"t\": 21}\n".to_vec();
    let (status, answer) = lab.append(&lab.steward, "temps", Some(("w1", 0)), ndjson, first.clone()).await;
    assert_eq!(
        (status, answer["duplicate"].clone(), answer["rows"].clone()),
        (200, json!(false), json!(2)),
        "{answer}"
    );
    // The same key again (a retry after a lost answer) is acknowledged and not applied.
    let (status, again) = lab.append(&lab.steward, "temps", Some(("w1", 0)), ndjson, first).await;
    assert_eq!((status, again["duplicate"].clone()), (200, json!(true)));
    let one = lab.committed("temps", 2).await;

    // A new nullable column widens the table; a changed type is refused naming the column.
    let wider = b"{\"i\": 2, \"t\": 22, \"note\": \"lid open\"}\n".to_vec();
    assert_eq!(lab.append(&lab.steward, "temps", Some(("w1", 1)), ndjson, wider).await.0, 200);
    let retyped = RecordBatch::try_new(
        Arc::new(Schema::new(vec![Field::new("t", DataType::Utf8, true)])),
        vec![Arc::new(StringArray::from(vec!["hot"]))],
    )
    .unwrap();
    let (status, refused) =
        lab.append(&lab.steward, "temps", Some(("w1", 2)), "application/vnd.apache.arrow.stream", ipc(&retyped)).await;
    assert_eq!(status, 422, "{refused}");
    assert!(refused["error"]["message"].as_str().unwrap_or_default().contains("\"t\""), "{refused}");
    let (status, _) = lab.append(&lab.steward, "temps", None, "text/plain", b"x".to_vec()).await;
    assert_eq!(status, 415);

    // The robot appends to its stream only; a read token never appends.
    assert_eq!(
        lab.append(&lab.robot, "temps", Some(("robot", 0)), "application/vnd.apache.arrow.stream", ipc(&temps(3, 2)))
            .await
            .0,
        200
    );
    let (status, other) = lab.append(&lab.robot, "other", Some(("robot", 1)), ndjson, b"{\"i\": 9}\n".to_vec()).await;
    assert_eq!(status, 403, "{other}");
    assert_eq!(lab.app.call("POST", "/datasets/lab/draft", &lab.robot, json!({})).await.0, 403);
    assert_eq!(lab.append(&lab.reader, "temps", Some(("r", 0)), ndjson, b"{\"i\": 9}\n".to_vec()).await.0, 403);
    assert_eq!(lab.append(&lab.steward, "temps", Some(("w1", 3)), "text/csv", b"i,t\n5,25\n".to_vec()).await.0, 200);

    lab.committed("temps", 6).await;
    let (status, all) = lab.rows(Some(&lab.steward), "/datasets/lab/streams/temps/rows").await;
    assert_eq!((status, ids(&all)), (200, vec![0, 1, 2, 3, 4, 5]), "{all}");
    assert_eq!(all[2]["note"], "lid open");
    let (_, since) = lab.rows(Some(&lab.steward), &format!("/datasets/lab/streams/temps/rows?since={one}")).await;
    assert_eq!(ids(&since), vec![2, 3, 4, 5]);
    let (_, at_one) = lab.rows(Some(&lab.steward), &format!("/datasets/lab/streams/temps/rows?snapshot={one}")).await;
    assert_eq!(ids(&at_one), vec![0, 1]);
    assert!(at_one[0].get("note").is_none(), "snapshot {one} predates the column: {at_one}");

    // Each applied batch has its audit line, written with its commit (the retry has none).
    let audit = lab.app.ok("GET", "/audit?action=stream.append&limit=100", &lab.app.token, json!({})).await;
    assert_eq!(audit["items"].as_array().map(Vec::len), Some(4), "{audit}");

    // Provenance is kept per batch and queryable.
    let (_, batches) = lab.rows(Some(&lab.steward), "/datasets/lab/streams/temps/batches?run_id=run-1").await;
    let batches = batches.as_array().unwrap();
    assert_eq!(batches.len(), 4);
    assert_eq!(batches[0]["provenance"]["instrument"], "thermo-3");
    assert_eq!(batches[0]["writer_id"], "w1");

    // Publishing freezes version 1 at the snapshot holding every acknowledged row so far.
    let (status, published) = lab.app.call("POST", "/datasets/lab/draft/publish", &lab.steward, json!({})).await;
    assert_eq!(status, 200, "{published}");
    assert_eq!(
        lab.append(&lab.robot, "temps", Some(("robot", 2)), ndjson, b"{\"i\": 6, \"t\": 26}\n".to_vec()).await.0,
        200
    );
    lab.committed("temps", 7).await;
    let (status, frozen) = lab.rows(None, "/datasets/lab/versions/1/streams/temps/rows").await;
    assert_eq!((status, ids(&frozen)), (200, vec![0, 1, 2, 3, 4, 5]), "{frozen}");
    let (_, public) = lab.rows(None, "/datasets/lab/streams/temps/rows").await;
    assert_eq!(ids(&public), vec![0, 1, 2, 3, 4, 5], "outsiders read the published snapshot");
    let (_, live) = lab.rows(Some(&lab.steward), "/datasets/lab/streams/temps/rows").await;
    assert_eq!(ids(&live).len(), 7, "editors read the live table");
    let (status, _) = lab.rows(None, "/datasets/lab/streams/temps/rows?snapshot=999").await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn flight_doput_acknowledges_each_batch_once_and_a_follower_sees_new_commits() {
    let lab = lab().await;
    let mut client = lab.app.flight_client(Some(&lab.robot)).await;
    client.add_header("kura-writer-id", "robot").unwrap();
    client.add_header("kura-sequence", "10").unwrap();
    let put = |batches: Vec<RecordBatch>| {
        FlightDataEncoderBuilder::new()
            .with_flight_descriptor(Some(FlightDescriptor::new_path(vec!["lab".into(), "temps".into()])))
            .build(futures::stream::iter(batches.into_iter().map(Ok)))
            .map(|d| d.map_err(|e| arrow_flight::error::FlightError::ExternalError(Box::new(e))))
    };
    let results: Vec<_> =
        client.do_put(put(vec![temps(0, 2), temps(2, 3)])).await.unwrap().try_collect().await.unwrap();
    let answers: Vec<Value> = results.iter().map(|r| serde_json::from_slice(&r.app_metadata).unwrap()).collect();
    assert_eq!(answers.len(), 2);
    assert_eq!((answers[1]["sequence"].clone(), answers[1]["duplicate"].clone()), (json!(11), json!(false)));
    // The same call again: both keys are known, nothing is applied twice.
    let again: Vec<_> = client.do_put(put(vec![temps(0, 2), temps(2, 3)])).await.unwrap().try_collect().await.unwrap();
    assert!(
        again.iter().all(|r| serde_json::from_slice::<Value>(&r.app_metadata).unwrap()["duplicate"] == json!(true))
    );
    let first = lab.committed("temps", 5).await;

    // A follower from that snapshot sees the next commit arrive.
    let mut reader = lab.app.flight_client(Some(&lab.steward)).await;
    let command = json!({"dataset": "lab", "stream": "temps", "since": first, "follow": true});
    let info = reader.get_flight_info(FlightDescriptor::new_cmd(command.to_string())).await.unwrap();
    let ticket: Ticket = info.endpoint[0].ticket.clone().unwrap();
    let follow = tokio::spawn(async move {
        let stream = reader.do_get(ticket).await.unwrap();
        let mut batches = stream.take_while(|b| futures::future::ready(b.is_ok()));
        let mut seen = Vec::new();
        while let Some(Ok(batch)) = batches.next().await {
            let ids = batch.column_by_name("i").unwrap().as_any().downcast_ref::<Int64Array>().unwrap().clone();
            seen.extend(ids.values().iter().copied());
            if seen.len() >= 2 {
                return seen;
            }
        }
        seen
    });
    let mut writer = lab.app.flight_client(Some(&lab.robot)).await;
    writer.add_header("kura-writer-id", "robot").unwrap();
    writer.add_header("kura-sequence", "12").unwrap();
    let _: Vec<_> = writer.do_put(put(vec![temps(5, 2)])).await.unwrap().try_collect().await.unwrap();
    let seen =
        tokio::time::timeout(Duration::from_secs(60), follow).await.expect("the follower sees the commit").unwrap();
    assert_eq!(seen, vec![5, 6]);

    // GetFlightInfo reports the latest snapshot; the robot may not put into another stream.
    let latest = lab.committed("temps", 7).await;
    let mut reader = lab.app.flight_client(Some(&lab.steward)).await;
    let info = reader
        .get_flight_info(FlightDescriptor::new_cmd(json!({"dataset": "lab", "stream": "temps"}).to_string()))
        .await
        .unwrap();
    let meta: Value = serde_json::from_slice(&info.app_metadata).unwrap();
    assert_eq!((meta["snapshot"].as_i64(), info.total_records), (Some(latest), 7));
    let listed: Vec<_> = reader.list_flights("lab").await.unwrap().try_collect().await.unwrap();
    assert!(listed.iter().any(|f| f.total_records == 7), "{listed:?}");
    let other = FlightDataEncoderBuilder::new()
        .with_flight_descriptor(Some(FlightDescriptor::new_path(vec!["lab".into(), "other".into()])))
        .build(futures::stream::iter(vec![Ok(temps(0, 1))]))
        .map(|d| d.map_err(|e| arrow_flight::error::FlightError::ExternalError(Box::new(e))));
    let refused = match writer.do_put(other).await {
        Ok(stream) => stream.try_collect::<Vec<_>>().await.unwrap_err(),
        Err(e) => e,
    };
    assert!(
        refused.to_string().contains("PermissionDenied") || refused.to_string().contains("may append"),
        "{refused}"
    );
}

/// A long DoPut is decided again as it goes: once the robot's token is revoked, the next
/// decision (at most ten seconds on) refuses the call's further batches.
#[tokio::test]
async fn a_long_doput_is_refused_once_its_token_is_revoked() {
    let lab = lab().await;
    let mut client = lab.app.flight_client(Some(&lab.robot)).await;
    client.add_header("kura-writer-id", "long-run").unwrap();
    client.add_header("kura-sequence", "0").unwrap();
    let (batches, incoming) =
        futures::channel::mpsc::unbounded::<Result<RecordBatch, arrow_flight::error::FlightError>>();
    let data = FlightDataEncoderBuilder::new()
        .with_flight_descriptor(Some(FlightDescriptor::new_path(vec!["lab".into(), "temps".into()])))
        .build(incoming)
        .map(|d| d.map_err(|e| arrow_flight::error::FlightError::ExternalError(Box::new(e))));
    batches.unbounded_send(Ok(temps(0, 1))).unwrap();
    let mut results = client.do_put(data).await.unwrap();
    let first = results.next().await.expect("an answer").expect("the first batch is taken");
    assert_eq!(serde_json::from_slice::<Value>(&first.app_metadata).unwrap()["duplicate"], json!(false));

    let tokens = lab.app.ok("GET", "/me/tokens", &lab.steward, Value::Null).await;
    let robot = tokens.as_array().unwrap().iter().find(|t| t["name"] == "robot").expect("the robot's token");
    let path = format!("/me/tokens/{}", robot["id"].as_str().unwrap());
    let revoked = lab.app.client.delete(lab.app.url(&path)).bearer_auth(&lab.steward).send().await.unwrap();
    assert_eq!(revoked.status(), 204);
    // Past the decision's lifetime, the same call's next batch is refused.
    tokio::time::sleep(Duration::from_millis(10_500)).await;
    batches.unbounded_send(Ok(temps(1, 1))).unwrap();
    let refused = results.next().await.expect("an answer to the second batch");
    let status = refused.expect_err("a revoked token appends nothing more").to_string();
    assert!(status.contains("Unauthenticated") || status.contains("token"), "{status}");
    lab.committed("temps", 1).await;
    let (_, rows) = lab.rows(Some(&lab.steward), "/datasets/lab/streams/temps/rows").await;
    assert_eq!(ids(&rows), [0], "only the first batch");
}
