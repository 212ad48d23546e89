//! Stream tables: append-only tables that instruments and robots write to (Flight DoPut, REST
//! append). An append is stored durably (an Arrow IPC object) and recorded as waiting in the
//! catalog before it is acknowledged; an idempotency key (writer id, sequence number) makes a
//! retried append a no-op. The committer turns waiting appends into one Parquet file per commit
//! — after `stream_commit_rows` rows or `stream_commit_ms` — each commit one catalog
//! transaction and a new snapshot; compaction merges small files without changing rows or
//! snapshots. Nothing waits in a process's memory or disk: any Kura process sharing the catalog
//! and object store may take an append, one at a time commits a stream (a lease), and an
//! acknowledged batch is never lost and never applied twice, whichever process stops.
//!
//! Transports never call this crate: `kura-service` decides access and then calls [`Streams`].

mod append;
mod commit;
pub mod decode;
pub mod error;
mod read;
pub mod schema;
mod table;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use arrow::record_batch::RecordBatch;
use chrono::{DateTime, Utc};
use kura_catalog::Catalog;
use kura_catalog::entity::stream_table;
use kura_storage::ObjectStore;
use serde::{Deserialize, Serialize};

pub use append::Staged;
pub use error::StreamError;
pub use read::{ReadRequest, StreamRows};

use table::Table;
use tokio::sync::Notify;

/// When buffered appends are committed and files compacted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommitPolicy {
    /// Commit as soon as this many rows wait.
    pub rows: usize,
    /// Commit whatever waits at least this often (milliseconds).
    pub interval_ms: u64,
    /// Merge the newest small files once this many have accumulated.
    pub compact_files: usize,
    /// Refuse appends ("behind on commits") while this many bytes wait to be committed.
    pub backlog_bytes: u64,
}

