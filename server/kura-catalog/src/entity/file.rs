//! Row of `files`.

use sea_orm::entity::prelude::*;
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, utoipa::ToSchema)]
#[schema(as = File)]
#[sea_orm(table_name = "files")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub version_id: Uuid,
    /// Name within the version (`raw/spectrum.csv`, `tables/spectrum.csv/data.parquet`).
    pub path: String,
    pub role: kura_core::FileRole,
    /// Content address in the object store.
    pub sha256: String,
    pub size: i64,
    pub media_type: String,
    /// Detected format (`csv`), or none when unknown.
    pub format: Option<String>,
    /// For derived files: the raw file they came from.
    pub source_file_id: Option<Uuid>,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: DateTimeUtc,
    /// The user who uploaded a raw file (for the per-user quota); not shown to callers.
    #[serde(skip)]
    #[schema(ignore)]
    pub uploaded_by: Option<Uuid>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
