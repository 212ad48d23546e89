//! Row of `stream_snapshots`: one atomic commit of a stream table.

use sea_orm::entity::prelude::*;
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, utoipa::ToSchema)]
#[schema(as = StreamSnapshot)]
#[sea_orm(table_name = "stream_snapshots")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    #[serde(skip)]
    pub id: Uuid,
    #[serde(skip)]
    pub stream_id: Uuid,
    /// 1, 2, … per stream.
    pub snapshot: i64,
    pub rows_added: i64,
    /// Rows in the table as of this snapshot.
    pub row_count: i64,
    /// The schema this snapshot's rows are read with (IPC schema, base64).
    #[serde(skip)]
    pub arrow_schema: String,
    #[schema(value_type = String, format = DateTime)]
    pub committed_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
