//! Row of `stream_pending`: an acknowledged append waiting for its commit; the batch itself is
//! an object of the store (an Arrow IPC stream).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "stream_pending")]
pub struct Model {
    /// Time-ordered (UUIDv7): commits take pending batches in the order they were acknowledged.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub stream_id: Uuid,
    pub writer_id: String,
    pub sequence: i64,
    pub sha256: String,
    pub size: i64,
    pub row_count: i64,
    pub provenance: Json,
    pub appended_by: String,
    pub surface: String,
    pub received_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
