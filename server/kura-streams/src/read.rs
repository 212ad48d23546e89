//! Reading a stream table: the rows of one snapshot (every row committed up to it), or only
//! those committed after `since` — with the schema as of the snapshot read, whatever columns
//! were added later. Files are chosen by their snapshot range and rows by their snapshot column.

use std::sync::Arc;

use arrow::array::{AsArray, BooleanArray};
use arrow::compute::filter_record_batch;
use arrow::datatypes::{Int64Type, Schema, SchemaRef};
use arrow::record_batch::RecordBatch;
use futures::stream::{self, BoxStream};
use futures::{StreamExt, TryStreamExt};
use kura_catalog::entity::stream_table;
use kura_storage::parquet_io::{RowsRequest, read_rows};

use crate::schema::{self, SNAPSHOT_COLUMN};
use crate::{Engine, StreamError};

/// Which rows to read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReadRequest {
    /// The snapshot to read; the latest when `None`.
    pub snapshot: Option<i64>,
    /// Only rows committed after this snapshot; all when `None`.
    pub since: Option<i64>,
}

/// Rows of a stream table at a snapshot.
pub struct StreamRows {
    /// The snapshot read (0: the table has no commit yet).
    pub snapshot: i64,
    pub schema: SchemaRef,
    pub batches: BoxStream<'static, Result<RecordBatch, StreamError>>,
}

impl std::fmt::Debug for StreamRows {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamRows").field("snapshot", &self.snapshot).finish_non_exhaustive()
    }
}

pub(crate) async fn read(
    engine: &Engine,
    stream: &stream_table::Model,
    request: ReadRequest,
) -> Result<StreamRows, StreamError> {
    let latest = engine.catalog.stream_table_by_id(stream.id).await?.latest_snapshot;
    let at = request.snapshot.unwrap_or(latest);
    if at < 0 || at > latest {
        return Err(StreamError::NotFound(format!("snapshot {at} (the latest is {latest})")));
    }
    let since = request.since.unwrap_or(0);
    if since < 0 {
        return Err(StreamError::Invalid("since is a snapshot number, 0 or more".into()));
    }
    if at == 0 {
        return Ok(StreamRows { snapshot: 0, schema: Arc::new(Schema::empty()), batches: stream::empty().boxed() });
    }
    let schema = schema::decode(&engine.catalog.stream_snapshot(stream.id, at).await?.arrow_schema)?;
    let files: Vec<_> = engine
        .catalog
        .stream_files(stream.id)
        .await?
        .into_iter()
        .filter(|f| f.min_snapshot <= at && f.max_snapshot > since)
        .collect();
    let store = engine.store.clone();
    let out = schema.clone();
    let batches = stream::iter(files)
        .then(move |file| {
            let store = store.clone();
            async move {
                let (_, batches) = read_rows(&store, &file.sha256, file.size as u64, &RowsRequest::default()).await?;
                Ok::<_, StreamError>(batches.map_err(StreamError::from))
            }
        })
        .try_flatten()
        .and_then(move |batch| {
            let out = out.clone();
            async move { window(&batch, since, at, &out) }
        })
        .try_filter(|batch| futures::future::ready(batch.num_rows() > 0))
        .boxed();
    Ok(StreamRows { snapshot: at, schema, batches })
}

/// The rows of `batch` committed in `(since, at]`, with the columns of `schema`.
fn window(batch: &RecordBatch, since: i64, at: i64, schema: &SchemaRef) -> Result<RecordBatch, StreamError> {
    let snapshots = batch
        .column_by_name(SNAPSHOT_COLUMN)
        .ok_or_else(|| StreamError::Invalid("a stream file without its snapshot column".into()))?
        .as_primitive::<Int64Type>();
    let keep: BooleanArray = snapshots.values().iter().map(|s| Some(*s > since && *s <= at)).collect();
    schema::project(&filter_record_batch(batch, &keep)?, schema)
}
