//! Row of `ingest_jobs`.

use sea_orm::entity::prelude::*;
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, utoipa::ToSchema)]
#[schema(as = IngestJob)]
#[sea_orm(table_name = "ingest_jobs")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub dataset_id: Uuid,
    pub version_id: Uuid,
    /// `queued` while waiting for a free slot.
    pub state: kura_core::JobState,
    pub files_total: i32,
    pub files_done: i32,
    pub bytes_total: i64,
    pub bytes_done: i64,
    /// `[{"file": "...", "error": "..."}]`: one entry per failed file; also
    /// `{"file", "member", "error", "kept_as"}` per archive member that failed alone and
    /// `{"file", "warning"}` per reader warning (an ambiguous dialect and its runner-up), which do
    /// not make the file count as failed.
    pub errors: Json,
    #[sea_orm(column_type = "Text", nullable)]
    pub message: Option<String>,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: DateTimeUtc,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: DateTimeUtc,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub finished_at: Option<DateTimeUtc>,
    /// When the job left the queue and began to run (unset while it waits for a free slot).
    #[schema(value_type = Option<String>, format = DateTime)]
    pub started_at: Option<DateTimeUtc>,
    /// The read parameters per raw file path the job was started with, kept so that a job
    /// queued when the server stopped runs as asked at the next start; not shown to callers.
    #[serde(skip)]
    #[schema(ignore)]
    pub read_options: Option<Json>,
    /// The worker process that claimed the job (see [`crate::jobs`]); not shown to callers.
    #[serde(skip)]
    #[schema(ignore)]
    pub worker: Option<String>,
    /// Until when that claim holds unless renewed.
    #[serde(skip)]
    #[schema(ignore)]
    pub lease_until: Option<DateTimeUtc>,
    /// How many times a worker started the job; a commit must come from the latest attempt.
    #[serde(skip)]
    #[schema(ignore)]
    pub attempts: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
