//! One data block of a vendor export as a table of Float64 columns, written in batches as its
//! lines are read.

use std::collections::HashSet;
use std::sync::Arc;

use arrow::array::{ArrayRef, Float64Builder};
use arrow::datatypes::{DataType, Schema, SchemaRef};
use arrow::record_batch::RecordBatch;
use serde_json::{Map, Value, json};

use crate::{ColumnInfo, ReadError, TableSink, TableStart};

/// Rows per record batch.
pub(crate) const BATCH_ROWS: usize = 8192;

/// A table being written.
pub(crate) struct Block {
    pub name: String,
    schema: SchemaRef,
    builders: Vec<Float64Builder>,
    buffered: usize,
    pub rows: u64,
    batch_rows: usize,
}

impl Block {
    /// Begins table `name` with `columns` in `sink`.
    pub(crate) fn begin(
        sink: &mut dyn TableSink,
        name: String,
        columns: Vec<ColumnInfo>,
        batch_rows: usize,
    ) -> Result<Self, ReadError> {
        let fields: Vec<_> = columns.iter().map(|c| c.field(DataType::Float64)).collect();
        let schema: SchemaRef = Arc::new(Schema::new(fields));
        let builders = columns.iter().map(|_| Float64Builder::with_capacity(batch_rows.min(1024))).collect();
        sink.begin_table(TableStart { name: name.clone(), schema: schema.clone(), columns })?;
        Ok(Block { name, schema, builders, buffered: 0, rows: 0, batch_rows })
    }

    pub(crate) fn width(&self) -> usize {
        self.builders.len()
    }

    /// Appends one row of `width()` values.
    pub(crate) fn push(&mut self, sink: &mut dyn TableSink, values: &[f64]) -> Result<(), ReadError> {
        for (b, v) in self.builders.iter_mut().zip(values) {
            b.append_value(*v);
        }
        self.buffered += 1;
        self.rows += 1;
        if self.buffered >= self.batch_rows {
            self.flush(sink)?;
        }
        Ok(())
    }

    fn flush(&mut self, sink: &mut dyn TableSink) -> Result<(), ReadError> {
        let arrays: Vec<ArrayRef> = self.builders.iter_mut().map(|b| Arc::new(b.finish()) as ArrayRef).collect();
        let batch = RecordBatch::try_new(self.schema.clone(), arrays)?;
        self.buffered = 0;
        sink.write_batch(&batch)?;
        Ok(())
    }

    /// Writes what is buffered and closes the table.
    pub(crate) fn finish(mut self, sink: &mut dyn TableSink) -> Result<u64, ReadError> {
        if self.buffered > 0 {
            self.flush(sink)?;
        }
        sink.finish_table()?;
        Ok(self.rows)
    }
}

/// Parses whitespace-separated numbers into `out`; `Err(field)` names the first that is not one.
pub(crate) fn parse_row<'a>(line: &'a str, out: &mut Vec<f64>) -> Result<(), &'a str> {
    out.clear();
    for field in line.split_whitespace() {
        match field.parse::<f64>() {
            Ok(v) => out.push(v),
            Err(_) => return Err(field),
        }
    }
    Ok(())
}

/// A header value as JSON: a number when it reads back exactly as written (`50`, `1486.61`),
/// else text (`0001`, `1.3.1`, dates), so nothing written is lost.
pub(crate) fn header_value(raw: &str) -> Value {
    let t = raw.trim();
    if let Ok(i) = t.parse::<i64>()
        && i.to_string() == t
    {
        return json!(i);
    }
    match t.parse::<f64>() {
        Ok(f) if f.is_finite() && f.to_string() == t => json!(f),
        _ => Value::String(t.to_string()),
    }
}

/// Inserts `key` into `map`; a repeated key gets `_2`, `_3`… so no value is lost.
pub(crate) fn insert(map: &mut Map<String, Value>, key: &str, value: Value) {
    let key = key.trim();
    let mut candidate = key.to_string();
    let mut n = 1;
    while map.contains_key(&candidate) {
        n += 1;
        candidate = format!("{key}_{n}");
    }
    map.insert(candidate, value);
}

/// A unique URL-safe table name from a region name (`Ag3d`, `Fe 2p` → `Fe_2p`).
pub(crate) fn table_name(used: &mut HashSet<String>, region: &str) -> String {
    let mut base: String =
        region.trim().chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '_' }).collect();
    if base.is_empty() {
        base = "region".into();
    }
    let mut name = base.clone();
    let mut n = 1;
    while !used.insert(name.clone()) {
        n += 1;
        name = format!("{base}_{n}");
    }
    name
}
