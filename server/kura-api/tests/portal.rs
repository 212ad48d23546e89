//! The web portal over HTTP: pages in English and Japanese, the language cookie, the CSRF form
//! field (urlencoded and multipart), the forms of every flow (upload, edit with inline
//! validation, review, policy, access request and answer, tokens), and 404 pages for what a
//! caller may not see. The browser itself is driven in `tests/test_portal.py`.

mod common;

use common::{TestApp, spawn_app};
use reqwest::header::{ACCEPT, ACCEPT_LANGUAGE, CONTENT_TYPE, COOKIE, LOCATION, SET_COOKIE};
use serde_json::{Value, json};

/// A browser-like session: its cookie header and CSRF token.
struct Browser {
    client: reqwest::Client,
    base: String,
    cookie: String,
    csrf: String,
}

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

impl Browser {
    fn anonymous(app: &TestApp) -> Browser {
        Browser { client: no_redirects(), base: app.base.clone(), cookie: String::new(), csrf: String::new() }
    }

    async fn sign_in(app: &TestApp, user: &str) -> Browser {
        let client = no_redirects();
        // As a browser: the form first, for its login CSRF cookie and field.
        let form = client.get(format!("{}/signin", app.base)).send().await.unwrap();
        let login_cookie = form
            .headers()
            .get_all(SET_COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_owned())
            .find(|c| c.starts_with("kura_login_csrf="))
            .expect("login CSRF cookie");
        let token = login_cookie.split_once('=').unwrap().1.to_owned();
        let r = client
            .post(format!("{}/signin", app.base))
            .header(COOKIE, &login_cookie)
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(format!("csrf_token={token}&username={user}&password=correct-horse-battery&next=%2Fme"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303, "sign in {user}: {}", r.text().await.unwrap_or_default());
        assert_eq!(r.headers()[LOCATION], "/me");
        let mut cookies = Vec::new();
        let mut csrf = String::new();
        for v in r.headers().get_all(SET_COOKIE) {
            let pair = v.to_str().unwrap().split(';').next().unwrap().to_owned();
            if pair.starts_with("kura_login_csrf=") {
                continue;
            }
            if let Some(t) = pair.strip_prefix("kura_csrf=") {
                csrf = t.to_owned();
            }
            cookies.push(pair);
        }
        assert!(!csrf.is_empty(), "no csrf cookie");
        Browser { client, base: app.base.clone(), cookie: cookies.join("; "), csrf }
    }

    async fn get(&self, path: &str) -> (u16, String) {
        let mut r = self.client.get(format!("{}{path}", self.base)).header(ACCEPT, "text/html");
        if !self.cookie.is_empty() {
            r = r.header(COOKIE, &self.cookie);
        }
        let r = r.send().await.unwrap();
        let status = r.status().as_u16();
        (status, r.text().await.unwrap())
    }

    /// Posts a urlencoded form (with the CSRF field unless `csrf` is false).
    async fn post(&self, path: &str, fields: &[(&str, &str)], csrf: bool) -> reqwest::Response {
        let mut body = form_urlencoded::Serializer::new(String::new());
        if csrf {
            body.append_pair("csrf_token", &self.csrf);
        }
        body.extend_pairs(fields);
        let mut r = self
            .client
            .post(format!("{}{path}", self.base))
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(ACCEPT, "text/html")
            .body(body.finish());
        if !self.cookie.is_empty() {
            r = r.header(COOKIE, &self.cookie);
        }
        r.send().await.unwrap()
    }

    /// Posts a multipart form: the CSRF field first (when asked), then text fields, then files.
    async fn multipart(
        &self,
        path: &str,
        fields: &[(&str, &str)],
        files: Vec<(&str, Vec<u8>)>,
        csrf: bool,
    ) -> reqwest::Response {
        let mut form = reqwest::multipart::Form::new();
        if csrf {
            form = form.text("csrf_token", self.csrf.clone());
        }
        for (k, v) in fields {
            form = form.text(k.to_string(), v.to_string());
        }
        for (name, bytes) in files {
            form = form.part("files", reqwest::multipart::Part::bytes(bytes).file_name(name.to_owned()));
        }
        self.client
            .post(format!("{}{path}", self.base))
            .header(COOKIE, &self.cookie)
            .multipart(form)
            .send()
            .await
            .unwrap()
    }
}

async fn admin(app: &TestApp, method: &str, path: &str, body: Value) -> Value {
    let url = app.url(path);
    let r = match method {
        "PUT" => app.client.put(url),
        _ => app.client.post(url),
    }
    .bearer_auth(&app.token)
    .json(&body)
    .send()
    .await
    .unwrap();
    assert!(r.status().is_success(), "{method} {path}: {}", r.status());
    r.json().await.unwrap_or(Value::Null)
}

/// A lab with a member and a steward, an outsider in another lab, all with passwords.
async fn world(app: &TestApp) -> String {
    let org = admin(app, "POST", "/organizations", json!({"name": "Uni"})).await;
    let org = org["id"].as_str().unwrap();
    let lab = admin(app, "POST", &format!("/organizations/{org}/groups"), json!({"name": "Lab"})).await;
    let other = admin(app, "POST", &format!("/organizations/{org}/groups"), json!({"name": "Other lab"})).await;
    let lab = lab["id"].as_str().unwrap().to_owned();
    for (user, group, role) in [
        ("rita", lab.as_str(), "member"),
        ("stella", lab.as_str(), "steward"),
        ("olga", other["id"].as_str().unwrap(), "member"),
    ] {
        let u = admin(app, "POST", "/users", json!({"username": user, "password": "correct-horse-battery"})).await;
        let id = u["id"].as_str().unwrap();
        admin(app, "PUT", &format!("/groups/{group}/members/{id}"), json!({"role": role})).await;
    }
    lab
}

/// Waits for the job a portal form redirected to (`/edit/{name}/jobs/{id}`), then checks that
/// its page shows it ended with no failed file.
async fn wait_for_job(app: &TestApp, browser: &Browser, location: &str) {
    let job: Value = app.get_admin(&location.replacen("/edit/", "/datasets/", 1)).await.json().await.unwrap();
    app.wait_for_job(&job).await;
    let (status, page) = browser.get(location).await;
    assert_eq!(status, 200, "{page}");
    assert!(!page.contains("data-job-url"), "the page still shows the job running: {page}");
    assert!(!page.contains("file-errors"), "a file failed: {page}");
}

#[tokio::test]
async fn pages_render_in_english_and_japanese_and_remember_the_choice() {
    let app = spawn_app().await;
    app.create_dataset("ds-open").await;
    app.publish("ds-open").await;
    app.index_now().await;
    let client = no_redirects();
    for path in ["/", "/search?q=ds", "/signin", "/consortia", "/datasets/ds-open"] {
        let en = client.get(format!("{}{path}", app.base)).header(ACCEPT, "text/html").send().await.unwrap();
        assert_eq!(en.status(), 200, "{path}");
        assert_eq!(en.headers()["content-language"], "en");
        let en = en.text().await.unwrap();
        assert!(en.contains("<html lang=\"en\">") && en.contains("Sign in"), "{path}: {en}");
        let ja = client
            .get(format!("{}{path}", app.base))
            .header(ACCEPT, "text/html")
            .header(ACCEPT_LANGUAGE, "ja-JP,ja;q=0.9,en;q=0.5")
            .send()
            .await
            .unwrap();
        assert_eq!(ja.headers()["content-language"], "ja", "{path}");
        let ja = ja.text().await.unwrap();
        assert!(ja.contains("<html lang=\"ja\">") && ja.contains("サインイン"), "{path}: {ja}");
    }
    // Choosing a language sets a cookie, and the cookie beats Accept-Language afterwards.
    let r = client.get(format!("{}/?lang=ja", app.base)).send().await.unwrap();
    let cookie = r.headers()[SET_COOKIE].to_str().unwrap().to_owned();
    assert!(cookie.starts_with("lang=ja;"), "{cookie}");
    let r = client
        .get(format!("{}/search", app.base))
        .header(COOKIE, "lang=ja")
        .header(ACCEPT_LANGUAGE, "en")
        .send()
        .await
        .unwrap();
    assert!(r.text().await.unwrap().contains("lang=\"ja\""));
    // The switch link keeps the query and names the other language.
    let page = client.get(format!("{}/search?q=alumina&lang=en", app.base)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("href=\"/search?q=alumina&#38;lang=ja\""), "{page}");
    // Static assets are served from the binary.
    let css = client.get(format!("{}/static/portal.css", app.base)).send().await.unwrap();
    assert_eq!(css.status(), 200);
    assert!(css.text().await.unwrap().contains(":focus-visible"));
}

#[tokio::test]
async fn forms_need_the_csrf_field_or_header() {
    let app = spawn_app().await;
    let lab = world(&app).await;
    let rita = Browser::sign_in(&app, "rita").await;
    let (status, page) = rita.get("/me").await;
    assert_eq!(status, 200);
    assert!(page.contains(&format!("name=\"csrf_token\" value=\"{}\"", rita.csrf)), "forms carry the token");
    // Urlencoded: missing or wrong field is refused (a page saying why, for a browser); the right
    // one works.
    let refused = rita.post("/me/tokens", &[("name", "laptop"), ("scope", "read")], false).await;
    assert_eq!(refused.status(), 403);
    assert!(refused.headers()[CONTENT_TYPE].to_str().unwrap().starts_with("text/html"));
    assert!(refused.text().await.unwrap().contains("CSRF token"), "the page names the reason");
    let wrong = Browser { csrf: "kura_wrong".into(), ..Browser::sign_in(&app, "rita").await };
    assert_eq!(wrong.post("/me/tokens", &[("name", "laptop"), ("scope", "read")], true).await.status(), 403);
    let r = rita.post("/me/tokens", &[("name", "laptop"), ("scope", "read"), ("days", "30")], true).await;
    assert_eq!(r.status(), 200);
    let page = r.text().await.unwrap();
    let secret = page.split("id=\"new-token\">").nth(1).unwrap().split('<').next().unwrap().to_owned();
    assert!(secret.starts_with("kura_"), "{secret}");
    // The token works, and can be revoked from the page.
    let me = app.client.get(app.url("/me")).bearer_auth(&secret).send().await.unwrap();
    assert_eq!(me.status(), 200);
    let id = page.split("/me/tokens/").nth(1).unwrap().split('/').next().unwrap().to_owned();
    assert_eq!(rita.post(&format!("/me/tokens/{id}/revoke"), &[], true).await.status(), 303);
    assert_eq!(app.client.get(app.url("/me")).bearer_auth(&secret).send().await.unwrap().status(), 401);
    // A Delta Sharing profile from the same page: a file to save, holding a read-only token.
    assert!(page.contains("action=\"/me/delta-sharing-profile\""));
    assert_eq!(rita.post("/me/delta-sharing-profile", &[("days", "7")], false).await.status(), 403);
    let r = rita.post("/me/delta-sharing-profile", &[("days", "7")], true).await;
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-disposition"].to_str().unwrap().contains("kura.share"));
    let profile: serde_json::Value = r.json().await.unwrap();
    assert_eq!(profile["shareCredentialsVersion"], 1);
    assert!(profile["endpoint"].as_str().unwrap().ends_with("/delta-sharing"));
    let me = app.client.get(app.url("/me")).bearer_auth(profile["bearerToken"].as_str().unwrap()).send().await.unwrap();
    assert_eq!(me.json::<serde_json::Value>().await.unwrap()["can_write"], false);
    let r = rita.post("/me/delta-sharing-profile", &[("days", "400")], true).await;
    assert!(r.text().await.unwrap().contains("365"), "a page saying the limit");
    // Multipart: the field must come first.
    let fields = [("name", "csrf-test"), ("title", "T"), ("group", lab.as_str())];
    let r = rita.multipart("/new", &fields, vec![("a.csv", b"a\n1\n".to_vec())], false).await;
    assert_eq!(r.status(), 403);
    let r = rita.multipart("/new", &fields, vec![("a.csv", b"a\n1\n".to_vec())], true).await;
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap_or_default());
    // The header still works for scripts.
    let r = rita
        .client
        .post(format!("{}/api/v1/datasets/csrf-test/draft/ingest", app.base))
        .header(COOKIE, &rita.cookie)
        .header("x-csrf-token", &rita.csrf)
        .send()
        .await
        .unwrap();
    assert_ne!(r.status(), 403);
    // Signing out ends the session.
    assert_eq!(rita.post("/signout", &[], true).await.status(), 303);
    let (status, _) = rita.get("/me").await;
    assert_eq!(status, 303, "signed out: /me sends to the sign-in page");
}

