//! Search (REST and the portal's search and home pages) and SPARQL: what each actor finds is
//! exactly what it may see. Run before any row changes the world.

use kura_testkit::world::{ACTORS, LEVELS, MASKED_COLUMN, World};
use serde_json::Value;

use crate::probe::ask;
use crate::{hidden_from, leaks, masked_leaks, sees};

/// Whether `actor` finds the dataset at `level` in search and SPARQL: what it may see, but for
/// withdrawn versions (they leave the index and the store, and live on as tombstones).
fn findable(actor: &str, level: &str) -> bool {
    sees(actor, level) && level != "deaccessioned"
}

/// The status and body of a GET as `actor`.
async fn get(world: &World, actor: &str, path: &str) -> (u16, String) {
    let (answer, body) = ask(world, actor, "GET", path, None).await;
    let status = match answer {
        crate::probe::Answer::Http(status) => status,
        other => panic!("{path}: {other}"),
    };
    (status, body)
}

/// Search: hits, totals, facets and suggestions show exactly the datasets an actor may see. Run
/// before any row changes the world (opening drafts adds documents for the owner group).
pub async fn search_rows(world: &World, failures: &mut Vec<String>) {
    for actor in ACTORS {
        let hidden = hidden_from(world, actor);
        let visible = LEVELS.iter().filter(|l| findable(actor, l)).count();
        let mut bodies = Vec::new();
        let (status, body) = get(world, actor, "/search?limit=100").await;
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
            let word = world.datasets[level].title.rsplit(' ').next().unwrap();
            let (_, body) = get(world, actor, &format!("/search?q={word}")).await;
            let hits: Value = serde_json::from_str(&body).unwrap_or_default();
            let want = u64::from(findable(actor, level));
            if hits["total"].as_u64() != Some(want) {
                failures.push(format!("{actor}: search for the {level} dataset finds {}, want {want}", hits["total"]));
            }
            bodies.push(body);
        }
        bodies.push(get(world, actor, "/search/suggest?q=title").await.1);
        bodies.push(federated_row(world, actor, visible, failures).await);
        // The portal's search and home pages (HTML): the same hits, counts and facets.
        let (status, page) = get(world, actor, "~/search?q=title").await;
        if status != 200 || !page.contains(&format!(">{visible} results")) {
            failures.push(format!("{actor}: search page (status {status}) does not count {visible} results"));
        }
        for level in LEVELS {
            let shown = page.contains(&format!("<code>{}</code>", world.datasets[level].name));
            let may_see = findable(actor, level);
            if shown != may_see {
                failures.push(format!("{actor}: search page shows the {level} dataset: {shown}"));
            }
        }
        bodies.push(page);
        let (status, home) = get(world, actor, "~/").await;
        // The home page counts datasets (the catalog's list, withdrawn ones included) beside
        // the search's counts by access level.
        let datasets = LEVELS.iter().filter(|l| sees(actor, l)).count();
        if status != 200 || !home.contains(&format!("<strong>{datasets}</strong>")) {
            failures.push(format!("{actor}: home page (status {status}) does not count {datasets} datasets"));
        }
        bodies.push(home);
        bodies.push(get(world, actor, &format!("/search?q={MASKED_COLUMN}")).await.1);
        for body in &bodies {
            // Search documents never hold masked column names, nor any data.
            masked_leaks("anyone", false, body, failures, &format!("{actor}: search"));
        }
        for body in bodies {
            leaks(actor, "search", &body, &hidden, failures);
        }
    }
}

/// Federated search: this node's part shows exactly what the actor may see (the world's peer `p`
/// is this very node under another id; what it answers is scanned for leaks with the rest).
async fn federated_row(world: &World, actor: &str, visible: usize, failures: &mut Vec<String>) -> String {
    let (status, body) = get(world, actor, "/federation/search?limit=100").await;
    let answer: Value = serde_json::from_str(&body).unwrap_or_default();
    let node = world.app.state.config.node_id.as_str();
    let own = answer["nodes"].as_array().into_iter().flatten().find(|n| n["node"] == node);
    let own_total = own.and_then(|n| n["total"].as_u64());
    let own_hits = answer["hits"].as_array().into_iter().flatten().filter(|h| h["node"] == node).count();
    if status != 200 || own_total != Some(visible as u64) || own_hits != visible {
        failures.push(format!("{actor}: federated search: status {status}, this node's total {own_total:?} and {own_hits} hits, want {visible}"));
    }
    body
}

/// SPARQL: the graphs an actor's queries reach are exactly the published versions it may see
/// (drafts and withdrawn versions are never in the store), and no answer names anything else. Run before any row
/// changes the world.
pub async fn sparql_rows(world: &World, failures: &mut Vec<String>) {
    let app = &world.app;
    app.state.rdf.as_ref().expect("the server runs the RDF store").catch_up().await.expect("RDF catch up");
    for actor in ACTORS {
        let hidden = hidden_from(world, actor);
        let query = "SELECT%20*%20WHERE%20%7B%20GRAPH%20%3Fg%20%7B%20%3Fs%20%3Fp%20%3Fo%20%7D%20%7D";
        let (status, body) = get(world, actor, &format!("~/sparql?query={query}")).await;
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
            .filter(|l| **l != "draft" && findable(actor, l))
            .map(|l| format!("{}/pid/{}/1", app.base, world.datasets[l].id))
            .collect();
        want.sort();
        if status != 200 || graphs != want {
            failures.push(format!("{actor}: SPARQL reaches graphs {graphs:?} (status {status}), want {want:?}"));
        }
        leaks(actor, "SPARQL", &body, &hidden, failures);
        // The store holds public descriptions only: no masked column names, no data.
        masked_leaks("anyone", false, &body, failures, &format!("{actor}: SPARQL"));
    }
}
