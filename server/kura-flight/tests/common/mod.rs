//! A real Kura — REST and Flight, as `kura serve` runs them — from the shared fixture
//! (`kura-testkit`), and a small world of datasets at every access level built through the REST
//! API, each with a table of integers for Flight's commands and SQL.

#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::json;

pub use kura_testkit::TestApp;

pub const PASSWORD: &str = "correct horse battery staple";

pub async fn spawn_app() -> TestApp {
    spawn_app_with(kura_testkit::roomy_sql_limits()).await
}

/// Like [`spawn_app`], with SQL limits of the test's choosing.
pub async fn spawn_app_with(limits: kura_flight::SqlLimits) -> TestApp {
    kura_testkit::spawn_with_flight(limits).await
}

/// Actors of the world, and the datasets: one per level, each with a table `t` of three rows
/// (`a` integer 1..3, `b` text, `secret` masked).
pub struct World {
    pub app: TestApp,
    pub tokens: HashMap<&'static str, String>,
    pub users: HashMap<&'static str, String>,
}

pub const LEVELS: [&str; 5] = ["open", "closed", "restricted", "consortium", "embargoed"];

pub async fn build_world() -> World {
    let app = spawn_app().await;
    let admin = app.token.clone();
    let org = app.ok("POST", "/organizations", &admin, json!({"name": "Uni A"})).await;
    let org_id = org["id"].as_str().unwrap().to_owned();
    let owner = app.ok("POST", &format!("/organizations/{org_id}/groups"), &admin, json!({"name": "Lab A"})).await;
    let partner = app.ok("POST", &format!("/organizations/{org_id}/groups"), &admin, json!({"name": "Lab B"})).await;
    let owner_id = owner["id"].as_str().unwrap().to_owned();
    let partner_id = partner["id"].as_str().unwrap().to_owned();
    let mut tokens = HashMap::new();
    let mut users = HashMap::new();
    for actor in ["outsider", "owner", "partner"] {
        let user = app.ok("POST", "/users", &admin, json!({"username": actor, "password": PASSWORD})).await;
        let id = user["id"].as_str().unwrap().to_owned();
        let token =
            app.ok("POST", &format!("/users/{id}/tokens"), &admin, json!({"name": "t", "scope": "write"})).await;
        tokens.insert(actor, token["secret"].as_str().unwrap().to_owned());
        users.insert(actor, id);
    }
    tokens.insert("admin", admin.clone());
    let (s, _) = app
        .call("PUT", &format!("/groups/{owner_id}/members/{}", users["owner"]), &admin, json!({"role": "steward"}))
        .await;
    assert_eq!(s, 204);
    let (s, _) = app
        .call("PUT", &format!("/groups/{partner_id}/members/{}", users["partner"]), &admin, json!({"role": "member"}))
        .await;
    assert_eq!(s, 204);
    let consortium = app.ok("POST", "/consortia", &admin, json!({"name": "C1", "terms": "share"})).await;
    let consortium_id = consortium["id"].as_str().unwrap().to_owned();
    let (s, _) =
        app.call("POST", &format!("/consortia/{consortium_id}/members"), &admin, json!({"group": partner_id})).await;
    assert_eq!(s, 204);
    app.ok("POST", &format!("/consortia/{consortium_id}/accept"), &tokens["partner"], json!({})).await;

    let steward = tokens["owner"].clone();
    for level in LEVELS {
        let name = format!("ds-{level}");
        app.ok("POST", "/datasets", &steward, json!({"name": name, "title": format!("T {level}"), "group": owner_id}))
            .await;
        let csv = format!("a,b,secret\n1,{level},s1\n2,x,s2\n3,y,s3\n").into_bytes();
        let form =
            reqwest::multipart::Form::new().part("file", reqwest::multipart::Part::bytes(csv).file_name("t.csv"));
        let upload = app
            .client
            .post(app.url(&format!("/datasets/{name}/draft/files")))
            .bearer_auth(&steward)
            .multipart(form)
            .send()
            .await
            .unwrap();
        assert_eq!(upload.status(), 201);
        let job = app.ok("POST", &format!("/datasets/{name}/draft/ingest"), &steward, json!({})).await;
        assert_eq!(app.wait_for_job(&job).await["state"], "succeeded");
        let mut policy = match level {
            "embargoed" => json!({"level": "embargoed", "until": "2999-01-01T00:00:00Z"}),
            "consortium" => json!({"level": "consortium", "consortia": [consortium_id]}),
            other => json!({"level": other}),
        };
        policy["masked_columns"] = json!(["secret"]);
        app.ok("PUT", &format!("/datasets/{name}/policy"), &steward, policy).await;
        app.ok("POST", &format!("/datasets/{name}/draft/publish"), &steward, json!({})).await;
    }
    World { app, tokens, users }
}

pub fn shared<T>(t: T) -> Arc<T> {
    Arc::new(t)
}
