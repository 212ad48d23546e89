//! Column type inference over the sample, and the widening used when a later row disagrees.

use arrow::datatypes::{DataType, TimeUnit};

use super::values::{self, Kind, Numbers, Parsed};

/// How many data rows of the sample are used to infer column types.
pub(crate) const INFER_ROWS: usize = 1000;

/// The Arrow type chosen for a column. Ordered by generality along each widening path:
/// integer → float → text, boolean → text, timestamp → timestamp with time zone → text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ColType {
    Int,
    Float,
    Bool,
    /// `tz`: values carried an offset, so they are stored as UTC.
    Timestamp {
        tz: bool,
    },
    Text,
}

impl ColType {
    /// The Arrow type for this column type.
    pub(crate) fn data_type(self) -> DataType {
        match self {
            ColType::Int => DataType::Int64,
            ColType::Float => DataType::Float64,
            ColType::Bool => DataType::Boolean,
            ColType::Timestamp { tz: false } => DataType::Timestamp(TimeUnit::Microsecond, None),
            ColType::Timestamp { tz: true } => DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
            ColType::Text => DataType::Utf8,
        }
    }

    /// Short name used in warnings.
    pub(crate) fn label(self) -> &'static str {
        match self {
            ColType::Int => "integer",
            ColType::Float => "float",
            ColType::Bool => "boolean",
            ColType::Timestamp { tz: false } => "timestamp",
            ColType::Timestamp { tz: true } => "timestamp with time zone",
            ColType::Text => "text",
        }
    }

    /// Whether a raw cell fits this type (null tokens fit every type), with numbers written in
    /// `num`'s format.
    pub(crate) fn accepts_dec(self, v: &[u8], num: Numbers) -> bool {
        match self {
            ColType::Int => !matches!(values::parse_i64_num(v, num), Parsed::Mismatch),
            ColType::Float => !matches!(values::parse_f64_dec(v, num), Parsed::Mismatch),
            ColType::Bool => !matches!(values::parse_bool(v), Parsed::Mismatch),
            ColType::Timestamp { tz } => {
                let parsed = values::parse_ts(v, tz, &mut values::DateCache::default());
                !matches!(parsed, Parsed::Mismatch)
            }
            ColType::Text => true,
        }
    }

    /// The narrowest type holding both this type's values and a cell of kind `k`.
    pub(crate) fn join(self, k: Kind) -> ColType {
        use ColType as C;
        match (self, k) {
            (t, Kind::Null { .. }) => t,
            (C::Int, Kind::Int) => C::Int,
            (C::Int | C::Float, Kind::Int | Kind::Float) => C::Float,
            (C::Bool, Kind::Bool) => C::Bool,
            (C::Timestamp { tz: a }, Kind::Timestamp { tz: b }) => C::Timestamp { tz: a || b },
            _ => C::Text,
        }
    }
}

/// Per-column inference state while walking the sample.
#[derive(Debug, Clone, Copy, Default)]
struct Acc {
    seen: Option<ColType>,
    numeric_null: bool,
}

/// Infers one type per column from sample rows (`ncols` columns; short rows count as nulls).
pub(crate) fn infer_types<R: AsRef<[u8]>>(rows: &[Vec<R>], ncols: usize) -> Vec<ColType> {
    infer_types_dec(rows, ncols, Numbers::DOT)
}

/// [`infer_types`] with numbers written in `num`'s format.
pub(crate) fn infer_types_dec<R: AsRef<[u8]>>(rows: &[Vec<R>], ncols: usize, num: Numbers) -> Vec<ColType> {
    let mut acc = vec![Acc::default(); ncols];
    for row in rows.iter().take(INFER_ROWS) {
        for (a, cell) in acc.iter_mut().zip(row.iter()) {
            let k = values::classify_dec(cell.as_ref(), num);
            a.seen = match (a.seen, k) {
                (s, Kind::Null { numeric }) => {
                    a.numeric_null |= numeric;
                    s
                }
                (None, k) => Some(first_type(k)),
                (Some(t), k) => Some(t.join(k)),
            };
        }
    }
    acc.into_iter()
        .map(|a| match a.seen {
            Some(t) => t,
            None if a.numeric_null => ColType::Float,
            None => ColType::Text,
        })
        .collect()
}

