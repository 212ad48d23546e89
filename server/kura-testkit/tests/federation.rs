//! Three Kura nodes on loopback (`kura_testkit::cluster`): federated search with a status per
//! node, identity travelling by token exchange and decided by the owning node, the refusals of
//! forged, expired, replayed and wrong-audience assertions, and a removed peer refused at once.

use chrono::Utc;
use kura_federation::assertion::AssertionClaims;
use kura_federation::exchange::{GRANT_TYPE, JWT_TOKEN_TYPE};
use kura_service::federation::{ConsortiumClaim, HomeClaims};
use kura_testkit::cluster::{self, Cluster, HIDDEN_WORDS};
use serde_json::{Value, json};

async fn federated_search(cluster: &Cluster, token: Option<&str>, query: &str) -> Value {
    let a = &cluster.a.app;
    let mut request = a.client.get(a.url("/federation/search")).query(&[("q", query)]);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

fn names(results: &Value) -> Vec<(String, String)> {
    let hits = results["hits"].as_array().unwrap();
    let mut names: Vec<(String, String)> =
        hits.iter().map(|h| (h["node"].as_str().unwrap().into(), h["name"].as_str().unwrap().into())).collect();
    names.sort();
    names
}

fn statuses(results: &Value) -> Vec<(String, String)> {
    let nodes = results["nodes"].as_array().unwrap();
    nodes.iter().map(|n| (n["node"].as_str().unwrap().into(), n["status"].as_str().unwrap().into())).collect()
}

/// The token `b` gives `a`'s user behind `token`, through `a`'s federation.
async fn token_at_b(cluster: &Cluster, token: &str) -> Result<Option<String>, kura_federation::NodeFailure> {
    let a = &cluster.a.app;
    let principal = a.state.credentials.bearer(token).await.unwrap();
    let peer = kura_service::federation::trusted_peer(&a.state, "b").await.unwrap().unwrap();
    a.state.federation().unwrap().token_for(&principal, &peer).await
}

async fn rows_at_b(cluster: &Cluster, token: &str, dataset: &str) -> (u16, Value) {
    cluster.b.app.call("GET", &format!("/datasets/{dataset}/versions/latest/tables/t/rows"), token, Value::Null).await
}

/// Posts a token exchange to `b` with `assertion`.
async fn exchange_at_b(cluster: &Cluster, assertion: &str) -> (u16, Value) {
    let b = &cluster.b.app;
    let form = [("grant_type", GRANT_TYPE), ("subject_token", assertion), ("subject_token_type", JWT_TOKEN_TYPE)];
    let response = b.client.post(b.url("/federation/token")).form(&form).send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

fn claims_for_b(sub: &str) -> AssertionClaims {
    let now = Utc::now().timestamp();
    AssertionClaims {
        iss: "a".into(),
        sub: sub.into(),
        aud: "b".into(),
        iat: now,
        nbf: now,
        exp: now + 60,
        jti: uuid::Uuid::new_v4().to_string(),
        home: HomeClaims {
            org: Some("Univ A".into()),
            consortia: vec![ConsortiumClaim { name: "materials".into(), agreement_version: 1 }],
        },
    }
}

#[tokio::test]
async fn three_nodes_federate_under_each_owners_rules() {
    let cluster = cluster::three_nodes().await;
    let (alice, bob) = (cluster.alice.clone(), cluster.bob.clone());

    // Federated search: every node's hits, each with its node and its landing page there.
    let results = federated_search(&cluster, Some(&alice), "perovskite").await;
    let expected: Vec<(String, String)> =
        [("a", "a-open"), ("b", "b-consortium"), ("b", "b-open"), ("b", "b-restricted"), ("c", "c-open")]
            .iter()
            .map(|(n, d)| ((*n).into(), (*d).into()))
            .collect();
    assert_eq!(names(&results), expected, "{results}");
    assert_eq!(statuses(&results), [("a".into(), "ok".into()), ("b".into(), "ok".into()), ("c".into(), "ok".into())]);
    assert_eq!(results["partial"], false);
    assert_eq!(results["total"], 5);
    for hit in results["hits"].as_array().unwrap() {
        let node = cluster.node(hit["node"].as_str().unwrap());
        let landing = format!("{}/datasets/{}", node.app.base, hit["name"].as_str().unwrap());
        assert_eq!(hit["landing_url"], landing.as_str());
    }
    let format = results["facets"].as_array().unwrap().iter().find(|f| f["name"] == "format").expect("format facet");
    assert_eq!(format["buckets"][0]["count"], 5, "facets are summed over the nodes: {format}");
    // b's closed and draft datasets never appear: not in names, counts, facets or snippets.
    for token in [Some(alice.as_str()), Some(bob.as_str()), None] {
        for query in ["perovskite", HIDDEN_WORDS[0], HIDDEN_WORDS[1], ""] {
            let text = federated_search(&cluster, token, query).await.to_string();
            for word in HIDDEN_WORDS.iter().chain(&["b-closed", "b-draft"]) {
                assert!(!text.contains(word), "{word} leaked from b to a ({query:?}): {text}");
            }
        }
    }

    // Identity travels: b decides with its own rules.
    let alice_at_b = token_at_b(&cluster, &alice).await.unwrap().expect("a token of b");
    let bob_at_b = token_at_b(&cluster, &bob).await.unwrap().expect("a token of b");
    assert_eq!(rows_at_b(&cluster, &alice_at_b, "b-consortium").await.0, 200, "a member who accepted reads");
    assert_eq!(rows_at_b(&cluster, &bob_at_b, "b-consortium").await.0, 403, "a member who did not accept");
    let (status, rows) = rows_at_b(&cluster, &alice_at_b, "b-open").await;
    assert_eq!(status, 200);
    assert!(!rows.to_string().contains("s1"), "the masked column stays at b: {rows}");
    assert_eq!(rows_at_b(&cluster, &alice_at_b, "b-restricted").await.0, 403, "no grant of b");
    assert_eq!(rows_at_b(&cluster, &alice_at_b, "b-closed").await.0, 404, "closed: as if it did not exist");
    let (status, _) = cluster.b.app.call("POST", "/datasets", &alice_at_b, json!({"name": "x", "title": "x"})).await;
    assert_eq!(status, 403, "a federated token never writes");

    // A grant b issued to a's user opens b's restricted data to them.
    let b = &cluster.b.app;
    let user = b.state.catalog.user_by_identity("kura-node:a", &alice_user_id(&cluster).await).await.unwrap().unwrap();
    let dataset =
        b.state.catalog.dataset_by_name("b-restricted", &kura_catalog::Visibility::everything()).await.unwrap();
    let request = b.state.catalog.request_access(dataset.id, user.id, "federated research").await.unwrap();
    let path = format!("/datasets/b-restricted/access-requests/{}", request.id);
    let expires = (Utc::now() + chrono::Duration::days(1)).to_rfc3339();
    b.ok("POST", &path, &b.token, json!({"decision": "approve", "expires_at": expires})).await;
    assert_eq!(rows_at_b(&cluster, &alice_at_b, "b-restricted").await.0, 200, "b's own grant");

    // b's audit names the user and the home node.
    let audit = b.ok("GET", "/audit?action=federation.token_exchange", &b.token, Value::Null).await;
    let actors: Vec<&str> = audit["items"].as_array().unwrap().iter().map(|e| e["actor"].as_str().unwrap()).collect();
    assert!(actors.iter().any(|a| a == &format!("user:{}@a", user.id)), "{audit}");
    let reads = b.ok("GET", "/audit?action=data.", &b.token, Value::Null).await.to_string();
    assert!(reads.contains(&format!("user:{}@a", user.id)), "data reads name the home node: {reads}");

    // A peer that loops a federated query back is answered from its own index only.
    let response = b
        .client
        .get(b.url("/federation/search?q=perovskite"))
        .header(kura_federation::HOPS_HEADER, "1")
        .send()
        .await
        .unwrap();
    let looped: Value = response.json().await.unwrap();
    assert_eq!(statuses(&looped), [("b".into(), "ok".into())]);

    assert_assertions_are_checked(&cluster).await;

    // A peer that accepts the connection and never answers is reported as `timeout` after the
    // deadline; node c going down is reported as `error`; the others' hits stay.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let silent_url = format!("http://{}", silent.local_addr().unwrap());
    let held = tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((socket, _)) = silent.accept().await {
            open.push(socket);
        }
    });
    let a = &cluster.a.app;
    a.ok("POST", "/federation/peers", &a.token, json!({"id": "d", "base_url": silent_url, "organizations": []})).await;
    cluster.c.app.stop().await;
    let results = federated_search(&cluster, Some(&alice), "perovskite").await;
    assert_eq!(results["partial"], true);
    let report = |node: &str| results["nodes"].as_array().unwrap().iter().find(|n| n["node"] == node).unwrap().clone();
    assert_eq!(report("c")["status"], "error", "{results}");
    assert_eq!(report("d")["status"], "timeout", "{results}");
    assert!(report("d")["latency_ms"].as_u64().unwrap() >= 3_000);
    assert!(report("c")["message"].as_str().is_some_and(|m| m.contains("unreachable")), "{results}");
    assert_eq!(names(&results).len(), 4, "a's and b's hits: {results}");
    held.abort();
    assert_eq!(a.call("PUT", "/federation/peers/d", &a.token, Value::Null).await.0, 405);
    let removed = a.client.delete(a.url("/federation/peers/d")).bearer_auth(&a.token).send().await.unwrap();
    assert_eq!(removed.status(), 204);

    // b stops trusting a: the token a's user holds is refused at once, and so is a new exchange.
    let (status, _) = b.call("GET", "/federation/peers", &b.token, Value::Null).await;
    assert_eq!(status, 200);
    let removed = b.client.delete(b.url("/federation/peers/a")).bearer_auth(&b.token).send().await.unwrap();
    assert_eq!(removed.status(), 204);
    assert_eq!(rows_at_b(&cluster, &alice_at_b, "b-open").await.0, 401, "the peer's users are refused at once");
    let fresh = cluster.a.app.state.federation().unwrap().sign_assertion(&claims_for_b(&alice_user_id(&cluster).await));
    let (status, refused) = exchange_at_b(&cluster, &fresh.unwrap()).await;
    assert_eq!((status, refused["error"].as_str()), (400, Some("invalid_grant")), "{refused}");
    let results = federated_search(&cluster, Some(&alice), "perovskite").await;
    let b_status = results["nodes"].as_array().unwrap().iter().find(|n| n["node"] == "b").unwrap()["status"].clone();
    assert_eq!(b_status, "refused", "{results}");
    assert_eq!(results["partial"], true);
    cluster.a.app.assert_healthy().await;
    cluster.b.app.assert_healthy().await;
}

