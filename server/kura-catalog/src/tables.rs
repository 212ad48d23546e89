//! Derived tables and their columns, and the one transaction that commits an ingest.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use kura_core::JobState;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set};
use serde::Serialize;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::entity::{data_table, dataset, dataset_version, file, ingest_job, table_column};
use crate::files::NewFile;
use crate::versions::DraftUpdate;
use crate::{Catalog, CatalogError, Page, PageRequest, outbox};

/// A column about to be recorded.
#[derive(Debug, Clone)]
pub struct NewColumn {
    pub name: String,
    pub original_label: String,
    pub arrow_type: String,
    pub unit: Option<String>,
    pub ucum: Option<String>,
    /// QUDT unit IRI.
    pub qudt: Option<String>,
    pub description: Option<String>,
    pub statistics: Value,
}

/// A table about to be recorded, with the derived Parquet file that holds it.
#[derive(Debug, Clone)]
pub struct NewTable {
    pub name: String,
    pub source_file_id: Uuid,
    pub parquet: NewFile,
    pub row_count: u64,
    pub metadata: Value,
    pub provenance: Value,
    pub columns: Vec<NewColumn>,
}

/// Changes to the draft that a job's files call for (the metadata an `.eln` archive carries),
/// decided inside the commit's transaction from the draft as it is then.
pub struct DraftFiller(Box<FillFn>);

/// Given the draft and its dataset's name, what to change.
type FillFn = dyn FnOnce(&dataset_version::Model, &str) -> DraftFill + Send;

impl DraftFiller {
    /// A filler from a function of the draft and its dataset's name.
    pub fn new(f: impl FnOnce(&dataset_version::Model, &str) -> DraftFill + Send + 'static) -> Self {
        DraftFiller(Box::new(f))
    }
}

impl std::fmt::Debug for DraftFiller {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DraftFiller")
    }
}

/// What a [`DraftFiller`] decided.
#[derive(Debug, Clone, Default)]
pub struct DraftFill {
    /// The change; all `None` leaves the draft as it is.
    pub update: DraftUpdate,
    /// Lines for the job's message (which fields came from which file, which values were left out).
    pub notes: Vec<String>,
    /// What the `version.updated` event records about the change.
    pub details: Value,
}

/// What an ingest job produced, committed all at once.
#[derive(Debug, Default)]
pub struct IngestOutcome {
    pub tables: Vec<NewTable>,
    /// Detected format of each raw file looked at (`unknown` when none matched).
    pub formats: Vec<(Uuid, String)>,
    /// `[{"file": path, "error": message}]` for files that failed; entries that also name a
    /// `member` (an archive member that failed alone) or carry a `warning` instead of an
    /// `error` are reported without counting the file as failed.
    pub errors: Vec<Value>,
    /// Files found inside raw files (archive members, notebook images), kept byte for byte.
    pub files: Vec<NewFile>,
    /// Fills the draft's metadata from the files, in the same transaction.
    pub draft_filler: Option<DraftFiller>,
    /// Raw files read again: their earlier tables and derived and extracted files are removed
    /// in the same transaction, so the new reading replaces them.
    pub replace: Vec<Uuid>,
}

/// A table with its columns, as the API shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TableInfo {
    pub id: Uuid,
    pub name: String,
    pub file_id: Uuid,
    pub source_file_id: Uuid,
    pub row_count: i64,
    pub metadata: Value,
    pub provenance: Value,
    pub created_at: DateTime<Utc>,
    pub columns: Vec<table_column::Model>,
}

impl TableInfo {
    fn new(t: data_table::Model, columns: Vec<table_column::Model>) -> Self {
        TableInfo {
            id: t.id,
            name: t.name,
            file_id: t.file_id,
            source_file_id: t.source_file_id,
            row_count: t.row_count,
            metadata: t.metadata,
            provenance: t.provenance,
            created_at: t.created_at,
            columns,
        }
    }
}

