//! The job runner against a real SQLite catalog and a local object store: the bound holds,
//! queued and running jobs can be cancelled without anything of them committed, and a job
//! whose worker stopped is taken over (or failed after its last attempt) while queued ones run
//! with their parameters. Tests wait on the runner's own signal (`wait`, `wait_until`,
//! `idle`), never on a clock.

use kura_core::{HasErrorCode, JobState};
use std::collections::BTreeMap;
use std::io::Write;

use kura_catalog::datasets::NewDataset;
use kura_catalog::entity::{dataset, dataset_version, ingest_job};
use kura_catalog::{Catalog, PageRequest};
use kura_ingest::{Ingestor, JobRunner, LocalFile, ReadOptions, Recovered};
use kura_storage::ObjectStore;

struct World {
    dir: tempfile::TempDir,
    catalog: Catalog,
    ingestor: Ingestor,
}

async fn world() -> World {
    let dir = tempfile::tempdir().unwrap();
    let catalog =
        Catalog::connect(&format!("sqlite://{}?mode=rwc", dir.path().join("kura.db").display())).await.unwrap();
    catalog.migrate().await.unwrap();
    let store = ObjectStore::local(&dir.path().join("objects"), &dir.path().join("staging")).unwrap();
    let ingestor = Ingestor::new(catalog.clone(), store);
    World { dir, catalog, ingestor }
}

impl World {
    /// A dataset whose draft holds one raw file, `data.csv`, of `rows` rows (or `content`).
    async fn draft(&self, name: &str, content: Content) -> (dataset::Model, dataset_version::Model) {
        let new = NewDataset { name: name.into(), title: name.into(), ..Default::default() };
        let (dataset, draft) = self.catalog.create_dataset(new).await.unwrap();
        let source = self.dir.path().join(format!("{name}.csv"));
        let mut out = std::io::BufWriter::new(std::fs::File::create(&source).unwrap());
        match content {
            Content::Rows(rows) => {
                writeln!(out, "time,value [mV],label").unwrap();
                for i in 0..rows {
                    writeln!(out, "{i},{:.3},label-{}", i as f64 * 0.25, i % 7).unwrap();
                }
            }
            Content::Text(text) => out.write_all(text.as_bytes()).unwrap(),
        }
        drop(out);
        let local = [LocalFile { source, path: "data.csv".into() }];
        self.ingestor.add_local_files(&draft, &local).await.unwrap();
        (dataset, draft)
    }

    async fn job(&self, job: &ingest_job::Model) -> ingest_job::Model {
        self.catalog.job(job.dataset_id, job.id).await.unwrap()
    }

    async fn tables(&self, draft: &dataset_version::Model) -> u64 {
        self.catalog.tables_page(draft.id, PageRequest::default()).await.unwrap().total
    }
}

