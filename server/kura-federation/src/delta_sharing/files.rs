//! The Parquet files sharing clients download: the stored object byte for byte when the caller
//! sees every column as Delta types can say it, else a Parquet rewritten from it without the
//! columns hidden from the caller and with the columns Delta has no type for cast (see
//! [`super::schema`]). The stored object holds every column, so it never goes to a caller from
//! whom one is hidden.
//!
//! Rewrites are deterministic (the same rows, writer and settings), so the size a query reports
//! is the size later downloaded; recent ones are kept in memory for the downloads that follow.

use std::collections::VecDeque;
use std::sync::Mutex;

use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;
use bytes::Bytes;
use futures::StreamExt;
use kura_service::readable::Readable;
use kura_service::{ServiceError, Services};
use kura_storage::parquet_io::{RowsRequest, read_rows, writer_properties};
use sha2::{Digest, Sha256};

use super::schema::shared_schema;

/// What a table is served as.
#[derive(Debug, Clone)]
pub struct Served {
    /// The `schemaString` of its `metaData`.
    pub schema_string: String,
    /// The served file.
    pub file: ServedFile,
}

/// The bytes sharing clients download for a table.
#[derive(Debug, Clone)]
pub enum ServedFile {
    /// The stored object itself.
    Stored { sha256: String, size: u64 },
    /// A rewrite, and its SHA-256.
    Rewritten { bytes: Bytes, sha256: String },
}

impl ServedFile {
    pub fn size(&self) -> u64 {
        match self {
            ServedFile::Stored { size, .. } => *size,
            ServedFile::Rewritten { bytes, .. } => bytes.len() as u64,
        }
    }

    /// An id for the file's content (the `id` of its `file` line).
    pub fn id(&self) -> &str {
        match self {
            ServedFile::Stored { sha256, .. } | ServedFile::Rewritten { sha256, .. } => sha256,
        }
    }
}

/// Recent rewrites, newest last, within a memory budget.
#[derive(Debug)]
pub struct Rewrites {
    entries: Mutex<VecDeque<(String, Bytes)>>,
    budget: usize,
}

impl Rewrites {
    pub fn new(budget: usize) -> Self {
        Rewrites { entries: Mutex::new(VecDeque::new()), budget }
    }

    fn get(&self, key: &str) -> Option<Bytes> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.iter().find(|(k, _)| k == key).map(|(_, b)| b.clone())
    }

    fn put(&self, key: String, bytes: Bytes) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.push_back((key, bytes));
        while entries.iter().map(|(_, b)| b.len()).sum::<usize>() > self.budget && entries.len() > 1 {
            entries.pop_front();
        }
    }
}

/// How `readable` is served to the caller it was decided for.
pub async fn served(svc: &Services, readable: &Readable, rewrites: &Rewrites) -> Result<Served, ServiceError> {
    let visible = readable.visible_columns();
    let footer = RowsRequest { columns: Some(visible.clone()), offset: 0, limit: Some(0) };
    let (stored_schema, _) = read_rows(&svc.store, &readable.sha256, readable.size, &footer).await?;
    let (schema_string, served_schema) = shared_schema(&stored_schema);
    let cast = stored_schema.fields().iter().zip(served_schema.fields()).any(|(a, b)| a.data_type() != b.data_type());
    if readable.hidden.is_empty() && !cast {
        let file = ServedFile::Stored { sha256: readable.sha256.clone(), size: readable.size };
        return Ok(Served { schema_string, file });
    }
    let key = format!("{}\0{}", readable.sha256, visible.join("\0"));
    let bytes = match rewrites.get(&key) {
        Some(bytes) => bytes,
        None => {
            let bytes = rewrite(svc, readable, visible, served_schema).await?;
            rewrites.put(key, bytes.clone());
            bytes
        }
    };
    let sha256 = hex(&Sha256::digest(&bytes));
    Ok(Served { schema_string, file: ServedFile::Rewritten { bytes, sha256 } })
}

