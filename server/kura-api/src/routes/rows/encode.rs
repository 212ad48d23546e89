//! Encoders from a stream of record batches to response bytes.

use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;
use bytes::Bytes;
use futures::StreamExt;
use futures::stream::{self, BoxStream};
use kura_core::ErrorCode;
use kura_storage::StorageError;

use crate::error::ApiError;

/// A response format for rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Csv,
    ArrowStream,
}

impl Format {
    /// The best format for `Accept` (q-values honoured); JSON when absent or `*/*`.
    pub fn from_accept(accept: Option<&str>) -> Result<Self, ApiError> {
        const OFFERED: &[(&str, Format)] = &[
            ("application/json", Format::Json),
            ("text/csv", Format::Csv),
            ("application/vnd.apache.arrow.stream", Format::ArrowStream),
        ];
        kura_core::negotiate::negotiate(accept, OFFERED).ok_or_else(|| {
            ApiError::new(
                ErrorCode::NotAcceptable,
                "rows are served as application/json, text/csv or application/vnd.apache.arrow.stream",
            )
        })
    }

    pub fn media_type(self) -> &'static str {
        match self {
            Format::Json => "application/json",
            Format::Csv => "text/csv; charset=utf-8",
            Format::ArrowStream => "application/vnd.apache.arrow.stream",
        }
    }
}

enum Encoder {
    Json(arrow::json::Writer<Vec<u8>, arrow::json::writer::JsonArray>),
    Csv { header: bool },
    Arrow(arrow::ipc::writer::StreamWriter<Vec<u8>>),
}

impl Encoder {
    fn new(format: Format, schema: &SchemaRef) -> Result<Self, ApiError> {
        Ok(match format {
            Format::Json => {
                Encoder::Json(arrow::json::WriterBuilder::new().with_explicit_nulls(true).build(Vec::new()))
            }
            Format::Csv => Encoder::Csv { header: true },
            Format::ArrowStream => Encoder::Arrow(
                arrow::ipc::writer::StreamWriter::try_new(Vec::new(), schema).map_err(StorageError::from)?,
            ),
        })
    }

    fn batch(&mut self, batch: &RecordBatch) -> Result<Bytes, ApiError> {
        match self {
            Encoder::Json(w) => {
                w.write(batch).map_err(StorageError::from)?;
                Ok(Bytes::from(std::mem::take(w.get_mut())))
            }
            Encoder::Csv { header } => {
                let mut out = Vec::new();
                let mut w = arrow::csv::WriterBuilder::new().with_header(*header).build(&mut out);
                w.write(batch).map_err(StorageError::from)?;
                drop(w);
                *header = false;
                Ok(Bytes::from(out))
            }
            Encoder::Arrow(w) => {
                w.write(batch).map_err(StorageError::from)?;
                Ok(Bytes::from(std::mem::take(w.get_mut())))
            }
        }
    }

    fn finish(&mut self, schema: &SchemaRef) -> Result<Bytes, ApiError> {
        match self {
            Encoder::Json(w) => {
                w.finish().map_err(StorageError::from)?;
                let mut out = std::mem::take(w.get_mut());
                if out.is_empty() {
                    out.extend_from_slice(b"[]");
                }
                Ok(Bytes::from(out))
            }
            Encoder::Csv { header } => {
                // An empty result still says which columns it has.
                if *header {
                    let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
                    let mut w = csv_line(&names);
                    w.push(b'\n');
                    return Ok(Bytes::from(w));
                }
                Ok(Bytes::new())
            }
            Encoder::Arrow(w) => {
                w.finish().map_err(StorageError::from)?;
                Ok(Bytes::from(std::mem::take(w.get_mut())))
            }
        }
    }
}

fn csv_line(fields: &[&str]) -> Vec<u8> {
    fields
        .iter()
        .map(|f| if f.contains([',', '"', '\n']) { format!("\"{}\"", f.replace('"', "\"\"")) } else { (*f).to_owned() })
        .collect::<Vec<_>>()
        .join(",")
        .into_bytes()
}

/// Encodes `batches` in `format`, yielding one chunk per batch and a closing chunk.
pub fn encode(
    format: Format,
    schema: SchemaRef,
    batches: BoxStream<'static, Result<RecordBatch, StorageError>>,
) -> BoxStream<'static, Result<Bytes, ApiError>> {
    let encoder = match Encoder::new(format, &schema) {
        Ok(e) => e,
        Err(e) => return stream::once(async move { Err(e) }).boxed(),
    };
    let state = (Some(batches), encoder, schema);
    stream::unfold(state, |(batches, mut encoder, schema)| async move {
        let mut batches = batches?;
        match batches.next().await {
            Some(Ok(batch)) => {
                let chunk = encoder.batch(&batch);
                Some((chunk, (Some(batches), encoder, schema)))
            }
            Some(Err(e)) => Some((Err(ApiError::from(e)), (None, encoder, schema))),
            None => {
                let chunk = encoder.finish(&schema);
                Some((chunk, (None, encoder, schema)))
            }
        }
    })
    .boxed()
}

#[cfg(test)]
mod tests {
    use super::Format;

    #[test]
    fn row_formats_follow_accept_with_q_values() {
        let pick = |accept: &str| Format::from_accept(Some(accept)).ok();
        assert_eq!(Format::from_accept(None).ok(), Some(Format::Json));
        assert_eq!(pick("*/*"), Some(Format::Json));
        assert_eq!(pick("text/*"), Some(Format::Csv));
        assert_eq!(pick("text/csv, application/json"), Some(Format::Csv));
        assert_eq!(pick("application/vnd.apache.arrow.stream"), Some(Format::ArrowStream));
        // The first listed type used to win whatever its q; q=0 even meant "this one".
        assert_eq!(pick("text/csv;q=0, application/json"), Some(Format::Json));
        assert_eq!(pick("text/csv;q=0.2, application/json;q=0.8"), Some(Format::Json));
        assert_eq!(pick("image/png"), None);
    }
}
