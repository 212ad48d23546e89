//! Stream tables in the catalog: the tables, their snapshots (each commit one transaction), their
//! live Parquet files, every acknowledged batch by its idempotency key, and the snapshots
//! published versions froze. The append log and the commit policy are `kura-streams`'.

use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set};
use uuid::Uuid;

use crate::audit::AuditRecord;
use crate::entity::{stream_batch, stream_file, stream_pending, stream_pin, stream_snapshot, stream_table};
use crate::{Catalog, CatalogError};

/// A batch a commit records: its idempotency key, rows and provenance.
#[derive(Debug, Clone, PartialEq)]
pub struct NewStreamBatch {
    pub writer_id: String,
    pub sequence: i64,
    pub row_count: i64,
    pub provenance: serde_json::Value,
    pub appended_by: String,
    /// The surface it came through, for its audit line.
    pub surface: String,
    pub received_at: chrono::DateTime<Utc>,
}

/// The Parquet object a commit or a compaction adds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewStreamFile {
    pub sha256: String,
    pub size: i64,
    pub row_count: i64,
    pub min_snapshot: i64,
    pub max_snapshot: i64,
}

/// One commit of buffered appends: a new snapshot after `after` (the latest the committer knew).
#[derive(Debug, Clone, PartialEq)]
pub struct StreamCommit {
    pub stream_id: Uuid,
    pub after: i64,
    /// The schema as of the new snapshot (IPC schema, base64).
    pub arrow_schema: String,
    pub file: NewStreamFile,
    pub batches: Vec<NewStreamBatch>,
    /// The pending appends the commit applies (removed in its transaction).
    pub pending: Vec<Uuid>,
}

impl Catalog {
    /// The stream table `name` of a dataset.
    pub async fn stream_table(&self, dataset_id: Uuid, name: &str) -> Result<stream_table::Model, CatalogError> {
        stream_table::Entity::find()
            .filter(stream_table::Column::DatasetId.eq(dataset_id))
            .filter(stream_table::Column::Name.eq(name))
            .one(self.connection())
            .await?
            .ok_or_else(|| CatalogError::not_found("stream table"))
    }

    /// The stream table with this id.
    pub async fn stream_table_by_id(&self, id: Uuid) -> Result<stream_table::Model, CatalogError> {
        stream_table::Entity::find_by_id(id)
            .one(self.connection())
            .await?
            .ok_or_else(|| CatalogError::not_found("stream table"))
    }

    /// Creates the stream table `name` of a dataset, or returns it when it exists.
    pub async fn ensure_stream_table(&self, dataset_id: Uuid, name: &str) -> Result<stream_table::Model, CatalogError> {
        if let Ok(found) = self.stream_table(dataset_id, name).await {
            return Ok(found);
        }
        let row = stream_table::ActiveModel {
            id: Set(Uuid::now_v7()),
            dataset_id: Set(dataset_id),
            name: Set(name.to_owned()),
            arrow_schema: Set(None),
            latest_snapshot: Set(0),
            row_count: Set(0),
            created_at: Set(Utc::now()),
            ..Default::default()
        };
        match stream_table::Entity::insert(row).exec(self.connection()).await {
            // Two first appends at once: the other one created it.
            Ok(_) | Err(_) => self.stream_table(dataset_id, name).await,
        }
    }

    /// The stream tables of a dataset, by name.
    pub async fn stream_tables_of(&self, dataset_id: Uuid) -> Result<Vec<stream_table::Model>, CatalogError> {
        Ok(stream_table::Entity::find()
            .filter(stream_table::Column::DatasetId.eq(dataset_id))
            .order_by_asc(stream_table::Column::Name)
            .all(self.connection())
            .await?)
    }

    /// Every stream table (the append logs are replayed for them at start).
    pub async fn all_stream_tables(&self) -> Result<Vec<stream_table::Model>, CatalogError> {
        Ok(stream_table::Entity::find().all(self.connection()).await?)
    }

    /// Whether the batch with this idempotency key was committed.
    pub async fn stream_batch_committed(
        &self,
        stream_id: Uuid,
        writer: &str,
        sequence: i64,
    ) -> Result<bool, CatalogError> {
        let count = stream_batch::Entity::find()
            .filter(stream_batch::Column::StreamId.eq(stream_id))
            .filter(stream_batch::Column::WriterId.eq(writer))
            .filter(stream_batch::Column::Sequence.eq(sequence))
            .count(self.connection())
            .await?;
        Ok(count > 0)
    }

