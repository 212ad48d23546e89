//! Ingest jobs: their state and progress as the API reports them.

use chrono::Utc;
use kura_core::JobState;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::entity::{dataset_version, ingest_job};
use crate::{Catalog, CatalogError, Page, PageRequest};

impl Catalog {
    /// Records a queued job over `files_total` files of `bytes_total` bytes.
    pub async fn create_job(
        &self,
        version: &dataset_version::Model,
        files_total: usize,
        bytes_total: u64,
    ) -> Result<ingest_job::Model, CatalogError> {
        let now = Utc::now();
        let job = ingest_job::ActiveModel {
            id: Set(Uuid::now_v7()),
            dataset_id: Set(version.dataset_id),
            version_id: Set(version.id),
            state: Set(JobState::Queued.as_str().into()),
            files_total: Set(i32::try_from(files_total).unwrap_or(i32::MAX)),
            files_done: Set(0),
            bytes_total: Set(i64::try_from(bytes_total).unwrap_or(i64::MAX)),
            bytes_done: Set(0),
            errors: Set(json!([])),
            message: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
            finished_at: Set(None),
        };
        Ok(ingest_job::Entity::insert(job).exec_with_returning(self.connection()).await?)
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
            .col_expr(ingest_job::Column::State, Expr::value(JobState::Running.as_str()))
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
    pub async fn fail_job(&self, job_id: Uuid, message: &str) -> Result<(), CatalogError> {
        let now = Utc::now();
        ingest_job::Entity::update_many()
            .col_expr(ingest_job::Column::State, Expr::value(JobState::Failed.as_str()))
            .col_expr(ingest_job::Column::Message, Expr::value(message.to_owned()))
            .col_expr(ingest_job::Column::UpdatedAt, Expr::value(now))
            .col_expr(ingest_job::Column::FinishedAt, Expr::value(now))
            .filter(ingest_job::Column::Id.eq(job_id))
            .exec(self.connection())
            .await?;
        Ok(())
    }

    /// Marks jobs left queued or running by a process that stopped as failed: their results were
    /// never committed, so nothing of them is visible; the files stay pending for a new job.
    pub async fn fail_interrupted_jobs(&self) -> Result<u64, CatalogError> {
        let now = Utc::now();
        let result = ingest_job::Entity::update_many()
            .col_expr(ingest_job::Column::State, Expr::value(JobState::Failed.as_str()))
            .col_expr(
                ingest_job::Column::Message,
                Expr::value("interrupted: the server stopped before the job finished"),
            )
            .col_expr(ingest_job::Column::UpdatedAt, Expr::value(now))
            .col_expr(ingest_job::Column::FinishedAt, Expr::value(now))
            .filter(ingest_job::Column::State.is_in([JobState::Queued.as_str(), JobState::Running.as_str()]))
            .exec(self.connection())
            .await?;
        Ok(result.rows_affected)
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
