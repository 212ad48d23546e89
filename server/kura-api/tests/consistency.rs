//! A version becomes visible atomically: a job stopped at any point leaves no partial tables,
//! restarting marks it failed, a new job completes, and garbage collection keeps what is used.

mod common;

use std::collections::BTreeMap;
use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use common::spawn_app;
use kura_catalog::{PageRequest, Visibility};
use kura_ingest::{LocalFile, Progress};
use tokio_util::sync::CancellationToken;

fn write_csv(path: &std::path::Path, rows: usize) {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    writeln!(out, "time,value [mV],label").unwrap();
    for i in 0..rows {
        writeln!(out, "{i},{:.3},label-{}", i as f64 * 0.25, i % 7).unwrap();
    }
}

#[tokio::test]
async fn a_job_stopped_midway_leaves_nothing_visible_and_can_be_rerun() {
    let app = spawn_app().await;
    let catalog = &app.state.catalog;
    app.create_dataset("crash").await;
    let ds = catalog.dataset_by_name("crash", &Visibility::everything()).await.unwrap();
    let draft = catalog.open_draft(ds.id).await.unwrap();
    let source = app.dir.path().join("signal.csv");
    write_csv(&source, 1_500_000);
    let local = [LocalFile { source: source.clone(), path: "signal.csv".into() }];
    app.state.ingestor.add_local_files(&draft, &local).await.unwrap();

    // Stop the job while its reader is writing Parquet, as a crash would.
    let job = app.state.ingestor.start_new_job(&draft, &BTreeMap::new()).await.unwrap();
    let (dataset_id, job_id) = (job.dataset_id, job.id);
    let progress = Arc::new(Progress::default());
    let ingestor = app.state.ingestor.clone();
    let running = tokio::spawn({
        let progress = progress.clone();
        async move { ingestor.run_started(job, progress, BTreeMap::new(), &CancellationToken::new()).await }
    });
    for _ in 0..400 {
        if progress.bytes_done.load(Ordering::Relaxed) > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert!(progress.bytes_done.load(Ordering::Relaxed) > 0, "the reader should have started");
    running.abort();
    let _ = running.await;

    let tables = catalog.tables_page(draft.id, PageRequest::default()).await.unwrap();
    assert_eq!(tables.total, 0, "no table of the stopped job is visible");
    let files = catalog.files_page(draft.id, PageRequest::default()).await.unwrap();
    assert_eq!(files.total, 1, "only the raw file");

    // What a restart does: once the stopped worker's lease has passed, a worker takes the job
    // over (its second attempt) and reads the file again from the start.
    let lapsed = kura_catalog::entity::ingest_job::ActiveModel {
        id: sea_orm::Set(job_id),
        lease_until: sea_orm::Set(Some(chrono::Utc::now() - chrono::Duration::seconds(1))),
        ..Default::default()
    };
    sea_orm::ActiveModelTrait::update(lapsed, catalog.connection()).await.unwrap();
    let done = app.state.jobs.wait(dataset_id, job_id).await.unwrap();
    assert_eq!((done.state, done.attempts), (kura_core::JobState::Succeeded, 2), "{done:?}");
    let table = catalog.table(draft.id, "signal").await.unwrap();
    assert_eq!(table.row_count, 1_500_000);

    // Garbage collection removes only what nothing references.
    tokio::time::sleep(Duration::from_millis(1100)).await; // let the reader of the stopped job end
    let referenced = catalog.referenced_hashes().await.unwrap();
    let report = app.state.store.collect_garbage(&referenced, Duration::ZERO).await.unwrap();
    for hash in &referenced {
        assert!(app.state.store.exists(hash).await.unwrap(), "gc removed a referenced object");
    }
    assert!(report.kept >= 2);
    let rows = app.get_admin("/datasets/crash/versions/1/tables/signal/rows?offset=1499999&limit=5").await;
    let rows: serde_json::Value = rows.json().await.unwrap();
    assert_eq!(rows[0]["time"], 1_499_999);
}

#[tokio::test]
async fn a_one_gigabyte_line_fails_that_file_quickly_and_keeps_it_raw() {
    let app = spawn_app().await;
    let catalog = &app.state.catalog;
    app.create_dataset("long-line").await;
    let ds = catalog.dataset_by_name("long-line", &Visibility::everything()).await.unwrap();
    let draft = catalog.open_draft(ds.id).await.unwrap();
    let source = app.dir.path().join("one-line.csv");
    {
        let mut out = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(&source).unwrap());
        let chunk = vec![b'a'; 1 << 20];
        for _ in 0..1024 {
            out.write_all(&chunk).unwrap();
        }
    }
    let local = [LocalFile { source, path: "one-line.csv".into() }];
    app.state.ingestor.add_local_files(&draft, &local).await.unwrap();
    let job = app.state.ingestor.start_new_job(&draft, &BTreeMap::new()).await.unwrap();
    let started = std::time::Instant::now();
    let done = app
        .state
        .ingestor
        .run_started(job, Arc::new(Progress::default()), BTreeMap::new(), &CancellationToken::new())
        .await
        .unwrap();
    assert_eq!(done.state, kura_core::JobState::Failed);
    let error = done.errors[0]["error"].as_str().unwrap();
    assert!(error.starts_with("line 1 is longer than"), "{error}");
    assert!(started.elapsed() < Duration::from_secs(20), "the reader stops at the limit instead of reading 1 GB");
    let files = catalog.files_page(draft.id, PageRequest::default()).await.unwrap();
    assert_eq!(files.items[0].size, 1 << 30, "the raw file is kept");
    app.assert_healthy().await;
}

/// The progress ticker's last write can land after the commit that ended the job (seen in CI as
/// a job "running" with `finished_at` set): an ended job keeps its final state.
#[tokio::test]
async fn progress_written_after_a_job_ended_does_not_reopen_it() {
    let app = spawn_app().await;
    let catalog = &app.state.catalog;
    let new = kura_catalog::datasets::NewDataset {
        name: "late-ticker".into(),
        title: "t".into(),
        description: String::new(),
        metadata: serde_json::json!({}),
        group_id: None,
    };
    let (dataset, draft) = catalog.create_dataset(new).await.unwrap();
    let job = catalog.create_job(&draft, 1, 10, None).await.unwrap();
    catalog.job_progress(job.id, 0, 5, &[]).await.unwrap();
    assert_eq!(catalog.job(dataset.id, job.id).await.unwrap().state, kura_core::JobState::Running);
    catalog.fail_job(job.id, "stopped").await.unwrap();
    catalog.job_progress(job.id, 1, 10, &[]).await.unwrap();
    let ended = catalog.job(dataset.id, job.id).await.unwrap();
    assert_eq!(ended.state, kura_core::JobState::Failed);
    assert!(ended.finished_at.is_some());
}
