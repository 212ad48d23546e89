//! Flight and Flight SQL against a real Kura: authentication, commands, ticket misuse, audit,
//! SQL read-only. What each actor lists, reads and is refused per access level is in the
//! authorization matrix (`kura-testkit`'s `tests/matrix`).

mod common;

use arrow::array::{Array, Int64Array};
use arrow::record_batch::RecordBatch;
use arrow_flight::error::FlightError as ClientError;
use arrow_flight::sql::client::FlightSqlServiceClient;
use arrow_flight::{FlightDescriptor, FlightInfo, Ticket};
use base64::Engine;
use common::{PASSWORD, World, build_world};
use futures::TryStreamExt;
use tonic::Code;

fn code(e: &ClientError) -> Code {
    match e {
        ClientError::Tonic(s) => s.code(),
        other => panic!("not a status: {other:?}"),
    }
}

fn table(level: &str) -> FlightDescriptor {
    FlightDescriptor::new_path(vec![format!("ds-{level}"), "latest".into(), "t".into()])
}

async fn read_all(client: &mut arrow_flight::FlightClient, info: &FlightInfo) -> Result<Vec<RecordBatch>, ClientError> {
    let mut out = Vec::new();
    for endpoint in &info.endpoint {
        let ticket = endpoint.ticket.clone().expect("ticket");
        let batches: Vec<RecordBatch> = client.do_get(ticket).await?.try_collect().await?;
        out.extend(batches);
    }
    Ok(out)
}

fn rows(batches: &[RecordBatch]) -> usize {
    batches.iter().map(|b| b.num_rows()).sum()
}

