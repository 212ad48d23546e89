//! Three federated Kura nodes on loopback — `a`, `b` and `c`, each with its own ports (REST and
//! Flight), data directory, catalog and signing key — that trust each other as peers. Every node knows the
//! three home organizations (`Univ A`, `Univ B`, `Univ C`); nodes `a` and `b` both hold the
//! consortium `materials` (members `Univ A` and `Univ B`, agreement version 1), whose current
//! agreement `alice` of node `a` accepted and `bob` of node `a` did not.
//!
//! Datasets (each one CSV table `t` with a column `secret` masked; titles share the word
//! `perovskite`): `a-open` on `a`; `b-open`, `b-consortium` (consortium `materials`),
//! `b-restricted`, `b-closed` and `b-draft` (never published) on `b`; `c-open` on `c`. The titles
//! of `b-closed` and `b-draft` carry words that must never be seen from another node.

use serde_json::{Value, json};

use crate::{TestApp, roomy_sql_limits, spawn_with_flight_and};

/// Words only the titles of `b`'s closed and draft datasets hold.
pub const HIDDEN_WORDS: [&str; 2] = ["zirconiumclosed", "hafniumdraft"];

/// One node of the cluster.
pub struct Node {
    pub id: &'static str,
    pub app: TestApp,
    /// Its home organization's name.
    pub org: String,
    /// Its lab group's id.
    pub group: String,
}

/// The three nodes and the users of `a`.
pub struct Cluster {
    pub a: Node,
    pub b: Node,
    pub c: Node,
    /// Write-scope API tokens of `a`'s users (member of `materials` who accepted, and who did not).
    pub alice: String,
    pub bob: String,
}

/// Starts the cluster (peers listed on every node with the organizations each speaks for).
pub async fn three_nodes() -> Cluster {
    let (a, b, c) = tokio::join!(node("a"), node("b"), node("c"));
    let nodes = [&a, &b, &c];
    for node in nodes {
        for peer in nodes.iter().filter(|p| p.id != node.id) {
            let body = json!({"id": peer.id, "base_url": peer.app.base, "flight_url": peer.app.flight,
                "organizations": [peer.org]});
            node.app.ok("POST", "/federation/peers", &node.app.token, body).await;
        }
    }
    for node in [&a, &b] {
        consortium(node).await;
    }
    let (alice, bob) = (user(&a, "alice").await, user(&a, "bob").await);
    let materials = consortium_id(&a.app).await;
    a.app.ok("POST", &format!("/consortia/{materials}/accept"), &alice, json!({})).await;

    dataset(&a, "a-open", "open", true).await;
    dataset(&b, "b-open", "open", true).await;
    dataset(&b, "b-consortium", "consortium", true).await;
    dataset(&b, "b-restricted", "restricted", true).await;
    dataset(&b, "b-closed", "closed", true).await;
    dataset(&b, "b-draft", "open", false).await;
    dataset(&c, "c-open", "open", true).await;
    for node in [&a, &b, &c] {
        node.app.index_now().await;
    }
    Cluster { a, b, c, alice, bob }
}

async fn node(id: &'static str) -> Node {
    let app = spawn_with_flight_and(roomy_sql_limits(), |config, _| {
        config.node_id = id.to_owned();
        config.federation_timeout_ms = 3_000;
    })
    .await;
    let mut org = String::new();
    let mut group = String::new();
    for name in ["A", "B", "C"] {
        let created = app.ok("POST", "/organizations", &app.token, json!({"name": format!("Univ {name}")})).await;
        if name.to_lowercase() == id {
            let organization = created["id"].as_str().unwrap().to_owned();
            let path = format!("/organizations/{organization}/groups");
            let lab = app.ok("POST", &path, &app.token, json!({"name": format!("Lab {name}")})).await;
            group = lab["id"].as_str().unwrap().to_owned();
            org = format!("Univ {name}");
        }
    }
    Node { id, app, org, group }
}

/// The consortium `materials` on `node`, with `Univ A` and `Univ B` as members.
async fn consortium(node: &Node) {
    let app = &node.app;
    let created = app.ok("POST", "/consortia", &app.token, json!({"name": "materials", "terms": "share nicely"})).await;
    let id = created["id"].as_str().unwrap();
    let organizations = app.state.catalog.organizations().await.unwrap();
    for org in organizations.iter().filter(|o| o.name == "Univ A" || o.name == "Univ B") {
        let path = format!("/consortia/{id}/members");
        let (status, body) = app.call("POST", &path, &app.token, json!({"organization": org.id})).await;
        assert_eq!(status, 204, "{body}");
    }
}

async fn consortium_id(app: &TestApp) -> String {
    let all = app.state.catalog.consortia().await.unwrap();
    all.iter().find(|c| c.name == "materials").unwrap().id.to_string()
}

/// A user of `node`'s lab with a write-scope API token.
async fn user(node: &Node, name: &str) -> String {
    let app = &node.app;
    let user = app.ok("POST", "/users", &app.token, json!({"username": name})).await;
    let id = user["id"].as_str().unwrap();
    let path = format!("/groups/{}/members/{id}", node.group);
    assert_eq!(app.call("PUT", &path, &app.token, json!({"role": "member"})).await.0, 204);
    let token =
        app.ok("POST", &format!("/users/{id}/tokens"), &app.token, json!({"name": "t", "scope": "write"})).await;
    token["secret"].as_str().unwrap().to_owned()
}

/// The dataset `name` of `node`'s lab at `level`, with one table `t`, published if `publish`.
async fn dataset(node: &Node, name: &str, level: &str, publish: bool) {
    let app = &node.app;
    let word = match name {
        "b-closed" => HIDDEN_WORDS[0],
        "b-draft" => HIDDEN_WORDS[1],
        _ => "visible",
    };
    let title = format!("{name} perovskite {word}");
    app.ok("POST", "/datasets", &app.token, json!({"name": name, "title": title, "group": node.group})).await;
    let csv = format!("x,y,secret\n1,{name},s1\n2,{name},s2\n3,{name},s3\n").into_bytes();
    assert_eq!(app.upload(name, vec![("t.csv", csv)]).await.status(), 201);
    let job = app.ingest(name).await;
    assert_eq!(job["state"], "succeeded", "{job}");
    let mut policy = match level {
        "consortium" => json!({"level": "consortium", "consortia": [consortium_id(app).await]}),
        other => json!({"level": other}),
    };
    policy["masked_columns"] = json!(["secret"]);
    app.ok("PUT", &format!("/datasets/{name}/policy"), &app.token, policy).await;
    if publish {
        app.ok("POST", &format!("/datasets/{name}/draft/publish"), &app.token, json!({})).await;
    }
}

impl Cluster {
    /// The nodes by id.
    pub fn node(&self, id: &str) -> &Node {
        [&self.a, &self.b, &self.c].into_iter().find(|n| n.id == id).expect("a node of the cluster")
    }
}

/// A JSON answer's text, for scanning it for words that must not be there.
pub fn text(value: &Value) -> String {
    value.to_string()
}
