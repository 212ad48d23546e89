//! Masked columns and statistics (security issue 17, items 1, 3 and 7): a caller who may not see
//! a masked column learns nothing about it — not its values through files, Parquet, rows,
//! exports or pages, nor its name through schemas, the policy or search — and statistics are
//! shown only to callers who may read the data.

mod common;

use common::readable::{parquet_columns, readable};
use common::{TestApp, spawn_app};
use serde_json::{Value, json};

/// The masked column's only value (a one-row table: its min and max are the value itself).
const SECRET: &str = "SECRET-7741";
/// The visible column's only value, to find statistics by.
const VISIBLE: &str = "98765.25";
const MASKED: &str = "secretcol";

/// A published dataset with one ingested one-row CSV whose column `secretcol` is masked, under
/// `policy`; returns the ids of the raw CSV and of the derived Parquet.
async fn masked_dataset(app: &TestApp, name: &str, policy: Value) -> (String, String) {
    app.create_dataset(name).await;
    let csv = format!("a,{MASKED}\n{VISIBLE},{SECRET}\n").into_bytes();
    assert_eq!(app.upload(name, vec![("t.csv", csv)]).await.status(), 201);
    assert_eq!(app.ingest(name).await["state"], "succeeded");
    let mut policy = policy;
    policy["masked_columns"] = json!([MASKED]);
    let r = app.put_policy(name, &policy).await;
    assert!(r.status().is_success(), "{}", r.text().await.unwrap());
    assert_eq!(app.publish(name).await.status(), 200);
    let files: Value = app.get_admin(&format!("/datasets/{name}/versions/1/files")).await.json().await.unwrap();
    let id = |role: &str| {
        files["items"].as_array().unwrap().iter().find(|f| f["role"] == role).unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    (id("raw"), id("derived"))
}

/// GET at `path` (`~` for the site root, else under `/api/v1`) with an optional token: status
/// and the body as searchable text (archives and Parquet decoded).
async fn get(app: &TestApp, path: &str, token: Option<&str>) -> (u16, String) {
    let url = match path.strip_prefix('~') {
        Some(root) => format!("{}{root}", app.base),
        None => app.url(path),
    };
    let mut request = app.client.get(url);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("request");
    let status = response.status().as_u16();
    (status, readable(&response.bytes().await.unwrap()))
}

async fn get_bytes(app: &TestApp, path: &str, token: Option<&str>) -> Vec<u8> {
    let mut request = app.client.get(app.url(path));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("request");
    assert_eq!(response.status(), 200, "{path}");
    response.bytes().await.unwrap().to_vec()
}

fn assert_no_masked(what: &str, body: &str) {
    for secret in [SECRET, MASKED] {
        assert!(!body.contains(secret), "{what} shows {secret:?}: {}", body.chars().take(600).collect::<String>());
    }
}

/// A user holding an unexpired grant on `dataset`; returns the user's API token.
async fn grant_holder(app: &TestApp, dataset: &str) -> String {
    let user: Value = app.post_admin("/users", json!({"username": "grantee"})).await.json().await.unwrap();
    let user_id = user["id"].as_str().unwrap();
    let token: Value = app
        .post_admin(&format!("/users/{user_id}/tokens"), json!({"name": "t", "scope": "write"}))
        .await
        .json()
        .await
        .unwrap();
    let token = token["secret"].as_str().unwrap().to_owned();
    let r = app
        .client
        .post(app.url(&format!("/datasets/{dataset}/access-requests")))
        .bearer_auth(&token)
        .json(&json!({"reason": "research"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let request: Value = r.json().await.unwrap();
    let expires_at = (chrono::Utc::now() + chrono::Duration::days(1)).to_rfc3339();
    let answer = app
        .post_admin(
            &format!("/datasets/{dataset}/access-requests/{}", request["id"].as_str().unwrap()),
            json!({"decision": "approve", "expires_at": expires_at}),
        )
        .await;
    assert_eq!(answer.status(), 200, "{}", answer.text().await.unwrap());
    token
}

#[tokio::test]
async fn files_holding_a_masked_column_are_withheld_and_exports_leave_it_out() {
    let app = spawn_app().await;
    let (raw, derived) = masked_dataset(&app, "m-files", json!({"level": "open"})).await;
    let admin = Some(app.token.as_str());

    // The list: the raw CSV and the derived Parquet both hold the column, so neither is listed.
    let (status, body) = get(&app, "/datasets/m-files/versions/1/files", None).await;
    assert_eq!(status, 200);
    let list: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(list["total"], 0, "{list}");
    for id in [&raw, &derived] {
        assert!(!body.contains(id.as_str()), "the list names a withheld file: {body}");
    }
    let (_, body) = get(&app, "/datasets/m-files/versions/1/files", admin).await;
    assert_eq!(serde_json::from_str::<Value>(&body).unwrap()["total"], 2);

    // Downloads answer exactly as for a file that does not exist.
    let absent = get(&app, &format!("/datasets/m-files/versions/1/files/{}/content", uuid::Uuid::now_v7()), None).await;
    assert_eq!(absent.0, 404);
    for id in [&raw, &derived] {
        let path = format!("/datasets/m-files/versions/1/files/{id}/content");
        assert_eq!(get(&app, &path, None).await, absent, "{path}");
        let (status, body) = get(&app, &path, admin).await;
        assert_eq!(status, 200);
        assert!(body.contains(SECRET), "the owner side gets the whole file");
    }

    // The table's Parquet is re-encoded without the column; the owner side gets it whole.
    let parquet = get_bytes(&app, "/datasets/m-files/versions/1/tables/t/parquet", None).await;
    assert_eq!(parquet_columns(&parquet), ["a"]);
    assert_no_masked("the Parquet", &readable(&parquet));
    let parquet = get_bytes(&app, "/datasets/m-files/versions/1/tables/t/parquet", admin).await;
    assert_eq!(parquet_columns(&parquet), ["a", MASKED]);

    // The .eln export packs neither file, nor names the column in its metadata.
    let (status, eln) = get(&app, "~/datasets/m-files/1/export.eln", None).await;
    assert_eq!(status, 200);
    assert!(eln.contains("ro-crate-metadata.json"));
    assert_no_masked("the .eln export", &eln);
    let (_, eln) = get(&app, "~/datasets/m-files/1/export.eln", admin).await;
    assert!(eln.contains(SECRET) && eln.contains(MASKED), "the owner side exports everything");

    // Landing page, its documents and the linkset neither link the files nor name the column.
    for path in [
        "~/datasets/m-files/1",
        "~/datasets/m-files/1/metadata.jsonld",
        "~/datasets/m-files/1/metadata.ttl",
        "~/datasets/m-files/1/datacite.xml",
        "~/datasets/m-files/1/linkset",
    ] {
        let (status, body) = get(&app, path, None).await;
        assert_eq!(status, 200, "{path}");
        assert_no_masked(path, &body);
        assert!(!body.contains(raw.as_str()), "{path} links the withheld raw file");
        assert!(body.contains(VISIBLE) || !path.ends_with("/1"), "{path}: the preview shows the visible column");
    }
}

#[tokio::test]
async fn rows_schemas_policy_and_search_say_nothing_of_masked_columns() {
    let app = spawn_app().await;
    masked_dataset(&app, "m-rows", json!({"level": "open"})).await;
    let admin = Some(app.token.as_str());

    // Rows without `columns=` are the visible columns.
    let (status, body) = get(&app, "/datasets/m-rows/versions/1/tables/t/rows", None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(serde_json::from_str::<Value>(&body).unwrap(), json!([{"a": 98765.25}]));
    let (_, body) = get(&app, "/datasets/m-rows/versions/1/tables/t/rows", admin).await;
    assert!(body.contains(SECRET));

    // Naming the masked column answers exactly like naming a column that does not exist.
    let masked = get(&app, &format!("/datasets/m-rows/versions/1/tables/t/rows?columns=a,{MASKED}"), None).await;
    let absent = get(&app, "/datasets/m-rows/versions/1/tables/t/rows?columns=a,nosuchcol", None).await;
    assert_eq!(absent.0, 400);
    assert_eq!(masked, (absent.0, absent.1.replace("nosuchcol", MASKED)));

    // Schemas and the policy.
    for path in
        ["/datasets/m-rows/versions/1/tables", "/datasets/m-rows/versions/1/tables/t", "/datasets/m-rows/policy"]
    {
        let (status, body) = get(&app, path, None).await;
        assert_eq!(status, 200, "{path}");
        assert_no_masked(path, &body);
        let (_, body) = get(&app, path, admin).await;
        assert!(body.contains(MASKED), "the owner side sees the masked column in {path}");
    }
    let (_, policy) = get(&app, "/datasets/m-rows/policy", None).await;
    assert_eq!(serde_json::from_str::<Value>(&policy).unwrap()["masked_columns"], json!([]));

    // Search does not index masked column names.
    app.index_now().await;
    let (_, hits) = get(&app, &format!("/search?q={MASKED}"), None).await;
    assert_eq!(serde_json::from_str::<Value>(&hits).unwrap()["total"], 0, "{hits}");
    let (_, hits) = get(&app, "/search?q=a", None).await;
    assert_no_masked("search", &hits);
}

#[tokio::test]
async fn statistics_are_shown_only_to_callers_who_may_read_the_data() {
    let app = spawn_app().await;
    masked_dataset(&app, "m-open", json!({"level": "open"})).await;
    masked_dataset(&app, "m-embargo", json!({"level": "embargoed", "until": "2999-01-01T00:00:00Z"})).await;
    let (raw, _) = masked_dataset(&app, "m-restricted", json!({"level": "restricted"})).await;
    let grantee = grant_holder(&app, "m-restricted").await;

    let stats = |body: &str| serde_json::from_str::<Value>(body).unwrap()["columns"][0]["statistics"].clone();
    for name in ["m-embargo", "m-restricted"] {
        for path in [format!("/datasets/{name}/versions/1/tables/t"), format!("/datasets/{name}/versions/1/tables")] {
            let (status, body) = get(&app, &path, None).await;
            assert_eq!(status, 200, "{path}");
            assert!(!body.contains("98765"), "{path} shows the data's statistics to an anonymous caller: {body}");
            assert_no_masked(&path, &body);
        }
        // Schema, units and row count stay public.
        let (_, body) = get(&app, &format!("/datasets/{name}/versions/1/tables/t"), None).await;
        let table: Value = serde_json::from_str(&body).unwrap();
        assert_eq!((table["row_count"].clone(), table["columns"][0]["name"].clone()), (json!(1), json!("a")));
        assert_eq!(stats(&body), Value::Null);
        let (_, body) = get(&app, &format!("/datasets/{name}/versions/1/tables/t"), Some(&app.token)).await;
        assert_eq!(stats(&body)["max"], 98765.25, "{body}");
    }
    let (_, body) = get(&app, "/datasets/m-open/versions/1/tables/t", None).await;
    assert_eq!(stats(&body)["max"], 98765.25, "statistics of open data are public: {body}");

    // A grant holder reads the data and its statistics, but not the masked column: not its
    // values, its statistics, its raw file nor its place in the export.
    let grantee = Some(grantee.as_str());
    let (_, body) = get(&app, "/datasets/m-restricted/versions/1/tables/t", grantee).await;
    assert_eq!(stats(&body)["max"], 98765.25, "{body}");
    assert_no_masked("the table for a grant holder", &body);
    let (status, body) = get(&app, "/datasets/m-restricted/versions/1/files", grantee).await;
    assert_eq!(status, 200);
    assert!(!body.contains(raw.as_str()), "a grant holder sees the raw file in the list: {body}");
    let (status, _) = get(&app, &format!("/datasets/m-restricted/versions/1/files/{raw}/content"), grantee).await;
    assert_eq!(status, 404);
    for path in [
        "/datasets/m-restricted/versions/1/tables/t/rows",
        "/datasets/m-restricted/versions/1/tables/t/parquet",
        "~/datasets/m-restricted/1/export.eln",
        "~/datasets/m-restricted/1",
    ] {
        let (status, body) = get(&app, path, grantee).await;
        assert_eq!(status, 200, "{path}: {body}");
        assert_no_masked(path, &body);
        assert!(body.contains(VISIBLE) || path.ends_with("export.eln"), "{path} shows the visible column");
    }
}
