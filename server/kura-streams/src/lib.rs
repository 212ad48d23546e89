//! Stream tables: append-only tables that instruments and robots write to (Flight DoPut, REST
//! append). An append is written to the table's durable log ([`log`]) and acknowledged once
//! synced; an idempotency key (writer id, sequence number) makes a retried append a no-op. The
//! committer turns buffered appends into one Parquet file per commit — after
//! `stream_commit_rows` rows or `stream_commit_ms` — each commit one catalog transaction and a
//! new snapshot; compaction merges small files without changing rows or snapshots; at start
//! the log is replayed, so an acknowledged batch is never lost and never applied twice.
//!
//! Transports never call this crate: `kura-service` decides access and then calls [`Streams`].

mod commit;
pub mod decode;
pub mod error;
pub mod log;
mod read;
mod replay;
pub mod schema;
mod table;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::record_batch::RecordBatch;
use chrono::{DateTime, Utc};
use kura_catalog::Catalog;
use kura_catalog::entity::stream_table;
use kura_storage::ObjectStore;
use serde::{Deserialize, Serialize};

pub use error::StreamError;
pub use read::{ReadRequest, StreamRows};

use table::Table;

/// When buffered appends are committed and files compacted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommitPolicy {
    /// Commit as soon as this many rows wait.
    pub rows: usize,
    /// Commit whatever waits at least this often (milliseconds).
    pub interval_ms: u64,
    /// Merge the newest small files once this many have accumulated.
    pub compact_files: usize,
}

impl CommitPolicy {
    /// The policy `config` sets.
    pub fn of(config: &kura_core::Config) -> Self {
        CommitPolicy {
            rows: config.stream_commit_rows.max(1),
            interval_ms: config.stream_commit_ms.max(10),
            compact_files: config.stream_compact_files.max(2),
        }
    }
}

/// The idempotency key of an append: a writer's id and its sequence number. The same key twice
/// is the same batch, applied once.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AppendKey {
    pub writer_id: String,
    pub sequence: i64,
}

/// Where a batch comes from, stored with it and queryable.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct BatchProvenance {
    /// The instrument or robot that produced the rows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instrument: Option<String>,
    /// The experiment run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_id: Option<String>,
    /// The protocol or method followed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol: Option<String>,
    /// The samples measured.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sample_ids: Vec<String>,
    /// When the measurement started and ended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended_at: Option<DateTime<Utc>>,
}

/// One batch to append.
#[derive(Debug, Clone)]
pub struct Append {
    pub key: AppendKey,
    pub provenance: BatchProvenance,
    /// Who appends (the audit log's actor), and through which surface: the audit line of the
    /// batch is written in the transaction that commits it.
    pub appended_by: String,
    pub surface: String,
    pub batch: RecordBatch,
}

/// What became of an append.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Appended {
    /// Rows of the batch.
    pub rows: usize,
    /// True when a batch with the same key was already acknowledged: nothing was applied again.
    pub duplicate: bool,
}

/// The stream tables of a node: their logs, buffers and committers. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Streams {
    engine: Arc<Engine>,
}

#[derive(Debug)]
struct Engine {
    catalog: Catalog,
    store: ObjectStore,
    dir: PathBuf,
    policy: CommitPolicy,
    /// Loaded tables; the lock is held while one loads, so a log is replayed once.
    tables: tokio::sync::Mutex<HashMap<uuid::Uuid, Arc<Table>>>,
}

impl Streams {
    /// Opens the stream tables whose logs are in `data_dir/streams`, replaying what their logs
    /// hold that the catalog has not committed, and starts their committers.
    pub async fn open(
        catalog: Catalog,
        store: ObjectStore,
        data_dir: &Path,
        policy: CommitPolicy,
    ) -> Result<Self, StreamError> {
        let dir = data_dir.join("streams");
        std::fs::create_dir_all(&dir)?;
        let streams = Streams {
            engine: Arc::new(Engine { catalog, store, dir, policy, tables: tokio::sync::Mutex::new(HashMap::new()) }),
        };
        for stream in streams.engine.catalog.all_stream_tables().await? {
            if streams.engine.log_dir(stream.id).exists() {
                streams.table(&stream).await?;
            }
        }
        Ok(streams)
    }

    /// Appends a batch to `stream` once its record is durable; a batch whose key was already
    /// acknowledged is not applied again. Refused before anything is written when it does not
    /// fit the table's schema.
    pub async fn append(&self, stream: &stream_table::Model, append: Append) -> Result<Appended, StreamError> {
        let table = self.table(stream).await?;
        table.append(&self.engine, append).await
    }

    /// Commits what waits for `stream` now; the latest snapshot afterwards.
    pub async fn flush(&self, stream: &stream_table::Model) -> Result<i64, StreamError> {
        let table = self.table(stream).await?;
        commit::commit(&self.engine, &table).await?;
        Ok(*table.latest.borrow())
    }

    /// Rows of `stream` at a snapshot, or since one.
    pub async fn read(&self, stream: &stream_table::Model, request: ReadRequest) -> Result<StreamRows, StreamError> {
        read::read(&self.engine, stream, request).await
    }

    /// The latest committed snapshot of `stream`, changing as commits land (followers wait on it).
    pub async fn watch(&self, stream: &stream_table::Model) -> Result<tokio::sync::watch::Receiver<i64>, StreamError> {
        Ok(self.table(stream).await?.latest.subscribe())
    }

    /// The schema appends to `stream` are admitted against now (widened by acknowledged
    /// appends not yet committed); `None` before its first batch.
    pub async fn schema(
        &self,
        stream: &stream_table::Model,
    ) -> Result<Option<arrow::datatypes::SchemaRef>, StreamError> {
        Ok(self.table(stream).await?.state.lock().await.schema.clone())
    }

    /// Merges `stream`'s small files now (the committer does it on its own after commits).
    pub async fn compact(&self, stream: &stream_table::Model) -> Result<bool, StreamError> {
        let table = self.table(stream).await?;
        commit::compact(&self.engine, &table, 2).await
    }

    /// The table's state, loaded (and its log replayed) on first use.
    async fn table(&self, stream: &stream_table::Model) -> Result<Arc<Table>, StreamError> {
        let mut tables = self.engine.tables.lock().await;
        if let Some(table) = tables.get(&stream.id) {
            return Ok(table.clone());
        }
        let table = replay::load(&self.engine, stream).await?;
        tables.insert(stream.id, table.clone());
        commit::spawn_committer(Arc::downgrade(&self.engine), table.clone());
        Ok(table)
    }
}

impl Engine {
    fn log_dir(&self, stream: uuid::Uuid) -> PathBuf {
        self.dir.join(stream.to_string())
    }
}

#[cfg(test)]
mod tests;
