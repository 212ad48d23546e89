//! The first pass over a sheet: keeps its first rows (to find the header block and the header
//! row, as the CSV reader does on its sample) and only types the columns of the rows after them,
//! so memory stays bounded whatever the sheet's size.

use crate::reader::ReadError;

use super::cells::{self, Book, Cell, MAX_COLUMNS};
use super::types::Acc;

/// Rows kept for layout detection (the CSV reader infers from as many).
pub(crate) const SAMPLE_ROWS: usize = crate::csv::infer::INFER_ROWS;
/// Cells kept for layout detection, whatever the rows.
const SAMPLE_CELLS: usize = 200_000;

/// One non-empty row: its 0-based sheet row and its cells with their 0-based columns.
pub(crate) type Row = (u32, Vec<(u32, Cell)>);

/// What the first pass learned about a sheet.
#[derive(Debug, Default)]
pub(crate) struct Scan {
    /// The first non-empty rows, in order.
    pub sample: Vec<Row>,
    /// Per column (indexed by sheet column): the types met in rows after the sample.
    pub tail: Vec<Acc>,
    /// Non-empty rows after the sample.
    pub tail_rows: u64,
    /// Leftmost and rightmost columns holding a value, over the whole sheet.
    pub min_col: Option<u32>,
    pub max_col: u32,
}

/// Groups the cells of a row-major stream into rows, refusing a stream that goes back.
#[derive(Debug, Default)]
pub(crate) struct Rows {
    current: Option<Row>,
}

impl Rows {
    /// Adds a cell; returns the previous row when this cell starts a new one.
    pub(crate) fn push(&mut self, sheet: &str, row: u32, col: u32, cell: Cell) -> Result<Option<Row>, ReadError> {
        if col >= MAX_COLUMNS {
            return Err(cells::malformed(
                sheet,
                format!("cell {} is beyond the column limit {MAX_COLUMNS}", cells::a1(row, col)),
            ));
        }
        match &mut self.current {
            Some((r, cells)) if *r == row => {
                cells.push((col, cell));
                Ok(None)
            }
            Some((r, _)) if *r > row => Err(cells::malformed(
                sheet,
                format!("cell {} comes after row {}: rows are out of order", cells::a1(row, col), *r + 1),
            )),
            _ => Ok(self.current.replace((row, vec![(col, cell)]))),
        }
    }

    pub(crate) fn finish(&mut self) -> Option<Row> {
        self.current.take()
    }
}

/// Reads `sheet` once.
pub(crate) fn scan(book: &mut Book, sheet: &str) -> Result<Scan, ReadError> {
    let mut s = Scan::default();
    let mut rows = Rows::default();
    let mut sample_cells = 0usize;
    let mut take = |s: &mut Scan, row: Row| {
        for (col, _) in &row.1 {
            s.min_col = Some(s.min_col.map_or(*col, |m| m.min(*col)));
            s.max_col = s.max_col.max(*col);
        }
        if s.tail_rows == 0 && s.sample.len() < SAMPLE_ROWS && sample_cells < SAMPLE_CELLS {
            sample_cells += row.1.len();
            s.sample.push(row);
            return;
        }
        s.tail_rows += 1;
        for (col, cell) in &row.1 {
            let col = *col as usize;
            if s.tail.len() <= col {
                s.tail.resize(col + 1, Acc::default());
            }
            s.tail[col].add(cell);
        }
    };
    cells::for_each_cell(book, sheet, &mut |row, col, cell| {
        if let Some(done) = rows.push(sheet, row, col, cell)? {
            take(&mut s, done);
        }
        Ok(())
    })?;
    if let Some(done) = rows.finish() {
        take(&mut s, done);
    }
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_group_and_refuse_going_back() {
        let mut rows = Rows::default();
        assert!(rows.push("s", 0, 0, Cell::Int(1)).unwrap().is_none());
        assert!(rows.push("s", 0, 1, Cell::Int(2)).unwrap().is_none());
        let first = rows.push("s", 2, 0, Cell::Int(3)).unwrap().unwrap();
        assert_eq!(first.1.len(), 2);
        let err = rows.push("s", 1, 0, Cell::Int(4)).unwrap_err().to_string();
        assert!(err.contains("cell A2 comes after row 3"), "{err}");
        let err = rows.push("s", 5, MAX_COLUMNS, Cell::Int(4)).unwrap_err().to_string();
        assert!(err.contains("beyond the column limit"), "{err}");
    }
}
