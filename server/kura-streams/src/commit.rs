//! The committer: the appends waiting in the catalog become one Parquet file and one snapshot
//! (a catalog transaction that also removes them from the waiting list). Every process with
//! stream tables open runs a committer; per stream, the one holding the commit lease commits,
//! and another takes over once a stopped process's lease has passed. Compaction merges the
//! newest small files into one, leaving rows and snapshots as they were.

use std::sync::{Arc, Weak};
use std::time::Duration;

use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;
use futures::TryStreamExt;
use kura_catalog::entity::stream_pending;
use kura_catalog::streams::{NewStreamBatch, NewStreamFile, StreamCommit};
use kura_storage::parquet_io::{RowsRequest, read_rows, writer_properties};
use parquet::arrow::ArrowWriter;

use crate::append::{admitted_schema, ipc_batches};
use crate::table::Table;
use crate::{Engine, StreamError, schema};

/// A file with fewer rows is small: compaction merges runs of them.
pub const SMALL_FILE_ROWS: i64 = 1 << 20;

/// How often a process looks for commits other processes made (followers see them then).
const WATCH_EVERY: Duration = Duration::from_millis(200);

/// Runs the node's committer until the engine is dropped: every `interval_ms`, or at once when
/// enough rows were appended here, it commits what waits for each stream whose lease it holds
/// or can take, then compacts; and it keeps the loaded tables' latest snapshots current.
pub(crate) fn spawn_committer(engine: Weak<Engine>) {
    let watcher = engine.clone();
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(WATCH_EVERY).await;
            let Some(engine) = watcher.upgrade() else { return };
            engine.refresh_latest().await;
        }
    });
    tokio::spawn(async move {
        loop {
            let Some(interval) = engine.upgrade().map(|e| e.policy.interval_ms) else { return };
            let wake = engine.upgrade().map(|e| e.wake.clone());
            if let Some(wake) = wake {
                tokio::select! {
                    _ = wake.notified() => {}
                    _ = tokio::time::sleep(Duration::from_millis(interval)) => {}
                }
            }
            let Some(engine) = engine.upgrade() else { return };
            engine.commit_all().await;
        }
    });
}

impl Engine {
    /// Commits (and then compacts) every stream with appends waiting whose lease this process
    /// holds or can take.
    async fn commit_all(self: &Arc<Self>) {
        let waiting = match self.catalog.streams_with_waiting_batches().await {
            Ok(ids) => ids,
            Err(e) => {
                tracing::warn!(error = %e, "could not list the streams with appends waiting");
                return;
            }
        };
        for id in waiting {
            let table = match self.table_by_id(id).await {
                Ok(table) => table,
                Err(e) => {
                    tracing::warn!(stream = %id, error = %e, "could not load a stream table");
                    continue;
                }
            };
            loop {
                match commit(self, &table).await {
                    Ok(Committed::Snapshot { more: true, .. }) => continue,
                    Ok(Committed::Snapshot { .. }) => {
                        if let Err(e) = compact(self, &table, self.policy.compact_files).await {
                            tracing::warn!(stream = %id, error = %e, "stream compaction failed");
                        }
                    }
                    Ok(_) => {}
                    Err(e) => {
                        tracing::error!(stream = %id, error = %e, "stream commit failed; the appends wait in the catalog")
                    }
                }
                break;
            }
        }
    }
}

/// What a commit did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Committed {
    /// A new snapshot; `more` when further appends wait beyond what one commit takes.
    Snapshot { snapshot: i64, more: bool },
    /// Nothing waited.
    Nothing,
    /// Another process holds the stream's commit lease.
    Elsewhere,
}

/// Commits what waits (at most `policy.rows` rows' worth of batches), if this process holds or
/// can take the stream's commit lease.
pub(crate) async fn commit(engine: &Engine, table: &Table) -> Result<Committed, StreamError> {
    let _one = table.committing.lock().await;
    // Renewed at each commit; a stopped process's streams wait at most this long for another.
    let lease = Duration::from_millis(engine.policy.interval_ms.saturating_mul(3).clamp(5_000, 30_000));
    if !engine.catalog.claim_stream_commits(table.id, &engine.committer, lease).await? {
        return Ok(Committed::Elsewhere);
    }
    let stream = engine.catalog.stream_table_by_id(table.id).await?;
    let Some(schema) = admitted_schema(&stream)? else { return Ok(Committed::Nothing) };
    let rows = i64::try_from(engine.policy.rows).unwrap_or(i64::MAX);
    let (waiting, more) = engine.catalog.waiting_stream_batches(table.id, rows).await?;
    if waiting.is_empty() {
        return Ok(Committed::Nothing);
    }
    let snapshot = write(engine, &stream, &waiting, &schema).await?;
    table.latest.send_replace(snapshot);
    Ok(Committed::Snapshot { snapshot, more })
}

