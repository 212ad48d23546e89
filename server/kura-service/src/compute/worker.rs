//! Runs compute jobs: a worker process claims them from the catalog (at most
//! `compute_max_per_node` at once, `compute_max_per_user` of one submitter), renews the leases
//! of those it runs, decides access again for the submitter as the job starts, runs it with its
//! time limit, and commits the output dataset. Every job reaches a final state: a run's own
//! failure is `EXECUTOR_ERROR`, the platform's `SYSTEM_ERROR`, and a job whose worker died is
//! taken over after its lease, or ended `SYSTEM_ERROR` after its last attempt (also at start).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;
use kura_catalog::compute::StateLimits;
use kura_catalog::entity::compute_job;
use kura_catalog::files::NewFile;
use kura_catalog::jobs::Lease;
use kura_catalog::policies::Policy;
use kura_compute::{ComputeError, InputRef, JobKind, RunSpec, Runner, SqlRunner};
use kura_core::{ErrorCode, FileRole, Principal, TaskState};
use tokio::sync::{Notify, Semaphore};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use super::inputs::{self, Resolved};
use super::lineage::{self, RunTransition};
use crate::{ServiceError, Services, Surface};

/// How often an idle worker looks for jobs queued by other processes.
const POLL: Duration = Duration::from_millis(500);

/// The compute jobs of this process: its runners and the jobs it runs; cheap to clone.
#[derive(Clone, Debug)]
pub struct Compute {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    runners: Vec<Arc<dyn Runner>>,
    lease: Lease,
    slots: Arc<Semaphore>,
    /// Cancellation of each job this process runs.
    held: Mutex<HashMap<Uuid, CancellationToken>>,
    queued: Notify,
}

impl Compute {
    /// The runners this node has (SQL; scripts when `compute_script_python` is set, in the
    /// sandbox, which must then work: a node told to run scripts refuses to start without it)
    /// and its limits.
    pub async fn new(config: &kura_core::Config, store: &kura_storage::ObjectStore) -> Result<Self, ServiceError> {
        let mut runners: Vec<Arc<dyn Runner>> = vec![Arc::new(SqlRunner::new(store, config.compute_memory_bytes)?)];
        if let Some(python) = &config.compute_script_python {
            let sandbox = kura_sandbox::Sandbox::detect().await.map_err(|e| {
                ServiceError::internal(format!("compute_script_python is set but the sandbox cannot run: {e}"))
            })?;
            let limits = kura_sandbox::Limits {
                cpu_seconds: config.compute_script_cpu_seconds,
                memory_bytes: config.compute_script_memory_bytes,
                wall_seconds: config.compute_time_limit_seconds,
                output_bytes: config.compute_script_output_bytes,
                max_processes: config.compute_script_max_processes,
                log_bytes: config.compute_log_bytes,
            };
            let settings = kura_compute::ScriptSettings { python: python.clone(), limits };
            runners.push(Arc::new(kura_compute::ScriptRunner::new(sandbox, store.clone(), settings)?));
        }
        let lease =
            Lease::for_this_process(Duration::from_secs(config.job_lease_seconds.max(3)), config.job_max_attempts);
        let inner = Inner {
            runners,
            lease,
            slots: Arc::new(Semaphore::new(config.compute_max_per_node.max(1))),
            held: Mutex::default(),
            queued: Notify::new(),
        };
        Ok(Compute { inner: Arc::new(inner) })
    }

    /// Whether this node runs jobs of `kind`.
    pub fn runs(&self, kind: JobKind) -> bool {
        self.runner(kind).is_some()
    }

    fn runner(&self, kind: JobKind) -> Option<Arc<dyn Runner>> {
        self.inner.runners.iter().find(|r| r.kind() == kind).cloned()
    }

    /// Wakes this process's worker: a job was queued here.
    pub fn wake(&self) {
        self.inner.queued.notify_one();
    }

    /// Stops the run of `job` in this process, if it runs here (cancelled in the catalog).
    pub fn stop(&self, job: Uuid) {
        if let Some(token) = self.held().get(&job) {
            token.cancel();
        }
    }

