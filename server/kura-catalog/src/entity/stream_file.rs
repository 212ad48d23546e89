//! Row of `stream_files`: a live Parquet file of a stream table (replaced files are deleted by
//! compaction in the transaction that adds their merge).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "stream_files")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub stream_id: Uuid,
    pub sha256: String,
    pub size: i64,
    pub row_count: i64,
    /// The first and last snapshot whose rows the file holds.
    pub min_snapshot: i64,
    pub max_snapshot: i64,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
