//! Helpers to run the reader into `testing::CollectSink` and to look at what it produced.

use std::path::{Path, PathBuf};

use arrow::record_batch::RecordBatch;

use crate::eln::ElnReader;
use crate::testing::CollectSink;
use crate::{FormatReader, ReadError, ReadReport};

/// The column names of a table.
pub fn columns(batch: &RecordBatch) -> Vec<String> {
    batch.schema().fields().iter().map(|f| f.name().clone()).collect()
}

pub fn testdata(name: &str) -> PathBuf {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/testdata/eln").join(name);
    assert!(path.is_file(), "missing test data: {} (shared/testdata/eln)", path.display());
    path
}

pub fn read_path(path: &Path) -> (CollectSink, Result<ReadReport, ReadError>) {
    let mut sink = CollectSink::default();
    let result = ElnReader.read(path, &mut sink, &mut |_| {});
    (sink, result)
}

pub fn read_bytes(bytes: &[u8]) -> (CollectSink, Result<ReadReport, ReadError>) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("upload.eln");
    std::fs::write(&path, bytes).unwrap();
    read_path(&path)
}

/// File entries of a zip (directories excluded), from the zip crate's own listing.
pub fn zip_files(path: &Path) -> Vec<String> {
    let archive = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    archive.file_names().filter_map(Result::ok).filter(|n| !n.ends_with('/')).map(|n| n.into_owned()).collect()
}
