//! Compute jobs in the catalog: the queue, the worker's claim and the end of each attempt.
//! Claims work as for ingest jobs ([`crate::jobs::Lease`]): a worker renews the lease of what
//! it runs, a job whose worker stopped is taken over after its lease (or ends `SYSTEM_ERROR`
//! after its last attempt), and every write of a run names its attempt, so a late worker
//! changes nothing. The catalog is the truth about a job; a worker's memory is not needed.

use chrono::Utc;
use kura_core::TaskState;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde_json::Value;
use uuid::Uuid;

use crate::entity::compute_job::{self, Column};
use crate::jobs::Lease;
use crate::{Catalog, CatalogError, Page, PageRequest};

/// The message of a job whose workers kept stopping while it ran.
pub const INTERRUPTED: &str = "the node stopped while this job ran, as often as it may be tried";

/// A job as submitted.
#[derive(Debug, Clone)]
pub struct NewComputeJob {
    pub submitter: Uuid,
    pub actor: String,
    pub group_id: Uuid,
    pub name: String,
    pub kind: String,
    pub code: String,
    pub inputs: Value,
    pub outputs: Value,
    pub tags: Value,
}

/// How long a job may stay in each unended state (seconds): the node's settings
/// `compute_queue_seconds`, `compute_initializing_seconds` and `compute_time_limit_seconds`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StateLimits {
    pub queued: u64,
    pub initializing: u64,
    pub running: u64,
}

impl StateLimits {
    /// Each state with the time it is entered at, its limit, the setting that sets it and the
    /// final state past it.
    fn rules(&self) -> [(TaskState, Column, u64, &'static str, TaskState); 3] {
        [
            (TaskState::Queued, Column::CreatedAt, self.queued, "compute_queue_seconds", TaskState::SystemError),
            (
                TaskState::Initializing,
                Column::InitializingAt,
                self.initializing,
                "compute_initializing_seconds",
                TaskState::SystemError,
            ),
            (
                TaskState::Running,
                Column::RunningAt,
                self.running,
                "compute_time_limit_seconds",
                TaskState::ExecutorError,
            ),
        ]
    }
}

/// States in which a worker holds the job.
const ACTIVE: [TaskState; 2] = [TaskState::Initializing, TaskState::Running];

impl Catalog {
    /// Records a job, `QUEUED`.
    pub async fn create_compute_job(&self, new: NewComputeJob) -> Result<compute_job::Model, CatalogError> {
        let now = Utc::now();
        let row = compute_job::ActiveModel {
            id: Set(Uuid::now_v7()),
            submitter: Set(new.submitter),
            actor: Set(new.actor),
            group_id: Set(new.group_id),
            name: Set(new.name),
            kind: Set(new.kind),
            code: Set(new.code),
            inputs: Set(new.inputs),
            outputs: Set(new.outputs),
            tags: Set(new.tags),
            output_dataset_id: Set(None),
            inherited_level: Set(None),
            state: Set(TaskState::Queued),
            message: Set(None),
            log: Set(String::new()),
            created_at: Set(now),
            initializing_at: Set(None),
            running_at: Set(None),
            finished_at: Set(None),
            updated_at: Set(now),
            worker: Set(None),
            lease_until: Set(None),
            attempts: Set(0),
        };
        Ok(compute_job::Entity::insert(row).exec_with_returning(self.connection()).await?)
    }

    /// One job.
    pub async fn compute_job(&self, id: Uuid) -> Result<compute_job::Model, CatalogError> {
        compute_job::Entity::find_by_id(id).one(self.connection()).await?.ok_or_else(|| CatalogError::not_found("job"))
    }

    /// A page of jobs, newest first: of one submitter, or of everyone (`None`).
    pub async fn compute_jobs_page(
        &self,
        submitter: Option<Uuid>,
        page: PageRequest,
    ) -> Result<Page<compute_job::Model>, CatalogError> {
        let mut query = compute_job::Entity::find();
        if let Some(user) = submitter {
            query = query.filter(Column::Submitter.eq(user));
        }
        let total = query.clone().count(self.connection()).await?;
        let items = query
            .order_by_desc(Column::CreatedAt)
            .order_by_desc(Column::Id)
            .offset(page.offset)
            .limit(page.limit)
            .all(self.connection())
            .await?;
        Ok(Page::new(items, total, page))
    }

