//! What reader tests share: one sink that keeps every table in memory and holds readers to the
//! sink protocol (begin, batches of the table's schema, finish or discard; no table in a table),
//! refusing what the Parquet sink refuses, so a reader that passes here also writes Parquet.

use arrow::compute::concat_batches;
use arrow::datatypes::DataType;
use arrow::record_batch::RecordBatch;

use crate::{SinkError, TableSink, TableStart};

/// A table's start and its batches.
pub type Collected = (TableStart, Vec<RecordBatch>);

/// Collects the tables a reader writes, and the files it keeps.
#[derive(Debug, Default)]
pub struct CollectSink {
    /// Finished tables, in order.
    pub tables: Vec<Collected>,
    open: Option<Collected>,
    /// Tables begun and not discarded (a reader must finish each of them).
    pub begun: usize,
    pub finished: usize,
    pub discarded: usize,
    /// Kept files: path and bytes.
    pub kept: Vec<(String, Vec<u8>)>,
}

impl TableSink for CollectSink {
    fn begin_table(&mut self, table: TableStart) -> Result<(), SinkError> {
        assert!(self.open.is_none(), "begin_table while {:?} is open", self.open.as_ref().map(|t| &t.0.name));
        // As the Parquet sink does.
        let empty_struct = |t: &DataType| matches!(t, DataType::Struct(f) if f.is_empty());
        if table.schema.fields().iter().any(|f| empty_struct(f.data_type())) {
            return Err(SinkError("Parquet does not support writing empty structs".into()));
        }
        self.begun += 1;
        self.open = Some((table, Vec::new()));
        Ok(())
    }

    fn write_batch(&mut self, batch: &RecordBatch) -> Result<(), SinkError> {
        let Some((start, batches)) = &mut self.open else { panic!("write_batch without a table") };
        assert_eq!(batch.schema(), start.schema, "batch schema differs from the table's");
        batches.push(batch.clone());
        Ok(())
    }

    fn finish_table(&mut self) -> Result<(), SinkError> {
        let table = self.open.take().expect("finish_table without a table");
        self.tables.push(table);
        self.finished += 1;
        Ok(())
    }

    /// Without an open table a no-op, as in the Parquet sink: a reader may discard after a
    /// `begin_table` the sink refused.
    fn discard_table(&mut self) {
        if self.open.take().is_some() {
            self.begun -= 1;
            self.discarded += 1;
        }
    }

    fn keep_file(&mut self, path: &str, bytes: &mut dyn std::io::Read) -> Result<(), SinkError> {
        let mut buf = Vec::new();
        bytes.read_to_end(&mut buf).map_err(|e| SinkError(e.to_string()))?;
        self.kept.push((path.to_string(), buf));
        Ok(())
    }
}

impl CollectSink {
    /// The names of the finished tables, in order.
    pub fn names(&self) -> Vec<&str> {
        self.tables.iter().map(|(t, _)| t.name.as_str()).collect()
    }

    /// The finished table named `name`; panics naming the tables there are.
    pub fn get(&self, name: &str) -> &Collected {
        self.tables
            .iter()
            .find(|(t, _)| t.name == name)
            .unwrap_or_else(|| panic!("no table {name} in {:?}", self.names()))
    }

    /// The table named `name` as one batch.
    pub fn table(&self, name: &str) -> RecordBatch {
        let (start, batches) = self.get(name);
        concat_batches(&start.schema, batches).expect("batches of the table's schema")
    }

    /// How many rows the table named `name` has.
    pub fn rows(&self, name: &str) -> usize {
        self.get(name).1.iter().map(RecordBatch::num_rows).sum()
    }

    /// The paths of the kept files, in order.
    pub fn kept_paths(&self) -> Vec<&str> {
        self.kept.iter().map(|(p, _)| p.as_str()).collect()
    }
}
