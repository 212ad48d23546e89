//! The authorization matrix: every actor × every access level × every endpoint, table-driven.
//! Each row asserts the status code, and every response body is searched for the id, name and
//! title of each dataset the actor may not see: none may appear, in lists, counts or errors.
//! Every dataset's table has a masked column: its name and values may appear only in bodies for
//! actors who see masked columns, and the data (values, statistics, previews) only for actors who
//! may read the data. Bodies are searched as text with archives and Parquet decoded.
//! A new surface adds its rows to `ENDPOINTS` (and to the README's contributor notes).

mod common;

use std::collections::HashMap;

use common::readable::readable;
use common::{TestApp, spawn_app};
use serde_json::{Value, json};

const ACTORS: [&str; 10] = [
    "anonymous",
    "outsider",
    "consortium_accepted",
    "consortium_not_accepted",
    "grant_holder",
    "expired_grant",
    "owner_member",
    "steward",
    "admin",
    "read_only_steward",
];
const LEVELS: [&str; 7] = ["open", "embargo_active", "embargo_lifted", "consortium", "restricted", "closed", "draft"];
/// The masked column of every dataset's table, and its value.
const MASKED_COLUMN: &str = "secretcol";
const MASKED_VALUE: &str = "zqmasked";
/// A value of a visible column: data, so it (and statistics showing it) only for data readers.
const DATA_VALUE: &str = "zqdatum";
/// The least value of the numeric column: its statistics' `min`.
const DATA_MIN: &str = "-7.125";

/// Expected outcome per actor and level, four letters: read metadata, read data, edit, manage
/// access. A = allowed, F = forbidden (existence public), N = answers as if absent.
fn expected(actor: &str, level: &str) -> &'static str {
    let outsider = match level {
        "open" | "embargo_lifted" => "AAFF",
        "embargo_active" | "consortium" | "restricted" => "AFFF",
        _ => "NNNN",
    };
    match actor {
        "admin" | "steward" => "AAAA",
        "owner_member" => "AAAF",
        // A read-only token of a steward reads like the steward but changes nothing.
        "read_only_steward" => "AAFF",
        "consortium_accepted" if level == "consortium" => "AAFF",
        "grant_holder" if level == "restricted" => "AAFF",
        _ => outsider,
    }
}

/// Whether the actor sees masked columns (the owner group and admins, whatever the level).
fn sees_masked(actor: &str) -> bool {
    matches!(actor, "owner_member" | "steward" | "admin" | "read_only_steward")
}

struct World {
    app: TestApp,
    tokens: HashMap<&'static str, String>,
    /// Per level: dataset name, id, title, raw file id.
    datasets: HashMap<&'static str, (String, String, String, String)>,
    /// Per level: the id of the Parquet derived from the raw file.
    derived: HashMap<&'static str, String>,
    /// Per level: the SHA-256 of the raw file and of the Parquet, both holding the masked column
    /// (a checksum would let anyone confirm a guessed masked value).
    checksums: HashMap<&'static str, Vec<String>>,
    consortium: String,
}

async fn call(app: &TestApp, method: &str, path: &str, token: Option<&str>, body: Option<Value>) -> (u16, String) {
    // `~/…` is a path at the site root (the FAIR surfaces), anything else is under `/api/v1`.
    let url = match path.strip_prefix('~') {
        Some(root) => format!("{}{root}", app.base),
        None => app.url(path),
    };
    let mut request = match method {
        "GET" => app.client.get(&url),
        "POST" => app.client.post(&url),
        "PUT" => app.client.put(&url),
        "PATCH" => app.client.patch(&url),
        other => panic!("unknown method {other}"),
    };
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.expect("request");
    let status = response.status().as_u16();
    (status, readable(&response.bytes().await.unwrap_or_default()))
}

