//! Federated Flight SQL between two real Kura nodes, A and B, each trusting the other: a user of
//! A reads B's open table as `b.<dataset>.<table>` in their Flight SQL session on A, joins it
//! with a table of A, and has filters and limits run at B (the statement B receives, in B's audit
//! log, says so). B decides: its closed, draft, restricted and embargoed datasets never appear on
//! A, its consortium dataset only for the user who accepted the agreement at home, its masked
//! column never leaves it. A partner that does not answer is left out of the session and named
//! when a query asks for its tables.

use arrow::record_batch::RecordBatch;
use arrow::util::display::{ArrayFormatter, FormatOptions};
use arrow_flight::error::FlightError as ClientError;
use arrow_flight::sql::CommandGetTables;
use arrow_flight::sql::client::FlightSqlServiceClient;
use futures::TryStreamExt;
use kura_testkit::{TestApp, roomy_sql_limits, spawn_with_flight_and};
use serde_json::{Value, json};
use tonic::Code;
use tonic::transport::Channel;

/// B's datasets: (name, policy level or JSON policy, published, whether A's user reads it).
const LEVELS: [(&str, &str, bool, bool); 6] = [
    ("ds-open", "open", true, true),
    ("ds-closed", "closed", true, false),
    ("ds-draft", "open", false, false),
    ("ds-restricted", "restricted", true, false),
    ("ds-embargoed", r#"{"level": "embargoed", "until": "2999-01-01T00:00:00Z"}"#, true, false),
    ("ds-lifted", r#"{"level": "embargoed", "until": "2000-01-01T00:00:00Z"}"#, true, true),
];

const CSV: &str = "a,b,secretcol\n1.5,x,zqmasked\n2.5,y,zqmasked\n-1,z,zqmasked\n4,x,zqmasked\n";

async fn node(id: &'static str) -> TestApp {
    spawn_with_flight_and(roomy_sql_limits(), move |config, _| config.node_id = id.to_owned()).await
}

/// The dataset `name` on `app` with one table `t` from `csv`, at `level` with `secretcol` masked,
/// published if `publish`.
async fn dataset(app: &TestApp, name: &str, csv: &str, level: &str, publish: bool) {
    app.create_dataset(name).await;
    assert_eq!(app.upload(name, vec![("t.csv", csv.as_bytes().to_vec())]).await.status(), 201);
    let job = app.ingest(name).await;
    assert_eq!(job["state"], "succeeded", "{job}");
    let mut policy: Value = serde_json::from_str(level).unwrap_or_else(|_| json!({"level": level}));
    policy["masked_columns"] = if csv.contains("secretcol") { json!(["secretcol"]) } else { json!([]) };
    let r = app.put_policy(name, &policy).await;
    assert!(r.status().is_success(), "{}", r.text().await.unwrap());
    if publish {
        assert_eq!(app.publish(name).await.status(), 200);
    }
}

/// `peer` as a trusted peer of `app` (through the admin API).
async fn trust(app: &TestApp, id: &str, peer: &TestApp, organizations: &[&str]) {
    let body = json!({
        "id": id, "base_url": peer.base, "flight_url": peer.flight.clone().unwrap(),
        "organizations": organizations,
    });
    app.ok("POST", "/federation/peers", &app.token, body).await;
}

/// The organization `org` on `app` with a lab group, and the consortium C1 with `org` a member:
/// (the lab's id, the consortium's id).
async fn consortium(app: &TestApp, org: &str) -> (String, String) {
    let org = app.ok("POST", "/organizations", &app.token, json!({"name": org})).await;
    let org = org["id"].as_str().unwrap();
    let lab = app.ok("POST", &format!("/organizations/{org}/groups"), &app.token, json!({"name": "Lab"})).await;
    let c1 = app.ok("POST", "/consortia", &app.token, json!({"name": "C1", "terms": "share nicely"})).await;
    let c1 = c1["id"].as_str().unwrap().to_owned();
    let path = format!("/consortia/{c1}/members");
    assert_eq!(app.call("POST", &path, &app.token, json!({"organization": org})).await.0, 204);
    (lab["id"].as_str().unwrap().to_owned(), c1)
}

/// A user of `app`'s `lab` with a write-scope API token: (id, token).
async fn user(app: &TestApp, lab: &str, name: &str) -> (String, String) {
    let user = app.ok("POST", "/users", &app.token, json!({"username": name})).await;
    let id = user["id"].as_str().unwrap().to_owned();
    assert_eq!(
        app.call("PUT", &format!("/groups/{lab}/members/{id}"), &app.token, json!({"role": "member"})).await.0,
        204
    );
    let token =
        app.ok("POST", &format!("/users/{id}/tokens"), &app.token, json!({"name": "t", "scope": "write"})).await;
    (id, token["secret"].as_str().unwrap().to_owned())
}

fn code(e: &ClientError) -> Code {
    match e {
        ClientError::Tonic(s) => s.code(),
        other => panic!("not a status: {other:?}"),
    }
}

async fn sql_client(app: &TestApp, token: &str) -> FlightSqlServiceClient<Channel> {
    let mut client = FlightSqlServiceClient::new(app.channel().await);
    client.set_token(token.to_owned());
    client
}

async fn run(client: &mut FlightSqlServiceClient<Channel>, query: &str) -> Result<Vec<RecordBatch>, ClientError> {
    let info = client.execute(query.to_owned(), None).await?;
    read(client, &info).await
}

async fn read(
    client: &mut FlightSqlServiceClient<Channel>,
    info: &arrow_flight::FlightInfo,
) -> Result<Vec<RecordBatch>, ClientError> {
    let mut out = Vec::new();
    for endpoint in &info.endpoint {
        let batches: Vec<RecordBatch> = client.do_get(endpoint.ticket.clone().unwrap()).await?.try_collect().await?;
        out.extend(batches);
    }
    Ok(out)
}

/// Every row as its values joined by `|`.
fn rows(batches: &[RecordBatch]) -> Vec<String> {
    let options = FormatOptions::default();
    let mut out = Vec::new();
    for batch in batches {
        let formatters: Vec<_> =
            batch.columns().iter().map(|c| ArrayFormatter::try_new(c.as_ref(), &options).unwrap()).collect();
        for row in 0..batch.num_rows() {
            out.push(formatters.iter().map(|f| f.value(row).to_string()).collect::<Vec<_>>().join("|"));
        }
    }
    out
}

/// The columns `columns` of B's Parquet of `dataset`'s table, every row, sorted.
async fn parquet_rows(app: &TestApp, dataset: &str, columns: &[&str]) -> Vec<String> {
    let files = app.ok("GET", &format!("/datasets/{dataset}/versions/1/files"), &app.token, Value::Null).await;
    let derived = files["items"].as_array().unwrap().iter().find(|f| f["role"] == "derived").unwrap();
    let path = format!("/datasets/{dataset}/versions/1/files/{}/content", derived["id"].as_str().unwrap());
    let bytes = app.get_admin(&path).await.bytes().await.unwrap();
    let reader =
        parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(bytes).unwrap().build().unwrap();
    let mut batches = Vec::new();
    for batch in reader {
        let batch = batch.unwrap();
        let keep: Vec<usize> = columns.iter().map(|c| batch.schema().index_of(c).unwrap()).collect();
        batches.push(batch.project(&keep).unwrap());
    }
    let mut out = rows(&batches);
    out.sort();
    out
}

/// The (catalog, schema, table, column names) A's session lists for the caller.
async fn listed(client: &mut FlightSqlServiceClient<Channel>) -> Vec<(String, String, String, Vec<String>)> {
    let command = CommandGetTables {
        catalog: None,
        db_schema_filter_pattern: None,
        table_name_filter_pattern: None,
        table_types: vec![],
        include_schema: true,
    };
    let info = client.get_tables(command).await.unwrap();
    let batches = read(client, &info).await.unwrap();
    let mut out = Vec::new();
    for batch in &batches {
        let text = |name: &str| {
            let column = batch.column_by_name(name).unwrap();
            let f = ArrayFormatter::try_new(column.as_ref(), &FormatOptions::default()).unwrap();
            (0..batch.num_rows()).map(|i| f.value(i).to_string()).collect::<Vec<_>>()
        };
        let (catalogs, schemas, tables) = (text("catalog_name"), text("db_schema_name"), text("table_name"));
        let ipc = batch.column_by_name("table_schema").unwrap();
        let ipc = arrow::array::AsArray::as_binary::<i32>(ipc.as_ref());
        for i in 0..batch.num_rows() {
            let bytes = bytes::Bytes::copy_from_slice(ipc.value(i));
            let schema = arrow::datatypes::Schema::try_from(arrow_flight::IpcMessage(bytes)).unwrap();
            let columns = schema.fields().iter().map(|f| f.name().clone()).collect();
            out.push((catalogs[i].clone(), schemas[i].clone(), tables[i].clone(), columns));
        }
    }
    out
}

#[tokio::test]
async fn a_user_of_a_reads_and_joins_b_tables_with_filters_and_limits_run_at_b() {
    let (a, b) = (node("a").await, node("b").await);
    trust(&a, "b", &b, &["Uni B"]).await;
    trust(&b, "a", &a, &["Uni A"]).await;

    // B: a dataset per access level, each with a masked column; only the open one's data is
    // for a partner's user without grants or consortia.
    for (name, policy, publish, _) in LEVELS {
        dataset(&b, name, CSV, policy, publish).await;
    }
    // A: a table of its own, and two users of Uni A, of whom alice accepted the agreement of the
    // consortium C1 (which B holds too, with Uni A a member there as well) and bob did not.
    dataset(&a, "labels", "b,label\nx,ex\ny,why\n", "open", true).await;
    let (_, consortium_at_b) = consortium(&b, "Uni A").await;
    let policy = json!({"level": "consortium", "consortia": [consortium_at_b]});
    dataset(&b, "ds-consortium", CSV, &policy.to_string(), true).await;
    let (lab, consortium_at_a) = consortium(&a, "Uni A").await;
    let (user_id, alice_token) = user(&a, &lab, "alice").await;
    let (_, bob_token) = user(&a, &lab, "bob").await;
    a.ok("POST", &format!("/consortia/{consortium_at_a}/accept"), &alice_token, json!({})).await;
    let mut alice = sql_client(&a, &alice_token).await;
    let mut bob = sql_client(&a, &bob_token).await;

    // B's open table, as B's Parquet holds it.
    let batches = run(&mut alice, r#"SELECT a, b FROM b."ds-open".t"#).await.expect("B's open table");
    let mut got = rows(&batches);
    got.sort();
    assert_eq!(got, parquet_rows(&b, "ds-open", &["a", "b"]).await);
    assert_eq!(got.len(), 4);

    // Joined with A's own table.
    let joined = run(&mut alice, r#"SELECT l.label FROM b."ds-open".t r JOIN labels.t l ON r.b = l.b ORDER BY r.a"#)
        .await
        .expect("join of A's and B's tables");
    assert_eq!(rows(&joined), ["ex", "why", "ex"]);

    // The filter and the limit run at B: the statement B received says so.
    let filtered = run(&mut alice, r#"SELECT b FROM b."ds-open".t WHERE a > 2 LIMIT 1"#).await.unwrap();
    assert_eq!(rows(&filtered).len(), 1);
    let log = b.ok("GET", "/audit?surface=flight&action=data.sql", &b.token, Value::Null).await;
    let received: Vec<String> = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["details"]["query"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert!(
        received.iter().any(|q| q.contains(r#"FROM "ds-open"."t""#) && q.contains("(a > 2") && q.ends_with("LIMIT 1")),
        "{received:?}"
    );
    assert!(received.iter().all(|q| !q.contains("secretcol")), "{received:?}");
    // B audits A's user as a partner's user; A records that its user asked B.
    let actors = log["items"].as_array().unwrap().iter().map(|e| e["actor"].as_str().unwrap().to_owned());
    assert!(actors.clone().all(|actor| actor.ends_with("@a")), "{log}");
    let asked = a.ok("GET", "/audit?action=federation.sql", &a.token, Value::Null).await;
    let asked = asked["items"].as_array().unwrap();
    assert!(asked.iter().any(|e| e["actor"] == format!("user:{user_id}") && e["target"] == "b"), "{asked:?}");
    let plan = run(&mut alice, r#"EXPLAIN SELECT b FROM b."ds-open".t WHERE a > 2 LIMIT 1"#).await.unwrap();
    let plan = rows(&plan).join("\n");
    assert!(
        plan.contains("RemoteScanExec: peer=b") && plan.contains("WHERE (a > 2") && plan.contains("LIMIT 1"),
        "{plan}"
    );
    // A scan without filters reads B's table descriptor, which B serves without planning a query.
    let plan = run(&mut alice, r#"EXPLAIN SELECT b, a FROM b."ds-open".t LIMIT 3"#).await.unwrap();
    let plan = rows(&plan).join("\n");
    assert!(plan.contains(r#"table={"columns":["a","b"],"dataset":"ds-open","endpoints":1,"limit":3"#), "{plan}");
    let tabled = run(&mut alice, r#"SELECT b, a FROM b."ds-open".t LIMIT 3"#).await.unwrap();
    assert_eq!(rows(&tabled).len(), 3);
    let log = b.ok("GET", "/audit?surface=flight", &b.token, Value::Null).await;
    let read = log["items"].as_array().unwrap().iter().filter(|e| e["action"] != "data.sql");
    assert!(read.clone().any(|e| e["actor"].as_str().unwrap().ends_with("@a")), "{log}");

    // B decides: its closed and draft datasets never appear, its masked column never leaves it.
    let tables = listed(&mut alice).await;
    let at_b: Vec<_> = tables.iter().filter(|t| t.0 == "b").collect();
    assert!(at_b.iter().all(|t| t.3 == ["a", "b"]), "no masked column: {tables:?}");
    assert!(tables.iter().any(|t| t.0 == "kura" && t.1 == "labels"), "A's own tables too: {tables:?}");
    for (name, _, _, reads) in LEVELS {
        assert_eq!(at_b.iter().any(|t| t.1 == name && t.2 == "t"), reads, "{name} listed: {tables:?}");
        let answer = run(&mut alice, &format!(r#"SELECT a FROM b."{name}".t"#)).await;
        match answer {
            Ok(batches) if reads => assert_eq!(rows(&batches).len(), 4, "{name}"),
            Err(e) if !reads => assert_eq!(code(&e), Code::NotFound, "{name}: {e:?}"),
            other => panic!("{name}: {other:?}"),
        }
    }
    // B's consortium dataset: for alice, who accepted at home what B accepts; not for bob.
    let members = run(&mut alice, r#"SELECT a FROM b."ds-consortium".t"#).await.expect("a consortium member");
    assert_eq!(rows(&members).len(), 4);
    assert!(listed(&mut bob).await.iter().all(|t| t.1 != "ds-consortium"));
    let e = run(&mut bob, r#"SELECT a FROM b."ds-consortium".t"#).await.unwrap_err();
    assert_eq!(code(&e), Code::NotFound, "{e:?}");

    let e = run(&mut alice, r#"SELECT secretcol FROM b."ds-open".t"#).await.unwrap_err();
    assert_eq!(code(&e), Code::InvalidArgument, "masked column: {e:?}");
    let everything = run(&mut alice, r#"SELECT * FROM b."ds-open".t"#).await.unwrap();
    assert!(everything.iter().all(|batch| batch.schema().index_of("secretcol").is_err()));
    assert!(rows(&everything).iter().all(|r| !r.contains("zqmasked")));

    // A partner that does not answer is left out, and named when a query asks for its tables.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let silent = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let body = json!({"id": "c", "base_url": silent, "flight_url": silent, "organizations": []});
    a.ok("POST", "/federation/peers", &a.token, body).await;
    assert!(listed(&mut alice).await.iter().any(|t| t.0 == "b"), "B still listed while C fails");
    let e = run(&mut alice, r#"SELECT * FROM c."ds-open".t"#).await.unwrap_err();
    assert_eq!(code(&e), Code::Unavailable, "{e:?}");
    assert!(e.to_string().contains("peer c did not answer"), "{e}");
    let e = run(&mut alice, r#"SELECT * FROM nowhere."ds-open".t"#).await.unwrap_err();
    assert_eq!(code(&e), Code::NotFound, "{e:?}");
}
