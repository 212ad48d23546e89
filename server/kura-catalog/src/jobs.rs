//! Ingest jobs: their state and progress as the API reports them.

use chrono::Utc;
use kura_core::JobState;
use sea_orm::sea_query::{Expr, ExprTrait, Func};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::entity::{dataset_version, ingest_job};
use crate::{Catalog, CatalogError, Page, PageRequest};

/// The message of a job whose workers stopped while it ran, as often as it may be tried.
pub const INTERRUPTED: &str = "the server stopped while this job ran; start it again";

/// The message of a cancelled job.
pub const CANCELLED: &str = "cancelled before anything was committed; the files stay pending";

/// A worker's claim on the jobs it runs: who it is, how long a claim holds unless renewed, and
/// how many times a job may be started before a stop during it fails the job instead (a job
/// that brings its worker down would otherwise bring every worker down in turn).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    pub worker: String,
    pub duration: std::time::Duration,
    pub max_attempts: i32,
}

impl Lease {
    /// A lease for this process: a worker id unique to it (host, pid and a random part).
    pub fn for_this_process(duration: std::time::Duration, max_attempts: i32) -> Self {
        let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "kura".into());
        let random = Uuid::new_v4().simple().to_string();
        Lease {
            worker: format!("{host}:{}:{}", std::process::id(), &random[..8]),
            duration,
            max_attempts: Ord::max(max_attempts, 1),
        }
    }

    pub(crate) fn until(&self) -> chrono::DateTime<Utc> {
        Utc::now() + chrono::Duration::from_std(self.duration).unwrap_or(chrono::Duration::seconds(30))
    }
}

impl Catalog {
    /// Records a queued job over `files_total` files of `bytes_total` bytes, with the read
    /// parameters it was asked to use (kept for a restart; `None`: detect everything).
    pub async fn create_job(
        &self,
        version: &dataset_version::Model,
        files_total: usize,
        bytes_total: u64,
        read_options: Option<Value>,
    ) -> Result<ingest_job::Model, CatalogError> {
        let job = new_job(version, files_total, bytes_total, read_options);
        Ok(ingest_job::Entity::insert(job).exec_with_returning(self.connection()).await?)
    }

    /// [`Catalog::create_job`] for a job its creator runs itself (`kura ingest`): it is born
    /// running under `lease`, so no worker of a server on the same catalog can claim it first.
    /// Should the creator stop, the lease lapses and a worker takes it over like any other.
    pub async fn create_running_job(
        &self,
        version: &dataset_version::Model,
        files_total: usize,
        bytes_total: u64,
        read_options: Option<Value>,
        lease: &Lease,
    ) -> Result<ingest_job::Model, CatalogError> {
        let mut job = new_job(version, files_total, bytes_total, read_options);
        job.state = Set(JobState::Running);
        job.worker = Set(Some(lease.worker.clone()));
        job.lease_until = Set(Some(lease.until()));
        job.attempts = Set(1);
        job.started_at = Set(Some(Utc::now()));
        Ok(ingest_job::Entity::insert(job).exec_with_returning(self.connection()).await?)
    }

    /// Moves a queued job to running under `lease`. `None` when it is no longer queued
    /// (cancelled while it waited, or started by someone else): the check is part of the
    /// UPDATE, so a job starts once.
    pub async fn start_job(&self, job_id: Uuid, lease: &Lease) -> Result<Option<ingest_job::Model>, CatalogError> {
        let result = started(ingest_job::Entity::update_many(), lease)
            .filter(ingest_job::Column::Id.eq(job_id))
            .filter(ingest_job::Column::State.eq(JobState::Queued))
            .exec(self.connection())
            .await?;
        if result.rows_affected == 0 {
            return Ok(None);
        }
        Ok(ingest_job::Entity::find_by_id(job_id).one(self.connection()).await?)
    }

