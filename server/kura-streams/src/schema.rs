//! A stream table's schema: fixed by its first batch, widened by new nullable columns, and
//! refused — naming the column — when a batch changes a column's type, brings a new column that
//! may not be null, or leaves out one that may not be null. Stored in the catalog as an Arrow
//! IPC schema message in base64.

use std::io::Cursor;
use std::sync::Arc;

use arrow::array::{ArrayRef, Int64Array, new_null_array};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use arrow::ipc::reader::StreamReader;
use arrow::ipc::writer::StreamWriter;
use arrow::record_batch::{RecordBatch, RecordBatchOptions};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;

use crate::StreamError;

/// The column each Parquet file of a stream carries beside the data: the snapshot that
/// committed the row. Reads filter on it (`snapshot`, `since`) and never return it.
pub const SNAPSHOT_COLUMN: &str = "_kura_snapshot";
/// Column names a writer may not use.
const RESERVED_PREFIX: &str = "_kura";

/// The schema after `batch` is appended to a table of schema `current` (`None`: no rows yet),
/// and the batch conformed to it (columns in table order, nulls for absent nullable ones).
pub fn admit(current: Option<&SchemaRef>, batch: &RecordBatch) -> Result<(SchemaRef, RecordBatch), StreamError> {
    let incoming = batch.schema();
    if let Some(f) = incoming.fields().iter().find(|f| f.name().starts_with(RESERVED_PREFIX)) {
        return Err(StreamError::Schema(format!(
            "column {:?}: names starting with {RESERVED_PREFIX} are Kura's",
            f.name()
        )));
    }
    if incoming.fields().is_empty() {
        return Err(StreamError::Schema("a batch needs at least one column".into()));
    }
    let Some(current) = current else {
        let schema = Arc::new(Schema::new(incoming.fields().clone()));
        let conformed = RecordBatch::try_new(schema.clone(), batch.columns().to_vec())?;
        return Ok((schema, conformed));
    };
    let mut fields: Vec<Field> = current.fields().iter().map(|f| f.as_ref().clone()).collect();
    for field in incoming.fields() {
        match current.field_with_name(field.name()) {
            Ok(known) if known.data_type() != field.data_type() => {
                return Err(StreamError::Schema(format!(
                    "column {:?} is {} in the stream table, not {}",
                    field.name(),
                    known.data_type(),
                    field.data_type()
                )));
            }
            Ok(_) => {}
            Err(_) if !field.is_nullable() => {
                return Err(StreamError::Schema(format!(
                    "column {:?} is new and not nullable: a stream table widens by nullable columns only",
                    field.name()
                )));
            }
            Err(_) => fields.push(Field::new(field.name(), field.data_type().clone(), true)),
        }
    }
    for field in current.fields() {
        let given = incoming.column_with_name(field.name());
        let nulls = given.map_or(batch.num_rows(), |(i, _)| batch.column(i).null_count());
        if !field.is_nullable() && nulls > 0 {
            let what = if given.is_some() { "has nulls" } else { "is missing" };
            return Err(StreamError::Schema(format!("column {:?} {what} but may not be null", field.name())));
        }
    }
    let schema = Arc::new(Schema::new(fields));
    let conformed = project(batch, &schema)?;
    Ok((schema, conformed))
}

/// `batch` with the columns of `schema`, by name: absent ones as nulls, others dropped.
pub fn project(batch: &RecordBatch, schema: &SchemaRef) -> Result<RecordBatch, StreamError> {
    let columns: Vec<ArrayRef> = schema
        .fields()
        .iter()
        .map(|f| match batch.column_by_name(f.name()) {
            Some(column) => column.clone(),
            None => new_null_array(f.data_type(), batch.num_rows()),
        })
        .collect();
    let options = RecordBatchOptions::new().with_row_count(Some(batch.num_rows()));
    Ok(RecordBatch::try_new_with_options(schema.clone(), columns, &options)?)
}

/// The schema of a stream's Parquet files: the table's columns and [`SNAPSHOT_COLUMN`].
pub fn file_schema(schema: &SchemaRef) -> SchemaRef {
    let mut fields: Vec<Field> = schema.fields().iter().map(|f| f.as_ref().clone()).collect();
    fields.push(Field::new(SNAPSHOT_COLUMN, DataType::Int64, false));
    Arc::new(Schema::new(fields))
}

