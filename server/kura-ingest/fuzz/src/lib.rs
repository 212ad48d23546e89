//! What every reader's fuzz target does: write the input to a file, read it with the reader
//! into a sink that checks each batch against its table's schema, and let any panic surface.
//! Errors are fine (that is what bad input should give); panics, hangs and OOMs are the bugs.

use std::io::Write;

use arrow::record_batch::RecordBatch;
use kura_ingest::{FormatReader, SinkError, TableSink, TableStart};

/// A sink that keeps nothing but checks the calling protocol and batch schemas.
#[derive(Default)]
struct CheckingSink {
    open: Option<TableStart>,
}

impl TableSink for CheckingSink {
    fn begin_table(&mut self, table: TableStart) -> Result<(), SinkError> {
        assert_eq!(table.schema.fields().len(), table.columns.len(), "one ColumnInfo per field");
        self.open = Some(table);
        Ok(())
    }

    fn write_batch(&mut self, batch: &RecordBatch) -> Result<(), SinkError> {
        let open = self.open.as_ref().expect("write_batch after begin_table");
        assert_eq!(batch.schema().fields(), open.schema.fields(), "batch schema matches the table's");
        Ok(())
    }

    fn finish_table(&mut self) -> Result<(), SinkError> {
        self.open.take().expect("finish_table after begin_table");
        Ok(())
    }

    fn discard_table(&mut self) {
        self.open = None;
    }

    fn keep_file(&mut self, _path: &str, bytes: &mut dyn std::io::Read) -> Result<(), SinkError> {
        std::io::copy(bytes, &mut std::io::sink()).map_err(|e| SinkError(e.to_string()))?;
        Ok(())
    }
}

/// Reads `data` as a file named `name` with `reader`.
pub fn read(reader: &dyn FormatReader, name: &str, data: &[u8]) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join(name);
    std::fs::File::create(&path).and_then(|mut f| f.write_all(data)).expect("write input");
    let _ = reader.read(&path, &mut CheckingSink::default(), &mut |_| {});
}