#[tokio::test]
async fn a_dataset_goes_from_upload_to_review_publication_and_a_granted_download() {
    let app = spawn_app().await;
    let lab = world(&app).await;
    let rita = Browser::sign_in(&app, "rita").await;
    let stella = Browser::sign_in(&app, "stella").await;
    let olga = Browser::sign_in(&app, "olga").await;

    // Upload: the dataset is created and its files read in the background.
    let (status, page) = rita.get("/new").await;
    assert_eq!(status, 200);
    assert!(page.contains("Lab"));
    let csv = b"Time [s],Temperature [K]\n0,300\n1,301\n2,302\n".to_vec();
    let fields = [("name", "xps-feo"), ("title", "XPS of FeO"), ("group", lab.as_str())];
    let r = rita.multipart("/new", &fields, vec![("log.csv", csv), ("notes.bin", vec![0, 1, 2])], true).await;
    assert_eq!(r.status(), 303);
    let job = r.headers()[LOCATION].to_str().unwrap().to_owned();
    assert!(job.starts_with("/edit/xps-feo/jobs/"), "{job}");
    wait_for_job(&app, &rita, &job).await;
    // Cancel (the job page's form) needs the CSRF field; on an ended job it changes nothing and
    // leads back to the page.
    assert_eq!(rita.post(&format!("{job}/cancel"), &[], false).await.status(), 403);
    let r = rita.post(&format!("{job}/cancel"), &[], true).await;
    assert_eq!((r.status().as_u16(), r.headers()[LOCATION].to_str().unwrap()), (303, job.as_str()));
    assert!(!rita.get(&job).await.1.contains("cancel-job"), "no Cancel on an ended job");

    // Edit: a broken ORCID is shown beside the creators field and nothing is saved.
    let mut fields = vec![
        ("title", "XPS of FeO"),
        ("title_en", "XPS of FeO"),
        ("title_ja", "FeO の XPS"),
        (
            "description_en",
            "Fe 2p spectra of an FeO film measured with a monochromated Al Ka source at room temperature.",
        ),
        ("creators", "Sato, Hanako | 0000-0002-1825-0098 | Uni"),
        ("keywords", "XPS, FeO"),
        ("license", "CC-BY-4.0"),
    ];
    let r = rita.post("/edit/xps-feo", &fields, true).await;
    assert_eq!(r.status(), 422);
    let page = r.text().await.unwrap();
    assert!(page.contains("id=\"err-creators\"") && page.contains("orcid-checksum"), "{page}");
    // Submitting incomplete metadata is refused with the missing fields.
    let r = rita.post("/edit/xps-feo/submit", &[], true).await;
    assert_eq!(r.status(), 422);
    fields[4] = ("creators", "Sato, Hanako | 0000-0002-1825-0097 | Uni");
    let r = rita.post("/edit/xps-feo", &fields, true).await;
    assert_eq!(r.status(), 303);
    let r = rita.post("/edit/xps-feo/submit", &[], true).await;
    assert_eq!(r.status(), 303);
    // A member may not publish.
    assert_eq!(rita.post("/steward/xps-feo/publish", &[], true).await.status(), 403);

    // Review: the steward sends it back with a comment, the member resubmits, the steward
    // makes it consortium-only and publishes.
    let (_, desk) = stella.get("/steward").await;
    assert!(desk.contains("XPS of FeO"), "{desk}");
    assert_eq!(stella.post("/steward/xps-feo/return", &[("comment", "add the pass energy")], true).await.status(), 303);
    let (_, edit) = rita.get("/edit/xps-feo").await;
    assert!(edit.contains("add the pass energy"));
    assert_eq!(rita.post("/edit/xps-feo/submit", &[], true).await.status(), 303);
    let c = admin(&app, "POST", "/consortia", json!({"name": "FeO network", "terms": "cite us"})).await;
    let cid = c["id"].as_str().unwrap().to_owned();
    let r = stella
        .post(
            "/steward/xps-feo/policy",
            &[("level", "consortium"), ("consortia", &cid), ("masked", "Temperature"), ("license", "CC-BY-4.0")],
            true,
        )
        .await;
    assert_eq!(r.status(), 303);
    let r = stella.post("/steward/xps-feo/publish", &[], true).await;
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()[LOCATION], "/datasets/xps-feo/1");

    // The landing page: an outsider sees metadata and the request form, no rows, no links.
    let (status, page) = olga.get("/datasets/xps-feo").await;
    assert_eq!(status, 200);
    assert!(page.contains("id=\"request-access\"") && !page.contains("class=\"preview\""), "{page}");
    assert!(
        page.contains("@misc{") && page.contains("TY  - DATA") && page.contains("&#60;resource"),
        "three citation styles"
    );
    // The owner group sees the first rows with units, masked column included.
    let (_, page) = rita.get("/datasets/xps-feo").await;
    assert!(page.contains("class=\"preview\"") && page.contains("Temperature [K]"), "{page}");

    // Request, approval, download.
    let r = olga.post("/access/xps-feo", &[("reason", "thesis chapter 3")], true).await;
    assert_eq!(r.status(), 200);
    let (_, desk) = stella.get("/steward").await;
    let id = desk.split("/steward/xps-feo/requests/").nth(1).unwrap().split('"').next().unwrap().to_owned();
    let r = stella
        .post(&format!("/steward/xps-feo/requests/{id}"), &[("decision", "approve"), ("expires", "2999-01-01")], true)
        .await;
    assert_eq!(r.status(), 303);
    let (_, page) = olga.get("/datasets/xps-feo").await;
    assert!(page.contains("class=\"preview\"") && !page.contains("Temperature [K]"), "masked column hidden: {page}");
    // The first item link of the page's body (the head announces them as `<link>`s too).
    let body = page.split("<article").nth(1).unwrap();
    let link = body.split("rel=\"item\"").next().unwrap().rsplit("href=\"").next().unwrap().split('"').next().unwrap();
    let r = olga.client.get(link).header(COOKIE, &olga.cookie).send().await.unwrap();
    assert_eq!(r.status(), 200, "{link}");
    let (_, mine) = olga.get("/me").await;
    assert!(mine.contains("xps-feo") && (mine.contains("approved")), "{mine}");

    // The audit log shows the steps, to the steward.
    let (status, log) = stella.get("/audit?dataset=xps-feo").await;
    assert_eq!(status, 200);
    for action in ["version.submit", "version.return", "policy.change", "data.download", "data.preview"] {
        assert!(log.contains(action), "{action} missing: {log}");
    }
    assert_eq!(olga.get("/audit").await.0, 403);
}

