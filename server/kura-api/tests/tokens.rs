//! API tokens: scopes, expiry, revocation, disabled users, and what the caller sees of itself.

mod common;

use common::spawn_app;
use serde_json::{Value, json};

async fn new_user(app: &common::TestApp, name: &str) -> String {
    let user: Value = app.post_admin("/users", json!({"username": name})).await.json().await.unwrap();
    user["id"].as_str().unwrap().to_owned()
}

async fn token(app: &common::TestApp, user: &str, body: Value) -> reqwest::Response {
    app.post_admin(&format!("/users/{user}/tokens"), body).await
}

#[tokio::test]
async fn revoked_expired_and_disabled_credentials_are_refused() {
    let app = spawn_app().await;
    let user = new_user(&app, "uma").await;
    let created: Value = token(&app, &user, json!({"name": "laptop", "scope": "write"})).await.json().await.unwrap();
    let secret = created["secret"].as_str().unwrap().to_owned();
    let me: Value = app.client.get(app.url("/me")).bearer_auth(&secret).send().await.unwrap().json().await.unwrap();
    assert_eq!(me["user_id"], user.as_str());
    assert_eq!(me["can_write"], true);

    let listed: Value =
        app.client.get(app.url("/me/tokens")).bearer_auth(&secret).send().await.unwrap().json().await.unwrap();
    assert_eq!(listed[0]["name"], "laptop");
    assert!(listed[0]["last_used_at"].is_string(), "use is recorded");
    assert!(listed[0].get("token_hash").is_none(), "hashes never leave the server");

    // Revoked: refused at once.
    let other: Value = token(&app, &user, json!({"name": "old", "scope": "read"})).await.json().await.unwrap();
    let other_secret = other["secret"].as_str().unwrap().to_owned();
    let id = other["token"]["id"].as_str().unwrap();
    let revoked = app.client.delete(app.url(&format!("/me/tokens/{id}"))).bearer_auth(&secret).send().await.unwrap();
    assert_eq!(revoked.status(), 204);
    assert_eq!(app.client.get(app.url("/me")).bearer_auth(&other_secret).send().await.unwrap().status(), 401);

    // Expiry in the past is refused at creation; a token past its expiry is refused on use.
    let past = token(&app, &user, json!({"name": "x", "scope": "read", "expires_at": "2000-01-01T00:00:00Z"})).await;
    assert_eq!(past.status(), 400);
    let soon = (chrono::Utc::now() + chrono::Duration::milliseconds(800)).to_rfc3339();
    let short: Value =
        token(&app, &user, json!({"name": "short", "scope": "read", "expires_at": soon})).await.json().await.unwrap();
    let short_secret = short["secret"].as_str().unwrap().to_owned();
    assert_eq!(app.client.get(app.url("/me")).bearer_auth(&short_secret).send().await.unwrap().status(), 200);
    tokio::time::sleep(std::time::Duration::from_millis(1000)).await;
    assert_eq!(app.client.get(app.url("/me")).bearer_auth(&short_secret).send().await.unwrap().status(), 401);

    // A disabled user's tokens stop working.
    let disabled = app.post_admin(&format!("/users/{user}/disable"), json!({})).await;
    assert_eq!(disabled.status(), 204);
    let refused = app.client.get(app.url("/me")).bearer_auth(&secret).send().await.unwrap();
    assert_eq!(refused.status(), 401);
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["error"]["message"], "this account is disabled");

    let bad_scope = token(&app, &new_user(&app, "vic").await, json!({"name": "x", "scope": "root"})).await;
    assert_eq!(bad_scope.status(), 400);
}

#[tokio::test]
async fn read_only_tokens_read_but_change_nothing() {
    let app = spawn_app().await;
    let org: Value = app.post_admin("/organizations", json!({"name": "Org"})).await.json().await.unwrap();
    let group: Value = app
        .post_admin(&format!("/organizations/{}/groups", org["id"].as_str().unwrap()), json!({"name": "G"}))
        .await
        .json()
        .await
        .unwrap();
    let group_id = group["id"].as_str().unwrap();
    let user = new_user(&app, "rita").await;
    let role = app
        .client
        .put(app.url(&format!("/groups/{group_id}/members/{user}")))
        .bearer_auth(&app.token)
        .json(&json!({"role": "steward"}))
        .send()
        .await
        .unwrap();
    assert_eq!(role.status(), 204);
    let ro: Value = token(&app, &user, json!({"name": "ro", "scope": "read"})).await.json().await.unwrap();
    let ro = ro["secret"].as_str().unwrap().to_owned();
    let create = app
        .client
        .post(app.url("/datasets"))
        .bearer_auth(&ro)
        .json(&json!({"name": "d", "group": group_id}))
        .send()
        .await
        .unwrap();
    assert_eq!(create.status(), 403);
    let rw: Value = token(&app, &user, json!({"name": "rw", "scope": "write"})).await.json().await.unwrap();
    let rw = rw["secret"].as_str().unwrap().to_owned();
    let create = app
        .client
        .post(app.url("/datasets"))
        .bearer_auth(&rw)
        .json(&json!({"name": "d", "group": group_id}))
        .send()
        .await
        .unwrap();
    assert_eq!(create.status(), 201);
    let draft = app.client.get(app.url("/datasets/d")).bearer_auth(&ro).send().await.unwrap();
    assert_eq!(draft.status(), 200, "a read-only token of the owner group still sees the draft");
    let elsewhere = app
        .client
        .post(app.url("/datasets"))
        .bearer_auth(&rw)
        .json(&json!({"name": "e", "group": uuid::Uuid::new_v4()}))
        .send()
        .await
        .unwrap();
    assert_eq!(elsewhere.status(), 403, "only members create datasets for a group");
}
