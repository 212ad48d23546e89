//! The world of the authorization matrix, built once through the REST API on a Kura running REST
//! and Flight: an actor per way of relating to a dataset (each with an API token), one dataset
//! per access level (each with a table `t` holding a masked column), a consortium and grants.

use std::collections::HashMap;

use serde_json::{Value, json};

use crate::{TestApp, roomy_sql_limits, spawn_with_flight};

/// Every actor of the world. `partner_member` and `partner_outsider` are users of a partner node
/// (`p`, trusted as a peer, speaking for `Uni P` and `Uni Q`) holding the read-only token this
/// node gave them by token exchange: `Uni P` is a member of the consortium and its user accepted
/// the agreement; `Uni Q` is not a member (its user claims the consortium all the same).
pub const ACTORS: [&str; 12] = [
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
    "partner_member",
    "partner_outsider",
];

/// The actors who are users of the partner node.
pub const PARTNERS: [&str; 2] = ["partner_member", "partner_outsider"];

/// A dataset per level, named `ds-{level}`. `deaccessioned` is an open dataset whose only
/// (published) version was deaccessioned by the steward; `draft` was never published.
pub const LEVELS: [&str; 8] =
    ["open", "embargo_active", "embargo_lifted", "consortium", "restricted", "closed", "draft", "deaccessioned"];

/// The masked column of every dataset's table, and its value.
pub const MASKED_COLUMN: &str = "secretcol";
pub const MASKED_VALUE: &str = "zqmasked";
/// A value of a visible column: data, so it (and statistics showing it) only for data readers.
pub const DATA_VALUE: &str = "zqdatum";
/// The least value of the numeric column: its statistics' `min`.
pub const DATA_MIN: &str = "-7.125";

/// One dataset of the world.
#[derive(Debug, Clone)]
pub struct Dataset {
    pub name: String,
    pub id: String,
    pub title: String,
    /// The uploaded CSV's file id.
    pub raw_file: String,
    /// The id of the Parquet derived from it.
    pub derived_file: String,
    /// The SHA-256 of the raw file and of the Parquet, both holding the masked column (a
    /// checksum would let anyone confirm a guessed masked value).
    pub checksums: Vec<String>,
}

impl Dataset {
    /// What identifies the dataset in any body: its name, id and title.
    pub fn secrets(&self) -> [&str; 3] {
        [&self.name, &self.id, &self.title]
    }
}

/// The running Kura and what the world holds.
pub struct World {
    pub app: TestApp,
    /// API tokens per actor (none for `anonymous`).
    pub tokens: HashMap<&'static str, String>,
    /// User ids per actor that is a user (not `anonymous` nor `admin`, an admin token).
    pub users: HashMap<&'static str, String>,
    /// The dataset of each level.
    pub datasets: HashMap<&'static str, Dataset>,
    /// The consortium's id.
    pub consortium: String,
}

impl World {
    /// The actor's token, `None` for `anonymous`.
    pub fn token(&self, actor: &str) -> Option<&str> {
        self.tokens.get(actor).map(String::as_str)
    }

    /// How the server names the actor in tickets and audit events (`user:{id}`, `anonymous`).
    pub fn principal(&self, actor: &str) -> String {
        let user = if actor == "read_only_steward" { "steward" } else { actor };
        self.users.get(user).map_or_else(|| "anonymous".to_owned(), |id| format!("user:{id}"))
    }
}

async fn user_with_token(app: &TestApp, name: &str, scope: &str) -> (String, String) {
    let user = app.ok("POST", "/users", &app.token, json!({"username": name})).await;
    let id = user["id"].as_str().unwrap().to_owned();
    let token = app.ok("POST", &format!("/users/{id}/tokens"), &app.token, json!({"name": "t", "scope": scope})).await;
    (id, token["secret"].as_str().unwrap().to_owned())
}

