//! Regressions of the outside security review (issue 17) that are not access-matrix rows:
//! read-only credentials, token minting, sign-in redirects, login CSRF, the sign-in limiter,
//! body limits and quotas, and response headers. Every state-changing route of the router is
//! walked with a read-only credential, so that the next handler cannot forget the scope.

mod common;

use common::{TestApp, spawn_app, spawn_app_with};
use reqwest::header::{CONTENT_TYPE, COOKIE, LOCATION, ORIGIN, SET_COOKIE};
use serde_json::{Value, json};

const PASSWORD: &str = "correct-horse-battery";

/// A user with a password, and one API token per scope asked for.
async fn user(app: &TestApp, name: &str) -> String {
    let r = app.post_admin("/users", json!({"username": name, "password": PASSWORD})).await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap_or_default());
    r.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned()
}

async fn token(app: &TestApp, user: &str, scope: &str) -> String {
    let r = app.post_admin(&format!("/users/{user}/tokens"), json!({"name": scope, "scope": scope})).await;
    assert_eq!(r.status(), 201);
    r.json::<Value>().await.unwrap()["secret"].as_str().unwrap().to_owned()
}

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

#[tokio::test]
async fn no_credential_mints_a_token_wider_than_itself() {
    let app = spawn_app().await;
    let id = user(&app, "rita").await;
    let (read, write) = (token(&app, &id, "read").await, token(&app, &id, "write").await);
    let mint = |secret: String, scope: &'static str| {
        let (client, url) = (app.client.clone(), app.url(&format!("/users/{id}/tokens")));
        async move { client.post(url).bearer_auth(secret).json(&json!({"name": "n", "scope": scope})).send().await.unwrap() }
    };
    for (secret, scope, expected) in [
        (&read, "admin", 403),
        (&read, "write", 403),
        // A read credential changes nothing, not even by minting its own kind.
        (&read, "read", 403),
        (&write, "admin", 403),
        (&write, "write", 201),
        (&write, "read", 201),
    ] {
        let r = mint(secret.clone(), scope).await;
        assert_eq!(r.status().as_u16(), expected, "mint {scope}: {}", r.text().await.unwrap_or_default());
    }
    // The JWT exchange keeps the scope it was given.
    let r = app.client.post(app.url("/auth/token")).bearer_auth(&read).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let jwt = r.json::<Value>().await.unwrap()["access_token"].as_str().unwrap().to_owned();
    let me: Value = app.client.get(app.url("/me")).bearer_auth(&jwt).send().await.unwrap().json().await.unwrap();
    assert_eq!(me["can_write"], false);
    assert_eq!(mint(jwt, "write").await.status(), 403);
}

/// Every `.route(...)` of the router's source with the methods that change state: what the
/// router serves, read from the code that builds it, so a new route is walked without a list.
fn state_changing_routes() -> Vec<(String, String)> {
    let sources = [
        ("/api/v1", include_str!("../src/lib.rs")),
        ("", include_str!("../src/lib.rs")),
        ("", include_str!("../src/routes/portal/mod.rs")),
    ];
    let mut routes = Vec::new();
    for (prefix, source) in sources {
        // lib.rs holds both the API router (nested under /api/v1) and the root router.
        let (api, root) = source.split_once("let pages = Router::new()").unwrap_or(("", source));
        let text = if prefix.is_empty() { root } else { api };
        for line in text.lines().map(str::trim).filter(|l| l.starts_with(".route(\"")) {
            let path = line[8..].split('"').next().unwrap();
            let handlers = &line[8 + path.len()..];
            for (needle, method) in [("post(", "POST"), ("put(", "PUT"), ("patch(", "PATCH"), ("delete(", "DELETE")] {
                if handlers.contains(needle) {
                    let concrete = path
                        .split('/')
                        .map(|s| if s.starts_with('{') { "00000000-0000-0000-0000-000000000000" } else { s })
                        .collect::<Vec<_>>()
                        .join("/");
                    routes.push((method.to_owned(), format!("{prefix}{concrete}")));
                }
            }
        }
    }
    routes
}

