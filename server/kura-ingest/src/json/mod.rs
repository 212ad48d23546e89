//! JSON and NDJSON: records flattened into one table; nested objects become Arrow structs and
//! arrays become lists. Types are inferred from the first records and re-inferred over the whole
//! file when a later record disagrees.

mod loose;
mod records;

use std::fs::File;
use std::io::BufReader;
use std::path::Path;
use std::sync::Arc;

use arrow::datatypes::{DataType, Schema, SchemaRef};
use arrow::json::reader::{ReaderBuilder, infer_json_schema_from_iterator};
use serde_json::{Map, Value, json};

use crate::reader::META_ORIGINAL_LABEL;
use crate::{ColumnInfo, FormatReader, ReadError, ReadReport, TableSink, TableStart};
use records::Records;

/// Records used to infer the first schema.
const SAMPLE: usize = 1000;
/// Rows per batch.
const BATCH: usize = 8192;

/// Reader for JSON arrays of objects, NDJSON and concatenated objects.
#[derive(Debug, Clone, Copy, Default)]
pub struct JsonReader;

/// Whether the head of a file looks like JSON records (not a notebook: that is its own format).
pub fn sniff(head: &[u8]) -> bool {
    let first = head.iter().find(|b| !b.is_ascii_whitespace());
    matches!(first, Some(b'{') | Some(b'['))
        && !head.windows(10).any(|w| w == b"\"nbformat\"")
        && std::str::from_utf8(&head[..head.len().min(4096)]).is_ok_and(|s| s.contains(':') || s.trim() == "[]")
}

fn malformed(message: impl Into<String>) -> ReadError {
    ReadError::Malformed { format: "json", message: message.into() }
}

/// Infers a schema from the first `limit` records (all when `None`), streaming: arrow-json
/// coerces disagreeing types (integer and text → text) across every value it is given.
fn infer(path: &Path, limit: Option<usize>) -> Result<Schema, ReadError> {
    let mut records = Records::new(BufReader::new(File::open(path)?));
    let mut record = Vec::new();
    let mut seen = 0usize;
    let mut failure: Option<ReadError> = None;
    let values = std::iter::from_fn(|| {
        if limit.is_some_and(|l| seen >= l) || failure.is_some() {
            return None;
        }
        match records.next_record(&mut record) {
            Ok(false) => None,
            Ok(true) => {
                seen += 1;
                match serde_json::from_slice::<Value>(&record) {
                    Ok(value) => Some(Ok(value)),
                    Err(e) => {
                        failure = Some(malformed(format!("record {seen}: {e}")));
                        None
                    }
                }
            }
            Err(e) => {
                failure = Some(e);
                None
            }
        }
    });
    let schema = infer_json_schema_from_iterator(values);
    if let Some(e) = failure {
        return Err(e);
    }
    Ok(schema?)
}

/// Streams every record through arrow-json's decoder into the sink.
fn decode_all(
    path: &Path,
    schema: SchemaRef,
    sink: &mut dyn TableSink,
    progress: &mut dyn FnMut(u64),
) -> Result<u64, ReadError> {
    // Coercion lets a column widened to text take the numbers and booleans it also holds.
    let mut decoder = ReaderBuilder::new(schema).with_batch_size(BATCH).with_coerce_primitive(true).build_decoder()?;
    let mut records = Records::new(BufReader::new(File::open(path)?));
    let mut record = Vec::new();
    let mut rows = 0u64;
    while records.next_record(&mut record)? {
        record.push(b'\n');
        let mut offset = 0;
        while offset < record.len() {
            offset += decoder.decode(&record[offset..])?;
            if offset < record.len()
                && let Some(batch) = decoder.flush()?
            {
                rows += batch.num_rows() as u64;
                sink.write_batch(&batch)?;
                progress(records.consumed);
            }
        }
    }
    if let Some(batch) = decoder.flush()? {
        rows += batch.num_rows() as u64;
        sink.write_batch(&batch)?;
    }
    progress(records.consumed);
    Ok(rows)
}