    /// Commits buffered appends as snapshot `after + 1` in one transaction: the file, the
    /// batches, the snapshot and the table's new state. A conflict when another commit won
    /// (the table's latest snapshot is no longer `after`) or a batch was already committed.
    pub async fn commit_stream(&self, commit: StreamCommit) -> Result<i64, CatalogError> {
        let txn = self.begin_write().await?;
        // Locked (where the database can) against appends admitted meanwhile.
        let table = stream_table::Entity::find_by_id(commit.stream_id)
            .lock_exclusive()
            .one(&txn)
            .await?
            .ok_or_else(|| CatalogError::not_found("stream table"))?;
        if table.latest_snapshot != commit.after {
            return Err(CatalogError::Conflict("the stream table was committed meanwhile".into()));
        }
        let snapshot = commit.after + 1;
        let now = Utc::now();
        let row_count = table.row_count + commit.file.row_count;
        insert_file(&txn, commit.stream_id, &commit.file).await?;
        for batch in commit.batches {
            // The append's audit line, in the transaction that applies it (a retry that applies
            // nothing writes none).
            let details = serde_json::json!({
                "writer_id": batch.writer_id, "sequence": batch.sequence, "rows": batch.row_count, "snapshot": snapshot,
            });
            crate::audit::record(
                &txn,
                AuditRecord {
                    actor: &batch.appended_by,
                    action: "stream.append",
                    surface: &batch.surface,
                    dataset_id: Some(table.dataset_id),
                    target: Some(table.name.clone()),
                    details,
                },
            )
            .await?;
            let row = stream_batch::ActiveModel {
                id: Set(Uuid::now_v7()),
                stream_id: Set(commit.stream_id),
                writer_id: Set(batch.writer_id),
                sequence: Set(batch.sequence),
                snapshot: Set(snapshot),
                row_count: Set(batch.row_count),
                provenance: Set(batch.provenance),
                appended_by: Set(batch.appended_by),
                received_at: Set(batch.received_at),
            };
            stream_batch::Entity::insert(row).exec(&txn).await?;
        }
        let row = stream_snapshot::ActiveModel {
            id: Set(Uuid::now_v7()),
            stream_id: Set(commit.stream_id),
            snapshot: Set(snapshot),
            rows_added: Set(commit.file.row_count),
            row_count: Set(row_count),
            arrow_schema: Set(commit.arrow_schema.clone()),
            committed_at: Set(now),
        };
        stream_snapshot::Entity::insert(row).exec(&txn).await?;
        let removed = stream_pending::Entity::delete_many()
            .filter(stream_pending::Column::StreamId.eq(commit.stream_id))
            .filter(stream_pending::Column::Id.is_in(commit.pending.clone()))
            .exec(&txn)
            .await?;
        if removed.rows_affected != commit.pending.len() as u64 {
            return Err(CatalogError::Conflict("the stream's pending appends were committed meanwhile".into()));
        }
        let left = stream_pending::Entity::find()
            .filter(stream_pending::Column::StreamId.eq(commit.stream_id))
            .count(&txn)
            .await?;
        // With nothing left waiting, the snapshot's schema is the one appends are admitted against.
        let pending_schema = if left == 0 { None } else { table.pending_schema.clone() };
        stream_table::Entity::update_many()
            .col_expr(stream_table::Column::PendingSchema, Expr::value(pending_schema))
            .col_expr(stream_table::Column::LatestSnapshot, Expr::value(snapshot))
            .col_expr(stream_table::Column::RowCount, Expr::value(row_count))
            .col_expr(stream_table::Column::ArrowSchema, Expr::value(commit.arrow_schema))
            .filter(stream_table::Column::Id.eq(commit.stream_id))
            .exec(&txn)
            .await?;
        txn.commit().await?;
        Ok(snapshot)
    }

    /// The live files of a stream table, oldest rows first.
    pub async fn stream_files(&self, stream_id: Uuid) -> Result<Vec<stream_file::Model>, CatalogError> {
        Ok(stream_file::Entity::find()
            .filter(stream_file::Column::StreamId.eq(stream_id))
            .order_by_asc(stream_file::Column::MinSnapshot)
            .all(self.connection())
            .await?)
    }

    /// Replaces live files of a stream table by their merge, in one transaction; snapshots are
    /// untouched. A conflict when one of them is gone (another compaction won).
    pub async fn replace_stream_files(
        &self,
        stream_id: Uuid,
        replaced: &[Uuid],
        merged: &NewStreamFile,
    ) -> Result<(), CatalogError> {
        let txn = self.begin_write().await?;
        let done = stream_file::Entity::delete_many()
            .filter(stream_file::Column::StreamId.eq(stream_id))
            .filter(stream_file::Column::Id.is_in(replaced.iter().copied()))
            .exec(&txn)
            .await?;
        if done.rows_affected != replaced.len() as u64 {
            return Err(CatalogError::Conflict("the stream table's files changed meanwhile".into()));
        }
        insert_file(&txn, stream_id, merged).await?;
        txn.commit().await?;
        Ok(())
    }

