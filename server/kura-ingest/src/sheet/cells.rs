//! One sheet's cells, in row-major order, as Kura's own cell values.
//!
//! xlsx and xlsb sheets are streamed cell by cell from the archive (calamine's cell readers), so
//! memory stays bounded by the shared-strings table and the batch being built. calamine has no
//! streaming reader for ods and xls: those sheets are loaded whole as a calamine `Range` first.

use std::fs::File;
use std::io::BufReader;

use calamine::{Data, DataRef, Reader, Sheets};

use crate::csv::values;
use crate::reader::ReadError;

/// The workbook as calamine opened it.
pub(crate) type Book = Sheets<BufReader<File>>;

/// Columns a sheet may have: Excel's limit (ods allows fewer), so a wild column index in a file
/// cannot make a row allocation huge.
pub(crate) const MAX_COLUMNS: u32 = 16_384;

/// A non-empty cell value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Cell {
    Int(i64),
    Float(f64),
    Bool(bool),
    Text(String),
    /// Microseconds since the epoch, wall-clock (spreadsheets carry no time zone).
    Timestamp(i64),
    /// Microseconds (`[h]:mm` cells, ods time values).
    Duration(i64),
    /// A formula error such as `#DIV/0!`.
    Error(String),
}

impl Cell {
    /// The cell as text: for labels, metadata, and columns that mix types.
    pub(crate) fn render(&self) -> String {
        match self {
            Cell::Int(i) => i.to_string(),
            Cell::Float(f) => f.to_string(),
            Cell::Bool(b) => b.to_string(),
            Cell::Text(s) | Cell::Error(s) => s.clone(),
            Cell::Timestamp(us) => render_timestamp(*us),
            Cell::Duration(us) => render_duration(*us),
        }
    }
}

fn render_timestamp(us: i64) -> String {
    match chrono::DateTime::from_timestamp_micros(us) {
        Some(t) if us % 1_000_000 == 0 => t.naive_utc().format("%Y-%m-%dT%H:%M:%S").to_string(),
        Some(t) => t.naive_utc().format("%Y-%m-%dT%H:%M:%S%.6f").to_string(),
        None => us.to_string(),
    }
}

/// ISO 8601 duration (`PT1H30M0.5S`).
fn render_duration(us: i64) -> String {
    let sign = if us < 0 { "-" } else { "" };
    let us = us.unsigned_abs();
    let (h, rest) = (us / 3_600_000_000, us % 3_600_000_000);
    let (m, rest) = (rest / 60_000_000, rest % 60_000_000);
    let s = rest as f64 / 1e6;
    format!("{sign}PT{h}H{m}M{s}S")
}

/// Parses the ISO 8601 durations ods writes for time cells (`PT12H30M00S`, `-PT1H`); `None`
/// for anything with date parts.
fn parse_duration(s: &str) -> Option<i64> {
    let (neg, s) = s.strip_prefix('-').map_or((false, s), |r| (true, r));
    let mut rest = s.strip_prefix("PT")?;
    let mut total = 0f64;
    while !rest.is_empty() {
        let end = rest.find(|c: char| !(c.is_ascii_digit() || c == '.'))?;
        let n: f64 = rest[..end].parse().ok()?;
        let unit = rest[end..].chars().next()?;
        total += n * match unit {
            'H' => 3_600e6,
            'M' => 60e6,
            'S' => 1e6,
            _ => return None,
        };
        rest = &rest[end + 1..];
    }
    let us = total.round();
    (us.abs() < 9.0e18).then(|| if neg { -(us as i64) } else { us as i64 })
}

fn from_datetime(dt: &calamine::ExcelDateTime) -> Cell {
    if dt.is_duration() {
        if let Some(d) = dt.as_duration().and_then(|d| d.num_microseconds()) {
            return Cell::Duration(d);
        }
    } else if let Some(t) = dt.as_datetime() {
        return Cell::Timestamp(t.and_utc().timestamp_micros());
    }
    Cell::Float(dt.as_f64())
}

fn from_iso(s: &str) -> Cell {
    if let Some((us, _)) = values::parse_timestamp(s.trim().as_bytes()) {
        return Cell::Timestamp(us);
    }
    if let Some(us) = parse_duration(s.trim()) {
        return Cell::Duration(us);
    }
    Cell::Text(s.to_string())
}

fn text(s: &str) -> Option<Cell> {
    (!s.is_empty()).then(|| Cell::Text(s.to_string()))
}

