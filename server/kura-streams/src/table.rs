//! A stream table's live state: its schema (as widened by acknowledged appends), the appends
//! that wait for a commit, their idempotency keys, and the log segment appends go to.

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Arc;

use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;
use tokio::sync::{Mutex, Notify, watch};
use uuid::Uuid;

use crate::log::{self, RecordHeader, Segment};
use crate::{Append, AppendKey, Appended, Engine, StreamError, schema};

/// How many commits' worth of rows may wait before appends are refused.
const BACKLOG_COMMITS: usize = 20;

/// An acknowledged append waiting for its commit.
#[derive(Debug, Clone)]
pub(crate) struct Pending {
    pub header: RecordHeader,
    /// Conformed to the table's schema when it was appended (a later widening adds nulls).
    pub batch: RecordBatch,
}

#[derive(Debug)]
pub(crate) struct State {
    /// `None` until the first batch.
    pub schema: Option<SchemaRef>,
    pub pending: Vec<Pending>,
    pub pending_rows: usize,
    /// Keys in the log and not yet known committed: a commit removes its own once in the catalog.
    pub keys: HashSet<AppendKey>,
    pub segment: Arc<Segment>,
    pub next_segment: u64,
    /// Segments whose records a commit took (or replay found), deleted once committed.
    pub sealed: Vec<PathBuf>,
}

#[derive(Debug)]
pub(crate) struct Table {
    pub id: Uuid,
    pub state: Mutex<State>,
    /// One commit or compaction at a time.
    pub committing: Mutex<()>,
    /// The latest committed snapshot.
    pub latest: watch::Sender<i64>,
    /// Wakes the committer early (enough rows wait, or a replay left some).
    pub wake: Notify,
}

impl Table {
    pub(crate) async fn append(&self, engine: &Engine, append: Append) -> Result<Appended, StreamError> {
        let rows = append.batch.num_rows();
        let mut state = self.state.lock().await;
        if state.keys.contains(&append.key)
            || engine.catalog.stream_batch_committed(self.id, &append.key.writer_id, append.key.sequence).await?
        {
            return Ok(Appended { rows, duplicate: true });
        }
        // Acknowledged rows are held in memory until committed: bounded, so that failing commits
        // push back on writers instead of filling memory.
        if state.pending_rows >= engine.policy.rows.saturating_mul(BACKLOG_COMMITS) {
            return Err(StreamError::Behind);
        }
        let (widened, batch) = schema::admit(state.schema.as_ref(), &append.batch)?;
        let header = RecordHeader {
            writer_id: append.key.writer_id.clone(),
            sequence: append.key.sequence,
            provenance: serde_json::to_value(&append.provenance).map_err(|e| StreamError::Invalid(e.to_string()))?,
            appended_by: append.appended_by,
            surface: append.surface,
            received_at: chrono::Utc::now(),
        };
        let record = log::encode(&header, &batch)?;
        // The write and its sync block; the state stays locked so records keep their order.
        let segment = state.segment.clone();
        tokio::task::spawn_blocking(move || segment.append_durably(&record)).await??;
        state.schema = Some(widened);
        state.keys.insert(append.key);
        state.pending.push(Pending { header, batch });
        state.pending_rows += rows;
        if state.pending_rows >= engine.policy.rows {
            self.wake.notify_one();
        }
        Ok(Appended { rows, duplicate: false })
    }
}