    /// Claims the oldest job a worker may run: a queued one, or one whose worker stopped
    /// renewing its lease and that may be tried again. Each job goes to one worker: on
    /// PostgreSQL the candidate row is locked `FOR UPDATE SKIP LOCKED` (workers claiming at
    /// once take different jobs, none waits), on SQLite the write lock serializes claims.
    pub async fn claim_job(&self, lease: &Lease) -> Result<Option<ingest_job::Model>, CatalogError> {
        let txn = self.begin_write().await?;
        let mut candidate = ingest_job::Entity::find()
            .select_only()
            .column(ingest_job::Column::Id)
            .filter(claimable(lease))
            .order_by_asc(ingest_job::Column::CreatedAt)
            .limit(1);
        if txn.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
            candidate = candidate
                .lock_with_behavior(sea_orm::sea_query::LockType::Update, sea_orm::sea_query::LockBehavior::SkipLocked);
        }
        let Some(id) = candidate.into_tuple::<Uuid>().one(&txn).await? else {
            return Ok(None);
        };
        let result = started(ingest_job::Entity::update_many(), lease)
            .filter(ingest_job::Column::Id.eq(id))
            .filter(claimable(lease))
            .exec(&txn)
            .await?;
        let claimed =
            if result.rows_affected == 1 { ingest_job::Entity::find_by_id(id).one(&txn).await? } else { None };
        txn.commit().await?;
        Ok(claimed)
    }

    /// Renews the leases of the jobs `lease.worker` runs among `jobs`; returns those it still
    /// holds (a job cancelled, ended or taken over is not among them, and its run should stop).
    pub async fn renew_leases(&self, lease: &Lease, jobs: &[Uuid]) -> Result<Vec<Uuid>, CatalogError> {
        // One condition for the renewal and the answer: the jobs among `jobs` this worker still runs.
        let held = sea_orm::Condition::all()
            .add(ingest_job::Column::Id.is_in(jobs.to_vec()))
            .add(ingest_job::Column::Worker.eq(lease.worker.clone()))
            .add(ingest_job::Column::State.eq(JobState::Running))
            .add(ingest_job::Column::FinishedAt.is_null());
        ingest_job::Entity::update_many()
            .col_expr(ingest_job::Column::LeaseUntil, Expr::value(lease.until()))
            .filter(held.clone())
            .exec(self.connection())
            .await?;
        Ok(ingest_job::Entity::find()
            .select_only()
            .column(ingest_job::Column::Id)
            .filter(held)
            .into_tuple()
            .all(self.connection())
            .await?)
    }

    /// Records progress of a running job. A job that has ended is left as it is: the progress
    /// ticker's last update can reach the database after the commit that ended the job.
    pub async fn job_progress(
        &self,
        job_id: Uuid,
        files_done: usize,
        bytes_done: u64,
        errors: &[Value],
    ) -> Result<(), CatalogError> {
        ingest_job::Entity::update_many()
            .col_expr(ingest_job::Column::State, Expr::value(JobState::Running))
            .col_expr(ingest_job::Column::FilesDone, Expr::value(i32::try_from(files_done).unwrap_or(i32::MAX)))
            .col_expr(ingest_job::Column::BytesDone, Expr::value(i64::try_from(bytes_done).unwrap_or(i64::MAX)))
            .col_expr(ingest_job::Column::Errors, Expr::value(Value::Array(errors.to_vec())))
            .col_expr(ingest_job::Column::UpdatedAt, Expr::value(Utc::now()))
            .filter(ingest_job::Column::Id.eq(job_id))
            .filter(ingest_job::Column::FinishedAt.is_null())
            .exec(self.connection())
            .await?;
        Ok(())
    }

    /// Ends a job that could not commit at all (the whole job failed, nothing was recorded).
    /// A job that has already ended (cancelled meanwhile) keeps its state.
    pub async fn fail_job(&self, job_id: Uuid, message: &str) -> Result<(), CatalogError> {
        self.end_job(job_id, JobState::Failed, message).await?;
        Ok(())
    }

    /// Cancels a job that has not ended: `false` when it had (nothing changed). Its results, if
    /// it was running, are never committed: [`Catalog::commit_ingest`] refuses an ended job.
    pub async fn cancel_job(&self, job_id: Uuid) -> Result<bool, CatalogError> {
        self.end_job(job_id, JobState::Cancelled, CANCELLED).await
    }

    /// Ends a job that has not ended yet in `state`; `false` when it had already ended.
    async fn end_job(&self, job_id: Uuid, state: JobState, message: &str) -> Result<bool, CatalogError> {
        let result = ended(state, message)
            .filter(ingest_job::Column::Id.eq(job_id))
            .filter(ingest_job::Column::FinishedAt.is_null())
            .exec(self.connection())
            .await?;
        Ok(result.rows_affected > 0)
    }

    /// Fails the jobs whose worker stopped (their lease passed) after their last allowed
    /// attempt: their results were never committed, so nothing of them is visible and their
    /// files stay pending.
    pub async fn fail_abandoned_jobs(&self, lease: &Lease) -> Result<u64, CatalogError> {
        let result = ended(JobState::Failed, INTERRUPTED)
            .filter(abandoned())
            .filter(ingest_job::Column::Attempts.gte(lease.max_attempts))
            .exec(self.connection())
            .await?;
        Ok(result.rows_affected)
    }

    /// Ends attempt `attempt` of a job that has not ended: a worker's own end of its run,
    /// which never touches a later attempt's run by another worker.
    pub async fn end_attempt(
        &self,
        job: &ingest_job::Model,
        state: JobState,
        message: &str,
    ) -> Result<bool, CatalogError> {
        let result = ended(state, message)
            .filter(ingest_job::Column::Id.eq(job.id))
            .filter(ingest_job::Column::Attempts.eq(job.attempts))
            .filter(ingest_job::Column::FinishedAt.is_null())
            .exec(self.connection())
            .await?;
        Ok(result.rows_affected > 0)
    }

    /// Jobs waiting in the queue, oldest first: those a stopped process left are queued again.
    pub async fn queued_jobs(&self) -> Result<Vec<ingest_job::Model>, CatalogError> {
        Ok(ingest_job::Entity::find()
            .filter(ingest_job::Column::State.eq(JobState::Queued))
            .order_by_asc(ingest_job::Column::CreatedAt)
            .order_by_asc(ingest_job::Column::Id)
            .all(self.connection())
            .await?)
    }

    /// One job of a dataset.
    pub async fn job(&self, dataset_id: Uuid, job_id: Uuid) -> Result<ingest_job::Model, CatalogError> {
        ingest_job::Entity::find_by_id(job_id)
            .filter(ingest_job::Column::DatasetId.eq(dataset_id))
            .one(self.connection())
            .await?
            .ok_or_else(|| CatalogError::not_found("job"))
    }

    /// One page of a dataset's jobs, newest first.
    pub async fn jobs_page(
        &self,
        dataset_id: Uuid,
        page: PageRequest,
    ) -> Result<Page<ingest_job::Model>, CatalogError> {
        let query = ingest_job::Entity::find().filter(ingest_job::Column::DatasetId.eq(dataset_id));
        let total = query.clone().count(self.connection()).await?;
        let items = query
            .order_by_desc(ingest_job::Column::CreatedAt)
            .order_by_desc(ingest_job::Column::Id)
            .offset(page.offset)
            .limit(page.limit)
            .all(self.connection())
            .await?;
        Ok(Page::new(items, total, page))
    }
}

