//! Security issue 17: neither search relevance nor dataset creation tells a caller anything about
//! datasets they cannot see (another group's drafts and closed datasets).

mod common;

use common::{TestApp, spawn_app};
use reqwest::Method;
use serde_json::{Value, json};

async fn call(app: &TestApp, method: Method, path: &str, token: Option<&str>, body: Option<Value>) -> (u16, Value) {
    let mut request = app.client.request(method, app.url(path));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn ok(app: &TestApp, path: &str, token: &str, body: Value) -> Value {
    let (status, value) = call(app, Method::POST, path, Some(token), Some(body)).await;
    assert!(status < 300, "POST {path}: {status} {value}");
    value
}

/// Two groups, Lab A and Lab B, with one member each: (group ids, member tokens).
async fn two_labs(app: &TestApp) -> ([String; 2], [String; 2]) {
    let admin = app.token.clone();
    let org = ok(app, "/organizations", &admin, json!({"name": "Uni"})).await;
    let org_id = org["id"].as_str().unwrap();
    let mut groups = Vec::new();
    let mut tokens = Vec::new();
    for (lab, user) in [("Lab A", "alice"), ("Lab B", "bob")] {
        let group = ok(app, &format!("/organizations/{org_id}/groups"), &admin, json!({"name": lab})).await;
        let group_id = group["id"].as_str().unwrap().to_owned();
        let user = ok(app, "/users", &admin, json!({"username": user})).await;
        let user_id = user["id"].as_str().unwrap();
        let role = json!({"role": "steward"});
        let (status, _) =
            call(app, Method::PUT, &format!("/groups/{group_id}/members/{user_id}"), Some(&admin), Some(role)).await;
        assert_eq!(status, 204);
        let token = ok(app, &format!("/users/{user_id}/tokens"), &admin, json!({"name": "t", "scope": "write"})).await;
        groups.push(group_id);
        tokens.push(token["secret"].as_str().unwrap().to_owned());
    }
    (groups.try_into().unwrap(), tokens.try_into().unwrap())
}

async fn create(app: &TestApp, token: &str, group: &str, name: &str, description: &str) -> (u16, Value) {
    let body = json!({"name": name, "title": format!("Notes {name}"), "description": description, "group": group});
    call(app, Method::POST, "/datasets", Some(token), Some(body)).await
}

async fn search(app: &TestApp, token: &str, q: &str) -> Value {
    let response = app.client.get(app.url("/search")).query(&[("q", q)]).bearer_auth(token).send().await.unwrap();
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

#[tokio::test]
async fn another_groups_hidden_drafts_do_not_move_a_members_search_results() {
    let app = spawn_app().await;
    let ([lab_a, lab_b], [alice, bob]) = two_labs(&app).await;
    create(&app, &bob, &lab_b, "own-one", "alpha alpha alpha beta furnace").await;
    create(&app, &bob, &lab_b, "own-two", "alpha beta beta furnace").await;
    app.index_now().await;
    let before = search(&app, &bob, "alpha beta").await;
    assert_eq!(before["total"], 2, "{before}");

    for word in ["alpha", "beta"] {
        for n in 0..20 {
            let description = format!("{word} {word} closed notes {n}");
            let (status, _) = create(&app, &alice, &lab_a, &format!("hidden-{word}-{n}"), &description).await;
            assert_eq!(status, 201);
        }
        app.index_now().await;
        let after = search(&app, &bob, "alpha beta").await;
        assert_eq!(before, after, "Lab A's drafts full of {word:?} changed what Lab B sees");
    }
    assert!(before["hits"][0].get("score").is_none(), "no score is exposed: {before}");
}

#[tokio::test]
async fn a_hidden_datasets_name_is_as_free_as_any_and_both_stay_reachable() {
    let app = spawn_app().await;
    let ([lab_a, lab_b], [alice, bob]) = two_labs(&app).await;
    let (status, secret) = create(&app, &alice, &lab_a, "secret-spectra", "closed work").await;
    assert_eq!(status, 201);
    let secret_id = secret["dataset"]["id"].as_str().unwrap().to_owned();
    let (status, _) =
        call(&app, Method::PUT, "/datasets/secret-spectra/policy", Some(&alice), Some(json!({"level": "closed"})))
            .await;
    assert_eq!(status, 200);
    let (status, _) =
        call(&app, Method::POST, "/datasets/secret-spectra/draft/publish", Some(&alice), Some(json!({}))).await;
    assert_eq!(status, 200);

    // Bob gets the same answer for the closed dataset's name as for a free one.
    let (taken_status, taken) = create(&app, &bob, &lab_b, "secret-spectra", "mine").await;
    let (free_status, free) = create(&app, &bob, &lab_b, "free-name", "mine").await;
    assert_eq!((taken_status, free_status), (201, 201), "{taken} {free}");
    let keys = |v: &Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
    assert_eq!(keys(&taken), keys(&free));
    let bobs_id = taken["dataset"]["id"].as_str().unwrap().to_owned();
    assert_ne!(bobs_id, secret_id);
    // A name the caller can see is taken, as before.
    let (again, _) = create(&app, &bob, &lab_b, "secret-spectra", "twice").await;
    assert_eq!(again, 409);

    // Each owner reaches their own by name, and by id; neither sees the other's.
    let id_of = |v: &Value| v["id"].as_str().unwrap_or_default().to_owned();
    let (_, as_alice) = call(&app, Method::GET, "/datasets/secret-spectra", Some(&alice), None).await;
    assert_eq!(id_of(&as_alice), secret_id);
    let (_, as_bob) = call(&app, Method::GET, "/datasets/secret-spectra", Some(&bob), None).await;
    assert_eq!(id_of(&as_bob), bobs_id);
    let (status, _) = call(&app, Method::GET, &format!("/datasets/{secret_id}"), Some(&bob), None).await;
    assert_eq!(status, 404);
    let (_, by_id) = call(&app, Method::GET, &format!("/datasets/{bobs_id}/versions/latest"), Some(&bob), None).await;
    assert_eq!(by_id["state"], "draft");
    let (status, _) = call(&app, Method::GET, "/datasets/secret-spectra", None, None).await;
    assert_eq!(status, 404, "both are hidden from the public");

    // Once Bob's is published, the public reaches it by the name; Alice still reaches hers.
    let (status, _) =
        call(&app, Method::POST, "/datasets/secret-spectra/draft/publish", Some(&bob), Some(json!({}))).await;
    assert_eq!(status, 200);
    let (_, public) = call(&app, Method::GET, "/datasets/secret-spectra", None, None).await;
    assert_eq!(id_of(&public), bobs_id);
    let (_, as_alice) = call(&app, Method::GET, "/datasets/secret-spectra", Some(&alice), None).await;
    assert_eq!(id_of(&as_alice), secret_id);
    let (status, _) = call(&app, Method::GET, &format!("/datasets/{secret_id}"), Some(&app.token), None).await;
    assert_eq!(status, 200);
}
