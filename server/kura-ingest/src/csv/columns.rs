//! Column naming, the Arrow schema, and the per-column builders of the streaming pass.

use std::collections::HashSet;
use std::sync::Arc;

use arrow::array::{
    ArrayRef, BooleanBuilder, Float64Builder, Int64Builder, StringBuilder, TimestampMicrosecondBuilder,
};
use arrow::datatypes::{Field, Schema, SchemaRef};

use crate::reader::ColumnInfo;

use super::infer::ColType;
use super::values::{self, Parsed};
use crate::units;

/// Which source fields become columns, and what they are called.
#[derive(Debug, Clone)]
pub(crate) struct Plan {
    /// Source field index of each column.
    pub keep: Vec<usize>,
    pub columns: Vec<ColumnInfo>,
}

/// Names the columns. Trailing columns without a label and without a value in the sample (a
/// header line ending in a delimiter) are dropped. Names are the label without its unit, made
/// unique with `_2`, `_3`; an empty label gives `column_N` (N counts source fields from 1).
pub(crate) fn plan(labels: Option<&[String]>, rows: &[Vec<String>], width: usize) -> Plan {
    let label = |i: usize| labels.and_then(|l| l.get(i)).map(String::as_str);
    let mut kept = width;
    while kept > 1
        && label(kept - 1).is_none_or(|l| l.trim().is_empty())
        && rows.iter().all(|r| r.get(kept - 1).is_none_or(|v| v.trim().is_empty()))
    {
        kept -= 1;
    }
    Plan { keep: (0..kept).collect(), columns: name_columns(labels, kept) }
}

/// Names `count` columns from their labels: the label without its unit, made unique with `_2`,
/// `_3`; a missing or empty label gives `column_N` (N counts from 1).
pub(crate) fn name_columns(labels: Option<&[String]>, count: usize) -> Vec<ColumnInfo> {
    let label = |i: usize| labels.and_then(|l| l.get(i)).map(String::as_str);
    let mut seen = HashSet::new();
    let mut columns = Vec::with_capacity(count);
    for i in 0..count {
        let original = label(i).unwrap_or_default();
        let split = units::split_label(original);
        let base = if split.name.is_empty() { format!("column_{}", i + 1) } else { split.name };
        let mut name = base.clone();
        let mut n = 1;
        while !seen.insert(name.clone()) {
            n += 1;
            name = format!("{base}_{n}");
        }
        columns.push(ColumnInfo {
            name,
            original_label: original.to_string(),
            unit: split.unit,
            ucum: split.ucum,
            qudt: split.qudt,
            description: None,
        });
    }
    columns
}

/// The Arrow schema; each field carries the `kura:*` metadata that is known.
pub(crate) fn schema(plan: &Plan, types: &[ColType]) -> SchemaRef {
    let fields: Vec<Field> = plan.columns.iter().zip(types).map(|(c, t)| c.field(t.data_type())).collect();
    Arc::new(Schema::new(fields))
}

/// Builds one column of a batch.
pub(crate) enum ColBuilder {
    Int(Int64Builder),
    Float(Float64Builder),
    /// A float column written with a decimal comma or thousands separators.
    FloatFormatted(Float64Builder, values::Numbers),
    /// An integer column written with thousands separators.
    IntGrouped(Int64Builder, values::Numbers),
    Bool(BooleanBuilder),
    Timestamp(TimestampMicrosecondBuilder, bool, values::DateCache),
    Text(StringBuilder),
}