async fn write(
    engine: &Engine,
    stream: &kura_catalog::entity::stream_table::Model,
    waiting: &[stream_pending::Model],
    schema: &SchemaRef,
) -> Result<i64, StreamError> {
    let after = stream.latest_snapshot;
    let snapshot = after + 1;
    let file_schema = schema::file_schema(schema);
    let mut batches = Vec::new();
    for pending in waiting {
        let bytes: Vec<bytes::Bytes> = engine.store.get_stream(&pending.sha256).await?.try_collect().await?;
        for batch in ipc_batches(&bytes.concat())? {
            // Admitted against a narrower or equal schema: conforming adds the later columns.
            let (_, conformed) = schema::admit(Some(schema), &batch)?;
            batches.push(schema::stamp(&schema::project(&conformed, schema)?, &file_schema, snapshot)?);
        }
    }
    let rows: usize = batches.iter().map(|b| b.num_rows()).sum();
    let file = put_parquet(engine, file_schema, batches, rows as i64, (snapshot, snapshot)).await?;
    let committed = waiting
        .iter()
        .map(|p| NewStreamBatch {
            writer_id: p.writer_id.clone(),
            sequence: p.sequence,
            row_count: p.row_count,
            provenance: p.provenance.clone(),
            appended_by: p.appended_by.clone(),
            surface: p.surface.clone(),
            received_at: p.received_at,
        })
        .collect();
    let commit = StreamCommit {
        stream_id: stream.id,
        after,
        arrow_schema: schema::encode(schema)?,
        file,
        batches: committed,
        pending: waiting.iter().map(|p| p.id).collect(),
    };
    Ok(engine.catalog.commit_stream(commit).await?)
}

/// Writes batches as one Parquet object; its catalog description.
async fn put_parquet(
    engine: &Engine,
    file_schema: SchemaRef,
    batches: Vec<RecordBatch>,
    row_count: i64,
    (min_snapshot, max_snapshot): (i64, i64),
) -> Result<NewStreamFile, StreamError> {
    let bytes = tokio::task::spawn_blocking(move || -> Result<Vec<u8>, StreamError> {
        let mut writer = ArrowWriter::try_new(Vec::new(), file_schema, Some(writer_properties()))?;
        for batch in &batches {
            writer.write(batch)?;
        }
        Ok(writer.into_inner()?)
    })
    .await??;
    let object = engine.store.put_bytes(bytes.into()).await?;
    Ok(NewStreamFile { sha256: object.sha256, size: object.size as i64, row_count, min_snapshot, max_snapshot })
}

/// Merges the newest run of small files when it has at least `min_files`; whether it did.
pub(crate) async fn compact(engine: &Engine, table: &Table, min_files: usize) -> Result<bool, StreamError> {
    let _one = table.committing.lock().await;
    let files = engine.catalog.stream_files(table.id).await?;
    // Only a run at the end: merged files keep covering disjoint, ordered snapshot ranges.
    let first_small = files.iter().rposition(|f| f.row_count >= SMALL_FILE_ROWS).map_or(0, |i| i + 1);
    let run = &files[first_small..];
    if run.len() < min_files.max(2) {
        return Ok(false);
    }
    let stream = engine.catalog.stream_table_by_id(table.id).await?;
    let Some(schema) = stream.arrow_schema.as_deref().map(schema::decode).transpose()? else { return Ok(false) };
    let file_schema = schema::file_schema(&schema);
    let mut batches = Vec::new();
    for file in run {
        let (_, stream) = read_rows(&engine.store, &file.sha256, file.size as u64, &RowsRequest::default()).await?;
        let read: Vec<RecordBatch> = stream.try_collect().await?;
        for batch in read {
            batches.push(schema::project(&batch, &file_schema)?);
        }
    }
    let rows = run.iter().map(|f| f.row_count).sum();
    let range = (run[0].min_snapshot, run[run.len() - 1].max_snapshot);
    let merged = put_parquet(engine, file_schema, batches, rows, range).await?;
    let replaced: Vec<uuid::Uuid> = run.iter().map(|f| f.id).collect();
    engine.catalog.replace_stream_files(table.id, &replaced, &merged).await?;
    tracing::info!(stream = %table.id, files = replaced.len(), rows, "compacted a stream table's files");
    Ok(true)
}
