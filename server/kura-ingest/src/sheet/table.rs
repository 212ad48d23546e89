//! The second pass over a sheet: its data rows into Arrow batches.

use std::sync::Arc;

use arrow::datatypes::Schema;
use arrow::record_batch::RecordBatch;

use crate::csv::columns::name_columns;
use crate::reader::{ColumnInfo, ReadError, TableSink, TableStart};

use super::cells::{self, Book, Cell};
use super::scan::{Rows, Scan};
use super::shape::Shape;
use super::types::{Acc, Builder, SheetType};

/// Which sheet columns become table columns, named and typed.
#[derive(Debug, Clone)]
pub(crate) struct Plan {
    pub data_from: u32,
    /// Leftmost used sheet column; `keep` is indexed from it.
    pub min_col: u32,
    /// Per sheet column from `min_col`: its table column, if kept.
    pub keep: Vec<Option<usize>>,
    pub columns: Vec<ColumnInfo>,
    pub types: Vec<SheetType>,
    /// Columns that mixed kinds of values and are read as text.
    pub mixed: Vec<String>,
}

/// Types every column over the data rows, keeps columns with a label or a value, names them.
pub(crate) fn plan(scan: &Scan, shape: &Shape, min_col: u32) -> Plan {
    fn acc_at(accs: &mut Vec<Acc>, rel: usize) -> &mut Acc {
        if accs.len() <= rel {
            accs.resize(rel + 1, Acc::default());
        }
        &mut accs[rel]
    }
    let mut accs: Vec<Acc> = Vec::new();
    for (_, cells) in scan.sample.iter().filter(|(r, _)| *r >= shape.data_from) {
        for (col, cell) in cells {
            acc_at(&mut accs, (col - min_col) as usize).add(cell);
        }
    }
    for (col, tail) in scan.tail.iter().enumerate().skip(min_col as usize) {
        acc_at(&mut accs, col - min_col as usize).join(*tail);
    }
    let labels = shape.labels.as_deref().unwrap_or_default();
    let width = accs.len().max(labels.len());
    let label = |i: usize| labels.get(i).map(|l| l.trim()).unwrap_or_default();
    let mut keep = vec![None; width];
    let mut kept_labels = Vec::new();
    let mut types = Vec::new();
    for (i, slot) in keep.iter_mut().enumerate() {
        let acc = accs.get(i).copied().unwrap_or_default();
        if acc.seen.is_some() || !label(i).is_empty() {
            *slot = Some(kept_labels.len());
            kept_labels.push(labels.get(i).cloned().unwrap_or_default());
            types.push(acc.finish());
        }
    }
    let columns = name_columns(Some(&kept_labels), kept_labels.len());
    let mixed = keep
        .iter()
        .enumerate()
        .filter_map(|(i, k)| k.filter(|_| accs.get(i).is_some_and(|a| a.mixed)).map(|k| columns[k].name.clone()))
        .collect();
    Plan { data_from: shape.data_from, min_col, keep, columns, types, mixed }
}

/// What writing the table found.
#[derive(Debug, Default)]
pub(crate) struct Stats {
    pub rows: u64,
    /// Error cells (`#DIV/0!`) read as null, and the first one with its reference.
    pub errors: u64,
    pub first_error: Option<String>,
    /// Cells that did not fit their column's type (read as null).
    pub misfits: u64,
}

struct Batches<'a> {
    plan: &'a Plan,
    builders: Vec<Builder>,
    pending: usize,
    batch_rows: usize,
    schema: Arc<Schema>,
    stats: Stats,
}

impl Batches<'_> {
    fn row(&mut self, sheet_row: u32, cells: Vec<(u32, Cell)>, sink: &mut dyn TableSink) -> Result<(), ReadError> {
        if sheet_row < self.plan.data_from {
            return Ok(());
        }
        let mut dense: Vec<Option<Cell>> = vec![None; self.builders.len()];
        for (col, cell) in cells {
            let rel = col.checked_sub(self.plan.min_col).map(|c| c as usize);
            if let Some(k) = rel.and_then(|r| self.plan.keep.get(r).copied().flatten()) {
                if let Cell::Error(e) = &cell {
                    self.stats.errors += 1;
                    self.stats.first_error.get_or_insert_with(|| format!("{e} at {}", cells::a1(sheet_row, col)));
                }
                dense[k] = Some(cell);
            }
        }
        for (b, cell) in self.builders.iter_mut().zip(&dense) {
            if !b.push(cell.as_ref()) && !matches!(cell, Some(Cell::Error(_))) {
                self.stats.misfits += 1;
            }
        }
        self.stats.rows += 1;
        self.pending += 1;
        if self.pending >= self.batch_rows {
            self.flush(sink)?;
        }
        Ok(())
    }

    fn flush(&mut self, sink: &mut dyn TableSink) -> Result<(), ReadError> {
        if self.pending == 0 {
            return Ok(());
        }
        let arrays = self.builders.iter_mut().map(Builder::finish).collect();
        let batch = RecordBatch::try_new(self.schema.clone(), arrays)?;
        sink.write_batch(&batch)?;
        self.pending = 0;
        Ok(())
    }
}

/// Streams the sheet's data rows into `sink` as table `name`.
pub(crate) fn write(
    book: &mut Book,
    sheet: &str,
    name: &str,
    plan: &Plan,
    sink: &mut dyn TableSink,
    batch_rows: usize,
) -> Result<Stats, ReadError> {
    let fields: Vec<_> = plan.columns.iter().zip(&plan.types).map(|(c, t)| c.field(t.data_type())).collect();
    let schema = Arc::new(Schema::new(fields));
    sink.begin_table(TableStart { name: name.to_string(), schema: schema.clone(), columns: plan.columns.clone() })?;
    let mut out = Batches {
        plan,
        builders: plan.types.iter().map(|t| Builder::new(*t)).collect(),
        pending: 0,
        batch_rows: batch_rows.max(1),
        schema,
        stats: Stats::default(),
    };
    let mut rows = Rows::default();
    let result = cells::for_each_cell(book, sheet, &mut |row, col, cell| {
        if row < plan.data_from {
            return Ok(());
        }
        match rows.push(sheet, row, col, cell)? {
            Some((r, cells)) => out.row(r, cells, sink),
            None => Ok(()),
        }
    })
    .and_then(|()| match rows.finish() {
        Some((r, cells)) => out.row(r, cells, sink),
        None => Ok(()),
    })
    .and_then(|()| out.flush(sink));
    if let Err(e) = result {
        sink.discard_table();
        return Err(e);
    }
    sink.finish_table()?;
    Ok(out.stats)
}