impl CommitPolicy {
    /// The policy `config` sets.
    pub fn of(config: &kura_core::Config) -> Self {
        CommitPolicy {
            rows: config.stream_commit_rows.max(1),
            interval_ms: config.stream_commit_ms.max(10),
            compact_files: config.stream_compact_files.max(2),
            backlog_bytes: config.stream_backlog_bytes.max(1),
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

/// The stream tables of a node: their committer and what followers watch. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Streams {
    engine: Arc<Engine>,
}

#[derive(Debug)]
struct Engine {
    catalog: Catalog,
    store: ObjectStore,
    policy: CommitPolicy,
    /// This process, as the holder of stream commit leases.
    committer: String,
    /// Tables this process has used (their latest snapshots are watched).
    tables: tokio::sync::Mutex<HashMap<uuid::Uuid, Arc<Table>>>,
    /// Rows appended through this process since its committer last looked.
    appended_rows: AtomicUsize,
    /// Wakes the committer early (enough rows were appended here).
    wake: Arc<Notify>,
}

impl Streams {
    /// Opens the node's stream tables and starts its committer, which commits what waits in
    /// the catalog (also what was acknowledged before a stop, by this or another process).
    pub async fn open(catalog: Catalog, store: ObjectStore, policy: CommitPolicy) -> Result<Self, StreamError> {
        let committer = format!("{}:{}:{}", hostname(), std::process::id(), uuid::Uuid::new_v4().simple());
        let engine = Engine {
            catalog,
            store,
            policy,
            committer,
            tables: tokio::sync::Mutex::new(HashMap::new()),
            appended_rows: AtomicUsize::new(0),
            wake: Arc::new(Notify::new()),
        };
        let streams = Streams { engine: Arc::new(engine) };
        commit::spawn_committer(Arc::downgrade(&streams.engine));
        streams.engine.wake.notify_one();
        Ok(streams)
    }

    /// Appends a batch to `stream` once it is durable and recorded; a batch whose key was
    /// already acknowledged is not applied again. Refused before anything is written when it
    /// does not fit the table's schema.
    pub async fn append(&self, stream: &stream_table::Model, append: Append) -> Result<Appended, StreamError> {
        append::append(&self.engine, stream, append).await
    }

    /// The first half of [`Streams::append`]: the batch checked and stored durably, not yet
    /// acknowledged. [`Streams::admit`] finishes it; batches staged at once are admitted in the
    /// order the writer sent them.
    pub async fn stage(&self, stream: &stream_table::Model, append: Append) -> Result<Staged, StreamError> {
        append::stage(&self.engine, stream, append).await
    }

    /// The second half of [`Streams::append`]: the staged batch recorded as waiting.
    pub async fn admit(&self, staged: Staged) -> Result<Appended, StreamError> {
        append::admit(&self.engine, staged).await
    }

    /// Commits what waits for `stream` now (waiting for the process that holds its commit lease,
    /// if another does); the latest snapshot afterwards.
    pub async fn flush(&self, stream: &stream_table::Model) -> Result<i64, StreamError> {
        let table = self.engine.table_by_id(stream.id).await?;
        for _ in 0..FLUSH_TRIES {
            match commit::commit(&self.engine, &table).await? {
                commit::Committed::Snapshot { more: true, .. } => continue,
                commit::Committed::Snapshot { snapshot, .. } => return Ok(snapshot),
                commit::Committed::Nothing => {
                    return Ok(self.engine.catalog.stream_table_by_id(stream.id).await?.latest_snapshot);
                }
                commit::Committed::Elsewhere => {
                    if !self.engine.catalog.stream_has_waiting_batches(stream.id).await? {
                        return Ok(self.engine.catalog.stream_table_by_id(stream.id).await?.latest_snapshot);
                    }
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                }
            }
        }
        Err(StreamError::Behind)
    }

    /// Rows of `stream` at a snapshot, or since one.
    pub async fn read(&self, stream: &stream_table::Model, request: ReadRequest) -> Result<StreamRows, StreamError> {
        read::read(&self.engine, stream, request).await
    }

    /// The latest committed snapshot of `stream`, changing as commits land, whichever process
    /// commits (followers wait on it).
    pub async fn watch(&self, stream: &stream_table::Model) -> Result<tokio::sync::watch::Receiver<i64>, StreamError> {
        Ok(self.engine.table_by_id(stream.id).await?.latest.subscribe())
    }

    /// The schema appends to `stream` are admitted against now (widened by acknowledged
    /// appends not yet committed); `None` before its first batch.
    pub async fn schema(
        &self,
        stream: &stream_table::Model,
    ) -> Result<Option<arrow::datatypes::SchemaRef>, StreamError> {
        append::admitted_schema(&self.engine.catalog.stream_table_by_id(stream.id).await?)
    }

    /// Merges `stream`'s small files now (the committer does it on its own after commits).
    pub async fn compact(&self, stream: &stream_table::Model) -> Result<bool, StreamError> {
        let table = self.engine.table_by_id(stream.id).await?;
        commit::compact(&self.engine, &table, 2).await
    }
}

/// How many commits [`Streams::flush`] tries (or 100 ms waits for another process's).
const FLUSH_TRIES: usize = 600;

impl Engine {
    /// The table's state in this process, made on first use.
    async fn table_by_id(&self, id: uuid::Uuid) -> Result<Arc<Table>, StreamError> {
        let mut tables = self.tables.lock().await;
        if let Some(table) = tables.get(&id) {
            return Ok(table.clone());
        }
        let stream = self.catalog.stream_table_by_id(id).await?;
        let table = Arc::new(Table {
            id,
            committing: tokio::sync::Mutex::new(()),
            latest: tokio::sync::watch::channel(stream.latest_snapshot).0,
        });
        tables.insert(id, table.clone());
        Ok(table)
    }

    /// Counts rows appended here; wakes the committer once a commit's worth waits.
    fn appended(&self, rows: usize) {
        let total = self.appended_rows.fetch_add(rows, Ordering::Relaxed) + rows;
        if total >= self.policy.rows {
            self.appended_rows.store(0, Ordering::Relaxed);
            self.wake.notify_one();
        }
    }

    /// Brings the latest snapshots of the tables someone here follows up to the catalog's
    /// (commits of other processes).
    async fn refresh_latest(&self) {
        let watched: Vec<Arc<Table>> =
            self.tables.lock().await.values().filter(|t| t.latest.receiver_count() > 0).cloned().collect();
        for table in watched {
            match self.catalog.stream_table_by_id(table.id).await {
                Ok(stream) if stream.latest_snapshot > *table.latest.borrow() => {
                    table.latest.send_replace(stream.latest_snapshot);
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(stream = %table.id, error = %e, "could not read a stream's latest snapshot"),
            }
        }
    }
}

/// This machine's name, for telling committers apart in the catalog.
fn hostname() -> String {
    std::fs::read_to_string("/etc/hostname").map(|h| h.trim().to_owned()).unwrap_or_else(|_| "kura".into())
}

#[cfg(test)]
mod tests;
