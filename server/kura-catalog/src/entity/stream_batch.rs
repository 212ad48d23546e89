//! Row of `stream_batches`: one acknowledged append, by its idempotency key, with the snapshot
//! that committed it and its provenance.

use sea_orm::entity::prelude::*;
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, utoipa::ToSchema)]
#[schema(as = StreamBatch)]
#[sea_orm(table_name = "stream_batches")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    #[serde(skip)]
    pub id: Uuid,
    #[serde(skip)]
    pub stream_id: Uuid,
    /// The writer's id and its sequence number: the idempotency key.
    pub writer_id: String,
    pub sequence: i64,
    /// The snapshot that committed the batch.
    pub snapshot: i64,
    pub row_count: i64,
    /// Instrument or robot, run id, protocol, sample ids, start and end times.
    #[schema(value_type = Object)]
    pub provenance: Json,
    /// Who appended it (the audit log's actor).
    pub appended_by: String,
    #[schema(value_type = String, format = DateTime)]
    pub received_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
