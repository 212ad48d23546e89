//! Helpers to write temporary files and read them into `testing::CollectSink`.

use arrow::array::RecordBatch;
use arrow::compute::concat_batches;

use crate::csv::{BATCH_ROWS, read_table};
use crate::reader::{ReadError, ReadOptions, ReadReport, TableStart};
use crate::testing::CollectSink;

/// The result of reading one file: the report and the single table as one batch.
pub(crate) struct Read {
    pub report: ReadReport,
    pub table: TableStart,
    pub batch: RecordBatch,
    pub batches: usize,
    pub discarded: usize,
    pub progress: Vec<u64>,
}

pub(crate) fn read_path(path: &std::path::Path, batch_rows: usize) -> Result<Read, ReadError> {
    let mut sink = CollectSink::default();
    let mut progress = Vec::new();
    let report = read_table(path, &mut sink, &mut |n| progress.push(n), batch_rows, &Default::default())?;
    assert_eq!(sink.finished, sink.begun, "table left open");
    assert_eq!(sink.tables.len(), 1, "expected exactly one table");
    let (table, batches) = sink.tables.remove(0);
    let batch = concat_batches(&table.schema, &batches).expect("concat");
    Ok(Read { report, table, batch, batches: batches.len(), discarded: sink.discarded, progress })
}

/// Writes `bytes` to a temporary file and reads it with `options`.
#[allow(dead_code)]
pub(crate) fn read_bytes_options(bytes: &[u8], options: &ReadOptions) -> Result<Read, ReadError> {
    let file = tempfile::NamedTempFile::new().expect("temp file");
    std::fs::write(file.path(), bytes).expect("write temp file");
    let mut sink = CollectSink::default();
    let report = read_table(file.path(), &mut sink, &mut |_| {}, BATCH_ROWS, options)?;
    let (table, batches) = sink.tables.remove(0);
    let batch = concat_batches(&table.schema, &batches).expect("concat");
    Ok(Read { report, table, batch, batches: batches.len(), discarded: sink.discarded, progress: Vec::new() })
}

/// Writes `bytes` to a temporary file and reads it with the default reader.
pub(crate) fn read_bytes(bytes: &[u8]) -> Result<Read, ReadError> {
    read_bytes_with(bytes, BATCH_ROWS)
}

pub(crate) fn read_bytes_with(bytes: &[u8], batch_rows: usize) -> Result<Read, ReadError> {
    let file = tempfile::NamedTempFile::new().expect("temp file");
    std::fs::write(file.path(), bytes).expect("write temp file");
    read_path(file.path(), batch_rows)
}

/// Reads a file expected to fail, and returns the error.
pub(crate) fn read_err(bytes: &[u8]) -> ReadError {
    match read_bytes(bytes) {
        Ok(_) => panic!("expected an error"),
        Err(e) => e,
    }
}

/// The path of a shared instrument test file.
pub(crate) fn instrument(name: &str) -> std::path::PathBuf {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/testdata/instrument");
    assert!(dir.is_dir(), "../shared/testdata is required (looked for {})", dir.display());
    dir.join(name)
}

pub(crate) fn names(r: &Read) -> Vec<String> {
    r.batch.schema().fields().iter().map(|f| f.name().clone()).collect()
}

pub(crate) fn f64s(r: &Read, col: &str) -> Vec<Option<f64>> {
    let a = r.batch.column_by_name(col).expect("column");
    let a = a.as_any().downcast_ref::<arrow::array::Float64Array>().expect("float64 column");
    a.iter().collect()
}

pub(crate) fn i64s(r: &Read, col: &str) -> Vec<Option<i64>> {
    let a = r.batch.column_by_name(col).expect("column");
    let a = a.as_any().downcast_ref::<arrow::array::Int64Array>().expect("int64 column");
    a.iter().collect()
}

pub(crate) fn strs(r: &Read, col: &str) -> Vec<Option<String>> {
    let a = r.batch.column_by_name(col).expect("column");
    let a = a.as_any().downcast_ref::<arrow::array::StringArray>().expect("utf8 column");
    a.iter().map(|v| v.map(str::to_string)).collect()
}

pub(crate) fn meta<'a>(r: &'a Read, col: &str, key: &str) -> Option<&'a str> {
    let schema = &r.table.schema;
    schema.field_with_name(col).ok()?.metadata().get(key).map(String::as_str)
}