impl ColBuilder {
    /// A builder for a column of type `t` whose numbers are written in `num`'s format; plain
    /// `.` numbers keep the fast builders.
    pub(crate) fn new(t: ColType, rows: usize, num: values::Numbers) -> Self {
        match t {
            ColType::Int if num.group.is_some() => ColBuilder::IntGrouped(Int64Builder::with_capacity(rows), num),
            ColType::Int => ColBuilder::Int(Int64Builder::with_capacity(rows)),
            ColType::Float if num != values::Numbers::DOT => {
                ColBuilder::FloatFormatted(Float64Builder::with_capacity(rows), num)
            }
            ColType::Float => ColBuilder::Float(Float64Builder::with_capacity(rows)),
            ColType::Bool => ColBuilder::Bool(BooleanBuilder::with_capacity(rows)),
            ColType::Timestamp { tz } => {
                let b = TimestampMicrosecondBuilder::with_capacity(rows);
                let b = if tz { b.with_timezone("UTC") } else { b };
                ColBuilder::Timestamp(b, tz, values::DateCache::default())
            }
            ColType::Text => ColBuilder::Text(StringBuilder::with_capacity(rows, rows * 16)),
        }
    }

    /// Appends a raw cell; false when it does not fit the column's type.
    #[inline]
    pub(crate) fn push(&mut self, v: &[u8]) -> bool {
        match self {
            ColBuilder::Int(b) => return append(b, values::parse_i64(v)),
            ColBuilder::Float(b) => return append(b, values::parse_f64(v)),
            ColBuilder::FloatFormatted(b, num) => return append(b, values::parse_f64_dec(v, *num)),
            ColBuilder::IntGrouped(b, num) => return append(b, values::parse_i64_num(v, *num)),
            ColBuilder::Bool(b) => match values::parse_bool(v) {
                Parsed::Value(x) => b.append_value(x),
                Parsed::Null => b.append_null(),
                Parsed::Mismatch => return false,
            },
            ColBuilder::Timestamp(b, tz, cache) => return append(b, values::parse_ts(v, *tz, cache)),
            ColBuilder::Text(b) => {
                if v.is_empty() {
                    b.append_null();
                } else {
                    match std::str::from_utf8(v) {
                        Ok(s) => b.append_value(s),
                        Err(_) => b.append_value(String::from_utf8_lossy(v)),
                    }
                }
            }
        }
        true
    }

    pub(crate) fn push_null(&mut self) {
        match self {
            ColBuilder::Int(b) | ColBuilder::IntGrouped(b, _) => b.append_null(),
            ColBuilder::Float(b) | ColBuilder::FloatFormatted(b, _) => b.append_null(),
            ColBuilder::Bool(b) => b.append_null(),
            ColBuilder::Timestamp(b, ..) => b.append_null(),
            ColBuilder::Text(b) => b.append_null(),
        }
    }

    pub(crate) fn finish(&mut self) -> ArrayRef {
        match self {
            ColBuilder::Int(b) | ColBuilder::IntGrouped(b, _) => Arc::new(b.finish()),
            ColBuilder::Float(b) | ColBuilder::FloatFormatted(b, _) => Arc::new(b.finish()),
            ColBuilder::Bool(b) => Arc::new(b.finish()),
            ColBuilder::Timestamp(b, ..) => Arc::new(b.finish()),
            ColBuilder::Text(b) => Arc::new(b.finish()),
        }
    }
}

#[inline]
fn append<T: arrow::datatypes::ArrowPrimitiveType>(
    b: &mut arrow::array::PrimitiveBuilder<T>,
    p: Parsed<T::Native>,
) -> bool {
    match p {
        Parsed::Value(x) => b.append_value(x),
        Parsed::Null => b.append_null(),
        Parsed::Mismatch => return false,
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn names_are_unique_and_trailing_empty_column_dropped() {
        let labels = strings(&["T [K]", "T [K]", "", " x ", ""]);
        let rows = vec![strings(&["1", "2", "3", "4", ""]), strings(&["1", "2", "3", "4"])];
        let p = plan(Some(&labels), &rows, 5);
        let names: Vec<_> = p.columns.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["T", "T_2", "column_3", "x"]);
        assert_eq!(p.columns[1].original_label, "T [K]");
        assert_eq!(p.columns[1].ucum.as_deref(), Some("K"));
        assert_eq!(p.columns[3].original_label, " x ");
        let p = plan(None, &rows[..1], 5);
        assert_eq!(p.columns.len(), 4);
        assert_eq!(p.columns[0].name, "column_1");
    }
}
