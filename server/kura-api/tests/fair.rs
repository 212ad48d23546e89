//! The FAIR surfaces: landing pages with JSON-LD and Signposting, content negotiation, PIDs,
//! tombstones after deaccession, the DCAT catalog, the sitemap and the `.eln` export; closed,
//! draft and invisible datasets absent from all of them.

mod common;

use common::{TestApp, spawn_app};
use serde_json::{Value, json};

fn site(app: &TestApp, path: &str) -> String {
    format!("{}{path}", app.base)
}

async fn get(app: &TestApp, path: &str, accept: Option<&str>) -> reqwest::Response {
    let mut r = app.client.get(site(app, path));
    if let Some(a) = accept {
        r = r.header("accept", a);
    }
    r.send().await.expect("request")
}

/// A published dataset with one CSV and profile metadata; returns its id.
async fn published(app: &TestApp, name: &str, level: &str) -> String {
    app.described_dataset(name, None, level, true).await
}

#[tokio::test]
async fn fair_surfaces_behave() {
    let app = spawn_app().await;
    let open_id = published(&app, "fair-open", "open").await;
    let closed_id = published(&app, "fair-closed", "closed").await;
    app.create_dataset("fair-draft").await;

    // Landing page: HTML with JSON-LD and Signposting.
    let r = get(&app, "/datasets/fair-open", None).await;
    assert_eq!(r.status(), 200);
    let link = r.headers()["link"].to_str().unwrap().to_owned();
    for rel in ["cite-as", "describedby", "item", "license", "type", "author", "linkset"] {
        assert!(link.contains(&format!("rel=\"{rel}\"")), "{rel} missing: {link}");
    }
    assert!(link.contains("https://schema.org/AboutPage") && link.contains("application/linkset+json"));
    let html = r.text().await.unwrap();
    assert!(html.contains("<script type=\"application/ld+json\">") && html.contains("\"variableMeasured\""));
    assert!(html.contains("@misc{") && html.contains("TY  - DATA") && html.contains("orcid.org"));
    let ja = get(&app, "/datasets/fair-open/1?lang=ja", None).await;
    assert!(ja.headers()["set-cookie"].to_str().unwrap().contains("lang=ja"));
    assert!(ja.text().await.unwrap().contains("ファイル"));

    // Content negotiation.
    for (accept, want) in [
        ("text/turtle", "text/turtle"),
        ("application/ld+json", "application/ld+json"),
        ("application/rdf+xml", "application/rdf+xml"),
        ("application/n-triples", "application/n-triples"),
        ("application/vnd.datacite.datacite+xml", "application/vnd.datacite.datacite+xml"),
        ("application/xml;profile=\"http://datacite.org/schema/kernel-4\"", "application/vnd.datacite.datacite+xml"),
        ("application/vnd.eln+zip", "application/vnd.eln+zip"),
    ] {
        let r = get(&app, "/datasets/fair-open", Some(accept)).await;
        assert_eq!(r.status(), 200, "{accept}");
        assert!(r.headers()["content-type"].to_str().unwrap().starts_with(want), "{accept}");
        assert!(r.headers().get_all("vary").iter().any(|v| v.to_str().unwrap().contains("Accept")));
    }
    let r = get(&app, "/datasets/fair-open", Some("image/png")).await;
    assert_eq!(r.status(), 406);
    assert!(r.text().await.unwrap().contains("text/turtle"));

    // The export: a zip with the crate and the data.
    let bytes = get(&app, "/datasets/fair-open/1?format=eln", None).await.bytes().await.unwrap();
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let names: Vec<String> = zip.file_names().map(|n| n.unwrap().to_string()).collect();
    assert!(names.contains(&"fair-open-v1/ro-crate-metadata.json".to_string()), "{names:?}");
    assert!(names.iter().any(|n| n.ends_with("files/t.csv")), "{names:?}");
    let crate_json: Value =
        serde_json::from_reader(zip.by_name("fair-open-v1/ro-crate-metadata.json").unwrap()).unwrap();
    assert_eq!(crate_json["@graph"][1]["@id"], "./");

    // PIDs.
    let no_redirect = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let r = no_redirect.get(site(&app, &format!("/pid/{open_id}"))).send().await.unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/datasets/fair-open/1");
    assert_eq!(no_redirect.get(site(&app, &format!("/pid/{open_id}/1"))).send().await.unwrap().status(), 303);
    for path in [format!("/pid/{closed_id}"), "/pid/not-an-id".into(), format!("/pid/{}", uuid::Uuid::new_v4())] {
        assert_eq!(no_redirect.get(site(&app, &path)).send().await.unwrap().status(), 404, "{path}");
    }

    // Closed and draft datasets: absent from every surface for outsiders.
    for name in ["fair-closed", "fair-draft", "fair-nothing"] {
        for path in ["", "/1", "/1/metadata.ttl", "/1/linkset", "/1/export.eln", "/1/datacite.xml"] {
            let r = get(&app, &format!("/datasets/{name}{path}"), None).await;
            assert_eq!(r.status(), 404, "{name}{path}");
        }
    }

    // Catalog paging, sitemap, robots.
    let page = get(&app, "/catalog?limit=1", Some("text/turtle")).await.text().await.unwrap();
    assert!(page.contains("hydra:totalItems \"1\"") || page.contains("totalItems"), "{page}");
    assert!(page.contains("fair-open") && !page.contains("fair-closed") && !page.contains("fair-draft"));
    let jsonld = get(&app, "/catalog", Some("application/ld+json")).await;
    assert_eq!(jsonld.headers()["content-type"], "application/ld+json");
    let sitemap = get(&app, "/sitemap.xml", None).await.text().await.unwrap();
    assert!(
        sitemap.contains("/datasets/fair-open/1")
            && !sitemap.contains("fair-closed")
            && !sitemap.contains("fair-draft")
    );
    let robots = get(&app, "/robots.txt", None).await.text().await.unwrap();
    assert!(robots.contains("Sitemap:") && robots.contains("Disallow: /api/"));

    // Deaccession: stewards only; then a tombstone (410) and 410 on every data path.
    let path = "/datasets/fair-open/versions/1/deaccession";
    let anon = app.client.post(app.url(path)).json(&json!({"reason": "x"})).send().await.unwrap();
    assert_eq!(anon.status(), 401);
    let r = app.post_admin(path, json!({"reason": "consent withdrawn by a participant"})).await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let r = get(&app, "/datasets/fair-open/1", None).await;
    assert_eq!(r.status(), 410);
    assert!(!r.headers()["link"].to_str().unwrap().contains("rel=\"item\""));
    assert!(r.text().await.unwrap().contains("consent withdrawn by a participant"));
    assert_eq!(get(&app, &format!("/pid/{open_id}"), None).await.status(), 410);
    assert_eq!(get(&app, "/datasets/fair-open/1", Some("text/turtle")).await.status(), 200);
    let files: Value = app.get("/datasets/fair-open/versions/1/files").await.json().await.unwrap();
    let file_id = files["items"][0]["id"].as_str().unwrap();
    for data in [
        format!("/datasets/fair-open/versions/1/files/{file_id}/content"),
        "/datasets/fair-open/versions/1/tables/t/parquet".into(),
        "/datasets/fair-open/versions/1/tables/t/rows".into(),
    ] {
        assert_eq!(app.get(&data).await.status(), 410, "{data}");
    }
    assert_eq!(get(&app, "/datasets/fair-open/1/export.eln", None).await.status(), 410);
    assert!(!get(&app, "/sitemap.xml", None).await.text().await.unwrap().contains("fair-open"));
    let audit: Value = app.get_admin("/audit?action=version.deaccession").await.json().await.unwrap();
    assert!(audit.to_string().contains("consent withdrawn"), "{audit}");
}
