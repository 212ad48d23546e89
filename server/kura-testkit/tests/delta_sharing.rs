//! Delta Sharing on the authorization matrix's world: shares, schemas and tables per actor, 404
//! for what an actor may not read, the NDJSON answers, masked columns absent from the served
//! Parquet and its schema, refused expired or altered file URLs, sharing profiles (read tokens)
//! that query, and downloads audited.

use kura_federation::delta_sharing::signed::{FileClaims, UrlKey};
use kura_testkit::readable::{parquet_columns, readable};
use kura_testkit::world::{ACTORS, LEVELS, MASKED_COLUMN, MASKED_VALUE, World, build_world};
use serde_json::{Value, json};

/// The levels whose data `actor` may read (the matrix's data letter).
fn reads(actor: &str, level: &str) -> bool {
    match actor {
        "owner_member" | "steward" | "admin" | "read_only_steward" => true,
        "consortium_accepted" | "partner_member" if level == "consortium" => true,
        "grant_holder" if level == "restricted" => true,
        _ => matches!(level, "open" | "embargo_lifted"),
    }
}

/// GET `/delta-sharing{path}` as `actor`: status, headers and body.
async fn get(world: &World, actor: &str, path: &str) -> (u16, reqwest::header::HeaderMap, String) {
    let mut request = world.app.client.get(format!("{}/delta-sharing{path}", world.app.base));
    if let Some(token) = world.token(actor) {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("request");
    (response.status().as_u16(), response.headers().clone(), response.text().await.unwrap())
}

/// A query of `ds-{level}`'s table as the holder of `token`: status, version header, lines.
async fn query(world: &World, token: Option<&str>, share: &str, level: &str, body: Value) -> (u16, String, Vec<Value>) {
    let url = format!("{}/delta-sharing/shares/{share}/schemas/ds-{level}/tables/t/query", world.app.base);
    let mut request = world.app.client.post(url).json(&body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("query");
    let status = response.status().as_u16();
    let version =
        response.headers().get("delta-table-version").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
    let text = response.text().await.unwrap();
    let lines = if status == 200 {
        text.lines().map(|l| serde_json::from_str(l).expect("NDJSON")).collect()
    } else {
        vec![json!(text)]
    };
    (status, version, lines)
}

fn names(body: &str, key: &str) -> Vec<String> {
    let listing: Value = serde_json::from_str(body).expect("a JSON list");
    listing["items"].as_array().unwrap().iter().map(|i| i[key].as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn delta_sharing_serves_what_each_actor_may_read_and_nothing_else() {
    let world = build_world().await;
    let app = &world.app;

    // Shares, schemas and tables, per actor.
    for actor in ACTORS {
        let (status, _, body) = get(&world, actor, "/shares").await;
        assert_eq!(status, 200, "{actor}: {body}");
        let mut want = vec!["Lab A".to_owned()];
        if reads(actor, "consortium") {
            want.insert(0, "C1".to_owned());
        }
        assert_eq!(names(&body, "name"), want, "{actor}'s shares");

        let readable: Vec<String> = LEVELS.iter().filter(|l| reads(actor, l)).map(|l| format!("ds-{l}")).collect();
        let (status, _, body) = get(&world, actor, "/shares/Lab%20A/schemas").await;
        assert_eq!(status, 200);
        let mut want = readable.clone();
        want.sort();
        assert_eq!(names(&body, "name"), want, "{actor}'s schemas");
        let (_, _, body) = get(&world, actor, "/shares/Lab%20A/all-tables").await;
        assert_eq!(names(&body, "schema"), want, "{actor}'s tables");
        assert!(names(&body, "name").iter().all(|t| t == "t"));

        for level in LEVELS {
            let (status, _, body) = get(&world, actor, &format!("/shares/Lab%20A/schemas/ds-{level}/tables")).await;
            if reads(actor, level) {
                assert_eq!(status, 200, "{actor} {level}: {body}");
                assert_eq!(names(&body, "name"), vec!["t"]);
            } else {
                assert_eq!(status, 404, "{actor} {level}: {body}");
                let error: Value = serde_json::from_str(&body).unwrap();
                assert_eq!(error["errorCode"], "RESOURCE_DOES_NOT_EXIST");
                assert!(!body.contains(&world.datasets[level].id), "{actor}: a refusal names the dataset");
            }
        }
        let (status, _, _) = get(&world, actor, "/shares/C1").await;
        assert_eq!(status, if reads(actor, "consortium") { 200 } else { 404 }, "{actor}: share C1");
    }
    assert_eq!(get(&world, "outsider", "/shares/No%20such").await.0, 404);
    assert_eq!(get(&world, "outsider", "/shares/Lab%20A/schemas/ds-open/tables/nope/metadata").await.0, 404);
    // The consortium's share holds the consortium's dataset only.
    let (_, _, body) = get(&world, "consortium_accepted", "/shares/C1/all-tables").await;
    assert_eq!(names(&body, "schema"), vec!["ds-consortium"]);
    let (_, _, body) = get(&world, "outsider", "/shares?maxResults=1").await;
    let page: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(page["items"].as_array().unwrap().len(), 1);

    // Version and metadata, as the protocol shapes them; the schema omits hidden columns.
    let (status, headers, _) = get(&world, "outsider", "/shares/Lab%20A/schemas/ds-open/tables/t/version").await;
    assert_eq!((status, headers["delta-table-version"].to_str().unwrap()), (200, "1"));
    for (actor, masked) in [("outsider", false), ("owner_member", true)] {
        let (status, headers, body) = get(&world, actor, "/shares/Lab%20A/schemas/ds-open/tables/t/metadata").await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(headers["delta-table-version"], "1");
        assert_eq!(headers["delta-sharing-capabilities"], "responseformat=parquet");
        assert!(headers["content-type"].to_str().unwrap().starts_with("application/x-ndjson"));
        let lines: Vec<Value> = body.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0], json!({"protocol": {"minReaderVersion": 1}}));
        let meta = &lines[1]["metaData"];
        assert_eq!(meta["format"]["provider"], "parquet");
        assert_eq!(meta["partitionColumns"], json!([]));
        let schema: Value = serde_json::from_str(meta["schemaString"].as_str().unwrap()).unwrap();
        assert_eq!(schema["type"], "struct");
        let fields: Vec<&str> =
            schema["fields"].as_array().unwrap().iter().map(|f| f["name"].as_str().unwrap()).collect();
        assert_eq!(fields.contains(&MASKED_COLUMN), masked, "{actor}: {fields:?}");
        assert_eq!(schema["fields"][0]["type"], "double", "{schema}");
    }

    // Queries: a file line with a signed URL; the Parquet served lacks what the caller may not see.
    for (actor, masked) in [("outsider", false), ("owner_member", true), ("read_only_steward", true)] {
        let (status, version, lines) =
            query(&world, world.token(actor), "Lab%20A", "open", json!({"limitHint": 1})).await;
        assert_eq!(status, 200, "{actor}: {lines:?}");
        assert_eq!(version, "1");
        assert_eq!(lines.len(), 3);
        let file = &lines[2]["file"];
        assert_eq!(file["partitionValues"], json!({}));
        let expires = file["expirationTimestamp"].as_i64().unwrap();
        let now = chrono::Utc::now().timestamp_millis();
        assert!(expires > now && expires <= now + 901_000, "{expires}");
        let stats: Value = serde_json::from_str(file["stats"].as_str().unwrap()).unwrap();
        assert_eq!(stats["numRecords"], 2);
        let url = file["url"].as_str().unwrap();
        assert!(url.starts_with(&format!("{}/delta-sharing/files/", app.base)));
        let response = app.client.get(url).send().await.unwrap();
        assert_eq!(response.status(), 200);
        let bytes = response.bytes().await.unwrap();
        assert_eq!(bytes.len() as i64, file["size"].as_i64().unwrap(), "the size a query reports is the size served");
        let columns = parquet_columns(&bytes);
        assert_eq!(columns.contains(&MASKED_COLUMN.to_owned()), masked, "{actor}: {columns:?}");
        assert_eq!(readable(&bytes).contains(MASKED_VALUE), masked, "{actor}: the masked values");
        // Ranges, as clients read footers, and HEAD.
        let part = app.client.get(url).header("range", "bytes=0-3").send().await.unwrap();
        assert_eq!(part.status(), 206);
        assert_eq!(&part.bytes().await.unwrap()[..], b"PAR1");
        let tail = app.client.get(url).header("range", "bytes=-4").send().await.unwrap();
        assert_eq!(&tail.bytes().await.unwrap()[..], b"PAR1");
        let head = app.client.head(url).send().await.unwrap();
        assert_eq!(head.headers()["content-length"].to_str().unwrap(), bytes.len().to_string());
    }

    // A table the caller may not read: 404, as if it did not exist.
    let (status, _, lines) = query(&world, world.token("outsider"), "Lab%20A", "closed", json!({})).await;
    assert_eq!(status, 404, "{lines:?}");
    let (status, _, lines) = query(&world, None, "Lab%20A", "open", json!({})).await;
    assert_eq!(status, 200, "open data is open to anonymous sharing clients too");
    let response = app.client.get(lines[2]["file"]["url"].as_str().unwrap()).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(!parquet_columns(&response.bytes().await.unwrap()).contains(&MASKED_COLUMN.to_owned()));
    // An admin token's URL acts as the admin again.
    let (_, _, lines) = query(&world, Some(&app.token), "Lab%20A", "closed", json!({})).await;
    let response = app.client.get(lines[2]["file"]["url"].as_str().unwrap()).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(readable(&response.bytes().await.unwrap()).contains(MASKED_VALUE));
    let (status, _, _) =
        query(&world, world.token("outsider"), "Lab%20A", "open", json!({"timestamp": "2026-01-01T00:00:00Z"})).await;
    assert_eq!(status, 400);

    // Altered and expired URLs are refused, saying which; a fresh query gives a new one.
    let (_, _, lines) = query(&world, world.token("outsider"), "Lab%20A", "open", json!({})).await;
    let url = lines[2]["file"]["url"].as_str().unwrap().to_owned();
    let mut altered = url.clone().into_bytes();
    let at = altered.len() - 50;
    altered[at] = if altered[at] == b'A' { b'B' } else { b'A' };
    let response = app.client.get(String::from_utf8(altered).unwrap()).send().await.unwrap();
    assert_eq!(response.status(), 403);
    let error: Value = response.json().await.unwrap();
    assert_eq!(error["errorCode"], "PERMISSION_DENIED");
    assert!(error["message"].as_str().unwrap().contains("invalid file URL"), "{error}");

    let key = UrlKey::load_or_create(&app.state.config.data_dir.join("keys/delta-sharing-urls.key")).unwrap();
    let open = &world.datasets["open"];
    let files = app.ok("GET", "/datasets/ds-open/versions/1/files", &app.token, Value::Null).await;
    let derived = files["items"].as_array().unwrap().iter().find(|f| f["id"] == json!(open.derived_file)).unwrap();
    let object = derived["sha256"].as_str().unwrap().to_owned();
    let claims = |expires_ms| FileClaims {
        actor: world.principal("outsider"),
        user: Some(world.users["outsider"].parse().unwrap()),
        admin: false,
        dataset: open.id.parse().unwrap(),
        version: 1,
        table: "t".into(),
        object: object.clone(),
        expires_ms,
        fed: None,
    };
    let base = format!("{}/delta-sharing/files/", app.base);
    let expired = format!("{base}{}", key.sign(&claims(chrono::Utc::now().timestamp_millis() - 1)));
    let response = app.client.get(expired).send().await.unwrap();
    assert_eq!(response.status(), 403);
    let error: Value = response.json().await.unwrap();
    assert!(error["message"].as_str().unwrap().contains("expired"), "{error}");
    let fresh = format!("{base}{}", key.sign(&claims(chrono::Utc::now().timestamp_millis() + 60_000)));
    assert_eq!(app.client.get(&fresh).send().await.unwrap().status(), 200);
    let (_, _, again) = query(&world, world.token("outsider"), "Lab%20A", "open", json!({})).await;
    assert_ne!(again[2]["file"]["url"], json!(url), "a fresh query gives a new URL");
    // A URL is decided again at download: one naming a table its caller may not read is refused.
    let closed = &world.datasets["closed"];
    let foreign =
        FileClaims { dataset: closed.id.parse().unwrap(), ..claims(chrono::Utc::now().timestamp_millis() + 60_000) };
    let response = app.client.get(format!("{base}{}", key.sign(&foreign))).send().await.unwrap();
    assert_eq!(response.status(), 404);

    // Profiles: a read token of the caller, which queries and mints nothing wider.
    let (status, profile) =
        app.call("POST", "/me/delta-sharing-profile", &world.tokens["outsider"], json!({"expires_in_days": 7})).await;
    assert_eq!(status, 200, "{profile}");
    assert_eq!(profile["shareCredentialsVersion"], 1);
    assert_eq!(profile["endpoint"], format!("{}/delta-sharing", app.base));
    let token = profile["bearerToken"].as_str().unwrap();
    let expires = chrono::DateTime::parse_from_rfc3339(profile["expirationTime"].as_str().unwrap()).unwrap();
    assert!((expires.to_utc() - chrono::Utc::now() - chrono::Duration::days(7)).num_minutes().abs() < 2);
    let (status, _, lines) = query(&world, Some(token), "Lab%20A", "open", json!({})).await;
    assert_eq!(status, 200, "{lines:?}");
    let (status, _) = app.call("POST", "/datasets/ds-open/draft", token, json!({})).await;
    assert_eq!(status, 403, "a profile's token is read-only");
    let (status, _) = app.call("POST", "/me/delta-sharing-profile", token, json!({})).await;
    assert_eq!(status, 403, "a read token mints no token");
    let (status, _) =
        app.call("POST", "/me/delta-sharing-profile", &world.tokens["outsider"], json!({"expires_in_days": 400})).await;
    assert_eq!(status, 400);
    let tokens = app.ok("GET", "/me/tokens", &world.tokens["outsider"], Value::Null).await;
    assert!(tokens.as_array().unwrap().iter().any(|t| t["scope"] == "read"), "{tokens}");

    // Downloads are audited as Delta Sharing reads.
    let audit = app.ok("GET", &format!("/audit?dataset_id={}&limit=500", open.id), &app.token, Value::Null).await;
    let text = audit.to_string();
    assert!(text.contains("delta-sharing"), "{text}");
}
