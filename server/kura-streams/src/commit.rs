//! The committer: buffered appends become one Parquet file and one snapshot (a catalog
//! transaction); then the log segments that held them are deleted. Compaction merges the
//! newest small files into one, leaving rows and snapshots as they were.

use std::sync::{Arc, Weak};
use std::time::Duration;

use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;
use futures::TryStreamExt;
use kura_catalog::streams::{NewStreamBatch, NewStreamFile, StreamCommit};
use kura_storage::parquet_io::{RowsRequest, read_rows, writer_properties};
use parquet::arrow::ArrowWriter;

use crate::log::Segment;
use crate::table::{Pending, Table};
use crate::{AppendKey, Engine, StreamError, schema};

/// A file with fewer rows is small: compaction merges runs of them.
pub const SMALL_FILE_ROWS: i64 = 1 << 20;

/// Runs a table's committer until the engine is dropped: it commits what waits every
/// `interval_ms`, or at once when woken, then compacts.
pub(crate) fn spawn_committer(engine: Weak<Engine>, table: Arc<Table>) {
    tokio::spawn(async move {
        loop {
            let Some(interval) = engine.upgrade().map(|e| e.policy.interval_ms) else { return };
            tokio::select! {
                _ = table.wake.notified() => {}
                _ = tokio::time::sleep(Duration::from_millis(interval)) => {}
            }
            let Some(engine) = engine.upgrade() else { return };
            if let Err(e) = commit(&engine, &table).await {
                tracing::error!(stream = %table.id, error = %e, "stream commit failed; the appends wait in the log");
            } else if let Err(e) = compact(&engine, &table, engine.policy.compact_files).await {
                tracing::warn!(stream = %table.id, error = %e, "stream compaction failed");
            }
        }
    });
}

/// Commits what waits; the new snapshot, or `None` when nothing waited.
pub(crate) async fn commit(engine: &Engine, table: &Table) -> Result<Option<i64>, StreamError> {
    let _one = table.committing.lock().await;
    let (pending, sealed, schema) = {
        let mut state = table.state.lock().await;
        if state.pending.is_empty() && state.sealed.is_empty() {
            return Ok(None);
        }
        let pending = std::mem::take(&mut state.pending);
        state.pending_rows = 0;
        if !pending.is_empty() {
            // New appends go to a fresh segment; the taken ones' segments go once committed.
            let (dir, number) = (engine.log_dir(table.id), state.next_segment);
            let fresh = Arc::new(tokio::task::spawn_blocking(move || Segment::create(&dir, number)).await??);
            state.next_segment += 1;
            let old = std::mem::replace(&mut state.segment, fresh);
            state.sealed.push(old.path.clone());
        }
        (pending, state.sealed.clone(), state.schema.clone())
    };
    let result = match (&schema, pending.is_empty()) {
        (Some(schema), false) => write(engine, table, &pending, schema).await.map(Some),
        _ => Ok(None),
    };
    let mut state = table.state.lock().await;
    match result {
        Ok(snapshot) => {
            for p in &pending {
                state.keys.remove(&AppendKey { writer_id: p.header.writer_id.clone(), sequence: p.header.sequence });
            }
            state.sealed.retain(|s| !sealed.contains(s));
            drop(state);
            for path in sealed {
                if let Err(e) = std::fs::remove_file(&path) {
                    tracing::warn!(segment = %path.display(), error = %e, "a committed log segment stays (replay skips it)");
                }
            }
            if let Some(snapshot) = snapshot {
                table.latest.send_replace(snapshot);
            }
            Ok(snapshot)
        }
        Err(e) => {
            // Nothing was committed: the appends wait again, ahead of newer ones.
            let rows: usize = pending.iter().map(|p| p.batch.num_rows()).sum();
            let newer = std::mem::replace(&mut state.pending, pending);
            state.pending.extend(newer);
            state.pending_rows += rows;
            Err(e)
        }
    }
}

async fn write(engine: &Engine, table: &Table, pending: &[Pending], schema: &SchemaRef) -> Result<i64, StreamError> {
    let after = engine.catalog.stream_table_by_id(table.id).await?.latest_snapshot;
    let snapshot = after + 1;
    let file_schema = schema::file_schema(schema);
    let batches = pending
        .iter()
        .map(|p| schema::stamp(&schema::project(&p.batch, schema)?, &file_schema, snapshot))
        .collect::<Result<Vec<_>, _>>()?;
    let rows: usize = batches.iter().map(|b| b.num_rows()).sum();
    let file = put_parquet(engine, file_schema, batches, rows as i64, (snapshot, snapshot)).await?;
    let batches = pending
        .iter()
        .map(|p| NewStreamBatch {
            writer_id: p.header.writer_id.clone(),
            sequence: p.header.sequence,
            row_count: p.batch.num_rows() as i64,
            provenance: p.header.provenance.clone(),
            appended_by: p.header.appended_by.clone(),
            surface: p.header.surface.clone(),
            received_at: p.header.received_at,
        })
        .collect();
    let commit = StreamCommit { stream_id: table.id, after, arrow_schema: schema::encode(schema)?, file, batches };
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
