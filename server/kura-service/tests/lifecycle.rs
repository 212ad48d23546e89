//! The dataset lifecycle's use cases against a real SQLite catalog and object store in a
//! temporary directory: who may change a dataset, what outsiders learn, and what deaccessioning
//! does to its data.

use kura_core::VersionState;
use std::sync::Arc;

use futures::StreamExt;
use kura_catalog::datasets::NewDataset;
use kura_catalog::policies::Policy;
use kura_catalog::versions::DraftUpdate;
use kura_core::access::{AccessLevel, Role};
use kura_core::{Config, ErrorCode, Principal};
use kura_ingest::{LocalFile, Progress};
use kura_service::ingest::{LocalIngest, Ran};
use kura_service::rows::RowsQuery;
use kura_service::tables::TableRef;
use kura_service::{ServiceError, Services, Surface, datasets, files, ingest, rows, tables, versions};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

struct World {
    svc: Services,
    dir: tempfile::TempDir,
    group: Uuid,
    other_group: Uuid,
}

async fn world() -> World {
    let dir = tempfile::tempdir().unwrap();
    let config = Config { data_dir: dir.path().join("data"), ..Config::default() };
    let svc = Services::open(config, None).await.unwrap();
    let org = svc.catalog.ensure_organization("Test University", None).await.unwrap();
    let group = svc.catalog.ensure_group(org.id, "Lab").await.unwrap().id;
    let other_group = svc.catalog.ensure_group(org.id, "Other lab").await.unwrap().id;
    World { svc, dir, group, other_group }
}

/// A user holding `role` in `group`, with a credential that may write or not.
fn user(group: Uuid, role: Role, can_write: bool) -> Principal {
    let id = Uuid::new_v4();
    let mut p = Principal { actor: format!("user:{id}"), user_id: Some(id), can_write, ..Principal::anonymous() };
    p.subject.groups.push((group, role));
    p
}

async fn create(w: &World, by: &Principal, name: &str) {
    let new = NewDataset { name: name.into(), title: "A title".into(), group_id: Some(w.group), ..Default::default() };
    datasets::create(&w.svc, by, new).await.unwrap();
}

fn code<T: std::fmt::Debug>(result: Result<T, ServiceError>) -> ErrorCode {
    result.unwrap_err().code
}

#[tokio::test]
async fn a_read_only_credential_changes_nothing() {
    let w = world().await;
    let steward = user(w.group, Role::Steward, true);
    create(&w, &steward, "spectra").await;
    let read_only = Principal { can_write: false, ..steward.clone() };

    let refused = versions::publish(&w.svc, &read_only, "spectra").await.unwrap_err();
    assert_eq!((refused.code, refused.message.as_str()), (ErrorCode::Forbidden, "this token is read-only"));
    let update = DraftUpdate { title: Some("changed".into()), ..Default::default() };
    assert_eq!(code(versions::update_draft(&w.svc, &read_only, "spectra", update).await), ErrorCode::Forbidden);
    assert_eq!(code(versions::submit(&w.svc, &read_only, Surface::Rest, "spectra").await), ErrorCode::Forbidden);
    let new = NewDataset { name: "other".into(), group_id: Some(w.group), ..Default::default() };
    assert_eq!(code(datasets::create(&w.svc, &read_only, new).await), ErrorCode::Forbidden);

    // The draft is still a draft, and the steward's own credential publishes it.
    assert_eq!(versions::open_draft(&w.svc, &steward, "spectra").await.unwrap().state, VersionState::Draft);
    assert_eq!(versions::publish(&w.svc, &steward, "spectra").await.unwrap().state, VersionState::Published);
}

#[tokio::test]
async fn publishing_and_sending_back_need_a_steward() {
    let w = world().await;
    let member = user(w.group, Role::Member, true);
    create(&w, &member, "logs").await;
    assert_eq!(versions::submit(&w.svc, &member, Surface::Rest, "logs").await.unwrap().state, VersionState::InReview);
    let refused = versions::publish(&w.svc, &member, "logs").await.unwrap_err();
    assert_eq!(
        (refused.code, refused.message.as_str()),
        (ErrorCode::Forbidden, "publishing needs a steward of the owner group")
    );
    assert_eq!(
        code(versions::return_to_draft(&w.svc, &member, Surface::Rest, "logs", "more").await),
        ErrorCode::Forbidden
    );

    let steward = user(w.group, Role::Steward, true);
    let back = versions::return_to_draft(&w.svc, &steward, Surface::Web, "logs", "add a licence").await.unwrap();
    assert_eq!((back.state.as_str(), back.review_comment.as_deref()), ("draft", Some("add a licence")));
}

