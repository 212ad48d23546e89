//! Authentication over HTTP: JWTs (Kura's and an identity provider's) and the negative suite,
//! portal sessions with CSRF protection, and the sign-in rate limit. Every refused credential is
//! a 401 with a log line giving the reason.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use common::{TestApp, spawn_app, spawn_app_with};
use kura_auth::KeyStore;
use serde_json::{Value, json};

/// Log lines of this test binary, captured once for all tests.
fn logs() -> Arc<Mutex<Vec<u8>>> {
    static LOGS: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOGS.get_or_init(|| {
        let buffer = Arc::new(Mutex::new(Vec::new()));
        let writer = buffer.clone();
        let _ = tracing_subscriber::fmt()
            .with_env_filter("kura_api=info")
            .with_ansi(false)
            .with_writer(move || Capture(writer.clone()))
            .try_init();
        buffer
    })
    .clone()
}

struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

async fn local_user(app: &TestApp, name: &str, password: &str) -> String {
    let r = app.post_admin("/users", json!({"username": name, "password": password})).await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let user: Value = r.json().await.unwrap();
    user["id"].as_str().unwrap().to_owned()
}

async fn me(app: &TestApp, token: &str) -> reqwest::Response {
    app.client.get(app.url("/me")).bearer_auth(token).send().await.unwrap()
}

fn claims(app: &TestApp, sub: &str) -> Value {
    let now = chrono::Utc::now().timestamp();
    let iss = app.state.credentials.authority().config.issuer.clone();
    json!({"iss": iss, "sub": sub, "aud": "kura", "exp": now + 300, "iat": now, "nbf": now, "jti": "j", "scope": "write"})
}

fn with(mut c: Value, key: &str, value: Value) -> Value {
    if value.is_null() {
        c.as_object_mut().unwrap().remove(key);
    } else {
        c[key] = value;
    }
    c
}