async fn ok(app: &TestApp, method: &str, path: &str, token: &str, body: Value) -> Value {
    let (status, text) = call(app, method, path, Some(token), Some(body)).await;
    assert!(status < 300, "{method} {path}: {status} {text}");
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

async fn user_with_token(app: &TestApp, name: &str, scope: &str) -> (String, String) {
    let user = ok(app, "POST", "/users", &app.token, json!({"username": name})).await;
    let id = user["id"].as_str().unwrap().to_owned();
    let token = ok(app, "POST", &format!("/users/{id}/tokens"), &app.token, json!({"name": "t", "scope": scope})).await;
    (id, token["secret"].as_str().unwrap().to_owned())
}

async fn build_world() -> World {
    let app = spawn_app().await;
    let admin = app.token.clone();
    let org = ok(&app, "POST", "/organizations", &admin, json!({"name": "Uni A"})).await;
    let org_id = org["id"].as_str().unwrap();
    let owner = ok(&app, "POST", &format!("/organizations/{org_id}/groups"), &admin, json!({"name": "Lab A"})).await;
    let partner = ok(&app, "POST", &format!("/organizations/{org_id}/groups"), &admin, json!({"name": "Lab B"})).await;
    let (owner_id, partner_id) = (owner["id"].as_str().unwrap().to_owned(), partner["id"].as_str().unwrap().to_owned());

    let mut tokens: HashMap<&'static str, String> = HashMap::new();
    let mut users: HashMap<&'static str, String> = HashMap::new();
    for actor in ACTORS.iter().copied().filter(|a| !["anonymous", "admin", "read_only_steward"].contains(a)) {
        let (id, token) = user_with_token(&app, actor, "write").await;
        users.insert(actor, id);
        tokens.insert(actor, token);
    }
    tokens.insert("admin", admin.clone());
    let set_role = |group: String, user: String, role: &'static str| {
        let app = &app;
        let admin = admin.clone();
        async move {
            call(app, "PUT", &format!("/groups/{group}/members/{user}"), Some(&admin), Some(json!({"role": role})))
                .await
        }
    };
    assert_eq!(set_role(owner_id.clone(), users["owner_member"].clone(), "member").await.0, 204);
    assert_eq!(set_role(owner_id.clone(), users["steward"].clone(), "steward").await.0, 204);
    for actor in ["consortium_accepted", "consortium_not_accepted"] {
        assert_eq!(set_role(partner_id.clone(), users[actor].clone(), "member").await.0, 204);
    }
    let read_only = ok(
        &app,
        "POST",
        &format!("/users/{}/tokens", users["steward"]),
        &admin,
        json!({"name": "ro", "scope": "read"}),
    )
    .await;
    tokens.insert("read_only_steward", read_only["secret"].as_str().unwrap().to_owned());

    let consortium = ok(&app, "POST", "/consortia", &admin, json!({"name": "C1", "terms": "share nicely"})).await;
    let consortium_id = consortium["id"].as_str().unwrap().to_owned();
    let (status, _) = call(
        &app,
        "POST",
        &format!("/consortia/{consortium_id}/members"),
        Some(&admin),
        Some(json!({"group": partner_id})),
    )
    .await;
    assert_eq!(status, 204);
    ok(&app, "POST", &format!("/consortia/{consortium_id}/accept"), &tokens["consortium_accepted"], json!({})).await;

    let steward = tokens["steward"].clone();
    let mut datasets = HashMap::new();
    let mut derived = HashMap::new();
    let mut checksums = HashMap::new();
    for level in LEVELS {
        let name = format!("ds-{level}");
        let title = format!("Title {level} {}", uuid::Uuid::new_v4().simple());
        let created =
            ok(&app, "POST", "/datasets", &steward, json!({"name": name, "title": title, "group": owner_id})).await;
        let id = created["dataset"]["id"].as_str().unwrap().to_owned();
        let csv = format!("a,b,{MASKED_COLUMN}\n{DATA_MIN},{level},{MASKED_VALUE}\n2,{DATA_VALUE},{MASKED_VALUE}\n")
            .into_bytes();
        let mut form = reqwest::multipart::Form::new();
        form = form.part("file", reqwest::multipart::Part::bytes(csv).file_name("t.csv"));
        let upload = app
            .client
            .post(app.url(&format!("/datasets/{name}/draft/files")))
            .bearer_auth(&steward)
            .multipart(form)
            .send()
            .await
            .unwrap();
        assert_eq!(upload.status(), 201);
        let files: Value = upload.json().await.unwrap();
        let file_id = files[0]["id"].as_str().unwrap().to_owned();
        let job = ok(&app, "POST", &format!("/datasets/{name}/draft/ingest"), &steward, json!({})).await;
        let job = app.wait_for_job(&job).await;
        assert_eq!(job["state"], "succeeded", "{job}");
        ok(&app, "PUT", &format!("/datasets/{name}/policy"), &steward, policy_for(level, &consortium_id)).await;
        let (_, files) =
            call(&app, "GET", &format!("/datasets/{name}/versions/latest/files"), Some(&steward), None).await;
        let files: Value = serde_json::from_str(&files).unwrap();
        let parquet = files["items"].as_array().unwrap().iter().find(|f| f["role"] == "derived").expect("derived file");
        derived.insert(level, parquet["id"].as_str().unwrap().to_owned());
        let sums = files["items"].as_array().unwrap().iter().map(|f| f["sha256"].as_str().unwrap().to_owned());
        checksums.insert(level, sums.collect());
        if level != "draft" {
            ok(&app, "POST", &format!("/datasets/{name}/draft/publish"), &steward, json!({})).await;
        }
        datasets.insert(level, (name, id, title, file_id));
    }

    // A live grant, and one that has expired, on the restricted dataset.
    for (actor, expires) in
        [("grant_holder", chrono::Duration::days(1)), ("expired_grant", chrono::Duration::seconds(1))]
    {
        let request =
            ok(&app, "POST", "/datasets/ds-restricted/access-requests", &tokens[actor], json!({"reason": "research"}))
                .await;
        let expires_at = (chrono::Utc::now() + expires).to_rfc3339();
        let answered = ok(
            &app,
            "POST",
            &format!("/datasets/ds-restricted/access-requests/{}", request["id"].as_str().unwrap()),
            &steward,
            json!({"decision": "approve", "expires_at": expires_at}),
        )
        .await;
        assert_eq!(answered["state"], "approved");
    }
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    World { app, tokens, datasets, derived, checksums, consortium: consortium_id }
}

