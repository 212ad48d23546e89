//! Datasets, versions, writes that need a token, drafts hidden from the public, paging.

mod common;

use std::sync::atomic::Ordering;

use common::spawn_app;
use serde_json::{Value, json};

#[tokio::test]
async fn health_reports_the_catalog_backend() {
    let app = spawn_app().await;
    let body: Value = app.get("/health").await.json().await.unwrap();
    assert_eq!(body["status"], "ok");
    let expected = if std::env::var("KURA_TEST_DATABASE_URL").is_ok_and(|u| u.starts_with("postgres")) {
        "postgres"
    } else {
        "sqlite"
    };
    assert_eq!(body["database"], expected);
}

#[tokio::test]
async fn writes_need_a_valid_admin_token() {
    let app = spawn_app().await;
    let anonymous = app.client.post(app.url("/datasets")).json(&json!({"name": "x"})).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);
    let wrong = app
        .client
        .post(app.url("/datasets"))
        .bearer_auth("kura_not-a-token")
        .json(&json!({"name": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    let body: Value = wrong.json().await.unwrap();
    assert_eq!(body["error"]["code"], "unauthenticated");
    let malformed = app.client.get(app.url("/datasets")).header("authorization", "Basic abc").send().await.unwrap();
    assert_eq!(malformed.status(), 401);
    app.create_dataset("x").await;
}

#[tokio::test]
async fn drafts_are_invisible_until_published() {
    let app = spawn_app().await;
    app.create_dataset("spectra").await;
    assert_eq!(app.get("/datasets/spectra").await.status(), 404, "a draft-only dataset does not exist for the public");
    let list: Value = app.get("/datasets").await.json().await.unwrap();
    assert_eq!(list["total"], 0);
    let admin: Value = app.get_admin("/datasets").await.json().await.unwrap();
    assert_eq!(admin["total"], 1);
    assert_eq!(admin["items"][0]["latest_version"]["state"], "draft");

    let published: Value = app.publish("spectra").await.json().await.unwrap();
    assert_eq!(published["state"], "published");
    assert_eq!(published["number"], 1);
    let public: Value = app.get("/datasets/spectra").await.json().await.unwrap();
    assert_eq!(public["versions"].as_array().unwrap().len(), 1);
    assert_eq!(app.get("/datasets/spectra/versions/latest").await.status(), 200);

    // A new draft starts from the published version and stays hidden.
    let draft: Value = app.post_admin("/datasets/spectra/draft", json!({})).await.json().await.unwrap();
    assert_eq!(draft["number"], 2);
    assert_eq!(app.get("/datasets/spectra/versions/2").await.status(), 404);
    let latest: Value = app.get("/datasets/spectra/versions/latest").await.json().await.unwrap();
    assert_eq!(latest["number"], 1, "the public's latest is the latest published");
    let second = app.publish("spectra").await;
    assert_eq!(second.status(), 200);
    let again = app.publish("spectra").await;
    assert_eq!(again.status(), 404, "no open draft left to publish");
}

#[tokio::test]
async fn invalid_requests_get_precise_errors() {
    let app = spawn_app().await;
    let bad_name = app.post_admin("/datasets", json!({"name": "../etc"})).await;
    assert_eq!(bad_name.status(), 400);
    let body: Value = bad_name.json().await.unwrap();
    assert!(body["error"]["message"].as_str().unwrap().contains("invalid dataset name"));
    app.create_dataset("dup").await;
    assert_eq!(app.post_admin("/datasets", json!({"name": "dup"})).await.status(), 409);
    let unknown_field = app.post_admin("/datasets", json!({"name": "y", "bogus": 1})).await;
    assert_eq!(unknown_field.status(), 422);
    assert_eq!(app.get_admin("/datasets/dup/versions/zero").await.status(), 400);
    assert_eq!(app.get("/no/such/route").await.status(), 404);
}

#[tokio::test]
async fn list_pages_use_the_same_number_of_statements_whatever_their_size() {
    let app = spawn_app().await;
    for i in 0..30 {
        app.create_dataset(&format!("ds-{i:02}")).await;
    }
    // Let the search projection finish the outbox: applying events reads the catalog too.
    app.index_now().await;
    let mut counts = Vec::new();
    for limit in [1, 5, 30] {
        let mut fewest = usize::MAX;
        for _ in 0..3 {
            let before = app.statements.load(Ordering::SeqCst);
            let page: Value = app.get_admin(&format!("/datasets?limit={limit}")).await.json().await.unwrap();
            fewest = fewest.min(app.statements.load(Ordering::SeqCst) - before);
            assert_eq!(page["items"].as_array().unwrap().len(), limit);
            assert_eq!(page["total"], 30);
            assert!(page["items"][0]["latest_version"]["title"].is_string());
        }
        counts.push(fewest);
    }
    assert!(counts.windows(2).all(|w| w[0] == w[1]), "statements per page vary with page size: {counts:?}");
    let second: Value = app.get_admin("/datasets?limit=10&offset=25").await.json().await.unwrap();
    assert_eq!(second["items"].as_array().unwrap().len(), 5);
}

#[tokio::test]
async fn review_submits_sends_back_with_a_comment_and_publishes() {
    let app = spawn_app().await;
    app.create_dataset("reviewed").await;
    let state = |v: &Value| v["state"].as_str().unwrap_or_default().to_owned();
    // Only a version in review can be sent back.
    let r = app.post_admin("/datasets/reviewed/draft/return", json!({"comment": "too early"})).await;
    assert_eq!(r.status(), 409);
    let submitted: Value = app.post_admin("/datasets/reviewed/draft/submit", json!({})).await.json().await.unwrap();
    assert_eq!(state(&submitted), "in_review");
    // Still invisible to the public while in review.
    assert_eq!(app.get("/datasets/reviewed").await.status(), 404);
    assert_eq!(app.post_admin("/datasets/reviewed/draft/submit", json!({})).await.status(), 409);
    let r = app.post_admin("/datasets/reviewed/draft/return", json!({"comment": "  "})).await;
    assert_eq!(r.status(), 400, "a comment is needed");
    let back: Value =
        app.post_admin("/datasets/reviewed/draft/return", json!({"comment": "add units"})).await.json().await.unwrap();
    assert_eq!((state(&back).as_str(), back["review_comment"].as_str()), ("draft", Some("add units")));
    let again: Value = app.post_admin("/datasets/reviewed/draft/submit", json!({})).await.json().await.unwrap();
    assert_eq!((state(&again).as_str(), again["review_comment"].as_str()), ("in_review", None));
    let published: Value = app.publish("reviewed").await.json().await.unwrap();
    assert_eq!(state(&published), "published");
    let audit: Value = app.get_admin("/audit?action=version.return").await.json().await.unwrap();
    assert_eq!(audit["items"][0]["details"]["comment"], "add units");
    // Without credentials nothing moves (the dataset is public now, so: sign in first).
    let r = app.client.post(app.url("/datasets/reviewed/draft/submit")).send().await.unwrap();
    assert_eq!(r.status(), 401);
}