fn table_start(schema: &Schema) -> TableStart {
    let fields: Vec<_> = schema
        .fields()
        .iter()
        .map(|f| {
            let mut metadata = f.metadata().clone();
            metadata.insert(META_ORIGINAL_LABEL.into(), f.name().clone());
            Arc::new(f.as_ref().clone().with_metadata(metadata))
        })
        .collect();
    let columns = schema
        .fields()
        .iter()
        .map(|f| ColumnInfo { name: f.name().clone(), original_label: f.name().clone(), ..ColumnInfo::default() })
        .collect();
    TableStart { name: "data".into(), schema: Arc::new(Schema::new(fields)), columns }
}

/// Reads with types inferred from a sample, then from the whole file if a later record
/// disagrees. Arrow errors mean the records have no common typed shape.
fn typed(
    path: &Path,
    sink: &mut dyn TableSink,
    progress: &mut dyn FnMut(u64),
    warnings: &mut Vec<String>,
) -> Result<u64, ReadError> {
    let sampled = infer(path, Some(SAMPLE))?;
    if sampled.fields().is_empty() {
        return Err(ReadError::NoTable("no records with fields".into()));
    }
    if let Some(field) = empty_struct_field(&sampled) {
        return empty_structs_as_text(path, sink, progress, warnings, &field);
    }
    let start = table_start(&sampled);
    sink.begin_table(start.clone())?;
    match decode_all(path, start.schema.clone(), sink, progress) {
        Ok(rows) => Ok(rows),
        Err(ReadError::Arrow(first)) => {
            // A later record disagrees with the sample: infer over every record and start over.
            sink.discard_table();
            let full = infer(path, None)?;
            if let Some(field) = empty_struct_field(&full) {
                return empty_structs_as_text(path, sink, progress, warnings, &field);
            }
            let start = table_start(&full);
            sink.begin_table(start.clone())?;
            warnings.push(format!("types re-inferred over the whole file after: {first}"));
            decode_all(path, start.schema.clone(), sink, progress)
        }
        Err(e) => Err(e),
    }
}

/// The first top-level field whose type holds an object that never has a key (`{}`, `[{}]`):
/// Parquet cannot store an empty struct.
fn empty_struct_field(schema: &Schema) -> Option<String> {
    fn empty(t: &DataType) -> bool {
        match t {
            DataType::Struct(fields) => fields.is_empty() || fields.iter().any(|f| empty(f.data_type())),
            DataType::List(f) | DataType::LargeList(f) | DataType::FixedSizeList(f, _) | DataType::Map(f, _) => {
                empty(f.data_type())
            }
            _ => false,
        }
    }
    schema.fields().iter().find(|f| empty(f.data_type())).map(|f| f.name().clone())
}

/// Reads records whose inferred type holds an empty object as JSON text columns (the loose
/// reading), so the file is written rather than refused.
fn empty_structs_as_text(
    path: &Path,
    sink: &mut dyn TableSink,
    progress: &mut dyn FnMut(u64),
    warnings: &mut Vec<String>,
    field: &str,
) -> Result<u64, ReadError> {
    warnings.push(format!(
        "field {field:?} only ever holds empty objects, which Parquet cannot store as a struct; \
         fields are kept as JSON text"
    ));
    loose::read(path, sink, progress)
}

impl FormatReader for JsonReader {
    fn name(&self) -> &'static str {
        "json"
    }

    fn read(
        &self,
        path: &Path,
        sink: &mut dyn TableSink,
        progress: &mut dyn FnMut(u64),
    ) -> Result<ReadReport, ReadError> {
        if std::fs::metadata(path)?.len() == 0 {
            return Err(ReadError::Empty);
        }
        let mut warnings = Vec::new();
        let rows = match typed(path, sink, progress, &mut warnings) {
            Ok(rows) => rows,
            // Records with no common shape: every top-level key becomes a text column.
            Err(ReadError::Arrow(e)) => {
                sink.discard_table();
                warnings.push(format!("records have no common shape ({e}); fields are kept as JSON text"));
                loose::read(path, sink, progress)?
            }
            Err(e) => return Err(e),
        };
        sink.finish_table()?;
        let mut parameters = Map::new();
        parameters.insert("rows".into(), json!(rows));
        Ok(ReadReport { reader: "json", reader_version: "1", parameters, warnings, ..ReadReport::default() })
    }
}

#[cfg(test)]
mod tests;