/// `batch` (of the table's schema) stamped with the snapshot that commits it.
pub fn stamp(batch: &RecordBatch, file_schema: &SchemaRef, snapshot: i64) -> Result<RecordBatch, StreamError> {
    let mut columns = batch.columns().to_vec();
    columns.push(Arc::new(Int64Array::from(vec![snapshot; batch.num_rows()])));
    Ok(RecordBatch::try_new(file_schema.clone(), columns)?)
}

/// The catalog's text for a schema.
pub fn encode(schema: &Schema) -> Result<String, StreamError> {
    let mut buf = Vec::new();
    StreamWriter::try_new(&mut buf, schema)?.finish()?;
    Ok(B64.encode(buf))
}

/// A schema from the catalog's text.
pub fn decode(text: &str) -> Result<SchemaRef, StreamError> {
    let bytes = B64.decode(text).map_err(|e| StreamError::Invalid(format!("stored schema: {e}")))?;
    Ok(StreamReader::try_new(Cursor::new(bytes), None)?.schema())
}

#[cfg(test)]
mod tests {
    use arrow::array::{Float64Array, StringArray};

    use super::*;

    fn batch(fields: Vec<(&str, DataType, bool)>, rows: usize) -> RecordBatch {
        let schema = Arc::new(Schema::new(
            fields.iter().map(|(n, t, null)| Field::new(*n, t.clone(), *null)).collect::<Vec<_>>(),
        ));
        let columns = fields
            .iter()
            .map(|(_, t, _)| -> ArrayRef {
                match t {
                    DataType::Float64 => Arc::new(Float64Array::from(vec![1.5; rows])),
                    _ => Arc::new(StringArray::from(vec!["x"; rows])),
                }
            })
            .collect();
        RecordBatch::try_new(schema, columns).unwrap()
    }

    #[test]
    fn the_first_batch_fixes_the_schema_and_nullable_columns_widen_it() {
        let (schema, _) = admit(None, &batch(vec![("t", DataType::Float64, false)], 2)).unwrap();
        assert_eq!(schema.fields().len(), 1);
        let wider = batch(vec![("t", DataType::Float64, false), ("note", DataType::Utf8, true)], 3);
        let (schema, conformed) = admit(Some(&schema), &wider).unwrap();
        assert_eq!(schema.field(1).name(), "note");
        assert!(schema.field(1).is_nullable());
        assert_eq!(conformed.num_rows(), 3);
        // An older, narrower batch still fits: the new column is null in it.
        let (same, old) = admit(Some(&schema), &batch(vec![("t", DataType::Float64, false)], 2)).unwrap();
        assert_eq!(same, schema);
        assert_eq!(old.column(1).null_count(), 2);
    }

    #[test]
    fn refusals_name_the_column() {
        let (schema, _) = admit(None, &batch(vec![("t", DataType::Float64, false)], 1)).unwrap();
        let retyped = admit(Some(&schema), &batch(vec![("t", DataType::Utf8, false)], 1)).unwrap_err();
        assert!(retyped.to_string().contains("\"t\" is Float64"), "{retyped}");
        let new_required =
            admit(Some(&schema), &batch(vec![("t", DataType::Float64, false), ("n", DataType::Utf8, false)], 1))
                .unwrap_err();
        assert!(new_required.to_string().contains("\"n\" is new and not nullable"), "{new_required}");
        let missing = admit(Some(&schema), &batch(vec![("m", DataType::Utf8, true)], 1)).unwrap_err();
        assert!(missing.to_string().contains("\"t\" is missing"), "{missing}");
        let reserved = admit(None, &batch(vec![(SNAPSHOT_COLUMN, DataType::Utf8, true)], 1)).unwrap_err();
        assert!(reserved.to_string().contains("_kura"), "{reserved}");
    }

    #[test]
    fn schemas_round_trip_through_the_catalog_text() {
        let schema =
            Schema::new(vec![Field::new("a", DataType::Float64, true), Field::new("b", DataType::Utf8, false)]);
        assert_eq!(*decode(&encode(&schema).unwrap()).unwrap(), schema);
        assert!(decode("not base64!").is_err());
    }
}