/// Builds the world: about a minute of set-up, so a test builds it once and checks every row on it.
pub async fn build_world() -> World {
    let app = spawn_with_flight(roomy_sql_limits()).await;
    let admin = app.token.clone();
    let org = app.ok("POST", "/organizations", &admin, json!({"name": "Uni A"})).await;
    let org_id = org["id"].as_str().unwrap();
    let group = |name: &'static str| {
        let (app, admin) = (&app, &admin);
        async move {
            let g = app.ok("POST", &format!("/organizations/{org_id}/groups"), admin, json!({"name": name})).await;
            g["id"].as_str().unwrap().to_owned()
        }
    };
    let (owner_id, partner_id) = (group("Lab A").await, group("Lab B").await);

    let mut tokens: HashMap<&'static str, String> = HashMap::new();
    let mut users: HashMap<&'static str, String> = HashMap::new();
    let made_elsewhere = ["anonymous", "admin", "read_only_steward", "partner_member", "partner_outsider"];
    for actor in ACTORS.iter().copied().filter(|a| !made_elsewhere.contains(a)) {
        let (id, token) = user_with_token(&app, actor, "write").await;
        users.insert(actor, id);
        tokens.insert(actor, token);
    }
    tokens.insert("admin", admin.clone());
    let roles = [
        (&owner_id, "owner_member", "member"),
        (&owner_id, "steward", "steward"),
        (&partner_id, "consortium_accepted", "member"),
        (&partner_id, "consortium_not_accepted", "member"),
    ];
    for (group, actor, role) in roles {
        let path = format!("/groups/{group}/members/{}", users[actor]);
        assert_eq!(app.call("PUT", &path, &admin, json!({"role": role})).await.0, 204);
    }
    let path = format!("/users/{}/tokens", users["steward"]);
    let read_only = app.ok("POST", &path, &admin, json!({"name": "ro", "scope": "read"})).await;
    tokens.insert("read_only_steward", read_only["secret"].as_str().unwrap().to_owned());

    let consortium = app.ok("POST", "/consortia", &admin, json!({"name": "C1", "terms": "share nicely"})).await;
    let consortium_id = consortium["id"].as_str().unwrap().to_owned();
    let path = format!("/consortia/{consortium_id}/members");
    assert_eq!(app.call("POST", &path, &admin, json!({"group": partner_id})).await.0, 204);
    app.ok("POST", &format!("/consortia/{consortium_id}/accept"), &tokens["consortium_accepted"], json!({})).await;
    for (actor, (token, user)) in partners(&app, &consortium_id).await {
        tokens.insert(actor, token);
        users.insert(actor, user);
    }

    let steward = tokens["steward"].clone();
    let mut datasets = HashMap::new();
    for level in LEVELS {
        let dataset = dataset_at(&app, &steward, &owner_id, level, &consortium_id).await;
        datasets.insert(level, dataset);
    }

    // A live grant, and one that has expired, on the restricted dataset.
    for (actor, expires) in
        [("grant_holder", chrono::Duration::days(1)), ("expired_grant", chrono::Duration::seconds(1))]
    {
        let path = "/datasets/ds-restricted/access-requests";
        let request = app.ok("POST", path, &tokens[actor], json!({"reason": "research"})).await;
        let expires_at = (chrono::Utc::now() + expires).to_rfc3339();
        let path = format!("{path}/{}", request["id"].as_str().unwrap());
        let answered = app.ok("POST", &path, &steward, json!({"decision": "approve", "expires_at": expires_at})).await;
        assert_eq!(answered["state"], "approved");
    }
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    World { app, tokens, users, datasets, consortium: consortium_id }
}

/// The partner node `p` (this node itself, under another id, so that its assertions verify with
/// this node's published keys) and its two users' tokens, by token exchange: (actor, (token, the
/// user's id as the audit names them, `{id}@p`)).
async fn partners(app: &TestApp, consortium: &str) -> Vec<(&'static str, (String, String))> {
    let admin = &app.token;
    for org in ["Uni P", "Uni Q"] {
        app.ok("POST", "/organizations", admin, json!({"name": org})).await;
    }
    let uni_p = app.state.catalog.organizations().await.unwrap().into_iter().find(|o| o.name == "Uni P").unwrap();
    let path = format!("/consortia/{consortium}/members");
    assert_eq!(app.call("POST", &path, admin, json!({"organization": uni_p.id})).await.0, 204);
    let peer = json!({"id": "p", "base_url": app.base, "organizations": ["Uni P", "Uni Q"]});
    app.ok("POST", "/federation/peers", admin, peer).await;
    let federation = app.state.federation().expect("federation runs in the server");
    let mut out = Vec::new();
    for (actor, org) in [("partner_member", "Uni P"), ("partner_outsider", "Uni Q")] {
        let now = chrono::Utc::now().timestamp();
        let claims = kura_federation::assertion::AssertionClaims {
            iss: "p".into(),
            sub: actor.into(),
            aud: app.state.config.node_id.clone(),
            iat: now,
            nbf: now,
            exp: now + 60,
            jti: uuid::Uuid::new_v4().to_string(),
            home: kura_service::federation::HomeClaims {
                org: Some(org.into()),
                consortia: vec![kura_service::federation::ConsortiumClaim { name: "C1".into(), agreement_version: 1 }],
            },
            visas: Vec::new(),
        };
        let assertion = federation.sign_assertion(&claims).expect("sign");
        let form = [
            ("grant_type", kura_federation::exchange::GRANT_TYPE),
            ("subject_token", assertion.as_str()),
            ("subject_token_type", kura_federation::exchange::JWT_TOKEN_TYPE),
        ];
        let answer = app.client.post(app.url("/federation/token")).form(&form).send().await.unwrap();
        assert_eq!(answer.status(), 200, "exchange for {actor}");
        let token = answer.json::<Value>().await.unwrap()["access_token"].as_str().unwrap().to_owned();
        let user = app.state.catalog.user_by_identity("kura-node:p", actor).await.unwrap().expect("recorded");
        out.push((actor, (token, format!("{}@p", user.id))));
    }
    out
}

