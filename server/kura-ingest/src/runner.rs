//! The job runner: ingest jobs wait `queued` in the catalog, and every worker process claims
//! them there, at most `max_concurrent` at once per worker, oldest first. Several Kura
//! processes sharing one catalog share one queue: each job goes to one worker (the catalog's
//! claim), a worker renews the claims of the jobs it runs, and a job whose worker stopped is
//! taken over once its lease has passed (or failed, after its last attempt). A job can be
//! cancelled while it waits or runs, through any process.
//!
//! The catalog is the truth about a job's state; the runner holds only what a process needs
//! to run its jobs (a slot, a cancellation token), so losing it loses nothing.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use kura_catalog::entity::{dataset_version, ingest_job};
use kura_core::JobState;
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore, watch};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::{IngestError, Ingestor, Progress, ReadOptions};

/// How often a waiter or an idle worker looks at the catalog again for changes made by other
/// processes (changes of this process wake them at once).
const POLL: Duration = Duration::from_millis(500);

/// Runs ingest jobs in the background, a bounded number at a time; cheap to clone.
#[derive(Clone, Debug)]
pub struct JobRunner {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    ingestor: Ingestor,
    /// One permit per job that may run at once; tokio's semaphore is fair, so the queue is FIFO.
    slots: Arc<Semaphore>,
    /// Cancellation tokens of the jobs this process holds, queued or running.
    held: Mutex<HashMap<Uuid, CancellationToken>>,
    running: AtomicUsize,
    peak: AtomicUsize,
    /// Bumped whenever a job of this runner changes state, so that waiters read it again.
    changed: watch::Sender<u64>,
    /// Wakes this process's worker when a job was queued here.
    queued: Notify,
}

/// What [`JobRunner::recover`] found at start.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Recovered {
    /// Jobs failed because their workers stopped during their last allowed attempt (with
    /// [`kura_catalog::jobs::INTERRUPTED`]).
    pub failed: u64,
    /// Jobs waiting in the queue, for this or another worker.
    pub queued: usize,
}

impl JobRunner {
    /// A runner that runs at most `max_concurrent` jobs at once (at least one).
    pub fn new(ingestor: Ingestor, max_concurrent: usize) -> Self {
        let inner = Inner {
            ingestor,
            slots: Arc::new(Semaphore::new(max_concurrent.max(1))),
            held: Mutex::default(),
            running: AtomicUsize::new(0),
            peak: AtomicUsize::new(0),
            changed: watch::Sender::new(0),
            queued: Notify::new(),
        };
        JobRunner { inner: Arc::new(inner) }
    }

    /// Queues a job over the version's pending raw files with read parameters per raw file
    /// path (recorded with the job), and returns it at once (`queued`); a worker runs it when
    /// it has a free slot.
    pub async fn submit(
        &self,
        version: &dataset_version::Model,
        options: BTreeMap<String, ReadOptions>,
    ) -> Result<ingest_job::Model, IngestError> {
        let job = self.inner.ingestor.create_job_with(version, &options).await?;
        self.inner.queued.notify_one();
        self.notify();
        Ok(job)
    }

    /// Run once at start: fails the jobs whose workers stopped during their last allowed
    /// attempt, and says how many wait in the queue (a worker takes them, and the others
    /// whose lease has passed, in turn).
    pub async fn recover(&self) -> Result<Recovered, IngestError> {
        let catalog = self.inner.ingestor.catalog();
        let failed = catalog.fail_abandoned_jobs(self.inner.ingestor.lease()).await?;
        Ok(Recovered { failed, queued: catalog.queued_jobs().await?.len() })
    }

    /// Makes this process a worker: from now on it claims jobs from the catalog, at most
    /// `max_concurrent` at once, until the runtime stops.
    pub fn start_worker(&self) {
        let runner = self.clone();
        tokio::spawn(async move { runner.work().await });
    }

    async fn work(&self) {
        loop {
            let Ok(slot) = self.inner.slots.clone().acquire_owned().await else { return };
            let job = self.claim().await;
            let runner = self.clone();
            tokio::spawn(async move { runner.run(job, slot).await });
        }
    }

    /// The next job this worker may run: waits (woken by a job queued here, or polling for
    /// those queued by other processes and those whose worker stopped).
    async fn claim(&self) -> ingest_job::Model {
        let (catalog, lease) = (self.inner.ingestor.catalog(), self.inner.ingestor.lease());
        loop {
            if let Err(e) = catalog.fail_abandoned_jobs(lease).await {
                tracing::warn!(error = %e, "abandoned jobs could not be ended");
            }
            match catalog.claim_job(lease).await {
                Ok(Some(job)) => return job,
                Ok(None) => {}
                Err(e) => tracing::warn!(error = %e, "no job could be claimed"),
            }
            tokio::select! {
                () = self.inner.queued.notified() => {}
                () = tokio::time::sleep(POLL) => {}
            }
        }
    }