#[tokio::test]
async fn what_a_caller_may_not_see_is_a_404_page() {
    let app = spawn_app().await;
    let lab = world(&app).await;
    let stella = Browser::sign_in(&app, "stella").await;
    let fields = [("name", "secret-draft"), ("title", "Unpublished secret"), ("group", lab.as_str())];
    assert_eq!(stella.multipart("/new", &fields, vec![], true).await.status(), 303);
    let olga = Browser::sign_in(&app, "olga").await;
    let anonymous = Browser::anonymous(&app);
    for who in [&olga, &anonymous] {
        for path in [
            "/datasets/secret-draft",
            "/datasets/secret-draft/1",
            "/edit/secret-draft",
            "/steward/secret-draft",
            "/datasets/never-existed",
            "/edit/never-existed",
            "/edit/secret-draft/files/00000000-0000-0000-0000-000000000000",
        ] {
            let (status, page) = who.get(path).await;
            assert_eq!(status, 404, "{path}");
            assert!(page.starts_with("<!DOCTYPE html>") && !page.contains("Unpublished secret"), "{path}: {page}");
        }
        let (status, page) = who.get("/search?q=secret").await;
        assert_eq!(status, 200);
        assert!(page.contains(">0 results") && !page.contains("secret-draft"), "{page}");
    }
    // Forms on it answer the same.
    assert_eq!(olga.post("/access/secret-draft", &[("reason", "x")], true).await.status(), 404);
    assert_eq!(olga.post("/steward/secret-draft/publish", &[], true).await.status(), 404);
    let file = "/edit/secret-draft/files/00000000-0000-0000-0000-000000000000";
    assert_eq!(olga.post(&format!("{file}/preview"), &[("delimiter", ";")], true).await.status(), 404);
    assert_eq!(olga.post(&format!("{file}/read"), &[("delimiter", ";")], true).await.status(), 404);
    // The owner group sees it.
    let (status, page) = stella.get("/datasets/secret-draft").await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("Unpublished secret"));
}