impl Catalog {
    /// Commits an ingest job's results in one transaction: derived files, tables, columns, the
    /// raw files' detected formats, the draft's metadata the files fill in, the outbox events
    /// and the job's final state. Before this commit nothing of the job is visible; after it,
    /// all of it is.
    pub async fn commit_ingest(
        &self,
        job: &ingest_job::Model,
        outcome: IngestOutcome,
    ) -> Result<ingest_job::Model, CatalogError> {
        let now = Utc::now();
        let txn = self.begin_write().await?;
        let mut table_names = Vec::new();
        if !outcome.replace.is_empty() {
            let old: Vec<Uuid> = data_table::Entity::find()
                .select_only()
                .column(data_table::Column::Id)
                .filter(data_table::Column::VersionId.eq(job.version_id))
                .filter(data_table::Column::SourceFileId.is_in(outcome.replace.clone()))
                .into_tuple()
                .all(&txn)
                .await?;
            if !old.is_empty() {
                table_column::Entity::delete_many()
                    .filter(table_column::Column::TableId.is_in(old.clone()))
                    .exec(&txn)
                    .await?;
                data_table::Entity::delete_many().filter(data_table::Column::Id.is_in(old)).exec(&txn).await?;
            }
            file::Entity::delete_many()
                .filter(file::Column::VersionId.eq(job.version_id))
                .filter(file::Column::SourceFileId.is_in(outcome.replace.clone()))
                .exec(&txn)
                .await?;
        }
        for extracted in outcome.files {
            file::Entity::insert(extracted.into_active(job.version_id)).exec(&txn).await?;
        }
        for table in outcome.tables {
            table_names.push(insert_table(&txn, job.version_id, table, now).await?);
        }
        for (file_id, format) in &outcome.formats {
            file::Entity::update_many()
                .col_expr(file::Column::Format, sea_orm::sea_query::Expr::value(format.clone()))
                .filter(file::Column::Id.eq(*file_id))
                .exec(&txn)
                .await?;
        }
        let notes = match outcome.draft_filler {
            Some(filler) => fill_draft(&txn, job, filler).await?,
            None => Vec::new(),
        };
        let failed = outcome.errors.iter().filter(|e| e.get("member").is_none() && e.get("error").is_some()).count();
        let members = outcome.errors.iter().filter(|e| e.get("member").is_some()).count();
        let state = match (failed, outcome.formats.len()) {
            (0, _) => JobState::Succeeded,
            (f, n) if f >= n => JobState::Failed,
            _ => JobState::PartiallyFailed,
        };
        let mut active: ingest_job::ActiveModel = job.clone().into();
        active.state = Set(state);
        active.files_done = Set(job.files_total);
        active.bytes_done = Set(job.bytes_total);
        active.errors = Set(Value::Array(outcome.errors));
        let mut message: Vec<String> = Vec::new();
        if failed > 0 {
            message.push(format!("{} of {} files failed", failed, outcome.formats.len()));
        }
        message.extend(notes);
        if members > 0 {
            message.push(format!("{members} archive members could not be read and were kept as raw files"));
        }
        active.message = Set(Some(message.join("\n")).filter(|m| !m.is_empty()));
        active.updated_at = Set(now);
        active.finished_at = Set(Some(now));
        // Only a job that has not ended commits: one cancelled meanwhile leaves nothing behind.
        let job = ingest_job::Entity::update(active)
            .validate()?
            .filter(ingest_job::Column::FinishedAt.is_null())
            // A worker that lost its lease (another took the job over) commits nothing.
            .filter(ingest_job::Column::Attempts.eq(job.attempts))
            .exec(&txn)
            .await
            .map_err(|e| match e {
                sea_orm::DbErr::RecordNotUpdated => CatalogError::Conflict(
                    "the job had ended (cancelled, or failed by a server start) or was taken over by another worker \
                     before its results were committed"
                        .into(),
                ),
                e => e.into(),
            })?;
        outbox::append(
            &txn,
            "version.tables_added",
            Some(job.dataset_id),
            json!({"version_id": job.version_id, "tables": table_names}),
        )
        .await?;
        txn.commit().await?;
        Ok(job)
    }

    /// One page of a version's tables with their columns: three statements whatever the size.
    pub async fn tables_page(&self, version_id: Uuid, page: PageRequest) -> Result<Page<TableInfo>, CatalogError> {
        let query = data_table::Entity::find().filter(data_table::Column::VersionId.eq(version_id));
        let total = query.clone().count(self.connection()).await?;
        let tables = query
            .order_by_asc(data_table::Column::Name)
            .offset(page.offset)
            .limit(page.limit)
            .all(self.connection())
            .await?;
        let items = self.with_columns(tables).await?;
        Ok(Page::new(items, total, page))
    }