    /// Cancels a job that has not ended: a queued job never runs, a running one stops at its
    /// next file or batch boundary and commits nothing. A conflict when it has already ended.
    pub async fn cancel(&self, job: &ingest_job::Model) -> Result<ingest_job::Model, IngestError> {
        let catalog = self.inner.ingestor.catalog();
        // The catalog decides first, so a job whose commit won the race reports that instead.
        if !catalog.cancel_job(job.id).await? {
            let ended = catalog.job(job.dataset_id, job.id).await?;
            return Err(IngestError::Conflict(format!("the job has already ended ({})", ended.state)));
        }
        if let Some(token) = self.held().get(&job.id) {
            token.cancel();
        }
        self.notify();
        Ok(catalog.job(job.dataset_id, job.id).await?)
    }

    /// Waits for a job of this process to end and returns it as the catalog has it.
    pub async fn wait(&self, dataset_id: Uuid, job_id: Uuid) -> Result<ingest_job::Model, IngestError> {
        self.wait_until(dataset_id, job_id, |job| job.finished_at.is_some()).await
    }

    /// Waits until `done` holds for a job. Woken whenever one of this runner's jobs changes
    /// state, and every [`POLL`] for jobs that other processes run.
    pub async fn wait_until(
        &self,
        dataset_id: Uuid,
        job_id: Uuid,
        done: impl Fn(&ingest_job::Model) -> bool,
    ) -> Result<ingest_job::Model, IngestError> {
        // Subscribed before reading, so a change between the read and the wait is not missed.
        let mut changed = self.inner.changed.subscribe();
        loop {
            let job = self.inner.ingestor.catalog().job(dataset_id, job_id).await?;
            if done(&job) {
                return Ok(job);
            }
            // The sender lives in `self`: this returns on the next change, never with an error.
            tokio::select! {
                _ = changed.changed() => {}
                () = tokio::time::sleep(POLL) => {}
            }
        }
    }

    /// Waits until no job is queued in the catalog and this runner runs none (tests; a
    /// graceful stop).
    pub async fn idle(&self) {
        let mut changed = self.inner.changed.subscribe();
        loop {
            let queued = self.inner.ingestor.catalog().queued_jobs().await.map(|q| q.len()).unwrap_or(0);
            if queued == 0 && self.held().is_empty() {
                return;
            }
            tokio::select! {
                _ = changed.changed() => {}
                () = tokio::time::sleep(POLL) => {}
            }
        }
    }

    /// Jobs running now.
    pub fn running(&self) -> usize {
        self.inner.running.load(Ordering::SeqCst)
    }

    /// The most jobs that ever ran at once in this runner: never more than `max_concurrent`.
    pub fn peak_running(&self) -> usize {
        self.inner.peak.load(Ordering::SeqCst)
    }

    /// Runs a claimed job in its slot.
    async fn run(&self, job: ingest_job::Model, _slot: OwnedSemaphorePermit) {
        let cancel = CancellationToken::new();
        self.held().insert(job.id, cancel.clone());
        let _held = Held { runner: self, job_id: job.id };
        let _running = Running::enter(&self.inner);
        self.notify();
        let ingestor = &self.inner.ingestor;
        let options = match recorded_options(&job) {
            Ok(options) => options,
            Err(message) => {
                let _ = ingestor.catalog().end_attempt(&job, JobState::Failed, &message).await;
                return;
            }
        };
        // The outcome is recorded on the job itself (its state and message).
        let _ = ingestor.run_started(job, Arc::new(Progress::default()), options, &cancel).await;
    }

    fn held(&self) -> MutexGuard<'_, HashMap<Uuid, CancellationToken>> {
        // The map stays consistent even if a holder panicked: every update is one call.
        self.inner.held.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn notify(&self) {
        self.inner.changed.send_modify(|n| *n = n.wrapping_add(1));
    }
}

/// A job this process holds: released (and waiters woken) however its task ends.
struct Held<'a> {
    runner: &'a JobRunner,
    job_id: Uuid,
}

impl Drop for Held<'_> {
    fn drop(&mut self) {
        self.runner.held().remove(&self.job_id);
        self.runner.notify();
    }
}

/// Counts a running job for [`JobRunner::running`] and [`JobRunner::peak_running`].
struct Running<'a>(&'a Inner);

impl<'a> Running<'a> {
    fn enter(inner: &'a Inner) -> Self {
        let now = inner.running.fetch_add(1, Ordering::SeqCst) + 1;
        inner.peak.fetch_max(now, Ordering::SeqCst);
        Running(inner)
    }
}

impl Drop for Running<'_> {
    fn drop(&mut self) {
        self.0.running.fetch_sub(1, Ordering::SeqCst);
    }
}

/// The read parameters a job was given, or why they cannot be read back (recorded by another
/// version of Kura, say): such a job fails rather than run with the wrong parameters.
fn recorded_options(job: &ingest_job::Model) -> Result<BTreeMap<String, ReadOptions>, String> {
    match &job.read_options {
        None => Ok(BTreeMap::new()),
        Some(value) => serde_json::from_value(value.clone())
            .map_err(|e| format!("this job's read parameters cannot be read back ({e}); start it again")),
    }
}
