//! One output table: Float64 columns built into record batches of at most [`BATCH_ROWS`] rows
//! and handed to the sink as they fill, so a data section of any length uses bounded memory.

use std::sync::Arc;

use arrow::array::{ArrayRef, Float64Builder};
use arrow::datatypes::{DataType, Schema};
use arrow::record_batch::RecordBatch;

use crate::{ColumnInfo, ReadError, TableSink, TableStart};

/// Rows per record batch.
pub(crate) const BATCH_ROWS: usize = 32 * 1024;

/// A table being written.
pub(crate) struct TableWriter {
    pub name: String,
    schema: Arc<Schema>,
    builders: Vec<Float64Builder>,
    pending: usize,
    /// Rows written so far.
    pub rows: u64,
}

impl TableWriter {
    /// Begins a table of Float64 columns in the sink.
    pub(crate) fn begin(sink: &mut dyn TableSink, name: String, columns: Vec<ColumnInfo>) -> Result<Self, ReadError> {
        let fields: Vec<_> = columns.iter().map(|c| c.field(DataType::Float64)).collect();
        let schema = Arc::new(Schema::new(fields));
        let builders = columns.iter().map(|_| Float64Builder::with_capacity(BATCH_ROWS)).collect();
        sink.begin_table(TableStart { name: name.clone(), schema: schema.clone(), columns })?;
        Ok(TableWriter { name, schema, builders, pending: 0, rows: 0 })
    }

    /// Number of columns.
    pub(crate) fn width(&self) -> usize {
        self.builders.len()
    }

    /// Appends one row (`values` has one entry per column; missing entries are null).
    pub(crate) fn push(&mut self, sink: &mut dyn TableSink, values: &[Option<f64>]) -> Result<(), ReadError> {
        for (i, b) in self.builders.iter_mut().enumerate() {
            b.append_option(values.get(i).copied().flatten());
        }
        self.pending += 1;
        self.rows += 1;
        if self.pending >= BATCH_ROWS {
            self.flush(sink)?;
        }
        Ok(())
    }

    fn flush(&mut self, sink: &mut dyn TableSink) -> Result<(), ReadError> {
        if self.pending == 0 {
            return Ok(());
        }
        let arrays: Vec<ArrayRef> = self.builders.iter_mut().map(|b| Arc::new(b.finish()) as ArrayRef).collect();
        let batch = RecordBatch::try_new(self.schema.clone(), arrays)?;
        self.pending = 0;
        sink.write_batch(&batch)?;
        Ok(())
    }

    /// Writes what is left and finishes the table.
    pub(crate) fn finish(mut self, sink: &mut dyn TableSink) -> Result<u64, ReadError> {
        self.flush(sink)?;
        sink.finish_table()?;
        Ok(self.rows)
    }
}