    /// One table of a version, by name.
    pub async fn table(&self, version_id: Uuid, name: &str) -> Result<TableInfo, CatalogError> {
        let table = data_table::Entity::find()
            .filter(data_table::Column::VersionId.eq(version_id))
            .filter(data_table::Column::Name.eq(name))
            .one(self.connection())
            .await?
            .ok_or_else(|| CatalogError::not_found(format!("table {name:?}")))?;
        Ok(self.with_columns(vec![table]).await?.remove(0))
    }

    pub(crate) async fn with_columns(&self, tables: Vec<data_table::Model>) -> Result<Vec<TableInfo>, CatalogError> {
        if tables.is_empty() {
            return Ok(Vec::new());
        }
        let columns = table_column::Entity::find()
            .filter(table_column::Column::TableId.is_in(tables.iter().map(|t| t.id)))
            .order_by_asc(table_column::Column::Position)
            .all(self.connection())
            .await?;
        let mut by_table: HashMap<Uuid, Vec<table_column::Model>> = HashMap::new();
        for c in columns {
            by_table.entry(c.table_id).or_default().push(c);
        }
        Ok(tables
            .into_iter()
            .map(|t| {
                let cols = by_table.remove(&t.id).unwrap_or_default();
                TableInfo::new(t, cols)
            })
            .collect())
    }
}

/// Applies a [`DraftFiller`] to the job's version inside the commit (the row is locked where
/// the database can), unless the version is frozen. Returns the notes for the job.
async fn fill_draft(
    txn: &sea_orm::DatabaseTransaction,
    job: &ingest_job::Model,
    filler: DraftFiller,
) -> Result<Vec<String>, CatalogError> {
    let Some(version) = dataset_version::Entity::find_by_id(job.version_id).lock_exclusive().one(txn).await? else {
        return Err(CatalogError::not_found("version"));
    };
    if version.state.is_frozen() {
        return Ok(vec![format!(
            "version {} is {}: its metadata were left as they are",
            version.number, version.state
        )]);
    }
    let name = dataset::Entity::find_by_id(job.dataset_id).one(txn).await?.map(|d| d.name).unwrap_or_default();
    let fill = (filler.0)(&version, &name);
    let update = fill.update;
    if update.title.is_some() || update.description.is_some() || update.metadata.is_some() {
        crate::versions::apply_update(txn, &version, update).await?;
        outbox::append(
            txn,
            "version.updated",
            Some(version.dataset_id),
            json!({"version": version.number, "imported": fill.details}),
        )
        .await?;
    }
    Ok(fill.notes)
}

/// Records a table, its derived Parquet file and its columns in `version_id` inside `txn`;
/// returns its name. Ingest commits and compute jobs' outputs record tables this one way.
pub(crate) async fn insert_table(
    txn: &sea_orm::DatabaseTransaction,
    version_id: Uuid,
    table: NewTable,
    now: DateTime<Utc>,
) -> Result<String, CatalogError> {
    let parquet = file::Entity::insert(table.parquet.into_active(version_id)).exec_with_returning(txn).await?;
    let table_id = Uuid::now_v7();
    let row = data_table::ActiveModel {
        id: Set(table_id),
        version_id: Set(version_id),
        file_id: Set(parquet.id),
        source_file_id: Set(table.source_file_id),
        name: Set(table.name.clone()),
        row_count: Set(i64::try_from(table.row_count).unwrap_or(i64::MAX)),
        metadata: Set(table.metadata),
        provenance: Set(table.provenance),
        created_at: Set(now),
    };
    data_table::Entity::insert(row).exec(txn).await?;
    if !table.columns.is_empty() {
        let columns = table.columns.into_iter().enumerate().map(|(i, c)| table_column::ActiveModel {
            id: Set(Uuid::now_v7()),
            table_id: Set(table_id),
            position: Set(i as i32),
            name: Set(c.name),
            original_label: Set(c.original_label),
            arrow_type: Set(c.arrow_type),
            unit: Set(c.unit),
            ucum: Set(c.ucum),
            qudt: Set(c.qudt),
            description: Set(c.description),
            statistics: Set(c.statistics),
        });
        table_column::Entity::insert_many(columns).exec(txn).await?;
    }
    Ok(table.name)
}
