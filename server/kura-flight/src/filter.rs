//! The filter language of Flight commands: comparisons joined by `AND`,
//!
//! ```text
//! filter     = comparison { "AND" comparison }
//! comparison = column op value
//! op         = "=" | "!=" | "<>" | "<" | "<=" | ">" | ">="
//! value      = number | 'single-quoted text' ('' escapes a quote) | true | false
//! column     = name | "double-quoted name"
//! ```
//!
//! e.g. `Temperature >= 20.5 AND sample = 'A-1'`. Filters prune whole row groups by their
//! statistics (at GetFlightInfo, so pruned groups get no endpoint, and again at DoGet), then
//! run as a Parquet `RowFilter` that decodes only the filter columns before the others.
//! A comparison with NULL is false, as in SQL.

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

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

/// A literal on the right of a comparison.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Number(String),
    Text(String),
    Bool(bool),
}

/// `column op value`.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    pub column: String,
    pub op: Op,
    pub value: Value,
}

/// Comparisons that must all hold.
pub type Filter = Vec<Comparison>;

fn invalid(message: impl Into<String>) -> FlightError {
    FlightError::invalid(format!("filter: {}", message.into()))
}

#[derive(Debug, PartialEq)]
enum Token {
    Ident(String),
    Op(Op),
    Number(String),
    Text(String),
}

fn tokens(input: &str) -> Result<Vec<Token>, FlightError> {
    let chars: Vec<char> = input.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c == '\'' || c == '"' {
            let mut s = String::new();
            i += 1;
            loop {
                match chars.get(i) {
                    None => return Err(invalid("unterminated quote")),
                    Some(&q) if q == c && chars.get(i + 1) == Some(&c) => {
                        s.push(c);
                        i += 2;
                    }
                    Some(&q) if q == c => {
                        i += 1;
                        break;
                    }
                    Some(&other) => {
                        s.push(other);
                        i += 1;
                    }
                }
            }
            out.push(if c == '\'' { Token::Text(s) } else { Token::Ident(s) });
        } else if "=!<>".contains(c) {
            let two: String = chars[i..(i + 2).min(chars.len())].iter().collect();
            let (op, n) = match two.as_str() {
                "!=" | "<>" => (Op::Ne, 2),
                "<=" => (Op::Le, 2),
                ">=" => (Op::Ge, 2),
                _ => match c {
                    '=' => (Op::Eq, 1),
                    '<' => (Op::Lt, 1),
                    '>' => (Op::Gt, 1),
                    _ => return Err(invalid(format!("unknown operator at {i}"))),
                },
            };
            out.push(Token::Op(op));
            i += n;
        } else if c.is_ascii_digit() || ((c == '-' || c == '+' || c == '.') && i + 1 < chars.len()) {
            let start = i;
            i += 1;
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || ".+-_".contains(chars[i])) {
                if (chars[i] == '-' || chars[i] == '+') && !matches!(chars[i - 1], 'e' | 'E') {
                    break;
                }
                i += 1;
            }
            let s: String = chars[start..i].iter().collect();
            s.parse::<f64>().map_err(|_| invalid(format!("not a number: {s}")))?;
            out.push(Token::Number(s));
        } else if c.is_alphanumeric() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || "_.-".contains(chars[i])) {
                i += 1;
            }
            out.push(Token::Ident(chars[start..i].iter().collect()));
        } else {
            return Err(invalid(format!("unexpected {c:?} at {i}")));
        }
    }
    Ok(out)
}

/// Parses a filter; an empty string is no filter.
pub fn parse(input: &str) -> Result<Filter, FlightError> {
    let mut toks = tokens(input)?.into_iter().peekable();
    let mut out = Vec::new();
    while toks.peek().is_some() {
        if !out.is_empty() {
            match toks.next() {
                Some(Token::Ident(w)) if w.eq_ignore_ascii_case("and") => {}
                _ => return Err(invalid("comparisons are joined by AND")),
            }
        }
        let column = match toks.next() {
            Some(Token::Ident(c)) => c,
            _ => return Err(invalid("expected a column name")),
        };
        let op = match toks.next() {
            Some(Token::Op(op)) => op,
            _ => return Err(invalid(format!("expected an operator after {column}"))),
        };
        let value = match toks.next() {
            Some(Token::Number(n)) => Value::Number(n),
            Some(Token::Text(t)) => Value::Text(t),
            Some(Token::Ident(w)) if w.eq_ignore_ascii_case("true") => Value::Bool(true),
            Some(Token::Ident(w)) if w.eq_ignore_ascii_case("false") => Value::Bool(false),
            _ => return Err(invalid(format!("expected a value after {column}"))),
        };
        out.push(Comparison { column, op, value });
    }
    Ok(out)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_parse() {
        let f = parse("Temperature >= 20.5 AND sample = 'A''1' and \"odd name\" != -3e2 AND ok = true").unwrap();
        assert_eq!(f.len(), 4);
        assert_eq!(f[0], Comparison { column: "Temperature".into(), op: Op::Ge, value: Value::Number("20.5".into()) });
        assert_eq!(f[1].value, Value::Text("A'1".into()));
        assert_eq!(f[2].column, "odd name");
        assert_eq!(f[2].value, Value::Number("-3e2".into()));
        assert_eq!(f[3].value, Value::Bool(true));
        assert!(parse("").unwrap().is_empty());
        for bad in ["a >", "a 1", "a = 1 OR b = 2", "= 1", "a = 'x", "a = 1 b = 2", "a ~ 1"] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }
}
