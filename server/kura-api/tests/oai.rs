//! OAI-PMH over HTTP: what harvesters see (published and deaccessioned versions of datasets
//! whose metadata are public), paging with resumption tokens, and every error condition.

mod common;

use common::{TestApp, spawn_app_with};
use serde_json::json;

async fn oai(app: &TestApp, query: &str) -> String {
    let r = app.client.get(format!("{}/oai?{query}", app.base)).send().await.expect("request");
    assert_eq!(r.status(), 200, "OAI-PMH answers errors inside a 200 response");
    assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/xml"));
    r.text().await.unwrap()
}

fn error_code(body: &str) -> Option<&str> {
    let start = body.find("<error code=\"")? + "<error code=\"".len();
    body[start..].split('"').next()
}

async fn published(app: &TestApp, name: &str, metadata: serde_json::Value) {
    let r = app
        .post_admin("/datasets", json!({"name": name, "title": format!("Title of {name}"), "metadata": metadata}))
        .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    assert_eq!(app.upload(name, vec![("data.csv", b"Temperature [K],v\n300,1\n".to_vec())]).await.status(), 201);
    app.ingest(name).await;
    assert_eq!(app.publish(name).await.status(), 200);
}

/// Four harvestable versions (one deaccessioned), one closed dataset and one draft.
async fn world() -> TestApp {
    let app = spawn_app_with(|c, _| c.oai_page_size = 2).await;
    let consortium = app.post_admin("/consortia", json!({"name": "XRD network", "terms": "cite"})).await;
    let consortium_id = consortium.json::<serde_json::Value>().await.unwrap()["id"].as_str().unwrap().to_owned();
    published(&app, "open-a", json!({"subjects": [{"scheme": "FOS", "code": "2.5"}]})).await;
    published(&app, "open-b", json!({})).await;
    published(&app, "shared-c", json!({})).await;
    let r = app
        .client
        .put(app.url("/datasets/shared-c/policy"))
        .bearer_auth(&app.token)
        .json(&json!({"level": "consortium", "consortia": [consortium_id]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    published(&app, "secret-d", json!({})).await;
    let r = app
        .client
        .put(app.url("/datasets/secret-d/policy"))
        .bearer_auth(&app.token)
        .json(&json!({"level": "closed"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    app.create_dataset("draft-e").await;
    // A second version of open-a, then the first is withdrawn.
    app.post_admin("/datasets/open-a/draft", json!({})).await;
    assert_eq!(app.publish("open-a").await.status(), 200);
    let ds = app.state.catalog.dataset_by_name("open-a", &kura_catalog::Visibility::everything()).await.unwrap();
    let v1 = app
        .state
        .catalog
        .version(ds.id, kura_catalog::versions::VersionSelector::Number(1), &kura_catalog::Visibility::everything())
        .await
        .unwrap();
    app.state
        .catalog
        .deaccession(&v1, "sample was contaminated", kura_catalog::audit::Actor::rest("test"))
        .await
        .unwrap();
    app
}

#[tokio::test]
async fn harvest_sees_public_records_once_with_resumption_and_deleted_records() {
    let app = world().await;
    let identify = oai(&app, "verb=Identify").await;
    assert!(identify.contains("<deletedRecord>persistent</deletedRecord>"), "{identify}");
    assert!(identify.contains("<protocolVersion>2.0</protocolVersion>"));

    let mut identifiers = Vec::new();
    let mut deleted = 0;
    let mut body = oai(&app, "verb=ListIdentifiers&metadataPrefix=oai_dc").await;
    let mut pages = 1;
    loop {
        for header in body.split("<header").skip(1) {
            let id = header.split("<identifier>").nth(1).unwrap().split('<').next().unwrap().to_owned();
            if header.starts_with(" status=\"deleted\"") {
                deleted += 1;
            }
            identifiers.push(id);
        }
        let Some(token) = body
            .split("<resumptionToken")
            .nth(1)
            .and_then(|t| t.split('>').nth(1))
            .and_then(|t| t.split('<').next())
            .filter(|t| !t.is_empty())
        else {
            break;
        };
        assert!(body.contains("completeListSize=\"4\""), "{body}");
        body = oai(&app, &format!("verb=ListIdentifiers&resumptionToken={token}")).await;
        pages += 1;
    }
    identifiers.sort();
    assert_eq!(
        identifiers,
        ["oai:127.0.0.1:open-a/1", "oai:127.0.0.1:open-a/2", "oai:127.0.0.1:open-b/1", "oai:127.0.0.1:shared-c/1"]
            .iter()
            .map(|s| s.replace("127.0.0.1", &host(&app)))
            .collect::<Vec<_>>()
    );
    assert_eq!(pages, 2, "two records per page");
    assert_eq!(deleted, 1, "the withdrawn version is a deleted record");
    let records = oai(&app, "verb=ListRecords&metadataPrefix=oai_dc").await;
    for hidden in ["secret-d", "draft-e", "Title of secret-d"] {
        assert!(!records.contains(hidden), "{hidden} leaked into OAI-PMH");
    }
    assert!(records.contains("<dc:title>Title of open-b</dc:title>"), "{records}");
}

fn host(app: &TestApp) -> String {
    app.base.trim_start_matches("http://").split(':').next().unwrap().to_owned()
}

#[tokio::test]
async fn records_come_in_dublin_core_and_datacite_and_sets_select_them() {
    let app = world().await;
    let id = format!("oai:{}:open-b/1", host(&app));
    let dc = oai(&app, &format!("verb=GetRecord&metadataPrefix=oai_dc&identifier={id}")).await;
    assert!(dc.contains("<oai_dc:dc"), "{dc}");
    let datacite = oai(&app, &format!("verb=GetRecord&metadataPrefix=oai_datacite&identifier={id}")).await;
    assert!(datacite.contains("<resource") && datacite.contains("http://datacite.org/schema/kernel-4"), "{datacite}");
    assert!(
        !datacite.contains("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<resource"),
        "no declaration inside a record"
    );

    let sets = oai(&app, "verb=ListSets").await;
    assert!(sets.contains("<setSpec>consortium</setSpec>"), "{sets}");
    assert!(sets.contains("<setSpec>subject:fos-2-5</setSpec>"), "{sets}");
    let in_subject = oai(&app, "verb=ListIdentifiers&metadataPrefix=oai_dc&set=subject:fos-2-5").await;
    assert!(in_subject.contains("open-a/2") && !in_subject.contains("open-b"), "{in_subject}");
    let in_consortia = oai(&app, "verb=ListIdentifiers&metadataPrefix=oai_dc&set=consortium").await;
    assert!(in_consortia.contains("shared-c/1") && !in_consortia.contains("open-a"), "{in_consortia}");
}

#[tokio::test]
async fn every_error_condition_is_reported() {
    let app = world().await;
    let cases = [
        ("", "badVerb"),
        ("verb=Frobnicate", "badVerb"),
        ("verb=Identify&verb=Identify", "badVerb"),
        ("verb=Identify&extra=1", "badArgument"),
        ("verb=ListRecords", "badArgument"),
        ("verb=ListRecords&metadataPrefix=oai_dc&from=2026-01-01&until=2026-01-02T00:00:00Z", "badArgument"),
        ("verb=ListRecords&metadataPrefix=oai_dc&from=tomorrow", "badArgument"),
        ("verb=ListRecords&metadataPrefix=marc21", "cannotDisseminateFormat"),
        ("verb=GetRecord&metadataPrefix=oai_dc&identifier=oai:nowhere:x/1", "idDoesNotExist"),
        ("verb=ListMetadataFormats&identifier=oai:nowhere:x/1", "idDoesNotExist"),
        ("verb=ListRecords&resumptionToken=garbage", "badResumptionToken"),
        ("verb=ListSets&resumptionToken=garbage", "badResumptionToken"),
        ("verb=ListRecords&metadataPrefix=oai_dc&from=2100-01-01", "noRecordsMatch"),
        ("verb=ListRecords&metadataPrefix=oai_dc&set=group:00000000-0000-0000-0000-000000000000", "noRecordsMatch"),
    ];
    for (query, code) in cases {
        let body = oai(&app, query).await;
        assert_eq!(error_code(&body), Some(code), "{query}: {body}");
        if code == "badVerb" || code == "badArgument" {
            assert!(body.contains("<request>"), "{query}: the request is not echoed after {code}");
        }
    }
    let secret =
        oai(&app, &format!("verb=GetRecord&metadataPrefix=oai_dc&identifier=oai:{}:secret-d/1", host(&app))).await;
    assert_eq!(error_code(&secret), Some("idDoesNotExist"), "a closed dataset is as absent as one that never was");
    let form = app.client.post(format!("{}/oai", app.base)).form(&[("verb", "Identify")]).send().await.unwrap();
    assert!(form.text().await.unwrap().contains("<Identify>"));
}