/// Converts a borrowed calamine value; `None` for an empty cell.
pub(crate) fn from_ref(v: &DataRef<'_>) -> Option<Cell> {
    match v {
        DataRef::Int(i) => Some(Cell::Int(*i)),
        DataRef::Float(f) => Some(Cell::Float(*f)),
        DataRef::String(s) => text(s),
        DataRef::SharedString(s) => text(s),
        DataRef::Bool(b) => Some(Cell::Bool(*b)),
        DataRef::DateTime(dt) => Some(from_datetime(dt)),
        DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => Some(from_iso(s)),
        DataRef::Error(e) => Some(Cell::Error(e.to_string())),
        DataRef::Empty => None,
    }
}

/// Converts an owned calamine value; `None` for an empty cell.
pub(crate) fn from_data(v: &Data) -> Option<Cell> {
    match v {
        Data::Int(i) => Some(Cell::Int(*i)),
        Data::Float(f) => Some(Cell::Float(*f)),
        Data::String(s) => text(s),
        Data::Bool(b) => Some(Cell::Bool(*b)),
        Data::DateTime(dt) => Some(from_datetime(dt)),
        Data::DateTimeIso(s) | Data::DurationIso(s) => Some(from_iso(s)),
        Data::Error(e) => Some(Cell::Error(e.to_string())),
        Data::Empty => None,
    }
}

pub(crate) fn malformed(sheet: &str, e: impl std::fmt::Display) -> ReadError {
    ReadError::Malformed { format: "spreadsheet", message: format!("sheet {sheet:?}: {e}") }
}

/// Calls `f(row, column, cell)` for every non-empty cell of `sheet`, in the order the file stores
/// them (row-major in every writer we know; the row assembler checks).
pub(crate) fn for_each_cell(
    book: &mut Book,
    sheet: &str,
    f: &mut dyn FnMut(u32, u32, Cell) -> Result<(), ReadError>,
) -> Result<(), ReadError> {
    match book {
        Sheets::Xlsx(x) => {
            let mut cells = x.worksheet_cells_reader(sheet).map_err(|e| malformed(sheet, e))?;
            while let Some(c) = cells.next_cell().map_err(|e| malformed(sheet, e))? {
                if let Some(v) = from_ref(c.get_value()) {
                    let (row, col) = c.get_position();
                    f(row, col, v)?;
                }
            }
        }
        Sheets::Xlsb(x) => {
            let mut cells = x.worksheet_cells_reader(sheet).map_err(|e| malformed(sheet, e))?;
            while let Some(c) = cells.next_cell().map_err(|e| malformed(sheet, e))? {
                if let Some(v) = from_ref(c.get_value()) {
                    let (row, col) = c.get_position();
                    f(row, col, v)?;
                }
            }
        }
        Sheets::Ods(x) => {
            let range = x.worksheet_range(sheet).map_err(|e| malformed(sheet, e))?;
            each_in_range(&range, f)?;
        }
        Sheets::Xls(x) => {
            let range = x.worksheet_range(sheet).map_err(|e| malformed(sheet, e))?;
            each_in_range(&range, f)?;
        }
    }
    Ok(())
}

fn each_in_range(
    range: &calamine::Range<Data>,
    f: &mut dyn FnMut(u32, u32, Cell) -> Result<(), ReadError>,
) -> Result<(), ReadError> {
    let (r0, c0) = range.start().unwrap_or((0, 0));
    for (r, c, v) in range.used_cells() {
        if let Some(cell) = from_data(v) {
            let row = r0.saturating_add(u32::try_from(r).unwrap_or(u32::MAX));
            let col = c0.saturating_add(u32::try_from(c).unwrap_or(u32::MAX));
            f(row, col, cell)?;
        }
    }
    Ok(())
}

/// Cell reference in A1 notation (0-based row and column), for messages.
pub(crate) fn a1(row: u32, col: u32) -> String {
    let mut letters = Vec::new();
    let mut c = u64::from(col) + 1;
    while c > 0 {
        let rem = ((c - 1) % 26) as u8;
        letters.push(char::from(b'A' + rem));
        c = (c - 1) / 26;
    }
    letters.reverse();
    format!("{}{}", letters.into_iter().collect::<String>(), u64::from(row) + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_and_durations() {
        assert_eq!(a1(0, 0), "A1");
        assert_eq!(a1(9, 27), "AB10");
        assert_eq!(a1(0, 16_383), "XFD1");
        assert_eq!(parse_duration("PT12H30M00S"), Some(45_000_000_000));
        assert_eq!(parse_duration("-PT1.5S"), Some(-1_500_000));
        assert_eq!(parse_duration("P1D"), None);
        assert_eq!(render_duration(45_000_500_000), "PT12H30M0.5S");
        assert_eq!(Cell::Timestamp(0).render(), "1970-01-01T00:00:00");
    }
}