#[tokio::test]
async fn passwords_buy_short_lived_jwts_verifiable_with_the_published_keys() {
    let app = spawn_app().await;
    let user = local_user(&app, "ann", "a long enough password").await;
    let jwks: Value =
        app.client.get(format!("{}/.well-known/jwks.json", app.base)).send().await.unwrap().json().await.unwrap();
    assert_eq!(jwks["keys"][0]["alg"], "EdDSA");
    let issued: Value = app
        .client
        .post(app.url("/auth/token"))
        .json(&json!({"username": "ann", "password": "a long enough password"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(issued["token_type"], "Bearer");
    assert_eq!(issued["expires_in"], 900);
    let token = issued["access_token"].as_str().unwrap();
    let header: Value = serde_json::from_slice(&B64.decode(token.split('.').next().unwrap()).unwrap()).unwrap();
    assert_eq!(header["kid"], jwks["keys"][0]["kid"]);
    let whoami: Value = me(&app, token).await.json().await.unwrap();
    assert_eq!(whoami["user_id"], user.as_str());
    let weak = app.post_admin("/users", json!({"username": "bob", "password": "short"})).await;
    assert_eq!(weak.status(), 400);
}

#[tokio::test]
async fn every_bad_jwt_is_a_401_with_a_logged_reason() {
    let logs = logs();
    let app = spawn_app().await;
    let user = local_user(&app, "carl", "a long enough password").await;
    let keys = &app.state.credentials.authority().keys;
    let good = keys.sign(&claims(&app, &user)).unwrap();
    assert_eq!(me(&app, &good).await.status(), 200, "the baseline token works");

    let now = chrono::Utc::now().timestamp();
    let public = B64.decode(keys.jwks()["keys"][0]["x"].as_str().unwrap()).unwrap();
    let mut hs = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
    hs.kid = Some(keys.kid());
    let none_header = B64.encode(json!({"alg": "none", "kid": keys.kid()}).to_string());
    let payload = B64.encode(claims(&app, &user).to_string());
    let parts: Vec<&str> = good.split('.').collect();
    let forged = B64.encode(with(claims(&app, &user), "scope", json!("admin")).to_string());
    let mut bad_signature = B64.decode(parts[2]).unwrap();
    bad_signature[5] ^= 0x40;
    let other_user = uuid::Uuid::new_v4().to_string();

    let cases: Vec<(&str, String)> = vec![
        ("alg none", format!("{none_header}.{payload}.")),
        (
            "hs256 with the public key",
            jsonwebtoken::encode(&hs, &claims(&app, &user), &jsonwebtoken::EncodingKey::from_secret(&public)).unwrap(),
        ),
        ("unknown kid", KeyStore::generate().sign(&claims(&app, &user)).unwrap()),
        ("wrong issuer", keys.sign(&with(claims(&app, &user), "iss", json!("https://evil.example"))).unwrap()),
        ("wrong audience", keys.sign(&with(claims(&app, &user), "aud", json!("not-kura"))).unwrap()),
        ("expired beyond leeway", keys.sign(&with(claims(&app, &user), "exp", json!(now - 120))).unwrap()),
        ("nbf in the future", keys.sign(&with(claims(&app, &user), "nbf", json!(now + 600))).unwrap()),
        ("exp as a string", keys.sign(&with(claims(&app, &user), "exp", json!((now + 300).to_string()))).unwrap()),
        ("exp missing", keys.sign(&with(claims(&app, &user), "exp", Value::Null)).unwrap()),
        ("tampered payload", format!("{}.{forged}.{}", parts[0], parts[2])),
        ("tampered signature", format!("{}.{}.{}", parts[0], parts[1], B64.encode(&bad_signature))),
        ("user that does not exist", keys.sign(&claims(&app, &other_user)).unwrap()),
    ];
    for (name, token) in &cases {
        logs.lock().unwrap().clear();
        let response = me(&app, token).await;
        assert_eq!(response.status(), 401, "{name}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"]["code"], "unauthenticated", "{name}");
        let logged = String::from_utf8_lossy(&logs.lock().unwrap()).to_string();
        assert!(logged.contains("credentials refused"), "{name}: no log line in {logged:?}");
    }

    // A disabled user's valid JWT.
    assert_eq!(app.post_admin(&format!("/users/{user}/disable"), json!({})).await.status(), 204);
    assert_eq!(me(&app, &good).await.status(), 401);
}

#[tokio::test]
async fn tokens_of_a_trusted_identity_provider_sign_people_in() {
    let idp = KeyStore::generate();
    let jwks = idp.jwks();
    let app = spawn_app_with(|config, dir| {
        let path = dir.join("idp-jwks.json");
        std::fs::write(&path, jwks.to_string()).unwrap();
        config.identity_providers = vec![kura_core::config::IdentityProvider {
            issuer: "https://idp.example.ac.jp".into(),
            audience: "kura-node-1".into(),
            jwks_file: path,
            algorithms: vec!["EdDSA".into()],
        }];
    })
    .await;
    let now = chrono::Utc::now().timestamp();
    let token = idp.sign(&json!({"iss": "https://idp.example.ac.jp", "sub": "s1234567", "aud": "kura-node-1", "exp": now + 300, "iat": now})).unwrap();
    let first: Value = me(&app, &token).await.json().await.unwrap();
    let second: Value = me(&app, &token).await.json().await.unwrap();
    assert!(first["user_id"].is_string());
    assert_eq!(first["user_id"], second["user_id"], "the same person is recorded once");
    let wrong_audience =
        idp.sign(&json!({"iss": "https://idp.example.ac.jp", "sub": "s1", "aud": "kura", "exp": now + 300})).unwrap();
    assert_eq!(me(&app, &wrong_audience).await.status(), 401);
}

#[tokio::test]
async fn sessions_use_safe_cookies_and_refuse_writes_without_the_csrf_token() {
    let app = spawn_app().await;
    local_user(&app, "dora", "a long enough password").await;
    let client = reqwest::Client::new();
    let signed_in = client
        .post(app.url("/session"))
        .json(&json!({"username": "dora", "password": "a long enough password"}))
        .send()
        .await
        .unwrap();
    assert_eq!(signed_in.status(), 200);
    let cookies: Vec<String> =
        signed_in.headers().get_all("set-cookie").iter().map(|v| v.to_str().unwrap().to_owned()).collect();
    let session = cookies.iter().find(|c| c.starts_with("kura_session=")).expect("session cookie");
    assert!(session.contains("HttpOnly") && session.contains("SameSite=Lax"), "{session}");
    assert!(!session.contains("Secure"), "plain http in tests: no Secure flag");
    let body: Value = signed_in.json().await.unwrap();
    let csrf = body["csrf_token"].as_str().unwrap().to_owned();
    let cookie_header = cookies.iter().map(|c| c.split(';').next().unwrap().to_owned()).collect::<Vec<_>>().join("; ");

    let whoami: Value =
        client.get(app.url("/me")).header("cookie", &cookie_header).send().await.unwrap().json().await.unwrap();
    assert!(whoami["user_id"].is_string());
    let forged = client
        .post(app.url("/datasets"))
        .header("cookie", &cookie_header)
        .json(&json!({"name": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403, "a cross-site form cannot change anything");
    let wrong = client
        .post(app.url("/datasets"))
        .header("cookie", &cookie_header)
        .header("x-csrf-token", "nope")
        .json(&json!({"name": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 403);
    let with_token = client
        .post(app.url("/datasets"))
        .header("cookie", &cookie_header)
        .header("x-csrf-token", &csrf)
        .json(&json!({"name": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(with_token.status(), 400, "past authentication: the dataset needs an owner group");

    let out = client
        .delete(app.url("/session"))
        .header("cookie", &cookie_header)
        .header("x-csrf-token", &csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), 204);
    let after: Value =
        client.get(app.url("/me")).header("cookie", &cookie_header).send().await.unwrap().json().await.unwrap();
    assert_eq!(after["actor"], "anonymous", "the session is gone");
}

#[tokio::test]
async fn sign_in_attempts_are_limited_per_account() {
    let app = spawn_app().await;
    local_user(&app, "eve", "a long enough password").await;
    for _ in 0..5 {
        let r = app
            .client
            .post(app.url("/session"))
            .json(&json!({"username": "eve", "password": "guess guess guess"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401);
    }
    let locked = app
        .client
        .post(app.url("/session"))
        .json(&json!({"username": "eve", "password": "a long enough password"}))
        .send()
        .await
        .unwrap();
    assert_eq!(locked.status(), 429, "even the right password waits (30 s here) from an address that failed 5 times");
    let unknown = app
        .client
        .post(app.url("/session"))
        .json(&json!({"username": "nobody", "password": "whatever whatever"}))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 401);
}