#[tokio::test]
async fn every_state_changing_route_refuses_a_read_only_credential() {
    let app = spawn_app().await;
    let id = user(&app, "reader").await;
    let (read, write) = (token(&app, &id, "read").await, token(&app, &id, "write").await);
    let routes = state_changing_routes();
    assert!(routes.len() > 40, "the walk found only {} routes: the router's source changed shape", routes.len());
    // Reading requests, and the token exchange of partner nodes (its assertion is the credential).
    let reading =
        ["/sparql", "/oai", "/api/v1/auth/token", "/api/v1/federation/token", "/api/v1/session", "/signin", "/signout"];
    let client = no_redirects();
    for (method, path) in routes.iter().filter(|(_, p)| !reading.contains(&p.as_str())) {
        let send = |secret: &str| {
            let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
            client.request(m, format!("{}{path}", app.base)).bearer_auth(secret).json(&json!({})).send()
        };
        let r = send(&read).await.unwrap();
        let status = r.status();
        let body = r.text().await.unwrap();
        assert_eq!(status, 403, "{method} {path} with a read token: {body}");
        assert!(body.contains("read-only"), "{method} {path}: {body}");
        let body = send(&write).await.unwrap().text().await.unwrap();
        assert!(!body.contains("read-only"), "{method} {path} refused a write token as read-only: {body}");
    }
}

#[tokio::test]
async fn read_tokens_neither_revoke_nor_change_roles_nor_request_access() {
    let app = spawn_app().await;
    let id = user(&app, "rob").await;
    let read = token(&app, &id, "read").await;
    let victim: Value = app
        .post_admin(&format!("/users/{id}/tokens"), json!({"name": "v", "scope": "write"}))
        .await
        .json()
        .await
        .unwrap();
    let victim_id = victim["token"]["id"].as_str().unwrap();
    let r = app.client.delete(app.url(&format!("/me/tokens/{victim_id}"))).bearer_auth(&read).send().await.unwrap();
    assert_eq!(r.status(), 403);
    let r = no_redirects()
        .post(format!("{}/me/tokens", app.base))
        .bearer_auth(&read)
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body("name=x&scope=write")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert!(!r.text().await.unwrap().contains("kura_"), "no secret is shown");
    let listed: Value =
        app.client.get(app.url("/me/tokens")).bearer_auth(&read).send().await.unwrap().json().await.unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 2, "nothing was revoked or created: {listed}");
}

/// Signs in through the form as a browser does: GET the form (login CSRF cookie and field),
/// then POST it with `next`. Returns the POST's answer.
async fn sign_in_form(app: &TestApp, client: &reqwest::Client, next: &str) -> reqwest::Response {
    let form = client.get(format!("{}/signin", app.base)).send().await.unwrap();
    let cookie = form
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("kura_login_csrf="))
        .map(|c| c.split(';').next().unwrap().to_owned())
        .expect("the sign-in form sets a login CSRF cookie");
    let token = cookie.split_once('=').unwrap().1.to_owned();
    let html = form.text().await.unwrap();
    assert!(html.contains(&token), "the form carries the token");
    let body = form_urlencoded::Serializer::new(String::new())
        .append_pair("csrf_token", &token)
        .append_pair("username", "sam")
        .append_pair("password", PASSWORD)
        .append_pair("next", next)
        .finish();
    client
        .post(format!("{}/signin", app.base))
        .header(COOKIE, cookie)
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn after_sign_in_only_a_plain_path_of_this_site_is_followed() {
    let app = spawn_app().await;
    user(&app, "sam").await;
    let client = no_redirects();
    for (next, expected) in [
        ("/datasets/x?lang=ja", "/datasets/x?lang=ja"),
        ("/\t/evil.example", "/me"),
        ("/%09/evil.example", "/%09/evil.example"),
        ("//evil.example", "/me"),
        ("/\\evil.example", "/me"),
        ("https://evil.example/", "/me"),
        ("/x\r\nSet-Cookie: a=b", "/me"),
        ("/a path", "/me"),
    ] {
        let r = sign_in_form(&app, &client, next).await;
        assert_eq!(r.status(), 303, "next={next:?}: {}", r.text().await.unwrap_or_default());
        assert_eq!(r.headers()[LOCATION], expected, "next={next:?}");
    }
}

