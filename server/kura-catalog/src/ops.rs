//! What operators ask of the catalog as a whole: job counts per state (metrics), every object
//! reference with the dataset and version it belongs to, and tables whose Parquet file has no
//! row (`kura verify`). Read-only, and never filtered by a principal: only the binary's
//! operator surfaces and the metrics' counts use these.

use std::collections::HashMap;

use kura_core::{FileRole, JobState, VersionState};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use crate::entity::{data_table, dataset, dataset_version, file, ingest_job};
use crate::{Catalog, CatalogError};

/// A file row, with the names an operator recognises it by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectReference {
    pub file_id: Uuid,
    pub dataset: String,
    pub version: i32,
    pub path: String,
    pub role: FileRole,
    pub sha256: String,
    pub size: i64,
}

/// A table whose Parquet file is not in `files`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DanglingTable {
    pub dataset: String,
    pub version: i32,
    pub table: String,
    pub file_id: Uuid,
}

/// Dataset names and version numbers by version id, loaded once per walk (far fewer rows than
/// files).
#[derive(Debug, Default)]
pub struct VersionNames {
    versions: HashMap<Uuid, (String, i32)>,
}

impl VersionNames {
    /// `(dataset name, version number)`; a version without a dataset row is named by its id.
    fn get(&self, version_id: Uuid) -> (String, i32) {
        self.versions.get(&version_id).cloned().unwrap_or_else(|| (format!("(version {version_id})"), 0))
    }
}

impl Catalog {
    /// Ingest jobs per state, every state present (zero when none).
    pub async fn job_counts(&self) -> Result<Vec<(JobState, i64)>, CatalogError> {
        let rows: Vec<(JobState, i64)> = ingest_job::Entity::find()
            .select_only()
            .column(ingest_job::Column::State)
            .column_as(ingest_job::Column::Id.count(), "n")
            .group_by(ingest_job::Column::State)
            .into_tuple()
            .all(self.connection())
            .await?;
        Ok(JobState::ALL.iter().map(|s| (*s, rows.iter().filter(|(r, _)| r == s).map(|(_, n)| n).sum())).collect())
    }

    /// Versions in the published state (each is one graph of the RDF projection).
    pub async fn published_version_count(&self) -> Result<u64, CatalogError> {
        Ok(dataset_version::Entity::find()
            .filter(dataset_version::Column::State.eq(VersionState::Published))
            .count(self.connection())
            .await?)
    }

    /// The names of every version, for [`Catalog::object_references`].
    pub async fn version_names(&self) -> Result<VersionNames, CatalogError> {
        let datasets: HashMap<Uuid, String> = dataset::Entity::find()
            .select_only()
            .column(dataset::Column::Id)
            .column(dataset::Column::Name)
            .into_tuple::<(Uuid, String)>()
            .all(self.connection())
            .await?
            .into_iter()
            .collect();
        let versions = dataset_version::Entity::find()
            .select_only()
            .column(dataset_version::Column::Id)
            .column(dataset_version::Column::DatasetId)
            .column(dataset_version::Column::Number)
            .into_tuple::<(Uuid, Uuid, i32)>()
            .all(self.connection())
            .await?
            .into_iter()
            .map(|(id, dataset_id, number)| {
                let name = datasets.get(&dataset_id).cloned().unwrap_or_else(|| format!("(dataset {dataset_id})"));
                (id, (name, number))
            })
            .collect();
        Ok(VersionNames { versions })
    }

    /// Up to `limit` file rows with an id after `after`, in id order (a keyset page: a walk over
    /// millions of files holds one page at a time).
    pub async fn object_references(
        &self,
        names: &VersionNames,
        after: Option<Uuid>,
        limit: u64,
    ) -> Result<Vec<ObjectReference>, CatalogError> {
        let mut query = file::Entity::find().order_by_asc(file::Column::Id).limit(limit);
        if let Some(after) = after {
            query = query.filter(file::Column::Id.gt(after));
        }
        let rows = query.all(self.connection()).await?;
        Ok(rows
            .into_iter()
            .map(|f| {
                let (dataset, version) = names.get(f.version_id);
                ObjectReference {
                    file_id: f.id,
                    dataset,
                    version,
                    path: f.path,
                    role: f.role,
                    sha256: f.sha256,
                    size: f.size,
                }
            })
            .collect())
    }

    /// Tables whose Parquet file row is missing.
    pub async fn dangling_tables(&self, names: &VersionNames) -> Result<Vec<DanglingTable>, CatalogError> {
        let files: std::collections::HashSet<Uuid> = file::Entity::find()
            .select_only()
            .column(file::Column::Id)
            .into_tuple::<Uuid>()
            .all(self.connection())
            .await?
            .into_iter()
            .collect();
        let tables = data_table::Entity::find()
            .select_only()
            .column(data_table::Column::VersionId)
            .column(data_table::Column::Name)
            .column(data_table::Column::FileId)
            .into_tuple::<(Uuid, String, Uuid)>()
            .all(self.connection())
            .await?;
        Ok(tables
            .into_iter()
            .filter(|(_, _, file_id)| !files.contains(file_id))
            .map(|(version_id, table, file_id)| {
                let (dataset, version) = names.get(version_id);
                DanglingTable { dataset, version, table, file_id }
            })
            .collect())
    }
}