enum Content {
    Rows(usize),
    Text(&'static str),
}

#[tokio::test]
async fn with_one_slot_three_jobs_run_one_at_a_time_in_turn() {
    let w = world().await;
    let runner = JobRunner::new(w.ingestor.clone(), 1);
    runner.start_worker();
    let mut jobs = Vec::new();
    for name in ["first", "second", "third"] {
        let (_, draft) = w.draft(name, Content::Rows(20_000)).await;
        let job = runner.submit(&draft, BTreeMap::new()).await.unwrap();
        assert_eq!(job.state, JobState::Queued, "submit answers at once with the queued job");
        jobs.push(job);
    }
    for job in &jobs {
        let ended = runner.wait(job.dataset_id, job.id).await.unwrap();
        assert_eq!(ended.state, JobState::Succeeded, "{ended:?}");
        assert!(ended.started_at.is_some());
        let mut running = 0;
        for other in &jobs {
            running += usize::from(w.job(other).await.state == JobState::Running);
        }
        assert!(running <= 1, "{running} jobs running at once");
    }
    assert_eq!(runner.peak_running(), 1, "never more than one job ran at once");
    assert_eq!(runner.running(), 0);
}

#[tokio::test]
async fn a_queued_job_is_cancelled_unrun_and_a_running_one_commits_nothing() {
    let w = world().await;
    let runner = JobRunner::new(w.ingestor.clone(), 1);
    runner.start_worker();
    // Big enough to be still running when it is cancelled a few statements later.
    let (_, big) = w.draft("big", Content::Rows(3_000_000)).await;
    let (_, small) = w.draft("small", Content::Rows(10)).await;
    let running = runner.submit(&big, BTreeMap::new()).await.unwrap();
    runner.wait_until(running.dataset_id, running.id, |j| j.state != JobState::Queued).await.unwrap();
    let queued = runner.submit(&small, BTreeMap::new()).await.unwrap();

    let cancelled = runner.cancel(&queued).await.unwrap();
    assert_eq!(cancelled.state, JobState::Cancelled);
    assert!(cancelled.finished_at.is_some());
    let cancelled = runner.cancel(&running).await.unwrap();
    assert_eq!(cancelled.state, JobState::Cancelled, "{cancelled:?}");
    let again = runner.cancel(&running).await.unwrap_err();
    assert_eq!(again.code(), kura_core::ErrorCode::Conflict, "an ended job cannot be cancelled: {again}");

    // Once both tasks are gone: nothing of either was committed, and neither changed its state.
    runner.idle().await;
    assert_eq!(runner.peak_running(), 1);
    let small_job = w.job(&queued).await;
    assert_eq!((small_job.state, small_job.started_at), (JobState::Cancelled, None), "the queued job never ran");
    assert_eq!(w.job(&running).await.state, JobState::Cancelled);
    assert_eq!((w.tables(&big).await, w.tables(&small).await), (0, 0));
    let files = w.catalog.files_page(big.id, PageRequest::default()).await.unwrap();
    assert_eq!(files.total, 1, "only the raw file: no Parquet of the cancelled job");
    assert_eq!(w.catalog.pending_raw_files(big.id).await.unwrap().len(), 1, "the file can be ingested again");

    // A new job over the small draft runs as usual.
    let job = runner.submit(&small, BTreeMap::new()).await.unwrap();
    assert_eq!(runner.wait(job.dataset_id, job.id).await.unwrap().state, JobState::Succeeded);
    assert_eq!(w.tables(&small).await, 1);
}

/// A job a worker started `attempts` times and then stopped at (its lease passes at once).
async fn started_by_a_stopped_worker(w: &World, draft: &dataset_version::Model, attempts: i32) -> ingest_job::Model {
    use sea_orm::{ActiveModelTrait, Set};
    let job = w.ingestor.create_job(draft).await.unwrap();
    let stopped = kura_catalog::jobs::Lease::for_this_process(std::time::Duration::ZERO, 5);
    w.catalog.start_job(job.id, &stopped).await.unwrap().expect("the stopped worker's start");
    let earlier = ingest_job::ActiveModel { id: Set(job.id), attempts: Set(attempts), ..Default::default() };
    earlier.update(w.catalog.connection()).await.unwrap();
    w.job(&job).await
}

#[tokio::test]
async fn a_job_whose_worker_stopped_is_taken_over_or_failed_after_its_last_attempt() {
    let w = world().await;
    // As stopped processes would leave them: one job started once (an attempt left), one
    // started twice (none left), one queued with read parameters (no header line: three rows
    // where detection would find a header and two), one queued with parameters this version
    // cannot read back.
    let (_, once) = w.draft("once", Content::Rows(10)).await;
    let once_job = started_by_a_stopped_worker(&w, &once, 1).await;
    let (_, twice) = w.draft("twice", Content::Rows(10)).await;
    let twice_job = started_by_a_stopped_worker(&w, &twice, 2).await;
    assert_eq!((once_job.state, twice_job.attempts), (JobState::Running, 2));
    let (_, left_queued) = w.draft("left-queued", Content::Text("x,y\n1,2\n3,4\n")).await;
    let headless = ReadOptions { header_line: Some(0), ..Default::default() };
    let queued =
        w.ingestor.create_job_with(&left_queued, &BTreeMap::from([("data.csv".into(), headless)])).await.unwrap();
    let (_, unreadable) = w.draft("unreadable", Content::Rows(10)).await;
    let odd = w.catalog.create_job(&unreadable, 1, 10, Some(serde_json::json!({"data.csv": 5}))).await.unwrap();

    let runner = JobRunner::new(w.ingestor.clone(), 2);
    assert_eq!(runner.recover().await.unwrap(), Recovered { failed: 1, queued: 2 });
    let failed = w.job(&twice_job).await;
    assert_eq!(failed.state, JobState::Failed);
    assert_eq!(failed.message.as_deref(), Some(kura_catalog::jobs::INTERRUPTED));
    assert_eq!(w.catalog.pending_raw_files(twice.id).await.unwrap().len(), 1, "its file is pending again");

    runner.start_worker();
    let taken_over = runner.wait(once_job.dataset_id, once_job.id).await.unwrap();
    assert_eq!((taken_over.state, taken_over.attempts), (JobState::Succeeded, 2), "{taken_over:?}");
    assert_eq!(w.tables(&once).await, 1);

    let ran = runner.wait(queued.dataset_id, queued.id).await.unwrap();
    assert_eq!(ran.state, JobState::Succeeded, "{ran:?}");
    let tables = w.catalog.tables_page(left_queued.id, PageRequest::default()).await.unwrap();
    assert_eq!(tables.items[0].row_count, 3, "read with the recorded parameters, not detected");

    let odd = runner.wait(odd.dataset_id, odd.id).await.unwrap();
    assert_eq!(odd.state, JobState::Failed);
    assert!(odd.message.unwrap_or_default().contains("read parameters cannot be read back"));
    runner.idle().await;
}

/// `kura ingest` beside a running server: the job it runs itself is born running under its own
/// lease, so the server's worker (polling the same catalog) never claims it first and runs it
/// without the parameters it was given.
#[tokio::test]
async fn a_job_started_here_is_not_claimed_by_another_worker() {
    let w = world().await;
    let (_, draft) = w.draft("here", Content::Rows(10)).await;
    let headless = ReadOptions { header_line: Some(0), ..Default::default() };
    let options = BTreeMap::from([("data.csv".to_string(), headless)]);
    let job = w.ingestor.start_new_job(&draft, &options).await.unwrap();
    assert_eq!((job.state, job.attempts), (JobState::Running, 1));
    assert!(job.read_options.is_some(), "recorded for a takeover should this process stop");
    let server = kura_catalog::jobs::Lease::for_this_process(std::time::Duration::from_secs(30), 5);
    assert!(w.catalog.claim_job(&server).await.unwrap().is_none(), "another worker claimed it");

    let progress = std::sync::Arc::new(kura_ingest::Progress::default());
    let cancel = tokio_util::sync::CancellationToken::new();
    let done = w.ingestor.run_started(job, progress, options, &cancel).await.unwrap();
    assert_eq!(done.state, JobState::Succeeded);
    let table = &w.catalog.tables_page(draft.id, PageRequest::default()).await.unwrap().items[0];
    assert_eq!(table.row_count, 11, "the header line read as a row, as asked");
}
