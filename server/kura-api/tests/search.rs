//! Search over HTTP: the projection follows the catalog, survives a crash between outbox events,
//! and answers exactly what the caller may see.

mod common;

use std::sync::Arc;

use common::spawn_app;
use kura_search::{Projector, SearchIndex, SearchRequest, Viewer};
use serde_json::{Value, json};

async fn publish_dataset(app: &common::TestApp, name: &str, title: &str, metadata: Value, csv: &str) {
    let created = app.post_admin("/datasets", json!({"name": name, "title": title, "metadata": metadata})).await;
    assert_eq!(created.status(), 201);
    assert_eq!(app.upload(name, vec![("data.csv", csv.as_bytes().to_vec())]).await.status(), 201);
    assert_eq!(app.ingest(name).await["state"], "succeeded");
    assert_eq!(app.publish(name).await.status(), 200);
}

#[tokio::test]
async fn search_finds_published_metadata_columns_and_units_in_both_languages() {
    let app = spawn_app().await;
    publish_dataset(
        &app,
        "xps-feo",
        "XPS of iron oxide films",
        json!({"keywords": [{"lang": "en", "value": "xps"}], "creators": [{"name": "Suzuki Hanako"}], "license": "CC-BY-4.0"}),
        "Binding energy (eV),Intensity\n709.0,100\n",
    )
    .await;
    publish_dataset(
        &app,
        "netsu",
        "アルミナの熱伝導率",
        json!({"keywords": [{"lang": "ja", "value": "熱伝導"}], "titles": [{"lang": "en", "value": "Thermal conductivity of alumina"}]}),
        "Temperature [K],kappa\n300,30\n",
    )
    .await;
    app.create_dataset("hidden-draft").await;
    app.index_now().await;

    let search = |q: &str| {
        let app = &app;
        let q = q.to_owned();
        async move {
            app.client
                .get(app.url("/search"))
                .query(&[("q", q.as_str())])
                .send()
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap()
        }
    };
    let names = |v: &Value| {
        v["hits"].as_array().unwrap().iter().map(|h| h["name"].as_str().unwrap().to_owned()).collect::<Vec<_>>()
    };
    assert_eq!(names(&search("iron oxide").await), ["xps-feo"]);
    assert_eq!(names(&search("熱伝導率").await), ["netsu"]);
    assert_eq!(names(&search("conductivity").await), ["netsu"], "an English title of a Japanese dataset");
    assert_eq!(names(&search("unit:eV").await), ["xps-feo"], "units of the tables");
    assert_eq!(names(&search("unit:K").await), ["netsu"]);
    assert_eq!(names(&search("creator:suzuki").await), ["xps-feo"]);
    assert_eq!(names(&search("format:csv").await).len(), 2);
    let all = search("").await;
    assert_eq!(all["total"], 2, "the draft is not counted for the public");
    let license = all["facets"].as_array().unwrap().iter().find(|f| f["name"] == "license").unwrap();
    assert_eq!(license["buckets"][0], json!({"value": "CC-BY-4.0", "count": 1}));
    let admin: Value =
        app.client.get(app.url("/search")).bearer_auth(&app.token).send().await.unwrap().json().await.unwrap();
    assert_eq!(admin["total"], 3, "admins see the draft too");
    let suggestions: Value =
        app.client.get(app.url("/search/suggest")).query(&[("q", "xp")]).send().await.unwrap().json().await.unwrap();
    assert_eq!(suggestions, json!(["XPS of iron oxide films"]));
    let bad = app.client.get(app.url("/search")).query(&[("q", "title:(")]).send().await.unwrap();
    assert_eq!(bad.status(), 400);
}

#[tokio::test]
async fn a_projection_stopped_between_events_catches_up_to_the_same_index_as_a_rebuild() {
    let app = spawn_app().await;
    for i in 0..6 {
        let policy = if i % 3 == 0 { json!({"level": "closed"}) } else { json!({"level": "open"}) };
        publish_dataset(
            &app,
            &format!("d{i}"),
            &format!("Dataset number {i}"),
            json!({"keywords": [{"lang": "en", "value": format!("k{}", i % 2)}]}),
            "a,b\n1,2\n",
        )
        .await;
        let put = app.put_policy(&format!("d{i}"), &policy).await;
        assert_eq!(put.status(), 200);
    }
    let dir = tempfile::tempdir().unwrap();
    {
        // A worker that applies a few events and then dies.
        let crashed = Projector::new(app.state.catalog.clone(), Arc::new(SearchIndex::open(dir.path()).unwrap()));
        assert_eq!(crashed.apply_next(5).await.unwrap(), 5);
        assert_eq!(crashed.apply_next(4).await.unwrap(), 4);
    }
    let resumed = Projector::new(app.state.catalog.clone(), Arc::new(SearchIndex::open(dir.path()).unwrap()));
    assert!(resumed.index().checkpoint().unwrap() > 0, "the checkpoint survived the stop");
    assert!(resumed.catch_up().await.unwrap() > 0);
    let rebuilt = Projector::new(app.state.catalog.clone(), Arc::new(SearchIndex::in_memory().unwrap()));
    assert_eq!(rebuilt.rebuild().await.unwrap(), 6);
    for viewer in [Viewer::Tokens(vec!["public".into()]), Viewer::Everything] {
        let request = SearchRequest { limit: 50, ..Default::default() };
        let a = resumed.index().search(&request, &viewer).unwrap();
        let b = rebuilt.index().search(&request, &viewer).unwrap();
        let mut names_a: Vec<_> = a.hits.iter().map(|h| h.name.clone()).collect();
        let mut names_b: Vec<_> = b.hits.iter().map(|h| h.name.clone()).collect();
        names_a.sort();
        names_b.sort();
        assert_eq!(names_a, names_b);
        assert_eq!(a.total, b.total);
        assert_eq!(serde_json::to_value(&a.facets).unwrap(), serde_json::to_value(&b.facets).unwrap());
    }
    let public = resumed
        .index()
        .search(&SearchRequest { limit: 50, ..Default::default() }, &Viewer::Tokens(vec!["public".into()]))
        .unwrap();
    assert_eq!(public.total, 4, "closed datasets are invisible");
}