/// The update that ends a job in `state` with `message` (filters say which jobs).
fn ended(state: JobState, message: &str) -> sea_orm::UpdateMany<ingest_job::Entity> {
    let now = Utc::now();
    ingest_job::Entity::update_many()
        .col_expr(ingest_job::Column::State, Expr::value(state))
        .col_expr(ingest_job::Column::Message, Expr::value(message.to_owned()))
        .col_expr(ingest_job::Column::UpdatedAt, Expr::value(now))
        .col_expr(ingest_job::Column::FinishedAt, Expr::value(now))
}

/// Sets what starting a job under `lease` sets: running, this worker, the lease, one more
/// attempt, and the start time of its first attempt.
fn started(q: sea_orm::UpdateMany<ingest_job::Entity>, lease: &Lease) -> sea_orm::UpdateMany<ingest_job::Entity> {
    let now = Utc::now();
    q.col_expr(ingest_job::Column::State, Expr::value(JobState::Running))
        .col_expr(ingest_job::Column::Worker, Expr::value(lease.worker.clone()))
        .col_expr(ingest_job::Column::LeaseUntil, Expr::value(lease.until()))
        .col_expr(ingest_job::Column::Attempts, Expr::col(ingest_job::Column::Attempts).add(1))
        .col_expr(
            ingest_job::Column::StartedAt,
            Expr::from(Func::coalesce([Expr::col(ingest_job::Column::StartedAt), Expr::value(now)])),
        )
        .col_expr(ingest_job::Column::UpdatedAt, Expr::value(now))
}

