//! Loading a stream table: its committed schema and snapshot from the catalog, and the appends
//! its log still holds that the catalog has not committed (a crash between acknowledging and
//! committing). Records whose key the catalog already has were committed before the crash and
//! are skipped: each acknowledged batch is applied exactly once.

use std::collections::HashSet;
use std::sync::Arc;

use kura_catalog::entity::stream_table;
use tokio::sync::{Mutex, Notify, watch};

use crate::log::{self, Segment};
use crate::table::{Pending, State, Table};
use crate::{AppendKey, Engine, StreamError, schema};

pub(crate) async fn load(engine: &Engine, stream: &stream_table::Model) -> Result<Arc<Table>, StreamError> {
    // The caller's row may be stale: the catalog's is the state to replay onto.
    let stream = engine.catalog.stream_table_by_id(stream.id).await?;
    let dir = engine.log_dir(stream.id);
    let found = {
        let dir = dir.clone();
        tokio::task::spawn_blocking(move || -> Result<_, StreamError> {
            let mut found = Vec::new();
            for (number, path) in log::segments(&dir)? {
                let (records, valid) = log::read_segment(&path)?;
                if valid < std::fs::metadata(&path)?.len() {
                    tracing::warn!(segment = %path.display(), valid, "cutting a torn record off a stream log");
                    log::truncate(&path, valid)?;
                }
                found.push((number, path, records));
            }
            Ok(found)
        })
        .await??
    };
    let mut schema = stream.arrow_schema.as_deref().map(schema::decode).transpose()?;
    let (mut pending, mut keys, mut sealed, mut rows, mut next_segment) =
        (Vec::new(), HashSet::new(), Vec::new(), 0, 1);
    for (number, path, records) in found {
        for record in records {
            let key = AppendKey { writer_id: record.header.writer_id.clone(), sequence: record.header.sequence };
            if keys.contains(&key)
                || engine.catalog.stream_batch_committed(stream.id, &key.writer_id, key.sequence).await?
            {
                continue;
            }
            // It was admitted before it was logged; admitting it again only widens alike.
            let (widened, batch) = schema::admit(schema.as_ref(), &record.batch)?;
            schema = Some(widened);
            rows += batch.num_rows();
            keys.insert(key);
            pending.push(Pending { header: record.header, batch });
        }
        sealed.push(path);
        next_segment = number + 1;
    }
    if !pending.is_empty() {
        tracing::info!(stream = %stream.id, batches = pending.len(), rows, "replayed acknowledged appends from the log");
    }
    let segment = {
        let dir = dir.clone();
        Arc::new(tokio::task::spawn_blocking(move || Segment::create(&dir, next_segment)).await??)
    };
    let leftover = !pending.is_empty() || !sealed.is_empty();
    let state = State { schema, pending, pending_rows: rows, keys, segment, next_segment: next_segment + 1, sealed };
    let table = Arc::new(Table {
        id: stream.id,
        state: Mutex::new(state),
        committing: Mutex::new(()),
        latest: watch::channel(stream.latest_snapshot).0,
        wake: Notify::new(),
    });
    if leftover {
        table.wake.notify_one();
    }
    Ok(table)
}
