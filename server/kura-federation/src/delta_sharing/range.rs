//! The one byte range of a `Range` header a file download honours (sharing clients read Parquet
//! footers and column chunks by range). Several ranges, or another unit, are answered with the
//! whole file, as RFC 9110 §14.2 allows.

/// What to send of a file of `size` bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wanted {
    /// The whole file (no range, or one Kura does not honour).
    Whole,
    /// Bytes `start..end` (end exclusive), answered 206.
    Part { start: u64, end: u64 },
    /// A range past the end: 416.
    Unsatisfiable,
}

/// The part of a `size`-byte file that `header` (a `Range` value) asks for.
pub fn wanted(header: Option<&str>, size: u64) -> Wanted {
    let Some(spec) = header.and_then(|h| h.trim().strip_prefix("bytes=")) else { return Wanted::Whole };
    if spec.contains(',') {
        return Wanted::Whole;
    }
    let Some((first, last)) = spec.trim().split_once('-') else { return Wanted::Whole };
    let (first, last) = (first.trim(), last.trim());
    let parsed = |s: &str| s.parse::<u64>().ok();
    let (start, end) = match (first.is_empty(), last.is_empty()) {
        // The last `n` bytes.
        (true, false) => match parsed(last) {
            Some(0) => return Wanted::Unsatisfiable,
            Some(n) => (size.saturating_sub(n), size),
            None => return Wanted::Whole,
        },
        (false, true) => match parsed(first) {
            Some(start) => (start, size),
            None => return Wanted::Whole,
        },
        (false, false) => match (parsed(first), parsed(last)) {
            (Some(start), Some(last)) if last >= start => (start, last.saturating_add(1).min(size)),
            _ => return Wanted::Whole,
        },
        (true, true) => return Wanted::Whole,
    };
    if start >= size { Wanted::Unsatisfiable } else { Wanted::Part { start, end } }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_byte_range_is_honoured_and_anything_else_is_the_whole_file() {
        assert_eq!(wanted(None, 10), Wanted::Whole);
        assert_eq!(wanted(Some("bytes=0-3"), 10), Wanted::Part { start: 0, end: 4 });
        assert_eq!(wanted(Some("bytes=5-"), 10), Wanted::Part { start: 5, end: 10 });
        assert_eq!(wanted(Some("bytes=-4"), 10), Wanted::Part { start: 6, end: 10 });
        assert_eq!(wanted(Some("bytes=-40"), 10), Wanted::Part { start: 0, end: 10 });
        assert_eq!(wanted(Some("bytes=8-100"), 10), Wanted::Part { start: 8, end: 10 });
        assert_eq!(wanted(Some("bytes=10-"), 10), Wanted::Unsatisfiable);
        assert_eq!(wanted(Some("bytes=0-1,4-5"), 10), Wanted::Whole);
        assert_eq!(wanted(Some("items=0-1"), 10), Wanted::Whole);
        assert_eq!(wanted(Some("bytes=5-2"), 10), Wanted::Whole);
    }
}
