//! A sink that records what an archive produced, and helpers to run the reader.

use std::path::{Path, PathBuf};

use arrow::record_batch::RecordBatch;

use crate::eln::ElnReader;
use crate::{FormatReader, ReadError, ReadReport, SinkError, TableSink, TableStart};

/// One table as written: name, column names, rows.
#[derive(Debug, Clone)]
pub struct Table {
    pub name: String,
    pub columns: Vec<String>,
    pub rows: usize,
    pub batches: Vec<RecordBatch>,
}

#[derive(Default)]
pub struct Collect {
    pub tables: Vec<Table>,
    open: Option<Table>,
    /// Kept files: path and bytes.
    pub kept: Vec<(String, Vec<u8>)>,
}

impl TableSink for Collect {
    fn begin_table(&mut self, table: TableStart) -> Result<(), SinkError> {
        // As the Parquet sink does.
        let empty_struct =
            |t: &arrow::datatypes::DataType| matches!(t, arrow::datatypes::DataType::Struct(f) if f.is_empty());
        if table.schema.fields().iter().any(|f| empty_struct(f.data_type())) {
            return Err(SinkError("Parquet does not support writing empty structs".into()));
        }
        let columns = table.schema.fields().iter().map(|f| f.name().clone()).collect();
        self.open = Some(Table { name: table.name, columns, rows: 0, batches: Vec::new() });
        Ok(())
    }
    fn write_batch(&mut self, batch: &RecordBatch) -> Result<(), SinkError> {
        let open = self.open.as_mut().ok_or_else(|| SinkError("no table".into()))?;
        open.rows += batch.num_rows();
        open.batches.push(batch.clone());
        Ok(())
    }
    fn finish_table(&mut self) -> Result<(), SinkError> {
        let open = self.open.take().ok_or_else(|| SinkError("no table".into()))?;
        self.tables.push(open);
        Ok(())
    }
    fn discard_table(&mut self) {
        self.open = None;
    }
    fn keep_file(&mut self, path: &str, bytes: &mut dyn std::io::Read) -> Result<(), SinkError> {
        let mut buf = Vec::new();
        bytes.read_to_end(&mut buf).map_err(|e| SinkError(e.to_string()))?;
        self.kept.push((path.to_string(), buf));
        Ok(())
    }
}

impl Collect {
    pub fn table(&self, name: &str) -> &Table {
        self.tables.iter().find(|t| t.name == name).unwrap_or_else(|| {
            panic!("no table {name}; tables: {:?}", self.tables.iter().map(|t| &t.name).collect::<Vec<_>>())
        })
    }
    pub fn kept_paths(&self) -> Vec<&str> {
        self.kept.iter().map(|(p, _)| p.as_str()).collect()
    }
}

pub fn testdata(name: &str) -> PathBuf {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/testdata/eln").join(name);
    assert!(path.is_file(), "missing test data: {} (shared/testdata/eln)", path.display());
    path
}

pub fn read_path(path: &Path) -> (Collect, Result<ReadReport, ReadError>) {
    let mut sink = Collect::default();
    let result = ElnReader.read(path, &mut sink, &mut |_| {});
    (sink, result)
}

pub fn read_bytes(bytes: &[u8]) -> (Collect, Result<ReadReport, ReadError>) {
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