    /// Claims the oldest claimable job whose submitter runs fewer than `per_user` jobs now and
    /// moves it to `INITIALIZING` under `lease`. Claimable: queued, or held by a worker whose
    /// lease passed with an attempt left. On PostgreSQL the candidates are locked `FOR UPDATE
    /// SKIP LOCKED`; on SQLite the write lock serializes claims.
    pub async fn claim_compute_job(
        &self,
        lease: &Lease,
        per_user: usize,
    ) -> Result<Option<compute_job::Model>, CatalogError> {
        let txn = self.begin_write().await?;
        let mut candidates = compute_job::Entity::find()
            .filter(claimable(lease))
            .order_by_asc(Column::CreatedAt)
            .order_by_asc(Column::Id)
            .limit(64);
        if txn.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
            candidates = candidates
                .lock_with_behavior(sea_orm::sea_query::LockType::Update, sea_orm::sea_query::LockBehavior::SkipLocked);
        }
        let candidates = candidates.all(&txn).await?;
        let mut chosen = None;
        for job in candidates {
            let busy = compute_job::Entity::find()
                .filter(Column::Submitter.eq(job.submitter))
                .filter(held())
                .count(&txn)
                .await?;
            if busy < per_user.max(1) as u64 {
                chosen = Some(job);
                break;
            }
        }
        let Some(job) = chosen else {
            txn.commit().await?;
            return Ok(None);
        };
        let now = Utc::now();
        let result = compute_job::Entity::update_many()
            .col_expr(Column::State, Expr::value(TaskState::Initializing))
            .col_expr(Column::Worker, Expr::value(lease.worker.clone()))
            .col_expr(Column::LeaseUntil, Expr::value(lease.until()))
            .col_expr(Column::Attempts, Expr::col(Column::Attempts).add(1))
            .col_expr(Column::InitializingAt, Expr::value(now))
            .col_expr(Column::UpdatedAt, Expr::value(now))
            .filter(Column::Id.eq(job.id))
            .filter(Column::Attempts.eq(job.attempts))
            .filter(claimable(lease))
            .exec(&txn)
            .await?;
        let claimed = if result.rows_affected == 1 { Some(self.compute_job_in(&txn, job.id).await?) } else { None };
        txn.commit().await?;
        Ok(claimed)
    }

    async fn compute_job_in(&self, conn: &impl ConnectionTrait, id: Uuid) -> Result<compute_job::Model, CatalogError> {
        compute_job::Entity::find_by_id(id).one(conn).await?.ok_or_else(|| CatalogError::not_found("job"))
    }

    /// Moves attempt `job` from `INITIALIZING` to `RUNNING`; `false` when it is no longer this
    /// attempt's (cancelled, taken over), and the run must stop.
    pub async fn compute_job_running(&self, job: &compute_job::Model) -> Result<bool, CatalogError> {
        let now = Utc::now();
        let result = compute_job::Entity::update_many()
            .col_expr(Column::State, Expr::value(TaskState::Running))
            .col_expr(Column::RunningAt, Expr::value(now))
            .col_expr(Column::UpdatedAt, Expr::value(now))
            .filter(this_attempt(job))
            .filter(Column::State.eq(TaskState::Initializing))
            .exec(self.connection())
            .await?;
        Ok(result.rows_affected == 1)
    }

    /// Renews the leases of the jobs among `ids` that `lease.worker` still holds, and returns
    /// those (a job cancelled, ended or taken over is not among them: its run should stop).
    pub async fn renew_compute_leases(&self, lease: &Lease, ids: &[Uuid]) -> Result<Vec<Uuid>, CatalogError> {
        let mine = Condition::all()
            .add(Column::Id.is_in(ids.to_vec()))
            .add(Column::Worker.eq(lease.worker.clone()))
            .add(Column::State.is_in(ACTIVE));
        compute_job::Entity::update_many()
            .col_expr(Column::LeaseUntil, Expr::value(lease.until()))
            .filter(mine.clone())
            .exec(self.connection())
            .await?;
        Ok(compute_job::Entity::find()
            .select_only()
            .column(Column::Id)
            .filter(mine)
            .into_tuple()
            .all(self.connection())
            .await?)
    }

