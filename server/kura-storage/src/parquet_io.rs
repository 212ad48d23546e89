//! Parquet as Kura writes and serves it: zstd, statistics, Arrow schema embedded; reads stream
//! row groups from the object store with column projection, offset and limit.

use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;
use futures::stream::BoxStream;
use futures::{StreamExt, TryStreamExt};
use parquet::arrow::ProjectionMask;
// `ParquetObjectReader` is deprecated upstream in favour of hand-written `AsyncFileReader`s;
// it is still the maintained adapter for `object_store` and does what Kura needs.
#[allow(deprecated)]
use parquet::arrow::async_reader::{ParquetObjectReader, ParquetRecordBatchStreamBuilder};
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::{EnabledStatistics, WriterProperties, WriterVersion};

use crate::{ObjectStore, StorageError};

/// Rows per Parquet row group: big enough to compress well, small enough that a reader that
/// asks for a few rows does not decode a huge group, and that endpoints can split by group.
pub const ROW_GROUP_SIZE: usize = 256 * 1024;

/// Writer settings for every table Kura writes.
pub fn writer_properties() -> WriterProperties {
    WriterProperties::builder()
        .set_writer_version(WriterVersion::PARQUET_2_0)
        .set_compression(Compression::ZSTD(ZstdLevel::try_new(1).unwrap_or_default()))
        .set_statistics_enabled(EnabledStatistics::Page)
        .set_max_row_group_row_count(Some(ROW_GROUP_SIZE))
        .set_created_by(format!("kura {}", env!("CARGO_PKG_VERSION")))
        .build()
}

/// What to read from a table.
#[derive(Debug, Clone, Default)]
pub struct RowsRequest {
    /// Column names to keep, in table order; `None` keeps all.
    pub columns: Option<Vec<String>>,
    pub offset: u64,
    pub limit: Option<u64>,
}

/// The projected schema and a stream of batches for `request` from the Parquet object `sha256`.
pub async fn read_rows(
    store: &ObjectStore,
    sha256: &str,
    size: u64,
    request: &RowsRequest,
) -> Result<(SchemaRef, BoxStream<'static, Result<RecordBatch, StorageError>>), StorageError> {
    #[allow(deprecated)]
    let reader = ParquetObjectReader::new(store.backend(), ObjectStore::path_of(sha256)?).with_file_size(size);
    let builder = ParquetRecordBatchStreamBuilder::new(reader).await?;
    let arrow_schema = builder.schema().clone();
    let mut builder = builder.with_batch_size(8192);
    if let Some(columns) = &request.columns {
        let mut indices = Vec::with_capacity(columns.len());
        for name in columns {
            let index = arrow_schema.index_of(name).map_err(|_| StorageError::UnknownColumn(name.clone()))?;
            indices.push(index);
        }
        indices.sort_unstable();
        indices.dedup();
        let mask = ProjectionMask::roots(builder.parquet_schema(), indices);
        builder = builder.with_projection(mask);
    }
    if request.offset > 0 {
        builder = builder.with_offset(usize::try_from(request.offset).unwrap_or(usize::MAX));
    }
    if let Some(limit) = request.limit {
        builder = builder.with_limit(usize::try_from(limit).unwrap_or(usize::MAX));
    }
    let stream = builder.build()?;
    let schema = stream.schema().clone();
    Ok((schema, stream.map_err(StorageError::from).boxed()))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{Float64Array, Int64Array, StringArray};
    use arrow::datatypes::{DataType, Field, Schema};
    use parquet::arrow::ArrowWriter;

    use super::*;

    #[tokio::test]
    async fn rows_are_projected_offset_and_limited() {
        let dir = tempfile::tempdir().unwrap();
        let store = ObjectStore::local(&dir.path().join("o"), &dir.path().join("s")).unwrap();
        let schema = Arc::new(Schema::new(vec![
            Field::new("a", DataType::Int64, false),
            Field::new("b", DataType::Float64, true),
            Field::new("c", DataType::Utf8, true),
        ]));
        let n = 1000i64;
        let batch = RecordBatch::try_new(
            schema.clone(),
            vec![
                Arc::new(Int64Array::from_iter_values(0..n)),
                Arc::new(Float64Array::from_iter_values((0..n).map(|i| i as f64 / 2.0))),
                Arc::new(StringArray::from_iter_values((0..n).map(|i| format!("s{i}")))),
            ],
        )
        .unwrap();
        let mut buf = Vec::new();
        let mut writer = ArrowWriter::try_new(&mut buf, schema, Some(writer_properties())).unwrap();
        writer.write(&batch).unwrap();
        writer.close().unwrap();
        let object = store.put_bytes(bytes::Bytes::from(buf)).await.unwrap();

        let request = RowsRequest { columns: Some(vec!["c".into(), "a".into()]), offset: 10, limit: Some(5) };
        let (schema, stream) = read_rows(&store, &object.sha256, object.size, &request).await.unwrap();
        assert_eq!(schema.fields().iter().map(|f| f.name().as_str()).collect::<Vec<_>>(), ["a", "c"]);
        let batches: Vec<RecordBatch> = stream.try_collect().await.unwrap();
        let rows: usize = batches.iter().map(|b| b.num_rows()).sum();
        assert_eq!(rows, 5);
        let a = batches[0].column(0).as_any().downcast_ref::<Int64Array>().unwrap();
        assert_eq!(a.value(0), 10);

        let unknown = RowsRequest { columns: Some(vec!["nope".into()]), ..Default::default() };
        assert!(matches!(
            read_rows(&store, &object.sha256, object.size, &unknown).await,
            Err(StorageError::UnknownColumn(_))
        ));
    }
}