#[tokio::test]
async fn a_cross_site_sign_in_form_is_refused() {
    let app = spawn_app().await;
    user(&app, "sam").await;
    let client = no_redirects();
    let post = |body: String, origin: Option<&'static str>| {
        let mut r = client
            .post(format!("{}/signin", app.base))
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(body);
        if let Some(o) = origin {
            r = r.header(ORIGIN, o);
        }
        r.send()
    };
    // No token at all, as a cross-site form would post it.
    let r = post(format!("username=sam&password={PASSWORD}"), Some("http://evil.example")).await.unwrap();
    assert_eq!(r.status(), 403);
    assert!(r.headers().get_all(SET_COOKIE).iter().all(|c| !c.to_str().unwrap().starts_with("kura_session=")));
    let r = post(format!("username=sam&password={PASSWORD}&csrf_token=guess"), None).await.unwrap();
    assert_eq!(r.status(), 403);
    // The real form from this site signs in.
    assert_eq!(sign_in_form(&app, &client, "/me").await.status(), 303);
}

#[tokio::test]
async fn parallel_wrong_passwords_are_counted_before_they_are_checked() {
    let app = spawn_app().await;
    user(&app, "pat").await;
    let attempts = (0..40).map(|_| {
        app.client.post(app.url("/session")).json(&json!({"username": "pat", "password": "wrong-wrong-wrong"})).send()
    });
    let statuses: Vec<u16> =
        futures::future::join_all(attempts).await.into_iter().map(|r| r.unwrap().status().as_u16()).collect();
    let checked = statuses.iter().filter(|s| **s == 401).count();
    let limited = statuses.iter().filter(|s| **s == 429).count();
    assert_eq!((checked, limited), (kura_auth::login_limit::FREE_ATTEMPTS as usize, 35), "{statuses:?}");
}

#[tokio::test]
async fn a_huge_form_field_is_refused_without_being_held_in_memory() {
    let app = spawn_app().await;
    let id = user(&app, "fay").await;
    let write = token(&app, &id, "write").await;
    let big = "x".repeat(3 << 20);
    let form = reqwest::multipart::Form::new().text("name", big).text("title", "t");
    let r = app.client.post(format!("{}/new", app.base)).bearer_auth(&write).multipart(form).send().await.unwrap();
    assert_eq!(r.status(), 413, "{}", r.text().await.unwrap_or_default());
    app.assert_healthy().await;
}

#[tokio::test]
async fn the_upload_limit_covers_the_whole_request_and_the_dataset_quota_every_upload() {
    let app = spawn_app_with(|c, _| {
        c.max_upload_bytes = 5_000_000;
        c.max_dataset_bytes = 5_500_000;
    })
    .await;
    app.create_dataset("limits").await;
    let part = |i: u8| (["a.bin", "b.bin", "c.bin"][usize::from(i)], vec![i; 2_000_000]);
    let r = app.upload("limits", vec![part(0), part(1), part(2)]).await;
    assert_eq!(r.status(), 413, "three 2 MB parts exceed 5 MB together");
    let files: Value = app.get_admin("/datasets/limits/versions/latest/files").await.json().await.unwrap_or_default();
    assert!(files["items"].as_array().is_none_or(|a| a.is_empty()), "nothing of a refused upload is kept: {files}");
    assert_eq!(app.upload("limits", vec![part(0), part(1)]).await.status(), 201);
    let r = app.upload("limits", vec![part(2)]).await;
    assert_eq!(r.status(), 413, "the quota counts what the draft already holds");
    assert!(r.text().await.unwrap().contains("quota"));
    app.assert_healthy().await;
}