    /// Records the output dataset of attempt `job` (created when it began to write) and the
    /// level it inherited from the inputs.
    pub async fn set_compute_output(
        &self,
        job: &compute_job::Model,
        dataset: Uuid,
        inherited: &kura_core::access::AccessLevel,
    ) -> Result<bool, CatalogError> {
        let inherited = serde_json::to_value(inherited).map_err(|e| CatalogError::Invalid(e.to_string()))?;
        let result = compute_job::Entity::update_many()
            .col_expr(Column::OutputDatasetId, Expr::value(dataset))
            .col_expr(Column::InheritedLevel, Expr::value(inherited))
            .filter(this_attempt(job))
            .exec(self.connection())
            .await?;
        Ok(result.rows_affected == 1)
    }

    /// Appends `text` to a job's log, keeping at most `max_bytes` (the cut is said in the log).
    pub async fn append_compute_log(&self, id: Uuid, text: &str, max_bytes: usize) -> Result<(), CatalogError> {
        let job = self.compute_job(id).await?;
        let log = bounded_log(&job.log, text, max_bytes);
        compute_job::Entity::update_many()
            .col_expr(Column::Log, Expr::value(log))
            .filter(Column::Id.eq(id))
            .exec(self.connection())
            .await?;
        Ok(())
    }

    /// Ends attempt `job` in `state` (final) with `message`; `false` when the attempt was no
    /// longer current (the job was cancelled or taken over meanwhile), and nothing changed.
    pub async fn end_compute_attempt(
        &self,
        job: &compute_job::Model,
        state: TaskState,
        message: &str,
    ) -> Result<bool, CatalogError> {
        let result = ended(state, message).filter(this_attempt(job)).exec(self.connection()).await?;
        Ok(result.rows_affected == 1)
    }

    /// Commits attempt `job`'s output in one transaction: the job's code as the source file of
    /// the output tables, the tables, the outbox event, and the job `COMPLETE`. A conflict, and
    /// nothing recorded, when the attempt is no longer current (cancelled or taken over).
    pub async fn commit_compute_output(
        &self,
        job: &compute_job::Model,
        version: &crate::entity::dataset_version::Model,
        source: crate::files::NewFile,
        tables: impl FnOnce(Uuid) -> Vec<crate::tables::NewTable>,
        message: &str,
    ) -> Result<(), CatalogError> {
        let now = Utc::now();
        let txn = self.begin_write().await?;
        let source =
            crate::entity::file::Entity::insert(source.into_active(version.id)).exec_with_returning(&txn).await?;
        let mut names = Vec::new();
        for table in tables(source.id) {
            names.push(crate::tables::insert_table(&txn, version.id, table, now).await?);
        }
        let ended = ended(TaskState::Complete, message).filter(this_attempt(job)).exec(&txn).await?;
        if ended.rows_affected != 1 {
            txn.rollback().await?;
            return Err(CatalogError::Conflict(
                "the job was cancelled or taken over before its output was committed".into(),
            ));
        }
        crate::outbox::append(
            &txn,
            "version.tables_added",
            Some(version.dataset_id),
            serde_json::json!({"version_id": version.id, "tables": names}),
        )
        .await?;
        txn.commit().await?;
        Ok(())
    }

    /// Cancels a job that has not ended; `false` when it had.
    pub async fn cancel_compute_job(&self, id: Uuid) -> Result<bool, CatalogError> {
        let result = ended(TaskState::Canceled, "canceled by its submitter")
            .filter(Column::Id.eq(id))
            .filter(Column::FinishedAt.is_null())
            .exec(self.connection())
            .await?;
        Ok(result.rows_affected == 1)
    }

    /// Ends as `SYSTEM_ERROR` the jobs whose worker stopped during their last allowed attempt.
    pub async fn fail_abandoned_compute_jobs(&self, lease: &Lease) -> Result<u64, CatalogError> {
        let result = ended(TaskState::SystemError, INTERRUPTED)
            .filter(abandoned())
            .filter(Column::Attempts.gte(lease.max_attempts))
            .exec(self.connection())
            .await?;
        Ok(result.rows_affected)
    }

