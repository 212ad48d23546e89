//! Flight filters at work: which columns they may name, which row groups they rule out by their
//! statistics (at GetFlightInfo, so pruned groups get no endpoint, and again at DoGet), and the
//! Parquet `RowFilter` that decodes only the filter columns before the others. The language
//! itself is in `filter/parse.rs`. A comparison with NULL is false, as in SQL.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, BooleanArray, Scalar, StringArray};
use arrow::compute::cast;
use arrow::compute::kernels::cmp;
use arrow::datatypes::{DataType, Schema};
use arrow::record_batch::RecordBatch;
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::statistics::StatisticsConverter;
use parquet::arrow::arrow_reader::{ArrowPredicateFn, RowFilter};
use parquet::file::metadata::ParquetMetaData;
use parquet::schema::types::SchemaDescriptor;

use crate::error::FlightError;

mod parse;

pub use parse::{Comparison, Filter, Op, ParseError, Value, parse};

impl From<ParseError> for FlightError {
    fn from(e: ParseError) -> Self {
        FlightError::invalid(e.to_string())
    }
}

fn invalid(message: impl Into<String>) -> FlightError {
    FlightError::invalid(format!("filter: {}", message.into()))
}

/// Checks that every filter column is one the caller may see (a hidden one is refused exactly
/// like a column that does not exist).
pub fn check_columns(filter: &Filter, visible: &[String]) -> Result<(), FlightError> {
    match filter.iter().find(|c| !visible.contains(&c.column)) {
        Some(c) => Err(FlightError::invalid(format!("no column named {:?}", c.column))),
        None => Ok(()),
    }
}

/// The literal as a one-element array of `data_type`.
fn literal(value: &Value, data_type: &DataType) -> Result<ArrayRef, FlightError> {
    let text: ArrayRef = Arc::new(StringArray::from(vec![match value {
        Value::Number(n) => n.clone(),
        Value::Text(t) => t.clone(),
        Value::Bool(b) => b.to_string(),
    }]));
    let target = match data_type {
        DataType::Dictionary(_, v) => v.as_ref().clone(),
        other => other.clone(),
    };
    let out = cast(&text, &target).map_err(|e| invalid(format!("cannot compare with {target}: {e}")))?;
    if out.is_null(0) {
        return Err(invalid(format!("{value:?} is not a {target}")));
    }
    Ok(out)
}

fn compare(
    op: Op,
    left: &dyn arrow::array::Datum,
    right: &dyn arrow::array::Datum,
) -> Result<BooleanArray, FlightError> {
    let r = match op {
        Op::Eq => cmp::eq(left, right),
        Op::Ne => cmp::neq(left, right),
        Op::Lt => cmp::lt(left, right),
        Op::Le => cmp::lt_eq(left, right),
        Op::Gt => cmp::gt(left, right),
        Op::Ge => cmp::gt_eq(left, right),
    };
    r.map_err(|e| invalid(e.to_string()))
}

/// Row groups (indices) whose statistics show that no row can match; the others are kept.
pub fn prune(filter: &Filter, schema: &Schema, metadata: &ParquetMetaData) -> Result<Vec<bool>, FlightError> {
    let groups = metadata.row_groups();
    let mut keep = vec![true; groups.len()];
    for c in filter {
        let field =
            schema.field_with_name(&c.column).map_err(|_| invalid(format!("no column named {:?}", c.column)))?;
        let lit = literal(&c.value, field.data_type())?;
        let Ok(converter) = StatisticsConverter::try_new(&c.column, schema, metadata.file_metadata().schema_descr())
        else {
            continue;
        };
        let (Ok(mins), Ok(maxs)) = (converter.row_group_mins(groups.iter()), converter.row_group_maxes(groups.iter()))
        else {
            continue;
        };
        let lit = match cast(&lit, mins.data_type()) {
            Ok(l) => l,
            Err(_) => continue,
        };
        let scalar = Scalar::new(lit);
        // "Cannot match" per group: e.g. `col > v` cannot match where max <= v.
        let impossible = match c.op {
            Op::Gt => compare(Op::Le, &maxs, &scalar)?,
            Op::Ge => compare(Op::Lt, &maxs, &scalar)?,
            Op::Lt => compare(Op::Ge, &mins, &scalar)?,
            Op::Le => compare(Op::Gt, &mins, &scalar)?,
            Op::Eq => arrow::compute::or(&compare(Op::Gt, &mins, &scalar)?, &compare(Op::Lt, &maxs, &scalar)?)?,
            Op::Ne => arrow::compute::and(&compare(Op::Eq, &mins, &scalar)?, &compare(Op::Eq, &maxs, &scalar)?)?,
        };
        for (i, k) in keep.iter_mut().enumerate() {
            // Missing statistics (null) never prune.
            if impossible.is_valid(i) && impossible.value(i) {
                *k = false;
            }
        }
    }
    Ok(keep)
}

/// The filter as a Parquet row filter over `schema` (the file's Arrow schema).
pub fn row_filter(
    filter: &Filter,
    schema: &Schema,
    parquet_schema: &SchemaDescriptor,
) -> Result<RowFilter, FlightError> {
    let mut predicates: Vec<Box<dyn parquet::arrow::arrow_reader::ArrowPredicate>> = Vec::new();
    for c in filter.clone() {
        let index = schema.index_of(&c.column).map_err(|_| invalid(format!("no column named {:?}", c.column)))?;
        let lit = Scalar::new(literal(&c.value, schema.field(index).data_type())?);
        let mask = ProjectionMask::roots(parquet_schema, [index]);
        predicates.push(Box::new(ArrowPredicateFn::new(mask, move |batch: RecordBatch| {
            let column = batch.column(0);
            let column = match column.data_type() {
                DataType::Dictionary(_, v) => cast(column, v)?,
                _ => column.clone(),
            };
            let result =
                compare(c.op, &column, &lit).map_err(|e| arrow::error::ArrowError::ExternalError(Box::new(e)))?;
            // NULL compares false.
            Ok(if result.null_count() > 0 { arrow::compute::prep_null_mask_filter(&result) } else { result })
        })));
    }
    Ok(RowFilter::new(predicates))
}