/// Running jobs whose worker stopped renewing (or that a Kura without leases left running).
fn abandoned() -> sea_orm::Condition {
    sea_orm::Condition::all()
        .add(ingest_job::Column::State.eq(JobState::Running))
        .add(ingest_job::Column::FinishedAt.is_null())
        .add(
            sea_orm::Condition::any()
                .add(ingest_job::Column::LeaseUntil.is_null())
                .add(ingest_job::Column::LeaseUntil.lt(Utc::now())),
        )
}

/// Jobs a worker may claim: queued, or abandoned with an attempt left.
fn claimable(lease: &Lease) -> sea_orm::Condition {
    sea_orm::Condition::any()
        .add(ingest_job::Column::State.eq(JobState::Queued))
        .add(abandoned().add(ingest_job::Column::Attempts.lt(lease.max_attempts)))
}

/// A queued job's row.
fn new_job(
    version: &dataset_version::Model,
    files_total: usize,
    bytes_total: u64,
    read_options: Option<Value>,
) -> ingest_job::ActiveModel {
    let now = Utc::now();
    ingest_job::ActiveModel {
        id: Set(Uuid::now_v7()),
        dataset_id: Set(version.dataset_id),
        version_id: Set(version.id),
        state: Set(JobState::Queued),
        files_total: Set(i32::try_from(files_total).unwrap_or(i32::MAX)),
        files_done: Set(0),
        bytes_total: Set(i64::try_from(bytes_total).unwrap_or(i64::MAX)),
        bytes_done: Set(0),
        errors: Set(json!([])),
        message: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        finished_at: Set(None),
        started_at: Set(None),
        read_options: Set(read_options),
        worker: Set(None),
        lease_until: Set(None),
        attempts: Set(0),
    }
}

#[cfg(test)]
mod tests {
    use kura_migrations::{Migrator, MigratorTrait};

    use super::*;
    use crate::datasets::NewDataset;
    use crate::tables::IngestOutcome;

    /// A job's life in the catalog: it starts once, ends once, and an ended job commits nothing;
    /// the migration that keeps what the runner needs goes back and forth.
    #[tokio::test]
    async fn a_job_starts_once_ends_once_and_commits_only_while_unended() {
        let dir = tempfile::tempdir().unwrap();
        let catalog =
            Catalog::connect(&format!("sqlite://{}?mode=rwc", dir.path().join("k.db").display())).await.unwrap();
        catalog.migrate().await.unwrap();
        let new = NewDataset { name: "jobs".into(), title: "t".into(), ..Default::default() };
        let (_, draft) = catalog.create_dataset(new).await.unwrap();

        let lease = Lease::for_this_process(std::time::Duration::from_secs(60), 2);
        let options = json!({"a.csv": {"delimiter": ";"}});
        let job = catalog.create_job(&draft, 1, 10, Some(options.clone())).await.unwrap();
        assert_eq!((job.state, job.started_at, job.read_options), (JobState::Queued, None, Some(options)));
        let started = catalog.start_job(job.id, &lease).await.unwrap().expect("a queued job starts");
        assert_eq!(started.state, JobState::Running);
        assert!(started.started_at.is_some());
        assert!(catalog.start_job(job.id, &lease).await.unwrap().is_none(), "and only once");

        assert!(catalog.cancel_job(job.id).await.unwrap());
        assert!(!catalog.cancel_job(job.id).await.unwrap(), "an ended job is not cancelled again");
        catalog.fail_job(job.id, "late failure").await.unwrap();
        catalog.job_progress(job.id, 1, 10, &[]).await.unwrap();
        let ended = catalog.job(draft.dataset_id, job.id).await.unwrap();
        assert_eq!(ended.state, JobState::Cancelled, "nothing reopens or rewrites an ended job");
        let refused = catalog.commit_ingest(&started, IngestOutcome::default()).await.unwrap_err();
        assert!(matches!(refused, CatalogError::Conflict(_)), "{refused}");
        assert!(catalog.start_job(job.id, &lease).await.unwrap().is_none(), "a cancelled job never starts");

        // Back to before migration 9 (and whatever came after it), and up again.
        let since_nine = u32::try_from(Migrator::migrations().len()).unwrap() - 8;
        Migrator::down(catalog.connection(), Some(since_nine)).await.unwrap();
        Migrator::up(catalog.connection(), None).await.unwrap();
        assert_eq!(catalog.job(draft.dataset_id, job.id).await.unwrap().read_options, None);
    }