    /// Ends the jobs that stayed in one state longer than `limits` allow: too long `QUEUED` or
    /// `INITIALIZING` is the node's failure (`SYSTEM_ERROR`), too long `RUNNING` the job's
    /// (`EXECUTOR_ERROR`); each message names the state and its limit. Decided on the times the
    /// catalog recorded, so any worker ends any node's overdue jobs. Returns how many ended.
    pub async fn end_overdue_compute_jobs(&self, limits: &StateLimits) -> Result<u64, CatalogError> {
        let now = Utc::now();
        let mut count = 0;
        for (state, since, seconds, setting, ends_as) in limits.rules() {
            let Some(cutoff) = chrono::TimeDelta::try_seconds(i64::try_from(seconds).unwrap_or(i64::MAX))
                .and_then(|d| now.checked_sub_signed(d))
            else {
                continue;
            };
            let message = format!("the job stayed {state} longer than its limit of {seconds} s ({setting})");
            let result = ended(ends_as, &message)
                .filter(Column::State.eq(state))
                .filter(Column::FinishedAt.is_null())
                .filter(since.lt(cutoff))
                .exec(self.connection())
                .await?;
            count += result.rows_affected;
        }
        Ok(count)
    }

    /// The job whose output `dataset` is, if it is one.
    pub async fn compute_job_of_output(&self, dataset: Uuid) -> Result<Option<compute_job::Model>, CatalogError> {
        Ok(compute_job::Entity::find().filter(Column::OutputDatasetId.eq(dataset)).one(self.connection()).await?)
    }

    /// Jobs not ended yet (queued or held), for start-up reports and tests.
    pub async fn unended_compute_jobs(&self) -> Result<u64, CatalogError> {
        Ok(compute_job::Entity::find().filter(Column::FinishedAt.is_null()).count(self.connection()).await?)
    }
}

/// `log` with `text` appended, cut to `max` bytes at a character boundary, saying so once.
fn bounded_log(log: &str, text: &str, max: usize) -> String {
    const CUT: &str = "\n[log cut: it reached the node's limit]\n";
    if log.ends_with(CUT) {
        return log.to_owned();
    }
    let mut out = format!("{log}{text}");
    if out.len() > max {
        let mut at = max.saturating_sub(CUT.len());
        while !out.is_char_boundary(at) {
            at -= 1;
        }
        out.truncate(at);
        out.push_str(CUT);
    }
    out
}

/// The update that ends jobs in `state` with `message`.
fn ended(state: TaskState, message: &str) -> sea_orm::UpdateMany<compute_job::Entity> {
    let now = Utc::now();
    compute_job::Entity::update_many()
        .col_expr(Column::State, Expr::value(state))
        .col_expr(Column::Message, Expr::value(message.to_owned()))
        .col_expr(Column::FinishedAt, Expr::value(now))
        .col_expr(Column::UpdatedAt, Expr::value(now))
}

/// The job's current attempt, unended: what every write of a run is filtered by.
fn this_attempt(job: &compute_job::Model) -> Condition {
    Condition::all().add(Column::Id.eq(job.id)).add(Column::Attempts.eq(job.attempts)).add(Column::FinishedAt.is_null())
}

/// Jobs a worker holds under a lease that has not passed.
fn held() -> Condition {
    Condition::all().add(Column::State.is_in(ACTIVE)).add(Column::LeaseUntil.gte(Utc::now()))
}

/// Jobs held by a worker that stopped renewing.
fn abandoned() -> Condition {
    Condition::all()
        .add(Column::State.is_in(ACTIVE))
        .add(Column::FinishedAt.is_null())
        .add(Condition::any().add(Column::LeaseUntil.is_null()).add(Column::LeaseUntil.lt(Utc::now())))
}

/// Jobs a worker may claim: queued, or abandoned with an attempt left.
fn claimable(lease: &Lease) -> Condition {
    Condition::any()
        .add(Condition::all().add(Column::State.eq(TaskState::Queued)).add(Column::FinishedAt.is_null()))
        .add(abandoned().add(Column::Attempts.lt(lease.max_attempts)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_log_keeps_its_limit_and_says_where_it_was_cut() {
        let log = bounded_log("", "ab", 100);
        assert_eq!(log, "ab");
        let long = bounded_log(&log, &"é".repeat(100), 60);
        assert!(long.len() <= 60 && long.ends_with("limit]\n"), "{long}");
        assert_eq!(bounded_log(&long, "more", 60), long, "nothing is added after the cut");
    }
}