#[tokio::test]
async fn downloads_are_never_sniffed_and_token_errors_say_no_more_than_refused() {
    let app = spawn_app().await;
    app.create_dataset("sniff").await;
    let r = app.upload("sniff", vec![("page.html", b"<script>alert(1)</script>".to_vec())]).await;
    let file: Value = r.json().await.unwrap();
    let file_id = file[0]["id"].as_str().unwrap();
    let r = app.get_admin(&format!("/datasets/sniff/versions/1/files/{file_id}/content")).await;
    assert_eq!(r.headers()["x-content-type-options"], "nosniff");
    // A JWT signed by nobody Kura trusts: refused without naming the check that failed.
    let forged = "eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJ4In0.c2ln";
    let r = app.client.get(app.url("/me")).bearer_auth(forged).send().await.unwrap();
    assert_eq!(r.status(), 401);
    let text = r.text().await.unwrap();
    assert!(text.contains("invalid or expired token") && !text.contains("signature"), "{text}");
}

#[tokio::test]
async fn once_a_policy_change_answers_search_and_sparql_show_it() {
    let app = spawn_app().await;
    app.described_dataset("lagging", Some("Zirconium lagtestword survey"), "open", true).await;
    app.index_now().await;
    let hits = |app: &TestApp| {
        let request = app.client.get(app.url("/search")).query(&[("q", "lagtestword")]).send();
        async move { request.await.unwrap().json::<Value>().await.unwrap()["hits"].as_array().unwrap().len() }
    };
    let sparql_mentions = |app: &TestApp| {
        let q = "SELECT ?t WHERE { GRAPH ?g { ?s ?p ?t } FILTER(CONTAINS(STR(?t), \"lagtestword\")) }";
        let request = app.client.get(format!("{}/sparql", app.base)).query(&[("query", q)]).send();
        async move { request.await.unwrap().text().await.unwrap().contains("lagtestword") }
    };
    assert_eq!(hits(&app).await, 1);
    assert!(sparql_mentions(&app).await);
    // No waiting here: the answer to the change comes after the projections followed it.
    assert!(app.put_policy("lagging", &json!({"level": "closed"})).await.status().is_success());
    assert_eq!(hits(&app).await, 0, "search still shows a closed dataset");
    assert!(!sparql_mentions(&app).await, "SPARQL still shows a closed dataset");
}

#[tokio::test]
async fn a_users_quota_counts_every_upload_of_theirs() {
    let app = spawn_app_with(|c, _| c.max_user_bytes = 3_000_000).await;
    let id = user(&app, "uma").await;
    let write = token(&app, &id, "write").await;
    let org: Value = app.post_admin("/organizations", json!({"name": "U"})).await.json().await.unwrap();
    let group: Value = app
        .post_admin(&format!("/organizations/{}/groups", org["id"].as_str().unwrap()), json!({"name": "L"}))
        .await
        .json()
        .await
        .unwrap();
    let group = group["id"].as_str().unwrap().to_owned();
    let r = app
        .client
        .put(app.url(&format!("/groups/{group}/members/{id}")))
        .bearer_auth(&app.token)
        .json(&json!({"role": "member"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let upload = |dataset: &'static str, byte: u8| {
        let form = reqwest::multipart::Form::new()
            .part("file", reqwest::multipart::Part::bytes(vec![byte; 2_000_000]).file_name("f.bin"));
        app.client.post(app.url(&format!("/datasets/{dataset}/draft/files"))).bearer_auth(&write).multipart(form).send()
    };
    for dataset in ["q1", "q2"] {
        let r = app
            .client
            .post(app.url("/datasets"))
            .bearer_auth(&write)
            .json(&json!({"name": dataset, "group": group}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201, "{}", r.text().await.unwrap_or_default());
    }
    assert_eq!(upload("q1", 1).await.unwrap().status(), 201);
    let r = upload("q2", 2).await.unwrap();
    assert_eq!(r.status(), 413, "the second dataset's upload goes past the user's 3 MB");
    assert!(r.text().await.unwrap().contains("your uploads"));
    // Someone else's uploads do not count against this user.
    app.create_dataset("admin-own").await;
    assert_eq!(app.upload("admin-own", vec![("a.bin", vec![3; 2_000_000])]).await.status(), 201);
}