/// The dataset `ds-{level}`, created, filled and (but for the draft) published by the steward.
async fn dataset_at(app: &TestApp, steward: &str, group: &str, level: &str, consortium: &str) -> Dataset {
    let name = format!("ds-{level}");
    let title = format!("Title {level} {}", uuid::Uuid::new_v4().simple());
    let created = app.ok("POST", "/datasets", steward, json!({"name": name, "title": title, "group": group})).await;
    let id = created["dataset"]["id"].as_str().unwrap().to_owned();
    let csv =
        format!("a,b,{MASKED_COLUMN}\n{DATA_MIN},{level},{MASKED_VALUE}\n2,{DATA_VALUE},{MASKED_VALUE}\n").into_bytes();
    let form = reqwest::multipart::Form::new().part("file", reqwest::multipart::Part::bytes(csv).file_name("t.csv"));
    let upload = app
        .client
        .post(app.url(&format!("/datasets/{name}/draft/files")))
        .bearer_auth(steward)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(upload.status(), 201);
    let files: Value = upload.json().await.unwrap();
    let raw_file = files[0]["id"].as_str().unwrap().to_owned();
    let job = app.ok("POST", &format!("/datasets/{name}/draft/ingest"), steward, json!({})).await;
    let job = app.wait_for_job(&job).await;
    assert_eq!(job["state"], "succeeded", "{job}");
    app.ok("PUT", &format!("/datasets/{name}/policy"), steward, policy_for(level, consortium)).await;
    let files = app.ok("GET", &format!("/datasets/{name}/versions/latest/files"), steward, Value::Null).await;
    let files = files["items"].as_array().unwrap();
    let derived = files.iter().find(|f| f["role"] == "derived").expect("derived file");
    let derived_file = derived["id"].as_str().unwrap().to_owned();
    let checksums = files.iter().map(|f| f["sha256"].as_str().unwrap().to_owned()).collect();
    // A stream table with the same kinds of values (data, and the masked column), appended
    // before publishing: the published version freezes it.
    let row = format!("{{\"a\": {DATA_MIN}, \"b\": \"{DATA_VALUE}\", \"{MASKED_COLUMN}\": \"{MASKED_VALUE}\"}}\n");
    let append = app
        .client
        .post(app.url(&format!("/datasets/{name}/streams/s/rows")))
        .bearer_auth(steward)
        .header("content-type", "application/x-ndjson")
        .header("kura-writer-id", "world")
        .header("kura-sequence", "0")
        .body(row)
        .send()
        .await
        .unwrap();
    assert_eq!(append.status(), 200, "{}", append.text().await.unwrap_or_default());
    if level != "draft" {
        app.ok("POST", &format!("/datasets/{name}/draft/publish"), steward, json!({})).await;
    }
    if level == "deaccessioned" {
        let path = format!("/datasets/{name}/versions/1/deaccession");
        app.ok("POST", &path, steward, json!({"reason": "the sample was contaminated"})).await;
    }
    Dataset { name, id, title, raw_file, derived_file, checksums }
}

/// The policy of the dataset at `level`: its level, and the masked column. PUT again, it
/// changes nothing.
pub fn policy_for(level: &str, consortium: &str) -> Value {
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