/// The table's `visible` columns as Parquet, cast to `served` (its Delta-typed schema): batches
/// stream from the stored object into a Parquet writer on the blocking pool.
async fn rewrite(
    svc: &Services,
    readable: &Readable,
    visible: Vec<String>,
    served: SchemaRef,
) -> Result<Bytes, ServiceError> {
    let request = RowsRequest { columns: Some(visible), offset: 0, limit: None };
    let (_, mut batches) = read_rows(&svc.store, &readable.sha256, readable.size, &request).await?;
    let (tx, rx) = tokio::sync::mpsc::channel::<RecordBatch>(2);
    let writer = tokio::task::spawn_blocking(move || encode(rx, served));
    let mut failed = None;
    while let Some(batch) = batches.next().await {
        match batch {
            Ok(batch) => {
                if tx.send(batch).await.is_err() {
                    // The writer stopped: its own error says why.
                    break;
                }
            }
            Err(e) => {
                failed = Some(ServiceError::from(e));
                break;
            }
        }
    }
    drop(tx);
    let encoded = writer.await.map_err(|e| ServiceError::internal(format!("Parquet rewrite: {e}")))?;
    match failed {
        Some(e) => Err(e),
        None => encoded,
    }
}

/// Writes the batches `rx` receives as Parquet of schema `served`, casting each column.
fn encode(mut rx: tokio::sync::mpsc::Receiver<RecordBatch>, served: SchemaRef) -> Result<Bytes, ServiceError> {
    let failed = |e: &dyn std::fmt::Display| ServiceError::internal(format!("Parquet rewrite: {e}"));
    let mut out = Vec::new();
    let mut writer = parquet::arrow::ArrowWriter::try_new(&mut out, served.clone(), Some(writer_properties()))
        .map_err(|e| failed(&e))?;
    while let Some(batch) = rx.blocking_recv() {
        let columns = batch
            .columns()
            .iter()
            .zip(served.fields())
            .map(|(column, field)| arrow::compute::cast(column, field.data_type()))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| failed(&e))?;
        let batch = RecordBatch::try_new(served.clone(), columns).map_err(|e| failed(&e))?;
        writer.write(&batch).map_err(|e| failed(&e))?;
    }
    writer.close().map_err(|e| failed(&e))?;
    Ok(Bytes::from(out))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{Array, DurationSecondArray, Int64Array, UInt64Array};
    use arrow::datatypes::{DataType, Field, Schema, TimeUnit};
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

    use super::*;

    #[test]
    fn rewrites_cast_what_delta_cannot_type_and_agree_with_the_schema_string() {
        let stored = Arc::new(Schema::new(vec![
            Field::new("n", DataType::UInt64, true),
            Field::new("d", DataType::Duration(TimeUnit::Second), true),
            Field::new("i", DataType::Int64, false),
        ]));
        let batch = RecordBatch::try_new(
            stored.clone(),
            vec![
                Arc::new(UInt64Array::from(vec![Some(u64::MAX), None])),
                Arc::new(DurationSecondArray::from(vec![Some(90), Some(-1)])),
                Arc::new(Int64Array::from(vec![1, 2])),
            ],
        )
        .unwrap();
        let (text, served) = shared_schema(&stored);
        let (tx, rx) = tokio::sync::mpsc::channel(4);
        tx.blocking_send(batch).unwrap();
        drop(tx);
        let bytes = encode(rx, served).unwrap();
        let read = ParquetRecordBatchReaderBuilder::try_new(bytes).unwrap().build().unwrap().next().unwrap().unwrap();
        assert_eq!(read.schema().field(0).data_type(), &DataType::Decimal128(20, 0));
        assert_eq!(
            read.column(0).as_any().downcast_ref::<arrow::array::Decimal128Array>().unwrap().value(0),
            u64::MAX as i128
        );
        assert!(read.column(0).is_null(1));
        assert_eq!(read.schema().field(1).data_type(), &DataType::Utf8);
        assert_eq!(read.schema().field(2).data_type(), &DataType::Int64);
        let schema: serde_json::Value = serde_json::from_str(&text).unwrap();
        let types: Vec<&str> =
            schema["fields"].as_array().unwrap().iter().map(|f| f["type"].as_str().unwrap()).collect();
        assert_eq!(types, ["decimal(20,0)", "string", "long"]);
    }
}
