//! Ingest jobs: their state and progress as the API reports them.

use chrono::Utc;
use kura_core::JobState;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::entity::{dataset_version, ingest_job};
use crate::{Catalog, CatalogError, Page, PageRequest};

/// The message of a job a stopped server left running.
pub const INTERRUPTED: &str = "the server stopped while this job ran; start it again";

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
        let now = Utc::now();
        let job = ingest_job::ActiveModel {
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
        };
        Ok(ingest_job::Entity::insert(job).exec_with_returning(self.connection()).await?)
    }

    /// Moves a queued job to running. `None` when it is no longer queued (cancelled while it
    /// waited, or started by someone else): the check is part of the UPDATE, so a job starts once.
    pub async fn start_job(&self, job_id: Uuid) -> Result<Option<ingest_job::Model>, CatalogError> {
        let now = Utc::now();
        let result = ingest_job::Entity::update_many()
            .col_expr(ingest_job::Column::State, Expr::value(JobState::Running))
            .col_expr(ingest_job::Column::StartedAt, Expr::value(now))
            .col_expr(ingest_job::Column::UpdatedAt, Expr::value(now))
            .filter(ingest_job::Column::Id.eq(job_id))
            .filter(ingest_job::Column::State.eq(JobState::Queued))
            .exec(self.connection())
            .await?;
        if result.rows_affected == 0 {
            return Ok(None);
        }
        Ok(ingest_job::Entity::find_by_id(job_id).one(self.connection()).await?)
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
        self.end_job(job_id, JobState::Cancelled, "cancelled before anything was committed; the files stay pending")
            .await
    }

    /// Ends a job that has not ended yet in `state`; `false` when it had already ended.
    async fn end_job(&self, job_id: Uuid, state: JobState, message: &str) -> Result<bool, CatalogError> {
        let now = Utc::now();
        let result = ingest_job::Entity::update_many()
            .col_expr(ingest_job::Column::State, Expr::value(state))
            .col_expr(ingest_job::Column::Message, Expr::value(message.to_owned()))
            .col_expr(ingest_job::Column::UpdatedAt, Expr::value(now))
            .col_expr(ingest_job::Column::FinishedAt, Expr::value(now))
            .filter(ingest_job::Column::Id.eq(job_id))
            .filter(ingest_job::Column::FinishedAt.is_null())
            .exec(self.connection())
            .await?;
        Ok(result.rows_affected > 0)
    }

    /// Marks jobs left running by a process that stopped as failed: their results were never
    /// committed, so nothing of them is visible and their files stay pending. They are not run
    /// again on their own: a job that brought the server down would bring it down again.
    pub async fn fail_interrupted_jobs(&self) -> Result<u64, CatalogError> {
        let now = Utc::now();
        let result = ingest_job::Entity::update_many()
            .col_expr(ingest_job::Column::State, Expr::value(JobState::Failed))
            .col_expr(ingest_job::Column::Message, Expr::value(INTERRUPTED))
            .col_expr(ingest_job::Column::UpdatedAt, Expr::value(now))
            .col_expr(ingest_job::Column::FinishedAt, Expr::value(now))
            .filter(ingest_job::Column::State.eq(JobState::Running))
            .filter(ingest_job::Column::FinishedAt.is_null())
            .exec(self.connection())
            .await?;
        Ok(result.rows_affected)
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

        let options = json!({"a.csv": {"delimiter": ";"}});
        let job = catalog.create_job(&draft, 1, 10, Some(options.clone())).await.unwrap();
        assert_eq!((job.state, job.started_at, job.read_options), (JobState::Queued, None, Some(options)));
        let started = catalog.start_job(job.id).await.unwrap().expect("a queued job starts");
        assert_eq!(started.state, JobState::Running);
        assert!(started.started_at.is_some());
        assert!(catalog.start_job(job.id).await.unwrap().is_none(), "and only once");

        assert!(catalog.cancel_job(job.id).await.unwrap());
        assert!(!catalog.cancel_job(job.id).await.unwrap(), "an ended job is not cancelled again");
        catalog.fail_job(job.id, "late failure").await.unwrap();
        catalog.job_progress(job.id, 1, 10, &[]).await.unwrap();
        let ended = catalog.job(draft.dataset_id, job.id).await.unwrap();
        assert_eq!(ended.state, JobState::Cancelled, "nothing reopens or rewrites an ended job");
        let refused = catalog.commit_ingest(&started, IngestOutcome::default()).await.unwrap_err();
        assert!(matches!(refused, CatalogError::Conflict(_)), "{refused}");
        assert!(catalog.start_job(job.id).await.unwrap().is_none(), "a cancelled job never starts");

        // Back to before migration 9 (and whatever came after it), and up again.
        let since_nine = u32::try_from(Migrator::migrations().len()).unwrap() - 8;
        Migrator::down(catalog.connection(), Some(since_nine)).await.unwrap();
        Migrator::up(catalog.connection(), None).await.unwrap();
        assert_eq!(catalog.job(draft.dataset_id, job.id).await.unwrap().read_options, None);
    }
}
