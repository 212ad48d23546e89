//! Batches as writers send them over HTTP: an Arrow IPC stream, NDJSON or CSV. Text formats
//! take the types of the columns the table already has (so `1` lands in a float column) and
//! infer the types of new ones; the batch is then admitted like any other.

use std::io::{Cursor, Seek};
use std::sync::Arc;

use arrow::compute::concat_batches;
use arrow::datatypes::{Field, Schema, SchemaRef};
use arrow::record_batch::RecordBatch;

use crate::StreamError;

/// Lines or rows read to infer the types of new columns.
const INFER_RECORDS: usize = 1000;

/// A body's format, by its media type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyFormat {
    ArrowStream,
    NdJson,
    Csv,
}

impl BodyFormat {
    /// The format a `Content-Type` names; `None` for one Kura does not read.
    pub fn from_media_type(content_type: &str) -> Option<Self> {
        let essence = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
        match essence.as_str() {
            "application/vnd.apache.arrow.stream" => Some(BodyFormat::ArrowStream),
            "application/x-ndjson" | "application/ndjson" | "application/jsonl" | "application/json" => {
                Some(BodyFormat::NdJson)
            }
            "text/csv" => Some(BodyFormat::Csv),
            _ => None,
        }
    }
}

/// The rows of `body` as one batch; `known` is the table's schema so far.
pub fn decode(format: BodyFormat, body: &[u8], known: Option<&SchemaRef>) -> Result<RecordBatch, StreamError> {
    let bad = |what: &str, e: arrow::error::ArrowError| StreamError::Invalid(format!("unreadable {what}: {e}"));
    let (schema, batches) = match format {
        BodyFormat::ArrowStream => {
            let reader = arrow::ipc::reader::StreamReader::try_new(Cursor::new(body), None)
                .map_err(|e| bad("Arrow IPC stream", e))?;
            let schema = reader.schema();
            let batches = reader.collect::<Result<Vec<_>, _>>().map_err(|e| bad("Arrow IPC stream", e))?;
            (schema, batches)
        }
        BodyFormat::NdJson => {
            let mut cursor = Cursor::new(body);
            let (inferred, _) = arrow::json::reader::infer_json_schema_from_seekable(&mut cursor, Some(INFER_RECORDS))
                .map_err(|e| bad("NDJSON", e))?;
            cursor.rewind()?;
            let schema = with_known_types(&inferred, known);
            let reader = arrow::json::ReaderBuilder::new(schema.clone()).build(cursor).map_err(|e| bad("NDJSON", e))?;
            (schema, reader.collect::<Result<Vec<_>, _>>().map_err(|e| bad("NDJSON", e))?)
        }
        BodyFormat::Csv => {
            let mut cursor = Cursor::new(body);
            let format = arrow::csv::reader::Format::default().with_header(true);
            let (inferred, _) = format.infer_schema(&mut cursor, Some(INFER_RECORDS)).map_err(|e| bad("CSV", e))?;
            cursor.rewind()?;
            let schema = with_known_types(&inferred, known);
            let reader = arrow::csv::ReaderBuilder::new(schema.clone())
                .with_header(true)
                .build(cursor)
                .map_err(|e| bad("CSV", e))?;
            (schema, reader.collect::<Result<Vec<_>, _>>().map_err(|e| bad("CSV", e))?)
        }
    };
    if batches.iter().all(|b| b.num_rows() == 0) {
        return Err(StreamError::Invalid("the body holds no rows".into()));
    }
    Ok(concat_batches(&schema, &batches)?)
}

/// The inferred schema with each column the table already has read as the table's type.
fn with_known_types(inferred: &Schema, known: Option<&SchemaRef>) -> SchemaRef {
    let fields: Vec<Field> = inferred
        .fields()
        .iter()
        .map(|f| match known.and_then(|k| k.field_with_name(f.name()).ok()) {
            Some(k) => Field::new(f.name(), k.data_type().clone(), true),
            None => Field::new(f.name(), f.data_type().clone(), true),
        })
        .collect();
    Arc::new(Schema::new(fields))
}

#[cfg(test)]
mod tests {
    use arrow::array::AsArray;
    use arrow::datatypes::{DataType, Float64Type};

    use super::*;

    #[test]
    fn ndjson_takes_the_tables_types_and_infers_new_columns() {
        let known: SchemaRef = Arc::new(Schema::new(vec![Field::new("t", DataType::Float64, true)]));
        let body = b"{\"t\": 1, \"note\": \"a\"}\n{\"t\": 2.5}\n";
        let batch = decode(BodyFormat::NdJson, body, Some(&known)).unwrap();
        assert_eq!(batch.num_rows(), 2);
        assert_eq!(batch.column_by_name("t").unwrap().as_primitive::<Float64Type>().value(0), 1.0);
        assert_eq!(batch.schema().field_with_name("note").unwrap().data_type(), &DataType::Utf8);
    }

    #[test]
    fn csv_and_arrow_bodies_are_read_and_garbage_is_refused() {
        let batch = decode(BodyFormat::Csv, b"a,b\n1,x\n2,y\n", None).unwrap();
        assert_eq!((batch.num_rows(), batch.num_columns()), (2, 2));
        let mut ipc = Vec::new();
        let mut writer = arrow::ipc::writer::StreamWriter::try_new(&mut ipc, &batch.schema()).unwrap();
        writer.write(&batch).unwrap();
        writer.write(&batch).unwrap();
        writer.finish().unwrap();
        assert_eq!(decode(BodyFormat::ArrowStream, &ipc, None).unwrap().num_rows(), 4);
        assert!(matches!(decode(BodyFormat::ArrowStream, b"nope", None), Err(StreamError::Invalid(_))));
        assert!(matches!(decode(BodyFormat::NdJson, b"{\"t\": ", None), Err(StreamError::Invalid(_))));
        assert!(matches!(decode(BodyFormat::NdJson, b"", None), Err(StreamError::Invalid(_))));
        assert_eq!(BodyFormat::from_media_type("text/csv; charset=utf-8"), Some(BodyFormat::Csv));
        assert_eq!(BodyFormat::from_media_type("text/plain"), None);
    }
}
