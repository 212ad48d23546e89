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

/// The portal's search page on `a` over every consortium node, as the user behind `token`.
async fn portal_search(cluster: &Cluster, token: &str) -> String {
    let a = &cluster.a.app;
    let url = format!("{}/search?q=perovskite&scope=all", a.base);
    let response = a.client.get(url).bearer_auth(token).send().await.unwrap();
    assert_eq!(response.status(), 200);
    response.text().await.unwrap()
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
        visas: Vec::new(),
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

    // The portal's search page offers every consortium node and shows which answered.
    let page = portal_search(&cluster, &alice).await;
    for node in ["a", "b", "c"] {
        assert!(page.contains(&format!(r#"data-node="{node}" data-status="ok""#)), "{page}");
    }
    assert!(page.contains(&format!(r#"href="{}/datasets/b-open""#, cluster.b.app.base)), "b's hits link to b");
    assert!(page.contains(">5 results"), "{page}");

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

    // Over Flight SQL: b's consortium table joined with a's own table, in a's session.
    assert_flight_sql_join(&cluster, &alice, &bob).await;

    // Over Delta Sharing too: a gives its user a profile for b (b's short-lived token for them).
    let file_url = assert_delta_sharing_across(&cluster, &alice, &bob).await;

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

    assert_visas_travel(&cluster, &dataset.id.to_string()).await;

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

    assert_node_killed_mid_query_is_reported(&cluster).await;

    // A peer that accepts the connection and never answers is reported as `timeout` after the
    // deadline; node c, down since, is reported as `error`; the others' hits stay.
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
    let results = federated_search(&cluster, Some(&alice), "perovskite").await;
    assert_eq!(results["partial"], true);
    let report = |node: &str| results["nodes"].as_array().unwrap().iter().find(|n| n["node"] == node).unwrap().clone();
    assert_eq!(report("c")["status"], "error", "{results}");
    assert_eq!(report("d")["status"], "timeout", "{results}");
    assert!(report("d")["latency_ms"].as_u64().unwrap() >= 3_000);
    assert!(report("c")["message"].as_str().is_some_and(|m| m.contains("unreachable")), "{results}");
    assert_eq!(names(&results).len(), 4, "a's and b's hits: {results}");
    let page = portal_search(&cluster, &alice).await;
    assert!(page.contains(r#"data-node="c" data-status="down""#) && page.contains("incomplete"), "{page}");
    held.abort();
    assert_eq!(a.call("PUT", "/federation/peers/d", &a.token, Value::Null).await.0, 405);
    let removed = a.client.delete(a.url("/federation/peers/d")).bearer_auth(&a.token).send().await.unwrap();
    assert_eq!(removed.status(), 204);

    // Peers that answer garbage, or more than the size limit (announced or not), are cut and
    // reported; the node keeps serving.
    let oversized = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n[{}",
        "1,".repeat(5 << 20)
    );
    let hostile = [
        (
            "garbage",
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 9\r\n\r\n{\"hits\":[".to_owned(),
            "does not parse",
        ),
        ("announced", "HTTP/1.1 200 OK\r\nContent-Length: 1000000000\r\n\r\n".to_owned(), "larger than"),
        ("streamed", oversized, "larger than"),
    ];
    let mut servers = Vec::new();
    for (id, answer, _) in &hostile {
        let (url, server) = answering(answer.clone()).await;
        servers.push(server);
        a.ok("POST", "/federation/peers", &a.token, json!({"id": id, "base_url": url, "organizations": []})).await;
    }
    let results = federated_search(&cluster, None, "perovskite").await;
    for (id, _, message) in &hostile {
        let report = results["nodes"].as_array().unwrap().iter().find(|n| n["node"] == *id).unwrap();
        assert_eq!(report["status"], "error", "{report}");
        assert!(report["message"].as_str().unwrap().contains(message), "{report}");
        a.client.delete(a.url(&format!("/federation/peers/{id}"))).bearer_auth(&a.token).send().await.unwrap();
    }
    servers.iter().for_each(|s| s.abort());
    a.assert_healthy().await;

    // b stops trusting a: the token a's user holds is refused at once, and so is a new exchange.
    let (status, _) = b.call("GET", "/federation/peers", &b.token, Value::Null).await;
    assert_eq!(status, 200);
    let removed = b.client.delete(b.url("/federation/peers/a")).bearer_auth(&b.token).send().await.unwrap();
    assert_eq!(removed.status(), 204);
    assert_eq!(rows_at_b(&cluster, &alice_at_b, "b-open").await.0, 401, "the peer's users are refused at once");
    let download = b.client.get(&file_url).send().await.unwrap();
    assert_eq!(download.status(), 403, "a file URL given to a's user is refused at once too");
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

/// In a's Flight SQL session, b's consortium table joins a's own: for the member who accepted; for
/// the one who did not, b's table is not there.
async fn assert_flight_sql_join(cluster: &Cluster, alice: &str, bob: &str) {
    use arrow_flight::sql::client::FlightSqlServiceClient;
    use futures::TryStreamExt;
    let a = &cluster.a.app;
    let query = r#"SELECT r.x, r.y, l.y AS home FROM b."b-consortium".t r JOIN "a-open".t l ON r.x = l.x WHERE r.x > 1 ORDER BY r.x"#;
    let mut client = FlightSqlServiceClient::new(a.channel().await);
    client.set_token(alice.to_owned());
    let info = client.execute(query.to_owned(), None).await.expect("the join runs");
    let mut rows = Vec::new();
    for endpoint in &info.endpoint {
        let batches: Vec<arrow::record_batch::RecordBatch> =
            client.do_get(endpoint.ticket.clone().unwrap()).await.unwrap().try_collect().await.unwrap();
        rows.push(arrow::util::pretty::pretty_format_batches(&batches).unwrap().to_string());
    }
    let text = rows.join("\n");
    assert!(text.contains("b-consortium") && text.contains("a-open"), "{text}");
    assert!(!text.contains("s1"), "the masked column never leaves b");
    let mut outsider = FlightSqlServiceClient::new(a.channel().await);
    outsider.set_token(bob.to_owned());
    let refused = outsider.execute(query.to_owned(), None).await.expect_err("not a member who accepted");
    assert!(
        refused.to_string().contains("b-consortium") || refused.to_string().to_lowercase().contains("not found"),
        "{refused}"
    );
}

/// a's users read b's consortium table over Delta Sharing with the profile a gives them: the
/// member who accepted sees it in b's shares and downloads it (without the masked column); the
/// one who did not sees neither. Returns a file URL given to the member.
async fn assert_delta_sharing_across(cluster: &Cluster, alice: &str, bob: &str) -> String {
    let (a, b) = (&cluster.a.app, &cluster.b.app);
    let profile = a.ok("POST", "/federation/peers/b/delta-sharing-profile", alice, Value::Null).await;
    assert_eq!(profile["endpoint"], format!("{}/delta-sharing", b.base));
    assert_eq!(profile["shareCredentialsVersion"], 1);
    let token = profile["bearerToken"].as_str().unwrap().to_owned();
    let tables = b.client.get(format!("{}/delta-sharing/shares/materials/all-tables", b.base)).bearer_auth(&token);
    let tables: Value = tables.send().await.unwrap().json().await.unwrap();
    let names: Vec<&str> = tables["items"].as_array().unwrap().iter().map(|t| t["schema"].as_str().unwrap()).collect();
    assert_eq!(names, ["b-consortium"], "{tables}");
    let url = format!("{}/delta-sharing/shares/materials/schemas/b-consortium/tables/t/query", b.base);
    let answer = b.client.post(&url).bearer_auth(&token).json(&json!({})).send().await.unwrap();
    assert_eq!(answer.status(), 200);
    let text = answer.text().await.unwrap();
    let file =
        text.lines().map(|l| serde_json::from_str::<Value>(l).unwrap()).find(|l| l.get("file").is_some()).unwrap();
    let file_url = file["file"]["url"].as_str().unwrap().to_owned();
    let parquet = b.client.get(&file_url).send().await.unwrap();
    assert_eq!(parquet.status(), 200);
    let bytes = parquet.bytes().await.unwrap();
    assert_eq!(kura_testkit::readable::parquet_columns(&bytes), ["x", "y"], "the masked column stays at b");
    let reads = b.ok("GET", "/audit?action=data.parquet&surface=delta-sharing", &b.token, Value::Null).await;
    assert!(reads.to_string().contains("@a"), "b audits the partner's user: {reads}");

    let bobs = a.ok("POST", "/federation/peers/b/delta-sharing-profile", bob, Value::Null).await;
    let bobs = bobs["bearerToken"].as_str().unwrap();
    let refused = b.client.post(&url).bearer_auth(bobs).json(&json!({})).send().await.unwrap();
    assert_eq!(refused.status(), 404, "not accepted: as if it did not exist");
    let anonymous = a.client.post(a.url("/federation/peers/b/delta-sharing-profile")).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);
    file_url
}

/// The grant travels as a visa b signed; b honours it when a carries it back, and never honours
/// another user's visa or one b did not sign (a visa never creates access).
async fn assert_visas_travel(cluster: &Cluster, dataset: &str) {
    use base64::Engine;
    let (a, b) = (&cluster.a.app, &cluster.b.app);
    let fed = a.state.federation().unwrap();
    let alice = alice_user_id(cluster).await;
    let (status, answer) = exchange_at_b(cluster, &fed.sign_assertion(&claims_for_b(&alice)).unwrap()).await;
    assert_eq!(status, 200, "{answer}");
    let visas: Vec<String> = serde_json::from_value(answer["visas"].clone()).unwrap();
    assert_eq!(visas.len(), 1, "{answer}");
    let payload = visas[0].split('.').nth(1).unwrap();
    let claims: Value =
        serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
    assert_eq!(claims["iss"], "b");
    assert_eq!(claims["sub"], format!("a:{alice}"));
    assert_eq!(claims["dataset"], format!("{}/pid/{dataset}", b.base));
    assert!(claims["exp"].as_i64().unwrap() > Utc::now().timestamp() + 80_000, "the grant's expiry: {claims}");

    let last_exchange = || async {
        let audit = b.ok("GET", "/audit?action=federation.token_exchange&limit=1", &b.token, Value::Null).await;
        audit["items"][0]["details"]["visas_presented"].clone()
    };
    let carried = AssertionClaims { visas: visas.clone(), ..claims_for_b(&alice) };
    assert_eq!(exchange_at_b(cluster, &fed.sign_assertion(&carried).unwrap()).await.0, 200);
    assert_eq!(last_exchange().await, json!({"honoured": 1, "ignored": 0}));

    let bob = a.state.credentials.bearer(&cluster.bob).await.unwrap().user_id.unwrap().to_string();
    let mut forged_claims: Value = claims.clone();
    forged_claims["sub"] = json!(format!("a:{bob}"));
    let forged =
        a.state.credentials.authority().keys.sign_typed(kura_federation::visa::VISA_TYPE, &forged_claims).unwrap();
    let bobs = AssertionClaims { visas: vec![visas[0].clone(), forged], ..claims_for_b(&bob) };
    let (status, answer) = exchange_at_b(cluster, &fed.sign_assertion(&bobs).unwrap()).await;
    assert_eq!(status, 200);
    assert_eq!(last_exchange().await, json!({"honoured": 0, "ignored": 2}));
    let bob_at_b = answer["access_token"].as_str().unwrap();
    assert_eq!(rows_at_b(cluster, bob_at_b, "b-restricted").await.0, 403, "a visa never creates access");
}

/// Node c is killed while it answers a's federated search: a reaches c through a relay that
/// passes a's request on, holds c's answer until c has been stopped, then hands a only part of
/// it and closes, as a node that dies mid-answer does. a answers `partial: true`, c `error` (or
/// `timeout`), with a's and b's hits; c's address then refuses connections.
async fn assert_node_killed_mid_query_is_reported(cluster: &Cluster) {
    let a = &cluster.a.app;
    let (relay, answering, kill) = relay_to(&cluster.c.app.base).await;
    let removed = a.client.delete(a.url("/federation/peers/c")).bearer_auth(&a.token).send().await.unwrap();
    assert_eq!(removed.status(), 204);
    let peer = json!({"id": "c", "base_url": relay.url, "organizations": [cluster.c.org]});
    a.ok("POST", "/federation/peers", &a.token, peer).await;

    let asked = tokio::spawn({
        let (client, url) = (a.client.clone(), a.url("/federation/search"));
        async move { client.get(url).query(&[("q", "perovskite")]).send().await.unwrap().json::<Value>().await.unwrap() }
    });
    let reached = tokio::time::timeout(std::time::Duration::from_secs(60), answering.notified()).await;
    reached.expect("a's search reached c through the relay");
    cluster.c.app.stop().await;
    kill.notify_one();
    let results = asked.await.unwrap();
    relay.task.abort();

    assert_eq!(results["partial"], true, "{results}");
    let c = results["nodes"].as_array().unwrap().iter().find(|n| n["node"] == "c").unwrap();
    assert!(c["status"] == "error" || c["status"] == "timeout", "{results}");
    assert_eq!(results["total"], 4, "the counts are of the others: {results}");
    let expected: Vec<(String, String)> =
        [("a", "a-open"), ("b", "b-consortium"), ("b", "b-open"), ("b", "b-restricted")]
            .iter()
            .map(|(n, d)| ((*n).into(), (*d).into()))
            .collect();
    assert_eq!(names(&results), expected, "the others' hits stay: {results}");
    a.assert_healthy().await;
}

/// A TCP relay in front of `base` for one request (see
/// [`assert_node_killed_mid_query_is_reported`]).
struct Relay {
    url: String,
    task: tokio::task::JoinHandle<()>,
}

/// Starts a [`Relay`]; the first notify fires once the node behind it has answered, and the
/// relay cuts that answer after the second is notified.
async fn relay_to(base: &str) -> (Relay, std::sync::Arc<tokio::sync::Notify>, std::sync::Arc<tokio::sync::Notify>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let upstream_addr = base.trim_start_matches("http://").trim_end_matches('/').to_owned();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (answering, kill) =
        (std::sync::Arc::new(tokio::sync::Notify::new()), std::sync::Arc::new(tokio::sync::Notify::new()));
    let (on_answer, on_kill) = (answering.clone(), kill.clone());
    let task = tokio::spawn(async move {
        while let Ok((mut downstream, _)) = listener.accept().await {
            let mut upstream = tokio::net::TcpStream::connect(&upstream_addr).await.unwrap();
            let mut request = vec![0; 64 * 1024];
            let n = downstream.read(&mut request).await.unwrap();
            upstream.write_all(&request[..n]).await.unwrap();
            if !String::from_utf8_lossy(&request[..n]).contains("/federation/search") {
                // Anything else a asks c (its keys, say) passes through.
                tokio::spawn(async move { tokio::io::copy_bidirectional(&mut downstream, &mut upstream).await });
                continue;
            }
            let mut answer = vec![0; 64 * 1024];
            let n = upstream.read(&mut answer).await.unwrap();
            on_answer.notify_one();
            on_kill.notified().await;
            let _ = downstream.write_all(&answer[..n / 2]).await;
            let _ = downstream.shutdown().await;
        }
    });
    (Relay { url, task }, answering, kill)
}

/// A peer that answers every request with `answer` (raw HTTP), whatever it was asked.
async fn answering(answer: String) -> (String, tokio::task::JoinHandle<()>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let server = tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let answer = answer.clone();
            tokio::spawn(async move {
                let mut request = vec![0; 8192];
                let _ = socket.read(&mut request).await;
                let _ = socket.write_all(answer.as_bytes()).await;
                let _ = socket.shutdown().await;
            });
        }
    });
    (url, server)
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

/// Peers listed in the configuration file are trusted from the start; administrators alone list
/// and change them.
#[tokio::test]
async fn peers_of_the_configuration_file_are_trusted_at_start() {
    let app = kura_testkit::spawn_app_with(|config, _| {
        config.node_id = "home".into();
        config.peers = vec![kura_core::PeerConfig {
            id: "partner".into(),
            base_url: "http://127.0.0.1:9/".into(),
            jwks_url: None,
            flight_url: Some("http://127.0.0.1:10".into()),
            organizations: vec!["Univ P".into()],
        }];
    })
    .await;
    let peers = app.ok("GET", "/federation/peers", &app.token, Value::Null).await;
    assert_eq!(peers[0]["id"], "partner");
    assert_eq!(peers[0]["base_url"], "http://127.0.0.1:9");
    assert_eq!(peers[0]["jwks_url"], "http://127.0.0.1:9/.well-known/jwks.json");
    assert_eq!(peers[0]["organizations"], json!(["Univ P"]));
    let node: Value = app.get("/federation/node").await.json().await.unwrap();
    assert_eq!(node["node_id"], "home");
    let user = app.ok("POST", "/users", &app.token, json!({"username": "u"})).await;
    let path = format!("/users/{}/tokens", user["id"].as_str().unwrap());
    let token = app.ok("POST", &path, &app.token, json!({"name": "t", "scope": "write"})).await;
    let token = token["secret"].as_str().unwrap();
    assert_eq!(app.call("GET", "/federation/peers", token, Value::Null).await.0, 403);
    let body = json!({"id": "x", "base_url": "http://127.0.0.1:9"});
    assert_eq!(app.call("POST", "/federation/peers", token, body).await.0, 403);
    assert_eq!(app.get("/federation/peers").await.status(), 401);
}

/// Fan-out is bounded: with `federation_concurrency` 2 and four peers, a node asks two at a time.
/// Each fake peer holds its answer until a second request is in flight beside it, so the bound
/// is shown without timing: asking one at a time would leave the first waiting (a timeout), and
/// asking all at once would put four in flight.
#[tokio::test]
async fn federated_search_asks_at_most_the_configured_number_of_peers_at_once() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let app = kura_testkit::spawn_with_flight_and(kura_testkit::roomy_sql_limits(), |config, _| {
        config.node_id = "hub".to_owned();
        config.federation_concurrency = 2;
        config.federation_timeout_ms = 20_000;
    })
    .await;
    let in_flight = Arc::new(AtomicUsize::new(0));
    let (arrived, most) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let pair_ready = Arc::new(tokio::sync::Notify::new());
    let mut servers = Vec::new();
    for id in ["p1", "p2", "p3", "p4"] {
        let peer = PairedPeer {
            in_flight: in_flight.clone(),
            arrived: arrived.clone(),
            most: most.clone(),
            pair_ready: pair_ready.clone(),
        };
        let (url, server) = peer.start().await;
        servers.push(server);
        app.ok("POST", "/federation/peers", &app.token, json!({"id": id, "base_url": url, "organizations": []})).await;
    }
    let response = app.client.get(app.url("/federation/search")).query(&[("q", "anything")]).send().await.unwrap();
    let results: Value = response.json().await.unwrap();
    servers.iter().for_each(|s| s.abort());
    let peers: Vec<(String, String)> = statuses(&results).into_iter().filter(|(n, _)| n != "hub").collect();
    assert_eq!(peers.len(), 4, "{results}");
    assert!(peers.iter().all(|(_, status)| status == "ok"), "every peer answered in its pair: {results}");
    assert_eq!(most.load(Ordering::SeqCst), 2, "at most two peers asked at once: {results}");
}

/// A fake peer that answers an empty search once its request is one of a pair in flight.
struct PairedPeer {
    in_flight: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    arrived: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    most: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    pair_ready: std::sync::Arc<tokio::sync::Notify>,
}

impl PairedPeer {
    async fn start(self) -> (String, tokio::task::JoinHandle<()>) {
        use std::sync::atomic::Ordering;
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let server = tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let mut request = vec![0; 8192];
                let _ = socket.read(&mut request).await;
                // Made before counting, so the release by the second of the pair cannot be missed.
                let released = self.pair_ready.notified();
                let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
                self.most.fetch_max(now, Ordering::SeqCst);
                // The second of each pair releases both.
                let number = self.arrived.fetch_add(1, Ordering::SeqCst) + 1;
                if number.is_multiple_of(2) {
                    self.pair_ready.notify_waiters();
                } else {
                    released.await;
                }
                self.in_flight.fetch_sub(1, Ordering::SeqCst);
                let body = r#"{"total":0,"partial":false,"nodes":[],"hits":[],"facets":[]}"#;
                let answer = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = socket.write_all(answer.as_bytes()).await;
                let _ = socket.shutdown().await;
            }
        });
        (url, server)
    }
}
