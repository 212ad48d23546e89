//! Row of `stream_tables`: an append-only table of a dataset, written by machines.

use sea_orm::entity::prelude::*;
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, utoipa::ToSchema)]
#[schema(as = StreamTable)]
#[sea_orm(table_name = "stream_tables")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub dataset_id: Uuid,
    /// Unique within the dataset.
    pub name: String,
    /// The Arrow schema as of the latest snapshot (IPC schema, base64); `None` before the first commit.
    #[serde(skip)]
    pub arrow_schema: Option<String>,
    /// The latest committed snapshot; 0 before the first commit.
    pub latest_snapshot: i64,
    /// Rows in the latest snapshot.
    pub row_count: i64,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: DateTimeUtc,
    /// The schema appends are admitted against: the latest snapshot's, widened by appends not
    /// yet committed (IPC schema, base64); `None` when it is the latest snapshot's.
    #[serde(skip)]
    pub pending_schema: Option<String>,
    /// The process that commits the stream's appends, and until when its lease holds.
    #[serde(skip)]
    pub committer: Option<String>,
    #[serde(skip)]
    pub commit_lease_until: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
