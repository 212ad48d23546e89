//! The job runner: at most `max_concurrent` ingest jobs run at once, the others wait `queued`
//! in the order they came. A job can be cancelled while it waits or runs. At start, jobs a
//! stopped process left running are failed and those it left queued are queued again.
//!
//! The catalog is the truth about a job's state; the runner holds only what a process needs
//! to run its jobs (a queue place, a cancellation token), so losing it loses nothing.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use kura_catalog::entity::{dataset_version, ingest_job};
use tokio::sync::{Semaphore, watch};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::{IngestError, Ingestor, Progress, ReadOptions};

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
}

/// What [`JobRunner::recover`] found at start.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Recovered {
    /// Jobs failed: those left running (with [`kura_catalog::jobs::INTERRUPTED`]), and those
    /// left queued whose read parameters cannot be read back.
    pub failed: u64,
    /// Jobs left queued, queued again.
    pub requeued: usize,
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
        };
        JobRunner { inner: Arc::new(inner) }
    }

    /// Queues a job over the version's pending raw files with read parameters per raw file
    /// path, and returns it at once (`queued`); it runs when a slot is free.
    pub async fn submit(
        &self,
        version: &dataset_version::Model,
        options: BTreeMap<String, ReadOptions>,
    ) -> Result<ingest_job::Model, IngestError> {
        let job = self.inner.ingestor.create_job_with(version, &options).await?;
        self.enqueue(job.clone(), options);
        Ok(job)
    }

    /// Run once at start, before jobs are submitted: a job left running by a process that
    /// stopped is failed (running it again could stop the server again), a job left queued is
    /// queued again with the read parameters it was given (it never started, so nothing of it
    /// was written).
    pub async fn recover(&self) -> Result<Recovered, IngestError> {
        let catalog = self.inner.ingestor.catalog();
        let mut recovered = Recovered { failed: catalog.fail_interrupted_jobs().await?, requeued: 0 };
        for job in catalog.queued_jobs().await? {
            match recorded_options(&job) {
                Ok(options) => {
                    self.enqueue(job, options);
                    recovered.requeued += 1;
                }
                Err(message) => {
                    catalog.fail_job(job.id, &message).await?;
                    recovered.failed += 1;
                }
            }
        }
        Ok(recovered)
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

    /// Waits until `done` holds for a job of this process. Woken whenever one of the runner's
    /// jobs changes state, never by a timer.
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
            let _ = changed.changed().await;
        }
    }

    /// Waits until this runner holds no job, queued or running (tests; a graceful stop).
    pub async fn idle(&self) {
        let mut changed = self.inner.changed.subscribe();
        while !self.held().is_empty() {
            let _ = changed.changed().await;
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

    /// Holds a job and runs it in the background when a slot is free. A job already held (a
    /// queued job `recover` finds while it waits here) is not held twice.
    fn enqueue(&self, job: ingest_job::Model, options: BTreeMap<String, ReadOptions>) {
        let cancel = CancellationToken::new();
        {
            let mut held = self.held();
            if held.contains_key(&job.id) {
                return;
            }
            held.insert(job.id, cancel.clone());
        }
        let runner = self.clone();
        tokio::spawn(async move {
            let _held = Held { runner: &runner, job_id: job.id };
            runner.run(job, options, cancel).await;
        });
    }

    /// Waits for a slot (or for cancellation), moves the job to running and runs it.
    async fn run(&self, job: ingest_job::Model, options: BTreeMap<String, ReadOptions>, cancel: CancellationToken) {
        let slot = tokio::select! {
            slot = self.inner.slots.clone().acquire_owned() => slot.ok(),
            () = cancel.cancelled() => None,
        };
        let Some(_slot) = slot else { return };
        let ingestor = &self.inner.ingestor;
        let started = match ingestor.start_job(&job).await {
            Ok(started) => started,
            Err(IngestError::Cancelled) => return,
            Err(e) => {
                tracing::warn!(job = %job.id, error = %e, "queued job did not start");
                return;
            }
        };
        let _running = Running::enter(&self.inner);
        self.notify();
        // The outcome is recorded on the job itself (its state and message).
        let _ = ingestor.run_started(started, Arc::new(Progress::default()), options, &cancel).await;
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

/// The read parameters a queued job was given, or why they cannot be read back (recorded by
/// another version of Kura, say): such a job fails rather than run with the wrong parameters.
fn recorded_options(job: &ingest_job::Model) -> Result<BTreeMap<String, ReadOptions>, String> {
    match &job.read_options {
        None => Ok(BTreeMap::new()),
        Some(value) => serde_json::from_value(value.clone()).map_err(|e| {
            format!("the server stopped before this job started and its read parameters cannot be read back ({e}); start it again")
        }),
    }
}
