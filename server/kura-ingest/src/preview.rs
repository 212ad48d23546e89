//! Reading the first rows of a file with chosen parameters, without storing anything: the
//! portal's "read it differently" preview. The same detection and readers as ingestion, into a
//! sink that keeps the first rows of the first table in memory and stops the reader as soon as
//! it has them, so a preview of a large file costs one batch, not the whole file.

use std::path::Path;

use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;

use crate::detect;
use crate::reader::{ColumnInfo, ReadOptions, SinkError, TableSink, TableStart};

/// The first rows of a file's first table, as a reader with the given parameters reads them.
#[derive(Debug, Clone)]
pub struct Previewed {
    /// Reader name (`csv`), or `None` when no reader claims the file.
    pub format: Option<&'static str>,
    /// The first table's columns with what is known about them.
    pub columns: Vec<ColumnInfo>,
    /// The first table's Arrow schema (column types), when there was a table.
    pub schema: Option<SchemaRef>,
    /// At most the requested number of rows.
    pub batches: Vec<RecordBatch>,
    /// What the reader detected or used; empty when the preview stopped the reader early.
    pub parameters: serde_json::Map<String, serde_json::Value>,
    /// The reader's warnings, when it read to the end.
    pub warnings: Vec<String>,
}

/// Says the sink has its rows; the reader stops with it and the preview is complete.
const FULL: &str = "preview has its rows";

/// Keeps the first `limit` rows of the first table.
struct FirstRows {
    limit: usize,
    rows: usize,
    table: Option<TableStart>,
    batches: Vec<RecordBatch>,
    /// The first table ended (or the rows are in): later tables are ignored.
    done: bool,
    /// The sink stopped the reader: what it holds is the preview, whatever the reader does next
    /// (readers may discard a table they could not finish).
    stopped: bool,
}

impl TableSink for FirstRows {
    fn begin_table(&mut self, table: TableStart) -> Result<(), SinkError> {
        if self.done {
            self.stopped = true;
            return Err(SinkError(FULL.into()));
        }
        self.table = Some(table);
        self.batches.clear();
        self.rows = 0;
        Ok(())
    }

    fn write_batch(&mut self, batch: &RecordBatch) -> Result<(), SinkError> {
        let take = (self.limit - self.rows).min(batch.num_rows());
        if take > 0 {
            self.batches.push(batch.slice(0, take));
            self.rows += take;
        }
        if self.rows >= self.limit {
            self.done = true;
            self.stopped = true;
            return Err(SinkError(FULL.into()));
        }
        Ok(())
    }

    fn finish_table(&mut self) -> Result<(), SinkError> {
        self.done = true;
        Ok(())
    }

    fn discard_table(&mut self) {
        if self.stopped {
            return;
        }
        self.table = None;
        self.batches.clear();
        self.rows = 0;
        self.done = false;
    }

    /// Files inside the source are not previewed: skipped, not refused, so archives still show
    /// their first table.
    fn keep_file(&mut self, _path: &str, _bytes: &mut dyn std::io::Read) -> Result<(), SinkError> {
        Ok(())
    }
}

/// Reads the first `limit` rows of `path` (named `name`, for detection by extension) with
/// `options`, on the current (blocking) thread. A reading that fails (parameters that do not
/// fit the file) returns the reader's message for users.
pub fn first_rows(path: &Path, name: &str, options: &ReadOptions, limit: usize) -> Result<Previewed, String> {
    let reader = detect::detect(path, name).map_err(|e| format!("cannot open {name}: {e}"))?;
    let Some(reader) = reader else {
        return Ok(Previewed {
            format: None,
            columns: Vec::new(),
            schema: None,
            batches: Vec::new(),
            parameters: Default::default(),
            warnings: Vec::new(),
        });
    };
    let mut sink =
        FirstRows { limit: limit.max(1), rows: 0, table: None, batches: Vec::new(), done: false, stopped: false };
    let (parameters, warnings) = match reader.read_with(path, &mut sink, &mut |_| {}, options) {
        Ok(report) => (report.parameters, report.warnings),
        Err(_) if sink.stopped => Default::default(),
        Err(e) => return Err(e.to_string()),
    };
    let (columns, schema) = match sink.table {
        Some(t) => (t.columns, Some(t.schema)),
        None => (Vec::new(), None),
    };
    Ok(Previewed { format: Some(reader.name()), columns, schema, batches: sink.batches, parameters, warnings })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_preview_follows_the_parameters_and_stops_early() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("run.csv");
        let mut text = String::from("x;y\n");
        for i in 0..20_000 {
            text.push_str(&format!("{i},5;2\n"));
        }
        std::fs::write(&path, text).unwrap();
        let given = ReadOptions { delimiter: Some(";".into()), decimal: Some(",".into()), ..Default::default() };
        let p = first_rows(&path, "run.csv", &given, 10).unwrap();
        assert_eq!(p.format, Some("csv"));
        assert_eq!(p.columns.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(), ["x", "y"]);
        assert_eq!(p.batches.iter().map(|b| b.num_rows()).sum::<usize>(), 10);
        let x = p.batches[0].column(0);
        assert_eq!(x.data_type(), &arrow::datatypes::DataType::Float64, "decimal comma read as a number");
        let bad = ReadOptions { decimal: Some(";".into()), ..Default::default() };
        assert!(first_rows(&path, "run.csv", &bad, 10).unwrap_err().contains("decimal separator"));
    }
}