async fn alice_user_id(cluster: &Cluster) -> String {
    let a = &cluster.a.app;
    a.state.credentials.bearer(&cluster.alice).await.unwrap().user_id.unwrap().to_string()
}

/// Forged, expired, replayed, wrong-audience and over-reaching assertions are each refused.
async fn assert_assertions_are_checked(cluster: &Cluster) {
    let fed = cluster.a.app.state.federation().unwrap();
    let sub = alice_user_id(cluster).await;
    let good = fed.sign_assertion(&claims_for_b(&sub)).unwrap();
    let (status, answer) = exchange_at_b(cluster, &good).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["token_type"], "Bearer");
    assert_eq!(answer["issued_token_type"], "urn:ietf:params:oauth:token-type:access_token");
    let (status, replayed) = exchange_at_b(cluster, &good).await;
    assert_eq!((status, replayed["error_description"].as_str()), (400, Some("this assertion was already used")));

    let forger = kura_auth::KeyStore::generate();
    let forged = forger.sign_typed(kura_federation::assertion::ASSERTION_TYPE, &claims_for_b(&sub)).unwrap();
    let expired = AssertionClaims { iat: 1_000, nbf: 1_000, exp: 1_060, ..claims_for_b(&sub) };
    let wrong_audience = AssertionClaims { aud: "c".into(), ..claims_for_b(&sub) };
    let long_lived = AssertionClaims { exp: Utc::now().timestamp() + 86_400, ..claims_for_b(&sub) };
    let other_org = AssertionClaims {
        home: HomeClaims { org: Some("Univ B".into()), consortia: Vec::new() },
        ..claims_for_b(&sub)
    };
    let cases = [
        ("forged", forged),
        ("expired", fed.sign_assertion(&expired).unwrap()),
        ("wrong audience", fed.sign_assertion(&wrong_audience).unwrap()),
        ("too long-lived", fed.sign_assertion(&long_lived).unwrap()),
        ("an organization a does not speak for", fed.sign_assertion(&other_org).unwrap()),
        (
            "a user token",
            cluster
                .a
                .app
                .state
                .credentials
                .exchange(&cluster.a.app.state.credentials.bearer(&cluster.alice).await.unwrap())
                .unwrap(),
        ),
    ];
    for (what, assertion) in cases {
        let (status, refused) = exchange_at_b(cluster, &assertion).await;
        assert_eq!((status, refused["error"].as_str()), (400, Some("invalid_grant")), "{what}: {refused}");
    }
}
