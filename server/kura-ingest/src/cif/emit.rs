//! Second pass: every loop's rows into Arrow batches of the types the first pass chose.

use std::sync::Arc;

use arrow::array::{ArrayRef, Float64Builder, Int64Builder, StringBuilder};
use arrow::datatypes::{DataType, Schema};
use arrow::record_batch::RecordBatch;

use super::lexer::Value;
use super::number;
use super::parser::Handler;
use super::scan::{ColType, LoopPlan};
use crate::{ColumnInfo, ReadError, TableSink, TableStart};

/// Rows per record batch.
pub(crate) const BATCH_ROWS: usize = 8192;

enum Builder {
    Int(Int64Builder),
    Float(Float64Builder),
    Text(StringBuilder),
}

struct Column {
    values: Builder,
    su: Option<Float64Builder>,
}

pub(crate) struct Emit<'a> {
    plans: &'a [LoopPlan],
    next: usize,
    sink: &'a mut dyn TableSink,
    progress: &'a mut dyn FnMut(u64),
    batch_rows: usize,
    schema: Option<Arc<Schema>>,
    columns: Vec<Column>,
    buffered: usize,
}

impl<'a> Emit<'a> {
    pub(crate) fn new(
        plans: &'a [LoopPlan],
        sink: &'a mut dyn TableSink,
        progress: &'a mut dyn FnMut(u64),
        batch_rows: usize,
    ) -> Self {
        Emit { plans, next: 0, sink, progress, batch_rows, schema: None, columns: Vec::new(), buffered: 0 }
    }

    fn flush(&mut self) -> Result<(), ReadError> {
        let Some(schema) = &self.schema else { return Ok(()) };
        let mut arrays: Vec<ArrayRef> = Vec::new();
        for c in &mut self.columns {
            arrays.push(match &mut c.values {
                Builder::Int(b) => Arc::new(b.finish()),
                Builder::Float(b) => Arc::new(b.finish()),
                Builder::Text(b) => Arc::new(b.finish()),
            });
            if let Some(su) = &mut c.su {
                arrays.push(Arc::new(su.finish()));
            }
        }
        let batch = RecordBatch::try_new(schema.clone(), arrays)?;
        self.buffered = 0;
        self.sink.write_batch(&batch)?;
        Ok(())
    }
}

/// The schema and column descriptions of a loop's table; an `_su` column follows each numeric
/// column whose values carry uncertainties.
pub(crate) fn table_start(plan: &LoopPlan) -> TableStart {
    let mut fields = Vec::new();
    let mut columns = Vec::new();
    for c in &plan.columns {
        let info = ColumnInfo::with_unit(&c.name, &c.tag, c.unit);
        let ty = match c.ty {
            ColType::Int => DataType::Int64,
            ColType::Float => DataType::Float64,
            ColType::Text => DataType::Utf8,
        };
        fields.push(info.field(ty));
        columns.push(info);
        if c.su {
            let mut su = ColumnInfo::with_unit(format!("{}_su", c.name), &c.tag, c.unit);
            su.description = Some(format!("standard uncertainty of {}, from the digits in parentheses", c.tag));
            fields.push(su.field(DataType::Float64));
            columns.push(su);
        }
    }
    TableStart { name: plan.table.clone(), schema: Arc::new(Schema::new(fields)), columns }
}

impl Handler for Emit<'_> {
    fn block(&mut self, _: &str, _: u64) -> Result<(), ReadError> {
        Ok(())
    }

    fn save(&mut self, _: Option<&str>, _: u64) -> Result<(), ReadError> {
        Ok(())
    }

    fn item(&mut self, _: &str, _: Value, _: u64) -> Result<(), ReadError> {
        Ok(())
    }

    fn loop_start(&mut self, _: &[String], line: u64) -> Result<(), ReadError> {
        let plan = self
            .plans
            .get(self.next)
            .ok_or_else(|| super::malformed(format!("loop at line {line} was not seen on the first pass")))?;
        self.next += 1;
        let start = table_start(plan);
        self.schema = Some(start.schema.clone());
        let cap = self.batch_rows.min(plan.rows as usize);
        self.columns = plan
            .columns
            .iter()
            .map(|c| Column {
                values: match c.ty {
                    ColType::Int => Builder::Int(Int64Builder::with_capacity(cap)),
                    ColType::Float => Builder::Float(Float64Builder::with_capacity(cap)),
                    ColType::Text => Builder::Text(StringBuilder::new()),
                },
                su: c.su.then(|| Float64Builder::with_capacity(cap)),
            })
            .collect();
        self.sink.begin_table(start)?;
        Ok(())
    }

    fn loop_row(&mut self, row: &mut Vec<Value>, consumed: u64) -> Result<(), ReadError> {
        for (column, value) in self.columns.iter_mut().zip(row.iter()) {
            let parsed = if value.is_null() { None } else { number::parse(&value.text) };
            match &mut column.values {
                Builder::Text(b) if value.is_null() => b.append_null(),
                Builder::Text(b) => b.append_value(&value.text),
                Builder::Int(b) => b.append_option(parsed.and_then(|n| n.int)),
                Builder::Float(b) => b.append_option(parsed.map(|n| n.value)),
            }
            if let Some(su) = &mut column.su {
                su.append_option(parsed.and_then(|n| n.su));
            }
        }
        self.buffered += 1;
        if self.buffered >= self.batch_rows {
            self.flush()?;
            (self.progress)(consumed);
        }
        Ok(())
    }

    fn loop_end(&mut self) -> Result<(), ReadError> {
        if self.buffered > 0 {
            self.flush()?;
        }
        self.schema = None;
        self.columns.clear();
        self.sink.finish_table()?;
        Ok(())
    }
}
