//! Where a sheet's table is: the header block above it, the header row, and the first data row.
//!
//! The sample rows are written out as tab-separated lines (cells rendered as text, tabs and line
//! breaks inside cells turned into spaces) and handed to the CSV reader's layout detection and
//! preamble extraction, so a sheet's header block (`key: value` cells, `key | value` rows, title
//! lines, blank rows) is read exactly as the same block in a CSV export would be. When that finds
//! no table (a single column), the first row is the header if the CSV reader's header test says
//! so.

use serde_json::{Map, Value};

use crate::csv::dialect::{self, Delim, Rec, RecKind};
use crate::csv::{infer, layout, preamble};
use crate::reader::ReadError;

use super::scan::Scan;

const TAB: Delim = Delim::Byte(b'\t');

/// The table's place in the sheet.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Shape {
    /// 0-based sheet row of the header, when there is one.
    pub header_row: Option<u32>,
    /// 0-based sheet row of the first data row; rows above it are header block or header.
    pub data_from: u32,
    /// Labels by sheet column from `min_col` on.
    pub labels: Option<Vec<String>>,
    pub labels_source: &'static str,
    /// Metadata and text from the header block.
    pub metadata: Map<String, Value>,
    pub text: String,
}

fn sanitize(s: &str) -> String {
    s.replace(['\t', '\r', '\n'], " ")
}

/// The sample as text plus records, and each record's sheet row.
fn records(scan: &Scan, min_col: u32) -> (String, Vec<Rec>, Vec<u32>) {
    let width = scan
        .sample
        .iter()
        .flat_map(|(_, cells)| cells.iter().map(|(c, _)| (c - min_col) as usize + 1))
        .max()
        .unwrap_or(0);
    let mut text = String::new();
    let mut recs = Vec::new();
    let mut rows = Vec::new();
    let mut prev: Option<u32> = None;
    for (row, cells) in &scan.sample {
        if prev.is_some_and(|p| *row > p + 1) {
            let start = text.len();
            text.push('\n');
            recs.push(Rec {
                line: recs.len() as u64 + 1,
                start,
                end: text.len(),
                kind: RecKind::Blank,
                colon_kv: false,
                tab: false,
            });
            rows.push(row - 1);
        }
        prev = Some(*row);
        let mut fields = vec![String::new(); width];
        for (col, cell) in cells {
            if let Some(f) = fields.get_mut((col - min_col) as usize) {
                *f = sanitize(&cell.render());
            }
        }
        let start = text.len();
        text.push_str(&fields.join("\t"));
        let content_end = text.len();
        text.push('\n');
        let content = &text[start..content_end];
        let non_empty: Vec<&str> = fields.iter().map(|f| f.trim()).filter(|f| !f.is_empty()).collect();
        let comment = non_empty.first().is_some_and(|f| f.starts_with('#'))
            || (non_empty.len() == 1
                && non_empty[0].len() > 2
                && non_empty[0].starts_with('[')
                && non_empty[0].ends_with(']'));
        let (kind, colon_kv) = if comment {
            (RecKind::Comment, false)
        } else {
            let kv = dialect::colon_kv(content, TAB).is_some();
            (RecKind::Fields(fields), kv)
        };
        recs.push(Rec { line: recs.len() as u64 + 1, start, end: text.len(), kind, colon_kv, tab: false });
        rows.push(*row);
    }
    (text, recs, rows)
}

/// Finds the table in the sample; `min_col` is the sheet's leftmost used column.
pub(crate) fn find(scan: &Scan, min_col: u32) -> Shape {
    let (text, recs, rows) = records(scan, min_col);
    let row_of = |line: u64| rows.get((line as usize).wrapping_sub(1)).copied();
    match layout::detect_in(&text, TAB, recs.clone()) {
        Ok(l) => {
            let pre = preamble::extract(&text, &l.preamble, TAB);
            let header_row = l.header_line.and_then(row_of);
            let data_from = row_of(l.first_data_line)
                .or(header_row.map(|h| h + 1))
                .unwrap_or_else(|| rows.last().map_or(0, |r| r + 1));
            Shape {
                header_row,
                data_from,
                labels: l.labels,
                labels_source: l.labels_source,
                metadata: pre.metadata,
                text: pre.text,
            }
        }
        Err(ReadError::NoTable(_)) | Err(_) => fallback(&recs, &rows),
    }
}

/// One column, or nothing table-like: the first row is a header when it reads as one.
fn fallback(recs: &[Rec], rows: &[u32]) -> Shape {
    let mut fielded = recs.iter().zip(rows).filter(|(r, _)| matches!(r.kind, RecKind::Fields(_)));
    let Some((first, &first_row)) = fielded.next() else {
        return Shape { data_from: rows.last().map_or(0, |r| r + 1), labels_source: "generated", ..Shape::default() };
    };
    let rest: Vec<Vec<String>> = fielded.map(|(r, _)| r.fields().to_vec()).collect();
    let width = first.fields().len();
    let types = infer::infer_types(&rest, width);
    if !rest.is_empty() && infer::looks_like_header(first.fields(), &types) {
        Shape {
            header_row: Some(first_row),
            data_from: first_row + 1,
            labels: Some(first.fields().to_vec()),
            labels_source: "header",
            ..Shape::default()
        }
    } else {
        Shape { data_from: first_row, labels_source: "generated", ..Shape::default() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sheet::cells::Cell;

    fn t(s: &str) -> Cell {
        Cell::Text(s.into())
    }

    #[test]
    fn header_block_metadata_and_units() {
        let scan = Scan {
            sample: vec![
                (0, vec![(1, t("Stability run"))]),
                (1, vec![(1, t("Operator: Ada"))]),
                (2, vec![(1, t("Instrument")), (2, t("XRD-7"))]),
                (4, vec![(1, t("time [s]")), (2, t("Temperature [K]")), (3, t("note"))]),
                (5, vec![(1, Cell::Float(0.0)), (2, Cell::Float(300.5)), (3, t("a"))]),
                (6, vec![(1, Cell::Float(1.0)), (2, Cell::Float(301.5))]),
            ],
            min_col: Some(1),
            max_col: 3,
            ..Scan::default()
        };
        let shape = find(&scan, 1);
        assert_eq!((shape.header_row, shape.data_from), (Some(4), 5));
        assert_eq!(shape.labels.as_deref().unwrap(), ["time [s]", "Temperature [K]", "note"]);
        assert_eq!(shape.metadata["Operator"], "Ada");
        assert_eq!(shape.metadata["Instrument"], "XRD-7");
        assert_eq!(shape.text, "Stability run");
    }

    #[test]
    fn one_column_uses_the_fallback() {
        let scan = Scan {
            sample: vec![
                (0, vec![(0, t("mass [mg]"))]),
                (1, vec![(0, Cell::Float(1.5))]),
                (2, vec![(0, Cell::Int(2))]),
            ],
            min_col: Some(0),
            ..Scan::default()
        };
        let shape = find(&scan, 0);
        assert_eq!((shape.header_row, shape.data_from), (Some(0), 1));
        let scan = Scan { sample: vec![(3, vec![(0, Cell::Float(1.5))])], min_col: Some(0), ..Scan::default() };
        assert_eq!(find(&scan, 0).data_from, 3);
    }
}
