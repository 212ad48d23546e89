//! Taking an append: the batch is checked against the table's schema, stored durably as an
//! Arrow IPC object, and recorded as waiting in the catalog (its key checked, the backlog
//! bounded, the admitted schema widened, in one transaction). Only then is it acknowledged; any
//! process may commit it from there. The two halves are apart ([`Staged`]) so that a writer's
//! object writes may overlap while its batches are admitted in order.

use arrow::ipc::writer::StreamWriter;
use arrow::record_batch::RecordBatch;
use kura_catalog::entity::stream_table;
use kura_catalog::stream_appends::{Admission, NewPending};

use crate::{Append, Appended, Engine, StreamError, schema};

/// A batch stored durably and not yet recorded as waiting: [`admit`] records it. Staging is the
/// slow half (the object write and its sync), so a writer may stage several batches at once and
/// admit them in its own order.
pub struct Staged {
    pending: NewPending,
    batch: RecordBatch,
}

pub(crate) async fn append(
    engine: &Engine,
    stream: &stream_table::Model,
    append: Append,
) -> Result<Appended, StreamError> {
    admit(engine, stage(engine, stream, append).await?).await
}

/// Checks the batch against the table's schema and stores it durably.
pub(crate) async fn stage(
    engine: &Engine,
    stream: &stream_table::Model,
    append: Append,
) -> Result<Staged, StreamError> {
    // Refused before anything is written when it cannot fit, against the caller's view of the
    // table: schemas only widen, so what an older view refuses the current one refuses too (the
    // current one decides when the batch is recorded).
    schema::admit(admitted_schema(stream)?.as_ref(), &append.batch)?;
    let object = engine.store.put_bytes_durably(ipc_bytes(&append.batch)?.into()).await?;
    let pending = NewPending {
        stream_id: stream.id,
        writer_id: append.key.writer_id,
        sequence: append.key.sequence,
        sha256: object.sha256,
        size: object.size as i64,
        row_count: append.batch.num_rows() as i64,
        provenance: serde_json::to_value(&append.provenance).map_err(|e| StreamError::Invalid(e.to_string()))?,
        appended_by: append.appended_by,
        surface: append.surface,
        received_at: chrono::Utc::now(),
    };
    Ok(Staged { pending, batch: append.batch })
}

/// Records a staged batch as waiting (its key checked, the backlog bounded, the admitted schema
/// widened, in one transaction): from here it is acknowledged, and any process may commit it.
pub(crate) async fn admit(engine: &Engine, staged: Staged) -> Result<Appended, StreamError> {
    let Staged { pending, batch } = staged;
    let rows = batch.num_rows();
    let backlog = i64::try_from(engine.policy.backlog_bytes).unwrap_or(i64::MAX);
    let admission = engine
        .catalog
        .admit_stream_batch(pending, backlog, |current| -> Result<String, StreamError> {
            let current = current.map(schema::decode).transpose()?;
            let (widened, _) = schema::admit(current.as_ref(), &batch)?;
            schema::encode(&widened)
        })
        .await?;
    match admission {
        Admission::Admitted => {
            engine.appended(rows);
            Ok(Appended { rows, duplicate: false })
        }
        Admission::Duplicate => Ok(Appended { rows, duplicate: true }),
        Admission::Behind => Err(StreamError::Behind),
    }
}

/// The schema appends are admitted against now; `None` before the first batch.
pub(crate) fn admitted_schema(
    stream: &stream_table::Model,
) -> Result<Option<arrow::datatypes::SchemaRef>, StreamError> {
    stream.pending_schema.as_deref().or(stream.arrow_schema.as_deref()).map(schema::decode).transpose()
}

pub(crate) fn ipc_bytes(batch: &RecordBatch) -> Result<Vec<u8>, StreamError> {
    let mut bytes = Vec::with_capacity(batch.get_array_memory_size() + 1024);
    let mut writer = StreamWriter::try_new(&mut bytes, &batch.schema())?;
    writer.write(batch)?;
    writer.finish()?;
    drop(writer);
    Ok(bytes)
}

/// The batches of an object [`ipc_bytes`] wrote.
pub(crate) fn ipc_batches(bytes: &[u8]) -> Result<Vec<RecordBatch>, StreamError> {
    let reader = arrow::ipc::reader::StreamReader::try_new(std::io::Cursor::new(bytes), None)?;
    Ok(reader.collect::<Result<Vec<_>, _>>()?)
}
