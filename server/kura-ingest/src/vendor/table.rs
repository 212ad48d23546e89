//! One data block of a vendor export as a table of Float64 columns, written in batches as its
//! lines are read.

use std::collections::{HashMap, HashSet};
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

/// Picks unique names: `base` when it is free, else the first free of `base_2`, `base_3`… The
/// next suffix to try is remembered per base, so a base repeated n times costs O(n) probes, not
/// O(n²) (tests/fuzz-findings/xps-repeated-keys-slow.txt: 7,000 `note` lines in one section).
#[derive(Default)]
pub(crate) struct Suffixes {
    /// Per base, the suffix to try first (1 is the base itself).
    next: HashMap<String, u64>,
}

impl Suffixes {
    /// The first name of `base`, `base_2`, `base_3`… that `taken` says is free. Names are only
    /// ever added to what `taken` looks at, never removed, so one found taken stays taken and
    /// the search for the same base can start after it next time.
    fn unique(&mut self, base: &str, taken: impl Fn(&str) -> bool) -> String {
        let next = match self.next.get_mut(base) {
            Some(next) => next,
            None => self.next.entry(base.to_string()).or_insert(1),
        };
        loop {
            let candidate = if *next == 1 { base.to_string() } else { format!("{base}_{next}") };
            *next += 1;
            #[cfg(test)]
            probes::count();
            if !taken(&candidate) {
                return candidate;
            }
        }
    }
}

/// A metadata object read from header lines, where a repeated key gets `_2`, `_3`… so no value
/// is lost. Entries may also be added to `map` directly, but never removed.
#[derive(Default)]
pub(crate) struct Fields {
    pub map: Map<String, Value>,
    suffixes: Suffixes,
}

impl Fields {
    /// Inserts `value` under the trimmed `key`, or under its first free `key_N` when taken.
    pub(crate) fn insert(&mut self, key: &str, value: Value) {
        let map = &self.map;
        let name = self.suffixes.unique(key.trim(), |c| map.contains_key(c));
        self.map.insert(name, value);
    }
}

/// The table names of one file, unique and URL-safe.
pub(crate) struct TableNames {
    used: HashSet<String>,
    suffixes: Suffixes,
}

impl TableNames {
    /// Names none of `reserved` (`file`, the key of the file's own metadata).
    pub(crate) fn reserving(reserved: &[&str]) -> Self {
        TableNames { used: reserved.iter().map(|r| r.to_string()).collect(), suffixes: Suffixes::default() }
    }

    /// A unique table name from a region name (`Ag3d`, `Fe 2p` → `Fe_2p`; a repeat → `Fe_2p_2`).
    pub(crate) fn name(&mut self, region: &str) -> String {
        let mut base: String =
            region.trim().chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '_' }).collect();
        if base.is_empty() {
            base = "region".into();
        }
        let used = &self.used;
        let name = self.suffixes.unique(&base, |c| used.contains(c));
        self.used.insert(name.clone());
        name
    }
}

/// Counts the probes of [`Suffixes::unique`] on this thread, so tests can bound the work a reader
/// does on an input instead of timing it.
#[cfg(test)]
pub(crate) mod probes {
    use std::cell::Cell;

    thread_local! {
        static PROBES: Cell<u64> = const { Cell::new(0) };
    }

    pub(super) fn count() {
        PROBES.with(|p| p.set(p.get() + 1));
    }

    /// Probes made on this thread so far.
    pub(crate) fn made() -> u64 {
        PROBES.with(Cell::get)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_keys_get_the_next_free_suffix() {
        let mut f = Fields::default();
        f.insert("key", json!(1));
        f.insert(" key ", json!(2));
        f.insert("key", json!(3));
        // A literal `key_2` is a key of its own, and its repeat is `key_2_2`.
        f.insert("key_2", json!(4));
        assert_eq!(Value::Object(f.map), json!({"key": 1, "key_2": 2, "key_3": 3, "key_2_2": 4}));

        // Names already taken (by a literal key, or set directly) are skipped, and keep their value.
        let mut f = Fields::default();
        f.insert("key_2", json!("literal"));
        f.map.insert("key_4".into(), json!("direct"));
        for i in 0..4 {
            f.insert("key", json!(i));
        }
        f.insert("key_2", json!("again"));
        let expected = json!({
            "key_2": "literal", "key_4": "direct", "key": 0, "key_3": 1, "key_5": 2, "key_6": 3, "key_2_2": "again"
        });
        assert_eq!(Value::Object(f.map), expected);
    }

    #[test]
    fn a_key_repeated_n_times_costs_n_probes() {
        let before = probes::made();
        let mut f = Fields::default();
        for i in 0..10_000 {
            f.insert("note", json!(i));
        }
        assert_eq!(f.map.len(), 10_000);
        assert_eq!(f.map["note_10000"], json!(9_999));
        assert_eq!(probes::made() - before, 10_000);
    }

    #[test]
    fn table_names_are_unique_and_url_safe() {
        let mut names = TableNames::reserving(&["file"]);
        let got: Vec<_> = ["Fe 2p", "Fe 2p", "Fe_2p_2", "", "file", "Fe 2p"].iter().map(|r| names.name(r)).collect();
        assert_eq!(got, ["Fe_2p", "Fe_2p_2", "Fe_2p_2_2", "region", "file_2", "Fe_2p_3"]);
    }
}