fn first_type(k: Kind) -> ColType {
    match k {
        Kind::Int => ColType::Int,
        Kind::Float => ColType::Float,
        Kind::Bool => ColType::Bool,
        Kind::Timestamp { tz } => ColType::Timestamp { tz },
        Kind::Text | Kind::Null { .. } => ColType::Text,
    }
}

/// Whether `first` is a header rather than data: some typed column rejects its cell and that
/// cell is a word, not a value (a date over a column typed from one row is still a row), or
/// every column is text (a table of words has a header far more often than not).
pub(crate) fn looks_like_header<R: AsRef<[u8]>>(first: &[R], types: &[ColType]) -> bool {
    looks_like_header_dec(first, types, Numbers::DOT)
}

/// [`looks_like_header`] with numbers written in `num`'s format.
pub(crate) fn looks_like_header_dec<R: AsRef<[u8]>>(first: &[R], types: &[ColType], num: Numbers) -> bool {
    if types.iter().all(|t| *t == ColType::Text) {
        return true;
    }
    first.iter().zip(types).any(|(cell, t)| {
        let cell = cell.as_ref();
        *t != ColType::Text && !t.accepts_dec(cell, num) && !values::is_data_like_dec(cell, num)
    })
}

/// Whether a line taken as the header also holds cells that read as values of their typed
/// columns (`Measurement export of run 7` over a table whose last column is numbers): then it
/// may be a title or a row rather than column names, and the choice is reported.
pub(crate) fn header_holds_values<R: AsRef<[u8]>>(first: &[R], types: &[ColType], num: Numbers) -> bool {
    first.iter().zip(types).any(|(cell, t)| {
        let cell = cell.as_ref().trim_ascii();
        *t != ColType::Text && !cell.is_empty() && values::is_data_like_dec(cell, num) && t.accepts_dec(cell, num)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn infers_each_type() {
        let rows: Vec<Vec<&str>> = vec![
            vec!["1", "1.5", "yes", "2024-01-01", "2024-01-01T00:00:00Z", "a", "NaN", ""],
            vec!["2", "2", "No", "2024-01-02 10:00:00", "2024-01-01", "b", "-1.#IND", ""],
            vec!["NA", "", "TRUE", "", "", "3", "", ""],
        ];
        let types = infer_types(&rows, 8);
        assert_eq!(
            types,
            vec![
                ColType::Int,
                ColType::Float,
                ColType::Bool,
                ColType::Timestamp { tz: false },
                ColType::Timestamp { tz: true },
                ColType::Text,
                ColType::Float,
                ColType::Text,
            ]
        );
    }

    #[test]
    fn header_detection() {
        let types = [ColType::Int, ColType::Float];
        assert!(looks_like_header(&["x", "y"], &types));
        assert!(!looks_like_header(&["1", "2.5"], &types));
        assert!(looks_like_header(&["a", "b"], &[ColType::Text, ColType::Text]));
        // A date over a float column typed from one `NaN` row is a row, not a header.
        assert!(!looks_like_header(&["1.5", "2022-06-11"], &types));
        assert!(header_holds_values(&["run", "7"], &types, Numbers::DOT));
        assert!(!header_holds_values(&["run", "x"], &types, Numbers::DOT));
    }

    #[test]
    fn widening_joins() {
        assert_eq!(ColType::Int.join(Kind::Float), ColType::Float);
        assert_eq!(ColType::Int.join(Kind::Text), ColType::Text);
        assert_eq!(ColType::Bool.join(Kind::Int), ColType::Text);
        assert_eq!(
            ColType::Timestamp { tz: false }.join(Kind::Timestamp { tz: true }),
            ColType::Timestamp { tz: true }
        );
    }
}
