//! Files of a version: raw uploads and the artefacts derived from them.

use chrono::Utc;
use kura_core::FileRole;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set};
use serde_json::json;
use uuid::Uuid;

use crate::entity::{dataset_version, file};
use crate::{Catalog, CatalogError, Page, PageRequest, outbox};

/// A file about to be recorded; its bytes are already in the object store.
#[derive(Debug, Clone)]
pub struct NewFile {
    pub path: String,
    pub role: FileRole,
    pub sha256: String,
    pub size: u64,
    pub media_type: String,
    pub format: Option<String>,
    pub source_file_id: Option<Uuid>,
    /// The user who uploaded it (raw uploads only), counted by the per-user quota.
    pub uploaded_by: Option<Uuid>,
}

impl NewFile {
    pub(crate) fn into_active(self, version_id: Uuid) -> file::ActiveModel {
        file::ActiveModel {
            id: Set(Uuid::now_v7()),
            version_id: Set(version_id),
            path: Set(self.path),
            role: Set(self.role),
            sha256: Set(self.sha256),
            size: Set(i64::try_from(self.size).unwrap_or(i64::MAX)),
            media_type: Set(self.media_type),
            format: Set(self.format),
            source_file_id: Set(self.source_file_id),
            created_at: Set(Utc::now()),
            uploaded_by: Set(self.uploaded_by),
        }
    }
}

/// Checks a file path inside a dataset: relative, no `..`, no empty or hidden tricks.
pub fn validate_path(path: &str) -> Result<(), CatalogError> {
    let bad = path.is_empty()
        || path.len() > 1024
        || path.starts_with('/')
        || path.contains('\\')
        || path.contains('\0')
        || path.split('/').any(|part| part.is_empty() || part == "." || part == "..");
    if bad {
        Err(CatalogError::Invalid(format!(
            "invalid file path {path:?}: use a relative path without '..', '.' or empty parts"
        )))
    } else {
        Ok(())
    }
}

impl Catalog {
    /// Records raw files in a draft, in one transaction. A path that already exists in the
    /// version is a conflict: nothing is replaced silently.
    pub async fn add_raw_files(
        &self,
        version: &dataset_version::Model,
        files: Vec<NewFile>,
    ) -> Result<Vec<file::Model>, CatalogError> {
        if version.state.is_frozen() {
            return Err(CatalogError::Conflict(format!(
                "version {} is {} and cannot change",
                version.number, version.state
            )));
        }
        for f in &files {
            validate_path(&f.path)?;
        }
        let txn = self.begin_write().await?;
        let mut added = Vec::with_capacity(files.len());
        for f in files {
            let path = f.path.clone();
            let row = file::Entity::insert(f.into_active(version.id)).exec_with_returning(&txn).await.map_err(|e| {
                match CatalogError::from(e) {
                    CatalogError::Conflict(_) => {
                        CatalogError::Conflict(format!("file {path:?} already exists in this version"))
                    }
                    other => other,
                }
            })?;
            added.push(row);
        }
        let paths: Vec<&str> = added.iter().map(|f| f.path.as_str()).collect();
        outbox::append(
            &txn,
            "version.files_added",
            Some(version.dataset_id),
            json!({"version": version.number, "paths": paths}),
        )
        .await?;
        txn.commit().await?;
        Ok(added)
    }

    /// One page of a version's files, by path.
    pub async fn files_page(&self, version_id: Uuid, page: PageRequest) -> Result<Page<file::Model>, CatalogError> {
        let query = file::Entity::find().filter(file::Column::VersionId.eq(version_id));
        let total = query.clone().count(self.connection()).await?;
        let items =
            query.order_by_asc(file::Column::Path).offset(page.offset).limit(page.limit).all(self.connection()).await?;
        Ok(Page::new(items, total, page))
    }

    /// One file of a version.
    pub async fn file(&self, version_id: Uuid, file_id: Uuid) -> Result<file::Model, CatalogError> {
        file::Entity::find_by_id(file_id)
            .filter(file::Column::VersionId.eq(version_id))
            .one(self.connection())
            .await?
            .ok_or_else(|| CatalogError::not_found("file"))
    }

