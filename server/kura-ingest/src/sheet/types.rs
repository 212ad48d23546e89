//! Column types from typed cells, and the builders that turn cells into Arrow arrays.
//!
//! Spreadsheet cells carry their type, so nothing is parsed from text here. A column of numbers is
//! Int64 when every number in it is integral (xlsx stores every number as a float, so `3` and
//! `3.0` are the same cell), Float64 otherwise; a column mixing kinds (numbers and text, dates
//! and booleans) is read as text, each cell rendered as it reads.

use std::sync::Arc;

use arrow::array::{
    ArrayRef, BooleanBuilder, DurationMicrosecondBuilder, Float64Builder, Int64Builder, StringBuilder,
    TimestampMicrosecondBuilder,
};
use arrow::datatypes::{DataType, TimeUnit};

use super::cells::Cell;

/// Largest float read as an integer: beyond 2^53 floats no longer hold every integer.
const MAX_EXACT_INT: f64 = 9_007_199_254_740_992.0;

/// The Arrow type chosen for a column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SheetType {
    Int,
    Float,
    Bool,
    Timestamp,
    Duration,
    Text,
}

impl SheetType {
    pub(crate) fn data_type(self) -> DataType {
        match self {
            SheetType::Int => DataType::Int64,
            SheetType::Float => DataType::Float64,
            SheetType::Bool => DataType::Boolean,
            SheetType::Timestamp => DataType::Timestamp(TimeUnit::Microsecond, None),
            SheetType::Duration => DataType::Duration(TimeUnit::Microsecond),
            SheetType::Text => DataType::Utf8,
        }
    }
}

fn integral(f: f64) -> Option<i64> {
    (f.fract() == 0.0 && f.abs() <= MAX_EXACT_INT).then_some(f as i64)
}

/// The type one cell asks for; `None` for errors, which are read as null.
fn kind(cell: &Cell) -> Option<SheetType> {
    Some(match cell {
        Cell::Int(_) => SheetType::Int,
        Cell::Float(f) if integral(*f).is_some() => SheetType::Int,
        Cell::Float(_) => SheetType::Float,
        Cell::Bool(_) => SheetType::Bool,
        Cell::Text(_) => SheetType::Text,
        Cell::Timestamp(_) => SheetType::Timestamp,
        Cell::Duration(_) => SheetType::Duration,
        Cell::Error(_) => return None,
    })
}

/// A column's type so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Acc {
    pub seen: Option<SheetType>,
    /// Kinds that do not share a type met in this column (so it is text).
    pub mixed: bool,
}

impl Acc {
    pub(crate) fn add(&mut self, cell: &Cell) {
        if let Some(k) = kind(cell) {
            self.join(Acc { seen: Some(k), mixed: false });
        }
    }

    pub(crate) fn join(&mut self, other: Acc) {
        use SheetType as T;
        self.mixed |= other.mixed;
        self.seen = match (self.seen, other.seen) {
            (a, None) => a,
            (None, b) => b,
            (Some(a), Some(b)) if a == b => Some(a),
            (Some(T::Int | T::Float), Some(T::Int | T::Float)) => Some(T::Float),
            _ => {
                self.mixed = true;
                Some(T::Text)
            }
        };
    }

    /// The column type; a column of only errors or nothing is text.
    pub(crate) fn finish(self) -> SheetType {
        self.seen.unwrap_or(SheetType::Text)
    }
}

/// Builds one column of a batch.
pub(crate) enum Builder {
    Int(Int64Builder),
    Float(Float64Builder),
    Bool(BooleanBuilder),
    Timestamp(TimestampMicrosecondBuilder),
    Duration(DurationMicrosecondBuilder),
    Text(StringBuilder),
}

impl Builder {
    pub(crate) fn new(t: SheetType) -> Self {
        match t {
            SheetType::Int => Builder::Int(Int64Builder::new()),
            SheetType::Float => Builder::Float(Float64Builder::new()),
            SheetType::Bool => Builder::Bool(BooleanBuilder::new()),
            SheetType::Timestamp => Builder::Timestamp(TimestampMicrosecondBuilder::new()),
            SheetType::Duration => Builder::Duration(DurationMicrosecondBuilder::new()),
            SheetType::Text => Builder::Text(StringBuilder::new()),
        }
    }

    /// Appends a cell (`None`: empty); false when the cell did not fit and a null was appended
    /// instead (errors, or a disagreement between the two passes, which cannot happen on a file
    /// that does not change underneath).
    pub(crate) fn push(&mut self, cell: Option<&Cell>) -> bool {
        let Some(cell) = cell else {
            self.push_null();
            return true;
        };
        let fits = match (&mut *self, cell) {
            (Builder::Int(b), Cell::Int(i)) => {
                b.append_value(*i);
                true
            }
            (Builder::Int(b), Cell::Float(f)) => match integral(*f) {
                Some(i) => {
                    b.append_value(i);
                    true
                }
                None => false,
            },
            (Builder::Float(b), Cell::Int(i)) => {
                b.append_value(*i as f64);
                true
            }
            (Builder::Float(b), Cell::Float(f)) => {
                if f.is_nan() {
                    b.append_null();
                } else {
                    b.append_value(*f);
                }
                true
            }
            (Builder::Bool(b), Cell::Bool(x)) => {
                b.append_value(*x);
                true
            }
            (Builder::Timestamp(b), Cell::Timestamp(t)) => {
                b.append_value(*t);
                true
            }
            (Builder::Duration(b), Cell::Duration(d)) => {
                b.append_value(*d);
                true
            }
            (Builder::Text(b), c) if !matches!(c, Cell::Error(_)) => {
                b.append_value(c.render());
                true
            }
            _ => false,
        };
        if !fits {
            self.push_null();
        }
        fits
    }

    fn push_null(&mut self) {
        match self {
            Builder::Int(b) => b.append_null(),
            Builder::Float(b) => b.append_null(),
            Builder::Bool(b) => b.append_null(),
            Builder::Timestamp(b) => b.append_null(),
            Builder::Duration(b) => b.append_null(),
            Builder::Text(b) => b.append_null(),
        }
    }

    pub(crate) fn finish(&mut self) -> ArrayRef {
        match self {
            Builder::Int(b) => Arc::new(b.finish()),
            Builder::Float(b) => Arc::new(b.finish()),
            Builder::Bool(b) => Arc::new(b.finish()),
            Builder::Timestamp(b) => Arc::new(b.finish()),
            Builder::Duration(b) => Arc::new(b.finish()),
            Builder::Text(b) => Arc::new(b.finish()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn acc(cells: &[Cell]) -> Acc {
        let mut a = Acc::default();
        cells.iter().for_each(|c| a.add(c));
        a
    }

    #[test]
    fn joins() {
        assert_eq!(acc(&[Cell::Float(1.0), Cell::Int(2)]).finish(), SheetType::Int);
        assert_eq!(acc(&[Cell::Float(1.5), Cell::Int(2)]).finish(), SheetType::Float);
        assert_eq!(acc(&[Cell::Error("#N/A".into()), Cell::Bool(true)]).finish(), SheetType::Bool);
        let mixed = acc(&[Cell::Float(1.0), Cell::Text("x".into())]);
        assert!(mixed.mixed);
        assert_eq!(mixed.finish(), SheetType::Text);
        assert_eq!(acc(&[Cell::Float(1e300)]).finish(), SheetType::Float);
    }
}
