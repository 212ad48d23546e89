//! Row of `data_tables`.

use sea_orm::entity::prelude::*;
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, utoipa::ToSchema)]
#[schema(as = DataTable)]
#[sea_orm(table_name = "data_tables")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub version_id: Uuid,
    /// The derived Parquet file holding the table.
    pub file_id: Uuid,
    /// The raw file the table was read from.
    pub source_file_id: Uuid,
    /// Unique within the version (`spectrum.data`).
    pub name: String,
    pub row_count: i64,
    /// Metadata the reader extracted for this table's source.
    pub metadata: Json,
    /// How the table was made: reader, version, parameters, source checksum, time.
    pub provenance: Json,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
