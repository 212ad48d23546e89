//! The fallback for JSON whose records have no common shape (JSON-LD graphs, configuration
//! files, a field that is an object in one record and a string in the next): one text column per
//! top-level key, holding strings as they are and anything else as its JSON text. Nothing is
//! lost, and the file still becomes a table rather than an error.

use std::fs::File;
use std::io::BufReader;
use std::path::Path;
use std::sync::Arc;

use arrow::array::{ArrayRef, StringBuilder};
use arrow::datatypes::{DataType, Schema};
use arrow::record_batch::RecordBatch;
use serde_json::Value;

use super::records::Records;
use super::{BATCH, malformed};
use crate::{ColumnInfo, ReadError, TableSink, TableStart};

/// More distinct top-level keys than this is not a table.
const MAX_KEYS: usize = 4096;

/// Column for records that are not objects (a bare array element such as `3` or `"x"`).
const VALUE_KEY: &str = "value";

fn each_record(path: &Path, mut f: impl FnMut(Value) -> Result<(), ReadError>) -> Result<(), ReadError> {
    let mut records = Records::new(BufReader::new(File::open(path)?));
    let mut record = Vec::new();
    let mut n = 0u64;
    while records.next_record(&mut record)? {
        n += 1;
        let value = serde_json::from_slice(&record).map_err(|e| malformed(format!("record {n}: {e}")))?;
        f(value)?;
    }
    Ok(())
}

/// Reads `path` as text columns; returns the row count.
pub(super) fn read(path: &Path, sink: &mut dyn TableSink, progress: &mut dyn FnMut(u64)) -> Result<u64, ReadError> {
    let mut keys: Vec<String> = Vec::new();
    each_record(path, |value| {
        let names: Vec<String> = match &value {
            Value::Object(map) => map.keys().cloned().collect(),
            _ => vec![VALUE_KEY.to_string()],
        };
        for name in names {
            if !keys.contains(&name) {
                if keys.len() == MAX_KEYS {
                    return Err(malformed(format!("records have more than {MAX_KEYS} distinct keys")));
                }
                keys.push(name);
            }
        }
        Ok(())
    })?;
    if keys.is_empty() {
        return Err(ReadError::NoTable("no records with fields".into()));
    }
    let columns: Vec<ColumnInfo> = keys
        .iter()
        .map(|k| ColumnInfo { name: k.clone(), original_label: k.clone(), ..ColumnInfo::default() })
        .collect();
    let schema = Arc::new(Schema::new(columns.iter().map(|c| c.field(DataType::Utf8)).collect::<Vec<_>>()));
    sink.begin_table(TableStart { name: "data".into(), schema: schema.clone(), columns })?;
    let mut builders: Vec<StringBuilder> = keys.iter().map(|_| StringBuilder::new()).collect();
    let mut pending = 0usize;
    let mut rows = 0u64;
    let flush = |builders: &mut Vec<StringBuilder>, sink: &mut dyn TableSink| -> Result<(), ReadError> {
        let arrays: Vec<ArrayRef> = builders.iter_mut().map(|b| Arc::new(b.finish()) as ArrayRef).collect();
        sink.write_batch(&RecordBatch::try_new(schema.clone(), arrays)?)?;
        Ok(())
    };
    each_record(path, |value| {
        let object = match value {
            Value::Object(map) => map,
            other => std::iter::once((VALUE_KEY.to_string(), other)).collect(),
        };
        for (key, builder) in keys.iter().zip(builders.iter_mut()) {
            match object.get(key) {
                None | Some(Value::Null) => builder.append_null(),
                Some(Value::String(s)) => builder.append_value(s),
                Some(other) => builder.append_value(other.to_string()),
            }
        }
        pending += 1;
        rows += 1;
        if pending == BATCH {
            flush(&mut builders, sink)?;
            pending = 0;
        }
        Ok(())
    })?;
    if pending > 0 {
        flush(&mut builders, sink)?;
    }
    progress(std::fs::metadata(path).map(|m| m.len()).unwrap_or(0));
    Ok(rows)
}