    /// Raw files of a version that no ingest job has looked at yet.
    /// Bytes of the raw files a version holds (what its quota counts).
    pub async fn raw_bytes(&self, version_id: Uuid) -> Result<u64, CatalogError> {
        let sizes: Vec<i64> = file::Entity::find()
            .select_only()
            .column(file::Column::Size)
            .filter(file::Column::VersionId.eq(version_id))
            .filter(file::Column::Role.eq(FileRole::Raw))
            .into_tuple()
            .all(self.connection())
            .await?;
        Ok(sizes.into_iter().map(|s| u64::try_from(s).unwrap_or(0)).sum())
    }

    /// Bytes of the raw files a user uploaded, in every version (what the per-user quota counts).
    pub async fn user_raw_bytes(&self, user: Uuid) -> Result<u64, CatalogError> {
        let sizes: Vec<i64> = file::Entity::find()
            .select_only()
            .column(file::Column::Size)
            .filter(file::Column::UploadedBy.eq(user))
            .into_tuple()
            .all(self.connection())
            .await?;
        Ok(sizes.into_iter().map(|s| u64::try_from(s).unwrap_or(0)).sum())
    }

    /// The raw files of a version not yet ingested: what a job reads. Read in a write
    /// transaction, which on SQLite starts from the newest commit or fails: a job must never
    /// see an older state of the draft (an upload missing) and succeed with nothing read.
    pub async fn pending_raw_files(&self, version_id: Uuid) -> Result<Vec<file::Model>, CatalogError> {
        let txn = self.begin_write().await?;
        let files = file::Entity::find()
            .filter(file::Column::VersionId.eq(version_id))
            .filter(file::Column::Role.eq(FileRole::Raw))
            .filter(file::Column::Format.is_null())
            .order_by_asc(file::Column::Path)
            .all(&txn)
            .await?;
        txn.commit().await?;
        Ok(files)
    }

    /// Marks raw files of a draft as not yet ingested, so the next job reads them again (its
    /// commit replaces their tables). Returns the files; a path that is not a raw file of the
    /// version is an error.
    pub async fn reopen_raw_files(&self, version_id: Uuid, paths: &[String]) -> Result<Vec<file::Model>, CatalogError> {
        let found = file::Entity::find()
            .filter(file::Column::VersionId.eq(version_id))
            .filter(file::Column::Role.eq(FileRole::Raw))
            .filter(file::Column::Path.is_in(paths.to_vec()))
            .all(self.connection())
            .await?;
        if let Some(missing) = paths.iter().find(|p| !found.iter().any(|f| &f.path == *p)) {
            return Err(CatalogError::NotFound(format!("raw file {missing}")));
        }
        file::Entity::update_many()
            .col_expr(file::Column::Format, sea_orm::sea_query::Expr::value(Option::<String>::None))
            .filter(file::Column::Id.is_in(found.iter().map(|f| f.id).collect::<Vec<_>>()))
            .exec(self.connection())
            .await?;
        Ok(found)
    }

    /// Every object hash any file row references, for garbage collection.
    pub async fn referenced_hashes(&self) -> Result<std::collections::HashSet<String>, CatalogError> {
        let hashes: Vec<String> = file::Entity::find()
            .select_only()
            .column(file::Column::Sha256)
            .distinct()
            .into_tuple()
            .all(self.connection())
            .await?;
        let streams = self.stream_hashes().await?;
        Ok(hashes.into_iter().chain(streams).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::validate_path;

    #[test]
    fn paths_with_traversal_are_refused() {
        for bad in ["", "/etc/passwd", "../x", "a/../b", "a//b", "./a", "a\\b", "a/."] {
            assert!(validate_path(bad).is_err(), "{bad:?} should be refused");
        }
        for good in ["a.csv", "raw/a b.csv", "データ/温度.csv", "..a"] {
            assert!(validate_path(good).is_ok(), "{good:?} should be accepted");
        }
    }
}