#[tokio::test]
async fn an_outsider_finds_no_draft_of_a_closed_dataset() {
    let w = world().await;
    let steward = user(w.group, Role::Steward, true);
    let new = NewDataset { name: "secret".into(), group_id: Some(w.group), ..Default::default() };
    datasets::create(&w.svc, &steward, new).await.unwrap();
    let closed = Policy { level: AccessLevel::Closed, ..Policy::default() };
    kura_service::policy::change_policy(&w.svc, &steward, Surface::Cli, "secret", &closed).await.unwrap();

    let outsider = user(w.other_group, Role::Steward, true);
    let nothing = versions::open_draft(&w.svc, &outsider, "secret").await.unwrap_err();
    assert_eq!((nothing.code, nothing.message.as_str()), (ErrorCode::NotFound, "dataset not found"));
    let update = DraftUpdate { title: Some("mine now".into()), ..Default::default() };
    assert_eq!(code(versions::update_draft(&w.svc, &outsider, "secret", update).await), ErrorCode::NotFound);
    assert_eq!(code(versions::publish(&w.svc, &outsider, "secret").await), ErrorCode::NotFound);
    assert_eq!(code(files::draft_for_upload(&w.svc, &outsider, "secret").await), ErrorCode::NotFound);
    assert_eq!(code(datasets::get(&w.svc, &outsider, "secret").await), ErrorCode::NotFound);
    // The outsider's group membership does not let them create a dataset in the owner group.
    let theirs = NewDataset { name: "secret".into(), group_id: Some(w.group), ..Default::default() };
    assert_eq!(code(datasets::create(&w.svc, &outsider, theirs).await), ErrorCode::Forbidden);
    // Anonymous callers learn as little.
    assert_eq!(code(versions::get(&w.svc, &Principal::anonymous(), "secret", "latest").await), ErrorCode::NotFound);
}

#[tokio::test]
async fn data_of_a_deaccessioned_version_are_gone() {
    let w = world().await;
    let steward = user(w.group, Role::Steward, true);
    create(&w, &steward, "furnace").await;
    let csv = w.dir.path().join("log.csv");
    std::fs::write(&csv, "time,temperature\n1,20.5\n2,21.0\n3,21.4\n").unwrap();
    let request = LocalIngest {
        dataset: "furnace".into(),
        files: vec![LocalFile { source: csv, path: "log.csv".into() }],
        ..Default::default()
    };
    let local = ingest::start_local(&w.svc, &steward, request).await.unwrap();
    let ran = ingest::run_local(&w.svc, local, Arc::new(Progress::default()), &CancellationToken::new()).await.unwrap();
    let Ran::Ended(job) = ran else { panic!("the job was cancelled") };
    assert!(kura_ingest::failures(&job.errors).is_empty(), "{}", job.errors);
    versions::publish(&w.svc, &steward, "furnace").await.unwrap();

    let anyone = Principal::anonymous();
    let table = tables::list(&w.svc, &anyone, "furnace", "1", Default::default()).await.unwrap().items.remove(0);
    let at = TableRef { dataset: "furnace", version: "1", table: &table.name };
    let read = rows::read(&w.svc, &anyone, Surface::Rest, at, RowsQuery::default()).await;
    let batches: Vec<_> = read.unwrap().batches.collect().await;
    assert_eq!(batches.into_iter().map(|b| b.unwrap().num_rows()).sum::<usize>(), 3);

    let member = user(w.group, Role::Member, true);
    let refused = versions::deaccession(&w.svc, &member, Surface::Rest, "furnace", "1", "wrong sample").await;
    assert_eq!(code(refused), ErrorCode::Forbidden);
    let tombstone =
        versions::deaccession(&w.svc, &steward, Surface::Rest, "furnace", "1", "wrong sample").await.unwrap();
    assert_eq!(tombstone.state, VersionState::Deaccessioned);

    assert_eq!(code(rows::read(&w.svc, &anyone, Surface::Rest, at, RowsQuery::default()).await), ErrorCode::Gone);
    assert_eq!(code(tables::parquet(&w.svc, &anyone, Surface::Rest, at).await), ErrorCode::Gone);
    let file = files::list(&w.svc, &anyone, "furnace", "1", Default::default()).await.unwrap().items.remove(0);
    assert_eq!(code(files::download(&w.svc, &anyone, Surface::Rest, "furnace", "1", file.id).await), ErrorCode::Gone);
    // Its description stays: the PID resolves to the tombstone.
    assert_eq!(versions::get(&w.svc, &anyone, "furnace", "1").await.unwrap().state, VersionState::Deaccessioned);
}
