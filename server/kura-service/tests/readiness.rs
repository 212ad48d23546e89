//! Readiness follows the projections: a catalog change that a projection has not applied yet
//! makes the process not ready (naming the projection and its lag), applying it makes it ready.

use std::sync::Arc;

use kura_catalog::datasets::NewDataset;
use kura_core::{Config, Principal};
use kura_service::Services;

async fn services(dir: &std::path::Path) -> Services {
    let config = Config { data_dir: dir.join("data"), ..Config::default() };
    let mut svc = Services::open(config, None).await.expect("open");
    // A projection without its background worker: it moves only when the test says so.
    let index = Arc::new(kura_search::SearchIndex::in_memory().unwrap());
    svc.search = Some(kura_search::Projector::new(svc.catalog.clone(), index));
    svc
}

#[tokio::test]
async fn a_projection_behind_the_outbox_is_not_ready_until_it_applies_it() {
    let dir = tempfile::tempdir().unwrap();
    let svc = services(dir.path()).await;
    let ready = kura_service::ops::readiness(&svc).await;
    assert!(ready.ready, "{ready:?}");
    assert_eq!(ready.checks.iter().map(|c| c.name).collect::<Vec<_>>(), ["catalog", "schema", "search"]);

    let new = NewDataset {
        name: "spectra".into(),
        title: "Spectra".into(),
        description: String::new(),
        metadata: serde_json::json!({}),
        group_id: None,
    };
    kura_service::datasets::create(&svc, &Principal::admin("test"), new).await.expect("create");
    let behind = kura_service::ops::readiness(&svc).await;
    assert!(!behind.ready, "{behind:?}");
    let search = behind.checks.iter().find(|c| c.name == "search").unwrap();
    assert!(!search.ready && search.lag >= Some(1), "{search:?}");
    let body = serde_json::to_value(&behind).unwrap();
    assert_eq!(body["checks"][2]["reason"], "behind the outbox", "{body}");
    assert!(!body.to_string().contains("spectra"), "readiness names no dataset: {body}");

    let lags = kura_service::ops::projection_lags(&svc).await.unwrap();
    assert_eq!(lags.projections[0].lag, lags.head - lags.projections[0].checkpoint);

    svc.search.as_ref().unwrap().catch_up().await.unwrap();
    assert!(kura_service::ops::readiness(&svc).await.ready);
    let metrics = kura_service::metrics::render(&svc).await.unwrap();
    assert!(metrics.contains("kura_outbox_lag_events{projection=\"search\"} 0"), "{metrics}");
    assert!(metrics.contains("kura_ingest_jobs{state=\"queued\"} 0"), "{metrics}");
}

#[tokio::test]
async fn verify_is_for_administrators() {
    let dir = tempfile::tempdir().unwrap();
    let svc = services(dir.path()).await;
    let refused = kura_service::verify::verify(&svc, &Principal::anonymous()).await.unwrap_err();
    assert_eq!(refused.code, kura_core::ErrorCode::Forbidden);
    let report = kura_service::verify::verify(&svc, &Principal::admin("test")).await.unwrap();
    assert!(report.is_clean(), "an empty node is clean: {report:?}");
}