/// The endpoints: (kind, method, path template). `{n}` is the dataset name, `{i}` its id, `{f}` a
/// raw file id, `{p}` the id of the Parquet derived from it; `~` starts a path at the site root
/// instead of `/api/v1`.
/// Kinds: M = metadata read, D = data read, E = edit, P = manage access; W = a stored file that
/// holds the masked column (data readers who may not see it get 404, as if it did not exist);
/// C = rows naming the masked column (such readers get 400, as for a column that does not exist);
/// R = a page of the draft's raw file (the edit letter; a dataset without a draft has no such page);
/// K = cancelling a job (the edit letter; the job named does not exist, so editors get 404).
const ENDPOINTS: &[(char, &str, &str)] = &[
    ('M', "GET", "/datasets/{n}"),
    ('M', "GET", "/datasets/{n}/versions"),
    ('M', "GET", "/datasets/{n}/versions/1"),
    ('M', "GET", "/datasets/{n}/versions/latest"),
    ('M', "GET", "/datasets/{n}/versions/1/files"),
    ('M', "GET", "/datasets/{n}/versions/1/tables"),
    ('M', "GET", "/datasets/{n}/versions/1/tables/t"),
    ('M', "GET", "/datasets/{n}/policy"),
    ('W', "GET", "/datasets/{n}/versions/1/files/{f}/content"),
    ('W', "GET", "/datasets/{n}/versions/1/files/{p}/content"),
    ('D', "GET", "/datasets/{n}/versions/1/tables/t/parquet"),
    ('D', "GET", "/datasets/{n}/versions/1/tables/t/rows"),
    ('D', "GET", "/datasets/{n}/versions/1/tables/t/rows?columns=a,b"),
    ('C', "GET", "/datasets/{n}/versions/1/tables/t/rows?columns=a,secretcol"),
    // FAIR surfaces: landing pages (HTML and negotiated), documents, linkset, PID, export.
    ('M', "GET", "~/datasets/{n}"),
    ('M', "GET", "~/datasets/{n}/1"),
    ('M', "GET", "~/datasets/{n}/1?format=ttl"),
    ('M', "GET", "~/datasets/{n}/1/metadata.jsonld"),
    ('M', "GET", "~/datasets/{n}/1/datacite.xml"),
    ('M', "GET", "~/datasets/{n}/1/linkset"),
    ('M', "GET", "~/datasets/{n}/1/export.eln"),
    ('M', "GET", "~/pid/{i}"),
    ('M', "GET", "~/pid/{i}/1"),
    // Portal pages (HTML): the landing page in Japanese, the editor, the steward's page.
    ('M', "GET", "~/datasets/{n}?lang=ja"),
    ('M', "GET", "~/datasets/{n}/latest?format=html"),
    ('E', "GET", "~/edit/{n}"),
    // How a raw file of the draft was read, and a preview of reading it differently (R: editors
    // only, and only where a draft holds the file).
    ('R', "GET", "~/edit/{n}/files/{f}"),
    ('R', "POST", "~/edit/{n}/files/{f}/preview"),
    // Cancelling a job (here one that never was): editors learn it does not exist, others are
    // refused by the edit letter before any job is looked up.
    ('K', "POST", "/datasets/{n}/jobs/00000000-0000-0000-0000-000000000000/cancel"),
    ('K', "POST", "~/edit/{n}/jobs/00000000-0000-0000-0000-000000000000/cancel"),
    ('P', "GET", "~/steward/{n}"),
    ('P', "GET", "/datasets/{n}/grants"),
    ('P', "PUT", "/datasets/{n}/policy"),
    ('J', "GET", "/datasets/{n}/jobs"),
    ('L', "GET", "/datasets/{n}/access-requests"),
    ('Q', "POST", "/datasets/{n}/access-requests"),
    // Last: opening a draft changes what "latest" means for the owner group; the PATCH then
    // finds that draft (an empty change).
    ('E', "POST", "/datasets/{n}/draft"),
    ('E', "PATCH", "/datasets/{n}/draft"),
];
/// Endpoints whose body carries the masked column's values to actors who see it and may read the data.
const MASKED_DATA: &[&str] = &[
    "/datasets/{n}/versions/1/files/{f}/content",
    "/datasets/{n}/versions/1/files/{p}/content",
    "/datasets/{n}/versions/1/tables/t/parquet",
    "/datasets/{n}/versions/1/tables/t/rows",
    "/datasets/{n}/versions/1/tables/t/rows?columns=a,secretcol",
    "~/datasets/{n}/1/export.eln",
];
// Upload, ingest and publish change versions for every later row; they run in the world's set-up
// (by the steward) and their refusals for others are in `tests/datasets.rs` and `tests/tokens.rs`.