    /// Snapshot `snapshot` of a stream table.
    pub async fn stream_snapshot(
        &self,
        stream_id: Uuid,
        snapshot: i64,
    ) -> Result<stream_snapshot::Model, CatalogError> {
        stream_snapshot::Entity::find()
            .filter(stream_snapshot::Column::StreamId.eq(stream_id))
            .filter(stream_snapshot::Column::Snapshot.eq(snapshot))
            .one(self.connection())
            .await?
            .ok_or_else(|| CatalogError::not_found(format!("snapshot {snapshot}")))
    }

    /// The snapshots of a stream table after `after`, oldest first, at most `limit`.
    pub async fn stream_snapshots(
        &self,
        stream_id: Uuid,
        after: i64,
        limit: u64,
    ) -> Result<Vec<stream_snapshot::Model>, CatalogError> {
        Ok(stream_snapshot::Entity::find()
            .filter(stream_snapshot::Column::StreamId.eq(stream_id))
            .filter(stream_snapshot::Column::Snapshot.gt(after))
            .order_by_asc(stream_snapshot::Column::Snapshot)
            .limit(limit)
            .all(self.connection())
            .await?)
    }

    /// The committed batches of a stream table after snapshot `after`, oldest first, at most
    /// `limit`: their provenance, queryable.
    pub async fn stream_batches(
        &self,
        stream_id: Uuid,
        after: i64,
        limit: u64,
    ) -> Result<Vec<stream_batch::Model>, CatalogError> {
        Ok(stream_batch::Entity::find()
            .filter(stream_batch::Column::StreamId.eq(stream_id))
            .filter(stream_batch::Column::Snapshot.gt(after))
            .order_by_asc(stream_batch::Column::Snapshot)
            .order_by_asc(stream_batch::Column::ReceivedAt)
            .limit(limit)
            .all(self.connection())
            .await?)
    }

    /// The snapshot of a stream table a published version froze; `None` when the version pinned
    /// none (a draft, or a version published before the stream had rows).
    pub async fn stream_pin(&self, version_id: Uuid, stream_id: Uuid) -> Result<Option<i64>, CatalogError> {
        Ok(stream_pin::Entity::find()
            .filter(stream_pin::Column::VersionId.eq(version_id))
            .filter(stream_pin::Column::StreamId.eq(stream_id))
            .one(self.connection())
            .await?
            .map(|p| p.snapshot))
    }

    /// Every object a stream table's live file references (garbage collection keeps them).
    /// The objects stream tables reference: their files, and the batches waiting for a commit.
    pub(crate) async fn stream_hashes(&self) -> Result<Vec<String>, CatalogError> {
        let files: Vec<String> = stream_file::Entity::find()
            .select_only()
            .column(stream_file::Column::Sha256)
            .distinct()
            .into_tuple()
            .all(self.connection())
            .await?;
        let pending: Vec<String> = stream_pending::Entity::find()
            .select_only()
            .column(stream_pending::Column::Sha256)
            .distinct()
            .into_tuple()
            .all(self.connection())
            .await?;
        Ok(files.into_iter().chain(pending).collect())
    }
}

async fn insert_file(txn: &impl ConnectionTrait, stream_id: Uuid, file: &NewStreamFile) -> Result<(), CatalogError> {
    let row = stream_file::ActiveModel {
        id: Set(Uuid::now_v7()),
        stream_id: Set(stream_id),
        sha256: Set(file.sha256.clone()),
        size: Set(file.size),
        row_count: Set(file.row_count),
        min_snapshot: Set(file.min_snapshot),
        max_snapshot: Set(file.max_snapshot),
        created_at: Set(Utc::now()),
    };
    stream_file::Entity::insert(row).exec(txn).await?;
    Ok(())
}

/// Records, inside a publish, the snapshot each stream table is frozen at.
pub(crate) async fn insert_pins(
    txn: &impl ConnectionTrait,
    version_id: Uuid,
    pins: &[(Uuid, i64)],
) -> Result<(), CatalogError> {
    for (stream_id, snapshot) in pins {
        let row = stream_pin::ActiveModel {
            id: Set(Uuid::now_v7()),
            version_id: Set(version_id),
            stream_id: Set(*stream_id),
            snapshot: Set(*snapshot),
        };
        stream_pin::Entity::insert(row).exec(txn).await?;
    }
    Ok(())
}