#[tokio::test]
async fn a_steward_runs_a_consortium_from_the_portal() {
    let app = spawn_app().await;
    let lab = world(&app).await;
    let stella = Browser::sign_in(&app, "stella").await;
    let rita = Browser::sign_in(&app, "rita").await;
    let olga = Browser::sign_in(&app, "olga").await;
    // Only a steward is offered the form, and only for the groups they steward.
    let (_, page) = rita.get("/consortia").await;
    assert!(!page.contains("action=\"/consortia\""), "a member cannot start a consortium");
    let (_, page) = stella.get("/consortia").await;
    assert!(page.contains(&format!("<option value=\"{lab}\">Lab (Uni)</option>")), "{page}");
    let fields = [("name", "XPS network"), ("coordinator", lab.as_str()), ("terms", "Cite the source.")];
    assert_eq!(rita.post("/consortia", &fields, true).await.status(), 403, "a member may not coordinate");
    let r = stella.post("/consortia", &fields, true).await;
    assert_eq!(r.status(), 303);
    let at = r.headers()[LOCATION].to_str().unwrap().to_owned();
    let id = at.trim_start_matches("/consortia/").to_owned();
    let (_, page) = stella.get(&at).await;
    assert!(page.contains("<span id=\"coordinator\">Lab (Uni)</span>"), "{page}");
    assert!(page.contains("Lab <span class=\"muted\">"), "the coordinating group is the first member");
    // The coordinator adds the other lab; a second time is a conflict, not a duplicate.
    let (_, page) = stella.get(&at).await;
    let other = page.split("value=\"group:").map(|s| s.split('"').next().unwrap()).nth(1).unwrap().to_owned();
    assert!(page.contains(&format!("<option value=\"group:{other}\">Group: Other lab (Uni)</option>")), "{page}");
    assert!(!page.contains(&format!("group:{lab}")), "members are not offered again");
    let member = format!("group:{other}");
    assert_eq!(olga.post(&format!("{at}/members"), &[("member", &member)], true).await.status(), 403);
    assert_eq!(stella.post(&format!("{at}/members"), &[("member", &member)], true).await.status(), 303);
    assert_eq!(stella.post(&format!("{at}/members"), &[("member", &member)], true).await.status(), 409);
    // Olga (other lab) accepts version 1; the coordinator sees her name, she sees only the count.
    assert_eq!(olga.post(&format!("{at}/accept"), &[], true).await.status(), 303);
    let (_, page) = olga.get(&at).await;
    assert!(page.contains("<strong id=\"accepted-count\">1</strong>") && !page.contains("accepted-names"));
    assert!(!page.contains(&format!("action=\"{at}/agreement\"")), "members do not manage");
    let (_, page) = stella.get(&at).await;
    assert!(page.contains("<ul id=\"accepted-names\"><li>olga"), "{page}");
    // REST names her the same way, to those who manage the consortium only.
    let detail = |token: Option<String>| {
        let mut request = app.client.get(app.url(&format!("/consortia/{id}")));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        async move { request.send().await.unwrap().json::<Value>().await.unwrap() }
    };
    let managed = detail(Some(app.token.clone())).await;
    assert_eq!(managed["accepted_by"][0]["name"], "olga", "{managed}");
    assert!(managed["accepted_by"][0]["user_id"].is_string() && managed["accepted_by"][0]["accepted_at"].is_string());
    assert_eq!(detail(None).await["accepted_by"], json!([]));
    // A new agreement version: acceptance starts over, and REST agrees with the page.
    let terms = [("terms", "Version 2: cite the node too."), ("url", "")];
    assert_eq!(olga.post(&format!("{at}/agreement"), &terms, true).await.status(), 403);
    assert_eq!(stella.post(&format!("{at}/agreement"), &terms, true).await.status(), 303);
    let (_, page) = stella.get(&at).await;
    assert!(page.contains("<td>2 <strong>") && page.contains("<strong id=\"accepted-count\">0</strong>"), "{page}");
    let detail: Value =
        app.client.get(app.url(&format!("/consortia/{id}"))).send().await.unwrap().json().await.unwrap();
    assert_eq!(detail["agreement"]["version"], 2);
    assert_eq!(detail["members"].as_array().unwrap().len(), 2);
    // Every change is in the audit log.
    let audit: Value =
        app.client.get(app.url("/audit?limit=100")).bearer_auth(&app.token).send().await.unwrap().json().await.unwrap();
    let actions: Vec<&str> = audit["items"].as_array().unwrap().iter().filter_map(|e| e["action"].as_str()).collect();
    for action in ["consortium.create", "consortium.member_add", "consortium.accept", "consortium.agreement"] {
        assert!(actions.contains(&action), "{action} audited: {actions:?}");
    }
}