#[tokio::test]
async fn flight_matrix_auth_tickets_audit_and_sql() {
    let World { app, tokens, .. } = build_world().await;

    // --- Authentication.
    let mut bad = app.flight_client(Some("kura_not_a_token")).await;
    assert_eq!(code(&bad.list_flights("").await.err().expect("refused")), Code::Unauthenticated);
    let mut bad = app.flight_client(Some("a.b.c")).await;
    assert_eq!(code(&bad.get_flight_info(table("open")).await.unwrap_err()), Code::Unauthenticated);
    let mut basic = app.flight_client(None).await;
    let wrong = base64::engine::general_purpose::STANDARD.encode("owner:wrong password here");
    basic.add_header("authorization", &format!("Basic {wrong}")).unwrap();
    assert_eq!(code(&basic.handshake("").await.unwrap_err()), Code::Unauthenticated);
    let mut basic = app.flight_client(None).await;
    let right = base64::engine::general_purpose::STANDARD.encode(format!("owner:{PASSWORD}"));
    basic.add_header("authorization", &format!("Basic {right}")).unwrap();
    let jwt = String::from_utf8(basic.handshake("").await.expect("handshake").to_vec()).unwrap();
    assert_eq!(jwt.matches('.').count(), 2);
    let mut by_jwt = app.flight_client(Some(&jwt)).await;
    let info = by_jwt.get_flight_info(table("closed")).await.expect("owner reads closed via JWT");
    assert_eq!(rows(&read_all(&mut by_jwt, &info).await.unwrap()), 3);
    // An API token as the handshake payload also works.
    let mut by_payload = app.flight_client(None).await;
    let jwt2 = by_payload.handshake(tokens["outsider"].clone()).await.expect("token handshake");
    assert!(!jwt2.is_empty());

    // What each actor lists, and gets or is refused per access level (info, schema, rows, masked
    // columns), are rows of the authorization matrix (`kura-testkit`'s `tests/matrix`).

    // --- Commands: projection, filter, limit.
    let mut outsider = app.flight_client(Some(&tokens["outsider"])).await;
    let cmd =
        serde_json::json!({"dataset": "ds-open", "version": "1", "table": "t", "columns": ["a"], "filter": "a >= 2"});
    let info = outsider.get_flight_info(FlightDescriptor::new_cmd(cmd.to_string())).await.unwrap();
    let batches = read_all(&mut outsider, &info).await.unwrap();
    assert_eq!(batches[0].num_columns(), 1);
    let a: Vec<i64> = batches
        .iter()
        .flat_map(|b| b.column(0).as_any().downcast_ref::<Int64Array>().unwrap().values().to_vec())
        .collect();
    assert_eq!(a, [2, 3]);
    let cmd = serde_json::json!({"dataset": "ds-open", "table": "t", "filter": "a > 100"});
    let info = outsider.get_flight_info(FlightDescriptor::new_cmd(cmd.to_string())).await.unwrap();
    assert!(info.endpoint.is_empty(), "statistics prune every row group");
    let cmd = serde_json::json!({"dataset": "ds-open", "table": "t", "limit": 2});
    let info = outsider.get_flight_info(FlightDescriptor::new_cmd(cmd.to_string())).await.unwrap();
    assert_eq!(rows(&read_all(&mut outsider, &info).await.unwrap()), 2);
    for bad in [r#"{"dataset": "ds-open", "table": "t", "filter": "a >"}"#, r#"{"nope": 1}"#] {
        let e = outsider.get_flight_info(FlightDescriptor::new_cmd(bad.to_owned())).await.unwrap_err();
        assert_eq!(code(&e), Code::InvalidArgument, "{bad}");
    }

    // --- Tickets: bound to the principal, signed, short-lived.
    let mut owner = app.flight_client(Some(&tokens["owner"])).await;
    let info = owner.get_flight_info(table("open")).await.unwrap();
    let ticket = info.endpoint[0].ticket.clone().unwrap();
    let Err(e) = outsider.do_get(ticket.clone()).await else { panic!("other principal refused") };
    assert_eq!(code(&e), Code::PermissionDenied);
    let mut altered = ticket.ticket.to_vec();
    let i = altered.len() / 2;
    altered[i] = if altered[i] == b'A' { b'B' } else { b'A' };
    let Err(e) = owner.do_get(Ticket::new(altered)).await else { panic!("altered refused") };
    assert_eq!(code(&e), Code::Unauthenticated);
    let key =
        kura_flight::ticket::TicketKey::load_or_create(&app.state.config.data_dir.join("keys/flight-tickets.key"))
            .unwrap();
    let owner_actor =
        format!("user:{}", app.state.catalog.user_by_identity("local", "owner").await.unwrap().unwrap().id);
    let work = kura_flight::ticket::Work::Table {
        dataset: "ds-open".into(),
        version: 1,
        table: "t".into(),
        columns: None,
        filter: None,
        limit: None,
        row_groups: (0, 1),
    };
    let old = key.sign(&owner_actor, work.clone(), chrono::Utc::now().timestamp() - 3600);
    let Err(e) = owner.do_get(Ticket::new(old)).await else { panic!("expired refused") };
    assert_eq!(code(&e), Code::Unauthenticated);
    let fresh = key.sign(&owner_actor, work, chrono::Utc::now().timestamp());
    let batches: Vec<RecordBatch> = owner.do_get(Ticket::new(fresh)).await.unwrap().try_collect().await.unwrap();
    assert_eq!(rows(&batches), 3);

    // --- Audit: every DoGet is a data read on surface "flight" (above: the JWT read, two
    // commands, the fresh ticket).
    let log = app.ok("GET", "/audit?surface=flight&action=data.", &tokens["admin"], serde_json::Value::Null).await;
    let events = log["items"].as_array().expect("audit items");
    assert_eq!(events.len(), 4, "{log}");
    assert!(events.iter().all(|e| e["surface"] == "flight"));
    assert!(events.iter().any(|e| e["action"] == "data.flight"));

    // --- Flight SQL.
    let mut sql = FlightSqlServiceClient::new(app.channel().await);
    sql.set_token(tokens["partner"].clone());
    let info = sql
        .execute(
            r#"SELECT o.a, c.b FROM "ds-open".t o JOIN "ds-consortium".t c ON o.a = c.a WHERE o.a > 1 ORDER BY o.a"#
                .into(),
            None,
        )
        .await
        .expect("join of two readable tables");
    let batches = sql_read(&mut sql, &info).await;
    assert_eq!(rows(&batches), 2);
    let info = sql.execute(r#"SELECT count(*) AS n, sum(a) AS s FROM "ds-open"."v1_t""#.into(), None).await.unwrap();
    let batches = sql_read(&mut sql, &info).await;
    assert_eq!(batches[0].column(1).as_any().downcast_ref::<Int64Array>().unwrap().value(0), 6);
    for hidden in [r#"SELECT * FROM "ds-closed".t"#, r#"SELECT * FROM "ds-restricted".t"#] {
        let e = sql.execute(hidden.into(), None).await.unwrap_err();
        assert_eq!(code(&e), Code::NotFound, "{hidden}: {e:?}");
    }
    let e = sql.execute(r#"SELECT secret FROM "ds-open".t"#.into(), None).await.unwrap_err();
    assert_eq!(code(&e), Code::InvalidArgument, "masked column: {e:?}");
    for refused in [
        "CREATE TABLE x AS SELECT 1",
        "CREATE EXTERNAL TABLE x STORED AS CSV LOCATION '/etc/passwd'",
        r#"INSERT INTO "ds-open".t VALUES (1, 'a')"#,
        "COPY (SELECT 1) TO '/tmp/x.csv'",
        "SET datafusion.execution.batch_size = 1",
        r#"DROP TABLE "ds-open".t"#,
    ] {
        let e = sql.execute(refused.into(), None).await.unwrap_err();
        assert_eq!(code(&e), Code::InvalidArgument, "{refused}: {e:?}");
    }
    let mut prepared = sql.prepare(r#"SELECT a FROM "ds-open".t WHERE a < 3"#.into(), None).await.unwrap();
    let info = prepared.execute().await.unwrap();
    assert_eq!(rows(&sql_read(&mut sql, &info).await), 2);
    let info = sql.get_catalogs().await.unwrap();
    assert_eq!(rows(&sql_read(&mut sql, &info).await), 1);
    let info = sql
        .get_db_schemas(arrow_flight::sql::CommandGetDbSchemas { catalog: None, db_schema_filter_pattern: None })
        .await
        .unwrap();
    let schemas = sql_read(&mut sql, &info).await;
    assert_eq!(rows(&schemas), 2, "partner sees open and consortium only");
    let info = sql
        .get_tables(arrow_flight::sql::CommandGetTables {
            catalog: None,
            db_schema_filter_pattern: None,
            table_name_filter_pattern: None,
            table_types: vec![],
            include_schema: true,
        })
        .await
        .unwrap();
    assert_eq!(rows(&sql_read(&mut sql, &info).await), 4, "t and v1_t of two datasets");
    let info = sql.get_sql_info(vec![arrow_flight::sql::SqlInfo::FlightSqlServerName]).await.unwrap();
    assert_eq!(rows(&sql_read(&mut sql, &info).await), 1);

    // The owner's SQL sees masked columns; anonymous SQL sees only open data.
    let mut sql_owner = FlightSqlServiceClient::new(app.channel().await);
    sql_owner.set_token(tokens["owner"].clone());
    let info = sql_owner.execute(r#"SELECT secret FROM "ds-closed".t"#.into(), None).await.unwrap();
    assert_eq!(rows(&sql_read(&mut sql_owner, &info).await), 3);
    let mut anonymous = FlightSqlServiceClient::new(app.channel().await);
    let e = anonymous.execute(r#"SELECT * FROM "ds-consortium".t"#.into(), None).await.unwrap_err();
    assert_eq!(code(&e), Code::NotFound);
    // A statement ticket is bound to its principal too.
    let info = sql_owner.execute(r#"SELECT * FROM "ds-closed".t"#.into(), None).await.unwrap();
    let ticket = info.endpoint[0].ticket.clone().unwrap();
    let Err(e) = outsider.do_get(ticket).await else { panic!("statement ticket of another principal") };
    assert_eq!(code(&e), Code::PermissionDenied);
    let log = app.ok("GET", "/audit?surface=flight&action=data.sql", &tokens["admin"], serde_json::Value::Null).await;
    assert!(!log["items"].as_array().unwrap().is_empty(), "{log}");
}

async fn sql_read(
    client: &mut FlightSqlServiceClient<tonic::transport::Channel>,
    info: &FlightInfo,
) -> Vec<RecordBatch> {
    let mut out = Vec::new();
    for endpoint in &info.endpoint {
        let stream = client.do_get(endpoint.ticket.clone().unwrap()).await.expect("do_get");
        let batches: Vec<RecordBatch> = stream.try_collect().await.expect("batches");
        out.extend(batches);
    }
    out
}

/// Files the encoded-row-group cache holds.
fn cache_entries(dir: &std::path::Path) -> usize {
    let Ok(shards) = std::fs::read_dir(dir) else { return 0 };
    shards
        .flatten()
        .flat_map(|s| std::fs::read_dir(s.path()).into_iter().flatten().flatten())
        .filter(|e| e.path().extension().is_some_and(|x| x == "flight"))
        .count()
}

#[tokio::test]
async fn cached_reads_equal_the_first_and_keep_masked_columns_out() {
    let World { app, tokens, .. } = build_world().await;
    let cache = app.dir.path().join("data").join("cache").join("flight");
    let mut admin = app.flight_client(Some(&tokens["admin"])).await;
    let info = admin.get_flight_info(table("open")).await.unwrap();
    let first = read_all(&mut admin, &info).await.unwrap();
    let stored = cache_entries(&cache);
    assert!(stored >= 1, "the first whole read stores its row groups");
    let second = read_all(&mut admin, &info).await.unwrap();
    assert_eq!(first, second);
    assert!(first[0].schema().field_with_name("secret").is_ok());
    assert_eq!(cache_entries(&cache), stored, "the second read is served from the cache");

    // Another projection (the masked column removed) is another entry, never the admin's.
    let mut outsider = app.flight_client(Some(&tokens["outsider"])).await;
    let info = outsider.get_flight_info(table("open")).await.unwrap();
    for _ in 0..2 {
        let batches = read_all(&mut outsider, &info).await.unwrap();
        assert_eq!(rows(&batches), 3);
        assert!(batches[0].schema().field_with_name("secret").is_err());
    }
    assert!(cache_entries(&cache) > stored);

    // Filtered reads do not use the cache.
    let before = cache_entries(&cache);
    let cmd = serde_json::json!({"dataset": "ds-open", "table": "t", "columns": ["a"], "filter": "a >= 2"});
    let info = admin.get_flight_info(FlightDescriptor::new_cmd(cmd.to_string())).await.unwrap();
    assert_eq!(rows(&read_all(&mut admin, &info).await.unwrap()), 2);
    assert_eq!(cache_entries(&cache), before);
}