    /// Workers sharing a catalog: each job goes to one of them; a worker that stops renewing
    /// loses its job after the lease, the next attempt fences the first one's commit and end
    /// out, and a job whose workers keep stopping fails after its last attempt.
    #[tokio::test]
    async fn workers_claim_each_job_once_and_take_over_an_abandoned_one_after_its_lease() {
        let dir = tempfile::tempdir().unwrap();
        let catalog = crate::testing::catalog(dir.path(), None).await;
        let new = NewDataset { name: "claims".into(), title: "t".into(), ..Default::default() };
        let (_, draft) = catalog.create_dataset(new).await.unwrap();
        let (a, b) = (
            Lease::for_this_process(std::time::Duration::from_secs(60), 2),
            Lease::for_this_process(std::time::Duration::from_secs(60), 2),
        );
        assert_ne!(a.worker, b.worker);
        let first = catalog.create_job(&draft, 1, 1, None).await.unwrap();
        let second = catalog.create_job(&draft, 1, 1, None).await.unwrap();

        // Claims at the same moment take different jobs, oldest first; then nothing is left.
        let (got_a, got_b) = tokio::join!(catalog.claim_job(&a), catalog.claim_job(&b));
        let (got_a, got_b) = (got_a.unwrap().expect("a job for a"), got_b.unwrap().expect("a job for b"));
        let mut ids = [got_a.id, got_b.id];
        ids.sort();
        assert_eq!(ids, [first.id, second.id]);
        assert!(catalog.claim_job(&a).await.unwrap().is_none(), "no job is claimed twice");
        assert_eq!(catalog.renew_leases(&a, &[got_a.id, got_b.id]).await.unwrap(), [got_a.id]);

        // a stops renewing: once its lease has passed, b takes the job over (attempt 2).
        expire(&catalog, got_a.id).await;
        let taken = catalog.claim_job(&b).await.unwrap().expect("the abandoned job");
        assert_eq!((taken.id, taken.attempts, taken.worker.as_deref()), (got_a.id, 2, Some(b.worker.as_str())));
        assert!(catalog.renew_leases(&a, &[got_a.id]).await.unwrap().is_empty(), "a has lost it");
        let late = catalog.commit_ingest(&got_a, IngestOutcome::default()).await.unwrap_err();
        assert!(matches!(late, CatalogError::Conflict(_)), "a's late commit is fenced out: {late}");
        assert!(!catalog.end_attempt(&got_a, JobState::Failed, "late").await.unwrap(), "and so is its end");

        // b stops too: no attempt is left, so the job fails rather than run a third time.
        expire(&catalog, got_a.id).await;
        assert!(catalog.claim_job(&a).await.unwrap().is_none());
        assert_eq!(catalog.fail_abandoned_jobs(&a).await.unwrap(), 1);
        let failed = catalog.job(draft.dataset_id, got_a.id).await.unwrap();
        assert_eq!((failed.state, failed.message.as_deref()), (JobState::Failed, Some(INTERRUPTED)));
    }

    /// The job's lease passes (its worker stopped renewing it).
    async fn expire(catalog: &Catalog, job: Uuid) {
        ingest_job::Entity::update_many()
            .col_expr(ingest_job::Column::LeaseUntil, Expr::value(Utc::now() - chrono::Duration::seconds(1)))
            .filter(ingest_job::Column::Id.eq(job))
            .exec(catalog.connection())
            .await
            .unwrap();
    }
}