/// Every table of the draft's first version as (name, column names), through the REST API.
async fn table_columns(app: &TestApp, dataset: &str) -> Vec<(String, Vec<String>)> {
    app.draft_tables(dataset).await.into_iter().map(|(name, _, columns)| (name, columns)).collect()
}

#[tokio::test]
async fn an_editor_sees_how_a_file_was_read_previews_other_parameters_and_reads_it_again() {
    let app = spawn_app().await;
    let lab = world(&app).await;
    let rita = Browser::sign_in(&app, "rita").await;
    // `,` and `;` explain this file equally well: the reader picks `,` and says so.
    let csv = b"name;note,extra\nal;b,c\ndo;e,f\ngi;h,i\n".to_vec();
    let fields = [("name", "notes"), ("title", "Notes"), ("group", lab.as_str())];
    let r = rita.multipart("/new", &fields, vec![("notes.csv", csv)], true).await;
    assert_eq!(r.status(), 303);
    let job = r.headers()[LOCATION].to_str().unwrap().to_owned();
    wait_for_job(&app, &rita, &job).await;

    // The job page shows the warning apart from errors, linked to the file's page.
    let (_, page) = rita.get(&job).await;
    assert!(page.contains("id=\"file-warnings\"") && page.contains("ambiguous dialect"), "{page}");
    let link = page.split("href=\"/edit/notes/files/").nth(1).unwrap().split(['"', '#']).next().unwrap().to_owned();
    let file = format!("/edit/notes/files/{link}");
    let (_, edit) = rita.get("/edit/notes").await;
    assert!(edit.contains(&format!("href=\"{file}\"")), "the editor links the file: {edit}");

    // The file's page: format, dialect, the highlighted warning, columns and first rows.
    let (status, page) = rita.get(&file).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("id=\"read-format\">csv<"), "{page}");
    assert!(page.contains("id=\"read-dialect\"") && page.contains("<code>,</code>"), "{page}");
    assert!(page.contains("id=\"read-warnings\"") && page.contains("ambiguous dialect"), "{page}");
    assert!(page.contains("<td>al;b</td>"), "first rows as read: {page}");
    assert!(page.contains("id=\"delimiter\" name=\"delimiter\" value=\",\""), "the form holds what was detected");
    let (_, ja) = rita.get(&format!("{file}?lang=ja")).await;
    assert!(ja.contains("読み取り方を変える") && ja.contains("区切り文字"), "{ja}");

    // A preview with `;` shows the other reading and changes nothing.
    let form = [("delimiter", ";"), ("decimal", "."), ("encoding", "utf-8"), ("header_line", "1"), ("skip_lines", "")];
    let r = rita.post(&format!("{file}/preview"), &form, true).await;
    assert_eq!(r.status(), 200);
    let page = r.text().await.unwrap();
    let trial = page.split("id=\"read-trial\"").nth(1).expect("a preview");
    assert!(trial.contains("<td>al</td><td>b,c</td>"), "{trial}");
    assert!(page.contains("<td>al;b</td>"), "the draft's rows are unchanged: {page}");
    assert_eq!(table_columns(&app, "notes").await[0].1.len(), 2);
    let before = table_columns(&app, "notes").await;
    // A line number that is none, or parameters the reader refuses, are said on the page.
    let r = rita.post(&format!("{file}/preview"), &[("header_line", "first")], true).await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("is not a whole number"));
    let r = rita.post(&format!("{file}/preview"), &[("delimiter", ","), ("decimal", ",")], true).await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("cannot be both"));
    // Without the CSRF field nothing is read.
    assert_eq!(rita.post(&format!("{file}/read"), &form, false).await.status(), 403);

    // Reading again replaces the file's table.
    let r = rita.post(&format!("{file}/read"), &form, true).await;
    assert_eq!(r.status(), 303);
    let job = r.headers()[LOCATION].to_str().unwrap().to_owned();
    assert!(job.starts_with("/edit/notes/jobs/"), "{job}");
    wait_for_job(&app, &rita, &job).await;
    let after = table_columns(&app, "notes").await;
    assert_eq!(after.len(), 1, "replaced, not doubled: {after:?}");
    assert_ne!(after, before);
    assert_eq!(after[0].1[0], "name", "{after:?}");
    let (_, page) = rita.get(&file).await;
    assert!(page.contains("<td>al</td><td>b,c</td>") && !page.contains("<td>al;b</td>"), "{page}");
    assert!(page.contains("<code>;</code>") && !page.contains("id=\"read-warnings\""), "{page}");

    // Someone outside the group, or signed out, finds nothing there.
    let olga = Browser::sign_in(&app, "olga").await;
    for who in [&olga, &Browser::anonymous(&app)] {
        assert_eq!(who.get(&file).await.0, 404);
    }
    assert_eq!(olga.post(&format!("{file}/preview"), &form, true).await.status(), 404);
    assert_eq!(olga.post(&format!("{file}/read"), &form, true).await.status(), 404);
    app.assert_healthy().await;
}