    fn held(&self) -> std::sync::MutexGuard<'_, HashMap<Uuid, CancellationToken>> {
        self.inner.held.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Run once at start: ends the jobs a previous stop left after their last attempt, then, in a
/// process with the `worker` role, starts claiming jobs and renewing their leases.
pub async fn start(svc: &Services) -> Result<(), ServiceError> {
    let failed = svc.catalog.fail_abandoned_compute_jobs(&svc.compute.inner.lease).await?;
    if failed > 0 {
        tracing::warn!(failed, "compute jobs a previous stop left ended as SYSTEM_ERROR");
    }
    if svc.config.has_role(kura_core::Role::Worker) {
        let (work, renew) = (svc.clone(), svc.clone());
        tokio::spawn(async move { work_loop(work).await });
        tokio::spawn(async move { renew_loop(renew).await });
        if let Some(url) = svc.config.openlineage_url.clone() {
            tokio::spawn(lineage::deliver_loop(svc.clone(), url));
        }
    }
    Ok(())
}

async fn work_loop(svc: Services) {
    let compute = svc.compute.clone();
    loop {
        let Ok(slot) = compute.inner.slots.clone().acquire_owned().await else { return };
        let job = claim(&svc).await;
        let token = CancellationToken::new();
        compute.held().insert(job.id, token.clone());
        let svc = svc.clone();
        tokio::spawn(async move {
            let id = job.id;
            run(&svc, job, token).await;
            svc.compute.held().remove(&id);
            drop(slot);
            svc.compute.wake();
        });
    }
}

/// The next job this worker may run; waits for one.
async fn claim(svc: &Services) -> compute_job::Model {
    let lease = &svc.compute.inner.lease;
    loop {
        if let Err(e) = svc.catalog.fail_abandoned_compute_jobs(lease).await {
            tracing::warn!(error = %e, "abandoned compute jobs could not be ended");
        }
        match svc.catalog.claim_compute_job(lease, svc.config.compute_max_per_user).await {
            Ok(Some(job)) => return job,
            Ok(None) => {}
            Err(e) => tracing::warn!(error = %e, "no compute job could be claimed"),
        }
        tokio::select! {
            () = svc.compute.inner.queued.notified() => {}
            () = tokio::time::sleep(POLL) => {}
        }
    }
}

/// Renews the leases of the jobs this process runs, every third of the lease; a job it no
/// longer holds (cancelled through another process, taken over, overdue) is stopped here.
/// Also ends every node's jobs overdue in their state, whether or not a slot is free here.
async fn renew_loop(svc: Services) {
    let lease = svc.compute.inner.lease.clone();
    loop {
        tokio::time::sleep(lease.duration / 3).await;
        end_overdue(&svc).await;
        let ids: Vec<Uuid> = svc.compute.held().keys().copied().collect();
        if ids.is_empty() {
            continue;
        }
        match svc.catalog.renew_compute_leases(&lease, &ids).await {
            Ok(still) => ids.iter().filter(|id| !still.contains(id)).for_each(|id| svc.compute.stop(*id)),
            Err(e) => tracing::warn!(error = %e, "compute leases could not be renewed"),
        }
    }
}

/// The time each unended state may last, from the node's settings.
fn state_limits(config: &kura_core::Config) -> StateLimits {
    StateLimits {
        queued: config.compute_queue_seconds.max(1),
        initializing: config.compute_initializing_seconds.max(1),
        running: config.compute_time_limit_seconds.max(1),
    }
}

/// Ends the jobs that stayed too long in their state (`kura_catalog` decides on recorded times).
async fn end_overdue(svc: &Services) {
    match svc.catalog.end_overdue_compute_jobs(&state_limits(&svc.config)).await {
        Ok(0) => {}
        Ok(ended) => tracing::warn!(ended, "compute jobs past their state's time limit ended"),
        Err(e) => tracing::warn!(error = %e, "overdue compute jobs could not be ended"),
    }
}

/// Runs one claimed attempt to its end; whatever happens, the attempt ends in a final state.
async fn run(svc: &Services, job: compute_job::Model, cancel: CancellationToken) {
    let (state, message) = match attempt(svc, &job, cancel).await {
        Ok(()) => return lineage::record(svc, &job, RunTransition::Complete, None).await,
        Err(Failure::Stopped) => return,
        Err(Failure::Ended(state, message)) => (state, message),
    };
    let max = svc.config.compute_log_bytes;
    if let Err(e) = svc.catalog.append_compute_log(job.id, &format!("{state}: {message}\n"), max).await {
        tracing::warn!(job = %job.id, error = %e, "compute log not written");
    }
    match svc.catalog.end_compute_attempt(&job, state, &message).await {
        Ok(ended) => {
            tracing::info!(job = %job.id, %state, "compute job ended");
            if ended {
                lineage::record(svc, &job, RunTransition::Fail, Some(message.as_str())).await;
            }
        }
        // The lease passes and the next claim takes it over or ends it: still final eventually.
        Err(e) => tracing::error!(job = %job.id, error = %e, "compute job could not be ended"),
    }
}

/// How an attempt did not complete.
enum Failure {
    /// Cancelled or taken over: the catalog already says how it ended.
    Stopped,
    Ended(TaskState, String),
}

impl From<ServiceError> for Failure {
    /// The catalog or storage failing is the platform's error; anything else the job's.
    fn from(e: ServiceError) -> Self {
        let state = if e.code.is_client_error() { TaskState::ExecutorError } else { TaskState::SystemError };
        Failure::Ended(state, e.message)
    }
}

impl From<ComputeError> for Failure {
    fn from(e: ComputeError) -> Self {
        match e {
            ComputeError::Canceled => Failure::Stopped,
            e => Failure::Ended(e.final_state(), e.to_string()),
        }
    }
}

async fn attempt(svc: &Services, job: &compute_job::Model, cancel: CancellationToken) -> Result<(), Failure> {
    let kind: JobKind = job.kind.parse()?;
    let runner = svc
        .compute
        .runner(kind)
        .ok_or_else(|| ComputeError::NotEnabled(format!("{} jobs are not enabled on this node", kind.as_str())))?;
    let declared = declared_inputs(job)?;
    let outputs: Vec<String> = serde_json::from_value(job.outputs.clone())
        .map_err(|e| ServiceError::internal(format!("stored outputs: {e}")))?;
    // Access is decided again now, for the submitter as they are now, through a credential
    // that reaches only the declared inputs.
    let principal = credential(svc, job).await?;
    let resolved = inputs::resolve(svc, &principal, &declared).await?;
    for r in &resolved {
        let details = serde_json::json!({"job": job.id});
        crate::readable::audit_table_read(svc, &principal, Surface::Compute, &r.readable, "data.compute", details)
            .await?;
    }
    if !svc.catalog.compute_job_running(job).await.map_err(ServiceError::from)? {
        return Err(Failure::Stopped);
    }
    lineage::record(svc, job, RunTransition::Start, None).await;
    let prepared: Vec<_> = resolved.iter().map(|r| r.prepared.clone()).collect();
    let spec = RunSpec { code: &job.code, outputs: &outputs, inputs: &prepared };
    let limit = svc.config.compute_time_limit_seconds.max(1);
    let output = match tokio::time::timeout(Duration::from_secs(limit), runner.run(spec, cancel.clone())).await {
        Ok(output) => output?,
        Err(_) => {
            cancel.cancel();
            return Err(ComputeError::TimedOut(limit).into());
        }
    };
    let max = svc.config.compute_log_bytes;
    svc.catalog.append_compute_log(job.id, &output.log, max).await.map_err(ServiceError::from)?;
    commit(svc, job, kind, &resolved, output).await
}

/// The inputs the job declared, as pinned at submission.
fn declared_inputs(job: &compute_job::Model) -> Result<Vec<InputRef>, ServiceError> {
    serde_json::from_value(job.inputs.clone()).map_err(|e| ServiceError::internal(format!("stored inputs: {e}")))
}

/// The credential job `job` reads its declared inputs with: its submitter's rights as they are
/// now, narrowed to exactly those tables (`Principal::for_job`), expiring when the job must
/// have ended (its initializing and running limits from now).
pub async fn credential(svc: &Services, job: &compute_job::Model) -> Result<Principal, ServiceError> {
    let declared = declared_inputs(job)?;
    let principal = submitter(svc, job).await?;
    let limits = state_limits(&svc.config);
    let lasts = i64::try_from(limits.initializing.saturating_add(limits.running)).unwrap_or(i64::MAX);
    let expires = chrono::TimeDelta::try_seconds(lasts)
        .and_then(|d| Utc::now().checked_add_signed(d))
        .unwrap_or(chrono::DateTime::<Utc>::MAX_UTC);
    let scope = inputs::scope(svc, &principal, job.id, &declared, expires).await?;
    Ok(principal.for_job(scope))
}

/// The submitter as the access decision sees them now (groups, consortia, grants).
async fn submitter(svc: &Services, job: &compute_job::Model) -> Result<Principal, ServiceError> {
    let subject = svc.catalog.subject_for(job.submitter, Utc::now()).await?;
    Ok(Principal {
        actor: job.actor.clone(),
        user_id: Some(job.submitter),
        can_write: true,
        subject,
        home_node: None,
        append_streams: Vec::new(),
    })
}

/// Writes the output dataset: a new draft of the submitter's group, its policy the strictest
/// of the inputs', the job's code as the source of its tables, all tables in one commit.
async fn commit(
    svc: &Services,
    job: &compute_job::Model,
    kind: JobKind,
    resolved: &[Resolved],
    output: kura_compute::RunOutput,
) -> Result<(), Failure> {
    let levels: Vec<_> = resolved.iter().map(|r| r.level.clone()).collect();
    let level = kura_core::access::inherit::strictest(&levels, Utc::now());
    let name = lineage::output_dataset_name(job);
    let new = kura_catalog::datasets::NewDataset {
        name,
        title: format!("Output of compute job {}", job.name),
        description: format!("Derived by compute job {} from {} input table(s).", job.id, resolved.len()),
        metadata: serde_json::Value::Null,
        group_id: Some(job.group_id),
    };
    let (dataset, draft) = svc.catalog.create_dataset(new).await.map_err(ServiceError::from)?;
    if !svc.catalog.set_compute_output(job, dataset.id, &level).await.map_err(ServiceError::from)? {
        return Err(Failure::Stopped);
    }
    let policy = Policy { level, ..Policy::default() };
    let actor = kura_catalog::audit::Actor { who: &job.actor, surface: Surface::Compute.as_str() };
    svc.catalog.set_policy(dataset.id, &policy, actor).await.map_err(ServiceError::from)?;
    let code =
        svc.store.put_bytes(bytes::Bytes::from(job.code.clone().into_bytes())).await.map_err(ServiceError::from)?;
    let (path, media_type) = match kind {
        JobKind::Sql => ("job/query.sql", "application/sql"),
        JobKind::Script => ("job/command.txt", "text/plain"),
    };
    let source = NewFile {
        path: path.into(),
        role: FileRole::Raw,
        sha256: code.sha256,
        size: code.size,
        media_type: media_type.into(),
        format: Some(job.kind.clone()),
        source_file_id: None,
        uploaded_by: Some(job.submitter),
    };
    let provenance = serde_json::json!({
        "activity": "compute",
        "job": job.id,
        "runner": job.kind,
        "submitter": job.actor,
        "inputs": resolved.iter().map(|r| serde_json::json!({
            "dataset": r.readable.dataset.id, "version": r.readable.version.number,
            "table": r.readable.table.name, "sha256": r.readable.sha256,
        })).collect::<Vec<_>>(),
        "started_at": job.initializing_at,
        "ended_at": Utc::now(),
    });
    let mut tables = Vec::new();
    for table in output.tables {
        let name = table.name.clone();
        let placeholder = Uuid::nil();
        let described = table
            .into_new_table(&svc.store, name, placeholder, serde_json::json!({}), provenance.clone())
            .await
            .map_err(ServiceError::from)?;
        tables.push(described);
    }
    let message = format!("wrote dataset {} ({})", dataset.name, policy.level.name());
    let with_source = move |source: Uuid| {
        tables
            .into_iter()
            .map(|mut t| {
                t.source_file_id = source;
                t.parquet.source_file_id = Some(source);
                t
            })
            .collect()
    };
    match svc.catalog.commit_compute_output(job, &draft, source, with_source, &message).await {
        Ok(()) => Ok(()),
        Err(e) if kura_core::HasErrorCode::code(&e) == ErrorCode::Conflict => Err(Failure::Stopped),
        Err(e) => Err(ServiceError::from(e).into()),
    }
}
