//! Tables of array points: `peaks` (one row per peak of every spectrum) and `chromatograms`
//! (one row per point of every chromatogram). One Float64 column per array type the file holds
//! (m/z, intensity, charge, signal to noise, ion mobility…), found in the first pass so that the
//! schema is known before the first row is written.

use std::sync::Arc;

use arrow::array::{ArrayRef, Float64Builder, Int64Builder};
use arrow::datatypes::{DataType, Schema, SchemaRef};
use arrow::record_batch::RecordBatch;

use super::model::{Record, column};
use crate::{ColumnInfo, ReadError, TableSink, TableStart};

/// Rows per batch.
pub const BATCH: usize = 65_536;
/// Most array types one table takes; a file declaring more is refused.
const MAX_COLUMNS: usize = 64;

#[derive(Debug, Clone)]
struct ArrayColumn {
    column: String,
    label: String,
    unit_accession: Option<String>,
    unit_name: Option<String>,
}

/// The array columns of a points table, gathered over every record.
#[derive(Debug, Default)]
pub struct Layout {
    columns: Vec<ArrayColumn>,
}

impl Layout {
    /// Notes the array types of `record`.
    pub fn observe(&mut self, record: &Record) -> Result<(), ReadError> {
        for a in &record.arrays {
            if self.columns.iter().any(|c| c.column == a.column) {
                continue;
            }
            if self.columns.len() >= MAX_COLUMNS {
                return Err(super::scan::malformed(format!("more than {MAX_COLUMNS} kinds of data arrays")));
            }
            self.columns.push(ArrayColumn {
                column: a.column.clone(),
                label: a.label.clone(),
                unit_accession: a.unit_accession.clone(),
                unit_name: a.unit_name.clone(),
            });
        }
        // The axis first, then intensity, then the rest as first seen.
        self.columns.sort_by_key(|c| match c.column.as_str() {
            "mz" | "time" => 0,
            "intensity" => 1,
            _ => 2,
        });
        Ok(())
    }

    pub fn is_empty(&self) -> bool {
        self.columns.is_empty()
    }

    /// Column names, for the report.
    pub fn names(&self) -> Vec<String> {
        self.columns.iter().map(|c| c.column.clone()).collect()
    }
}

/// A points table being written.
pub struct PointsTable {
    columns: Vec<ArrayColumn>,
    schema: SchemaRef,
    key: Int64Builder,
    values: Vec<Float64Builder>,
    pending: usize,
    pub rows: u64,
    pub warnings: Vec<String>,
}

impl PointsTable {
    /// Begins table `name` whose first column `key` holds the record index.
    pub fn begin(name: &str, key: &str, layout: &Layout, sink: &mut dyn TableSink) -> Result<Self, ReadError> {
        let mut infos = vec![ColumnInfo::with_unit(key, key, None)];
        let mut fields = vec![infos[0].field(DataType::Int64)];
        for c in &layout.columns {
            let fallback = (c.column == "intensity").then_some("a.u.");
            let info = column(&c.column, &c.label, c.unit_accession.as_deref(), c.unit_name.as_deref(), fallback);
            fields.push(info.field(DataType::Float64));
            infos.push(info);
        }
        let schema = Arc::new(Schema::new(fields));
        sink.begin_table(TableStart { name: name.into(), schema: schema.clone(), columns: infos })?;
        Ok(PointsTable {
            columns: layout.columns.clone(),
            schema,
            key: Int64Builder::with_capacity(BATCH),
            values: layout.columns.iter().map(|_| Float64Builder::with_capacity(BATCH)).collect(),
            pending: 0,
            rows: 0,
            warnings: Vec::new(),
        })
    }

    /// Appends every point of `record`, writing full batches as they fill.
    pub fn push(&mut self, record: &Record, sink: &mut dyn TableSink) -> Result<(), ReadError> {
        let arrays: Vec<_> = self.columns.iter().map(|c| record.array(&c.column)).collect();
        for (column, array) in self.columns.iter().zip(&arrays) {
            if let Some(a) = array
                && (a.unit_accession != column.unit_accession || a.unit_name != column.unit_name)
                && self.warnings.len() < 10
            {
                self.warnings.push(format!(
                    "{}: {} unit {:?} differs from the column's {:?}",
                    record.describe(),
                    a.label,
                    a.unit_name,
                    column.unit_name
                ));
            }
        }
        let total = arrays.iter().flatten().map(|a| a.values.len()).max().unwrap_or(0);
        let mut done = 0;
        while done < total {
            let take = (total - done).min(BATCH - self.pending);
            self.key.append_value_n(record.index, take);
            for (builder, array) in self.values.iter_mut().zip(&arrays) {
                let values = array.map_or(&[][..], |a| a.values.as_slice());
                let available = values.len().saturating_sub(done).min(take);
                if available > 0 {
                    builder.append_slice(&values[done..done + available]);
                }
                builder.append_nulls(take - available);
            }
            done += take;
            self.pending += take;
            if self.pending >= BATCH {
                self.flush(sink)?;
            }
        }
        Ok(())
    }

    fn flush(&mut self, sink: &mut dyn TableSink) -> Result<(), ReadError> {
        if self.pending == 0 {
            return Ok(());
        }
        let mut arrays: Vec<ArrayRef> = vec![Arc::new(self.key.finish())];
        arrays.extend(self.values.iter_mut().map(|b| Arc::new(b.finish()) as ArrayRef));
        let batch = RecordBatch::try_new(self.schema.clone(), arrays)?;
        self.rows += self.pending as u64;
        self.pending = 0;
        sink.write_batch(&batch)?;
        Ok(())
    }

    /// Writes what is pending and closes the table.
    pub fn finish(&mut self, sink: &mut dyn TableSink) -> Result<(), ReadError> {
        self.flush(sink)?;
        sink.finish_table()?;
        Ok(())
    }
}