fn status_for(letter: char, kind: char, actor: &str) -> u16 {
    // Requests are about people: without a user behind the credentials there is nobody to ask
    // for or to show one's own requests to (admin tokens still see every request).
    if letter != 'N' && matches!(kind, 'L' | 'Q') {
        return match (kind, actor) {
            (_, "anonymous") => 401,
            ('Q', "admin") => 401,
            ('Q', "read_only_steward") => 403,
            ('Q', _) => 201,
            _ => 200,
        };
    }
    match (letter, kind) {
        ('A', 'W') if !sees_masked(actor) => return 404,
        ('A', 'C') if !sees_masked(actor) => return 400,
        _ => {}
    }
    match letter {
        'A' => 200,
        'N' => 404,
        _ if actor == "anonymous" && matches!(kind, 'E' | 'P' | 'J' | 'R' | 'K') => 401,
        _ => 403,
    }
}

#[tokio::test]
async fn every_actor_level_and_endpoint_behaves_as_the_table_says() {
    let world = build_world().await;
    let app = &world.app;
    let mut failures = Vec::new();
    app.index_now().await;
    search_rows(&world, &mut failures).await;
    sparql_rows(&world, &mut failures).await;
    for actor in ACTORS {
        let token = world.tokens.get(actor).map(String::as_str);
        let hidden: Vec<&(String, String, String, String)> =
            LEVELS.iter().filter(|l| expected(actor, l).starts_with('N')).map(|l| &world.datasets[l]).collect();
        let leaks = |body: &str, failures: &mut Vec<String>, what: &str| {
            for (name, id, title, _) in &hidden {
                for secret in [name.as_str(), id.as_str(), title.as_str()] {
                    if body.contains(secret) {
                        failures.push(format!("{actor}: {what} leaks {secret:?} of an invisible dataset"));
                    }
                }
            }
        };
        // Lists and counts.
        let (status, body) = call(app, "GET", "/datasets?limit=100", token, None).await;
        assert_eq!(status, 200);
        let list: Value = serde_json::from_str(&body).unwrap();
        let visible = LEVELS.iter().filter(|l| !expected(actor, l).starts_with('N')).count();
        let listed = list["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| d["name"].as_str().unwrap_or("").starts_with("ds-"))
            .count();
        if listed != visible || list["total"].as_u64() != Some(visible as u64) {
            failures.push(format!(
                "{actor}: list shows {listed} (total {}) of the {visible} visible datasets",
                list["total"]
            ));
        }
        leaks(&body, &mut failures, "GET /datasets");
        // The DCAT catalog and the sitemap are public-only for everyone: closed datasets and
        // drafts never appear, whoever asks.
        for path in ["~/catalog?limit=100", "~/sitemap.xml"] {
            let (status, body) = call(app, "GET", path, token, None).await;
            if status != 200 {
                failures.push(format!("{actor}: {path} answered {status}"));
            }
            for level in ["closed", "draft"] {
                let (name, id, title, _) = &world.datasets[level];
                for secret in [name.as_str(), id.as_str(), title.as_str()] {
                    if body.contains(secret) {
                        failures.push(format!("{actor}: {path} lists the {level} dataset ({secret:?})"));
                    }
                }
            }
            if !body.contains("ds-open") {
                failures.push(format!("{actor}: {path} misses the open dataset"));
            }
        }

        for (kind, method, template) in ENDPOINTS {
            for level in LEVELS {
                let (name, id, _, file_id) = &world.datasets[level];
                let path = template
                    .replace("{n}", name)
                    .replace("{i}", id)
                    .replace("{f}", file_id)
                    .replace("{p}", &world.derived[level]);
                let reads_data = expected(actor, level).as_bytes()[1] == b'A';
                let letter = match kind {
                    'M' | 'L' | 'Q' => expected(actor, level).as_bytes()[0],
                    'D' | 'W' | 'C' => expected(actor, level).as_bytes()[1],
                    // Jobs are the owner group's to read, read-only tokens included.
                    'J' if actor == "read_only_steward" => b'A',
                    'E' | 'J' | 'R' | 'K' => expected(actor, level).as_bytes()[2],
                    _ => expected(actor, level).as_bytes()[3],
                } as char;
                let body = match *method {
                    "PUT" => Some(policy_body(level, &world)),
                    "PATCH" => Some(json!({})),
                    "POST" if template.ends_with("access-requests") => Some(json!({"reason": "matrix"})),
                    _ => None,
                };
                let (status, text) = call(app, method, &path, token, body).await;
                let want = match status_for(letter, *kind, actor) {
                    // Only the draft has raw files to read again; published versions have no page.
                    200 if *kind == 'R' && level != "draft" => 404,
                    200 if *kind == 'K' => 404,
                    want => want,
                };
                if status != want {
                    failures.push(format!(
                        "{actor} {method} {path} ({level}): got {status}, want {want}: {}",
                        text.chars().take(120).collect::<String>()
                    ));
                }
                leaks(&text, &mut failures, &format!("{method} {path}"));
                // Refusing `columns=secretcol` echoes the name the caller gave, as for any column.
                let echo = format!("no column named \\\"{MASKED_COLUMN}\\\"");
                let shown = if *kind == 'C' { text.replace(&echo, "") } else { text.clone() };
                masked_leaks(actor, reads_data, &shown, &mut failures, &format!("{method} {path} ({level})"));
                if !sees_masked(actor) {
                    let mut withheld = world.checksums[level].clone();
                    if template.ends_with("/files") {
                        withheld.extend([file_id.clone(), world.derived[level].clone()]);
                    }
                    if let Some(w) = withheld.iter().find(|w| text.contains(w.as_str())) {
                        failures.push(format!("{actor} {method} {path} ({level}): names the withheld file {w}"));
                    }
                }
                let owner_side_read = sees_masked(actor) && reads_data && status == 200;
                if owner_side_read && MASKED_DATA.contains(template) && !text.contains(MASKED_VALUE) {
                    failures.push(format!("{actor} {method} {path} ({level}): the masked values are missing"));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{} matrix failures:\n{}", failures.len(), failures.join("\n"));
}

/// Masked names and values only for actors who see masked columns; data (values, statistics,
/// previews) only for actors who may read it.
fn masked_leaks(actor: &str, reads_data: bool, body: &str, failures: &mut Vec<String>, what: &str) {
    let mut secrets = Vec::new();
    if !sees_masked(actor) {
        secrets.extend([MASKED_COLUMN, MASKED_VALUE]);
    }
    if !reads_data {
        secrets.extend([DATA_VALUE, DATA_MIN, MASKED_VALUE]);
    }
    for secret in secrets {
        if body.contains(secret) {
            failures.push(format!("{actor}: {what} shows {secret:?}"));
        }
    }
}

/// Search: hits, totals, facets and suggestions show exactly the datasets an actor may see. Run
/// before any row changes the world (opening drafts adds documents for the owner group).
async fn search_rows(world: &World, failures: &mut Vec<String>) {
    let app = &world.app;
    for actor in ACTORS {
        let token = world.tokens.get(actor).map(String::as_str);
        let hidden: Vec<&(String, String, String, String)> =
            LEVELS.iter().filter(|l| expected(actor, l).starts_with('N')).map(|l| &world.datasets[l]).collect();
        let visible = LEVELS.len() - hidden.len();
        let mut bodies = Vec::new();
        let (status, body) = call(app, "GET", "/search?limit=100", token, None).await;
        let all: Value = serde_json::from_str(&body).unwrap_or_default();
        if status != 200 || all["total"].as_u64() != Some(visible as u64) {
            failures.push(format!("{actor}: search total {} (status {status}), want {visible}", all["total"]));
        }
        let counted: u64 = all["facets"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|f| f["name"] == "access")
            .flat_map(|f| f["buckets"].as_array().cloned().unwrap_or_default())
            .map(|b| b["count"].as_u64().unwrap_or(0))
            .sum();
        if counted != visible as u64 {
            failures.push(format!("{actor}: access facet counts {counted} documents, want {visible}"));
        }
        bodies.push(body);
        for level in LEVELS {
            let (_, _, title, _) = &world.datasets[level];
            let word = title.rsplit(' ').next().unwrap();
            let (_, body) = call(app, "GET", &format!("/search?q={word}"), token, None).await;
            let hits: Value = serde_json::from_str(&body).unwrap_or_default();
            let want = u64::from(!expected(actor, level).starts_with('N'));
            if hits["total"].as_u64() != Some(want) {
                failures.push(format!("{actor}: search for the {level} dataset finds {}, want {want}", hits["total"]));
            }
            bodies.push(body);
        }
        bodies.push(call(app, "GET", "/search/suggest?q=title", token, None).await.1);
        // The portal's search and home pages (HTML): the same hits, counts and facets.
        let (status, page) = call(app, "GET", "~/search?q=title", token, None).await;
        if status != 200 || !page.contains(&format!(">{visible} results")) {
            failures.push(format!("{actor}: search page (status {status}) does not count {visible} results"));
        }
        for level in LEVELS {
            let (name, _, _, _) = &world.datasets[level];
            let shown = page.contains(&format!("<code>{name}</code>"));
            let may_see = !expected(actor, level).starts_with('N');
            if shown != may_see {
                failures.push(format!("{actor}: search page shows the {level} dataset: {shown}"));
            }
        }
        bodies.push(page);
        let (status, home) = call(app, "GET", "~/", token, None).await;
        if status != 200 || !home.contains(&format!("<strong>{visible}</strong>")) {
            failures.push(format!("{actor}: home page (status {status}) does not count {visible} datasets"));
        }
        bodies.push(home);
        bodies.push(call(app, "GET", &format!("/search?q={MASKED_COLUMN}"), token, None).await.1);
        for body in &bodies {
            // Search documents never hold masked column names, nor any data.
            masked_leaks("anyone", false, body, failures, &format!("{actor}: search"));
        }
        for body in bodies {
            for (name, id, title, _) in &hidden {
                for secret in [name.as_str(), id.as_str(), title.as_str()] {
                    if body.contains(secret) {
                        failures.push(format!("{actor}: search leaks {secret:?}"));
                    }
                }
            }
        }
    }
}

/// SPARQL: the graphs an actor's queries reach are exactly the published versions it may see
/// (drafts are never in the store), and no answer names anything else. Run before any row
/// changes the world.
async fn sparql_rows(world: &World, failures: &mut Vec<String>) {
    let app = &world.app;
    app.state.rdf.as_ref().expect("the server runs the RDF store").catch_up().await.expect("RDF catch up");
    for actor in ACTORS {
        let token = world.tokens.get(actor).map(String::as_str);
        let hidden: Vec<&(String, String, String, String)> =
            LEVELS.iter().filter(|l| expected(actor, l).starts_with('N')).map(|l| &world.datasets[l]).collect();
        let (status, body) = call(
            app,
            "GET",
            "~/sparql?query=SELECT%20*%20WHERE%20%7B%20GRAPH%20%3Fg%20%7B%20%3Fs%20%3Fp%20%3Fo%20%7D%20%7D",
            token,
            None,
        )
        .await;
        let answer: Value = serde_json::from_str(&body).unwrap_or_default();
        let mut graphs: Vec<String> = answer["results"]["bindings"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|b| b["g"]["value"].as_str().map(String::from))
            .collect();
        graphs.sort();
        graphs.dedup();
        let mut want: Vec<String> = LEVELS
            .iter()
            .filter(|l| **l != "draft" && !expected(actor, l).starts_with('N'))
            .map(|l| format!("{}/pid/{}/1", app.base, world.datasets[l].1))
            .collect();
        want.sort();
        if status != 200 || graphs != want {
            failures.push(format!("{actor}: SPARQL reaches graphs {graphs:?} (status {status}), want {want:?}"));
        }
        for (name, id, title, _) in &hidden {
            for secret in [name.as_str(), id.as_str(), title.as_str()] {
                if body.contains(secret) {
                    failures.push(format!("{actor}: SPARQL leaks {secret:?}"));
                }
            }
        }
        // The store holds public descriptions only: no masked column names, no data.
        masked_leaks("anyone", false, &body, failures, &format!("{actor}: SPARQL"));
    }
}

/// The policy each dataset already has, so that allowed PUTs change nothing.
fn policy_body(level: &str, world: &World) -> Value {
    policy_for(level, &world.consortium)
}

/// The policy of the dataset at `level`: its level, and the masked column.
fn policy_for(level: &str, consortium: &str) -> Value {
    let mut policy = match level {
        "embargo_active" => json!({"level": "embargoed", "until": "2999-01-01T00:00:00Z"}),
        "embargo_lifted" => json!({"level": "embargoed", "until": "2000-01-01T00:00:00Z"}),
        "restricted" => json!({"level": "restricted"}),
        "closed" => json!({"level": "closed"}),
        "consortium" => json!({"level": "consortium", "consortia": [consortium]}),
        _ => json!({"level": "open"}),
    };
    policy["masked_columns"] = json!([MASKED_COLUMN]);
    policy
}
