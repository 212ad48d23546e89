//! Finding the table in the sample: which delimiter, where the preamble ends, whether there is a
//! header line, and where the data starts.
//!
//! A table is a run of records with a consistent field count of at least two, ended by a blank
//! line, a comment line or the end of the sample; a run that runs into a record with more fields
//! is part of a preamble (such as CasaXPS's per-peak rows above the spectrum). The first run whose
//! rows are mostly data-like wins; runs of two columns with a text first column are taken for
//! `key,value` metadata when a later run qualifies. Without a data-like run, a table of text is
//! accepted, but never with the whitespace delimiter, which would turn prose into a table.
//! Delimiters compete on how many rows their
//! table has, ties going to the order in [`Delim::CANDIDATES`].

use crate::reader::ReadError;

use super::dialect::{self, Delim, Rec, RecKind};
use super::infer::{self, ColType, INFER_ROWS};
use super::values;

/// Where the table is and what it looks like.
#[derive(Debug, Clone)]
pub(crate) struct Layout {
    pub delim: Delim,
    /// `#` when the preamble had comment lines; such a line then also ends the table.
    pub comment: Option<u8>,
    /// Column labels, from the header line or a `ColumnLabels:` comment.
    pub labels: Option<Vec<String>>,
    pub labels_source: &'static str,
    pub header_line: Option<u64>,
    /// Byte offset of the first data record in the decoded text.
    pub data_start: usize,
    pub first_data_line: u64,
    /// Fields per record (the header's field count).
    pub width: usize,
    /// Sample data rows, for inference.
    pub rows: Vec<Vec<String>>,
    pub types: Vec<ColType>,
    /// Records before the header (or first data row), for metadata extraction.
    pub preamble: Vec<Rec>,
}

struct Cand {
    start: usize,
    width: usize,
    rows: usize,
}

/// Locates the table in `text`, the decoded sample.
pub(crate) fn detect(text: &str) -> Result<Layout, ReadError> {
    for strict in [true, false] {
        let mut best: Option<(Delim, Vec<Rec>, Cand)> = None;
        for delim in Delim::CANDIDATES {
            // Prose splits into words consistently enough to pass for a table of text.
            if !strict && delim == Delim::Whitespace {
                continue;
            }
            let recs = dialect::split_records(text, delim);
            if let Some(c) = find_table(&recs, strict)
                && best.as_ref().is_none_or(|(_, _, b)| c.rows > b.rows)
            {
                best = Some((delim, recs, c));
            }
        }
        if let Some((delim, recs, cand)) = best {
            return Ok(build(text, delim, recs, cand));
        }
    }
    Err(ReadError::NoTable("no delimited rows with two or more columns".into()))
}

/// Locates the table among records split elsewhere (a spreadsheet's rows, joined into `text`
/// with `delim` so that record offsets and `key: value` lines work as for a text file).
pub(crate) fn detect_in(text: &str, delim: Delim, recs: Vec<Rec>) -> Result<Layout, ReadError> {
    for strict in [true, false] {
        if let Some(cand) = find_table(&recs, strict) {
            return Ok(build(text, delim, recs, cand));
        }
    }
    Err(ReadError::NoTable("no rows with two or more columns".into()))
}

fn find_table(recs: &[Rec], strict: bool) -> Option<Cand> {
    let mut kv_like = None;
    for (i, rec) in recs.iter().enumerate() {
        let RecKind::Fields(head) = &rec.kind else { continue };
        let width = head.len();
        if rec.colon_kv || width < 2 || head.iter().filter(|f| !f.trim().is_empty()).count() < 2 {
            continue;
        }
        let (mut rows, mut exact, mut cells, mut data_cells, mut words) = (0, 0, 0, 0, 0);
        let mut first_col_text = !values::is_data_like(head[0].as_bytes());
        let mut wider = false;
        for (j, r) in recs.iter().enumerate().skip(i + 1) {
            let RecKind::Fields(f) = &r.kind else { break };
            if f.len() > width && f[width..].iter().any(|x| !x.trim().is_empty()) {
                // A wider row that starts a run of its own means this run was preamble; a lone
                // wider row is a ragged row of this table, refused when streaming.
                wider = recs.get(j + 1).is_some_and(|n| n.fields().len() == f.len());
                break;
            }
            rows += 1;
            exact += usize::from(f.len() >= width);
            if rows <= INFER_ROWS {
                for v in f.iter().filter(|v| !v.trim().is_empty()) {
                    cells += 1;
                    words += v.split_whitespace().count();
                    data_cells += usize::from(values::is_data_like(v.as_bytes()));
                }
                first_col_text &= f.first().is_none_or(|v| !values::is_data_like(v.as_bytes()));
            }
        }
        if wider || rows == 0 || exact * 2 < rows {
            continue;
        }
        let cand = Cand { start: i, width, rows: rows + 1 };
        // Sentences split at commas are not a table of text: its cells are a word or two.
        // A text table without data-like cells needs two rows to be told from prose; with one
        // (`Id,Fruit,Color` over `0,Apple,Green`) a single row is a table.
        if !strict && (words > cells * 3 || (rows < 2 && data_cells == 0)) {
            continue;
        }
        if strict {
            if data_cells * 2 < cells {
                continue;
            }
            if width == 2 && first_col_text {
                kv_like.get_or_insert(cand);
                continue;
            }
        }
        return Some(cand);
    }
    kv_like.filter(|_| !strict)
}

fn build(text: &str, delim: Delim, recs: Vec<Rec>, cand: Cand) -> Layout {
    let start = cand.start;
    let run_end = recs[start + 1..]
        .iter()
        .position(|r| !matches!(r.kind, RecKind::Fields(_)))
        .map_or(recs.len(), |p| start + 1 + p);
    let rows_of = |from: usize| -> Vec<Vec<String>> {
        recs[from..run_end].iter().take(INFER_ROWS).map(|r| r.fields().to_vec()).collect()
    };
    let after = rows_of(start + 1);
    let types_after = infer::infer_types(&after, cand.width);
    let header = infer::looks_like_header(recs[start].fields(), &types_after);
    let preamble: Vec<Rec> = recs[..start].to_vec();
    let comment = preamble.iter().any(|r| r.kind == RecKind::Comment).then_some(b'#');
    let (labels, labels_source, header_line, first, rows, types) = if header {
        let labels = recs[start].fields().to_vec();
        (Some(labels), "header", Some(recs[start].line), start + 1, after, types_after)
    } else {
        let rows = rows_of(start);
        let types = infer::infer_types(&rows, cand.width);
        let labels = column_labels(text, &preamble, cand.width);
        let source = if labels.is_some() { "comment" } else { "generated" };
        (labels, source, None, start, rows, types)
    };
    let (data_start, first_data_line) = match recs.get(first) {
        Some(r) => (r.start, r.line),
        None => (text.len(), recs.last().map_or(1, |r| r.line + 1)),
    };
    Layout {
        delim,
        comment,
        labels,
        labels_source,
        header_line,
        data_start,
        first_data_line,
        width: cand.width,
        rows,
        types,
        preamble,
    }
}

/// Labels from a `ColumnLabels: a b` comment in the comment block right above the data
/// (SPECS Prodigy), when their number matches the columns.
fn column_labels(text: &str, preamble: &[Rec], width: usize) -> Option<Vec<String>> {
    for rec in preamble.iter().rev() {
        if rec.kind != RecKind::Comment {
            return None;
        }
        let body = rec.raw(text).trim_start().trim_start_matches('#');
        if let Some((key, value)) = dialect::colon_kv(body, Delim::Whitespace)
            && key.eq_ignore_ascii_case("ColumnLabels")
        {
            let labels: Vec<String> = value.split_whitespace().map(str::to_string).collect();
            return (labels.len() == width).then_some(labels);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_table_after_key_value_block() {
        let text = "Instrument,XRD-7\nOperator,Ada\n\ntime,temp\n1,2.5\n2,3.5\n";
        let l = detect(text).unwrap();
        assert_eq!(l.delim, Delim::Byte(b','));
        assert_eq!(l.labels, Some(vec!["time".to_string(), "temp".to_string()]));
        assert_eq!((l.header_line, l.first_data_line), (Some(4), 5));
        assert_eq!(&text[l.data_start..], "1,2.5\n2,3.5\n");
        assert_eq!(l.types, vec![ColType::Int, ColType::Float]);
        assert_eq!(l.preamble.len(), 3);
    }

    #[test]
    fn skips_preamble_rows_that_run_into_a_wider_table() {
        let text = "Name\t\tA\tB\nArea\t\t1\t2\nK.E.\tCounts\tA\tB\tBG\n1\t2\t3\t4\t5\n6\t7\t8\t9\t10\n";
        let l = detect(text).unwrap();
        assert_eq!((l.width, l.header_line), (5, Some(3)));
    }

    #[test]
    fn column_labels_comment_names_headerless_data() {
        let text = "# Region: Survey\n# ColumnLabels: energy counts/s\n#\n1350  15598.679\n1349  15867.872\n\n# next\n";
        let l = detect(text).unwrap();
        assert_eq!(l.delim, Delim::Whitespace);
        assert_eq!(l.labels, Some(vec!["energy".to_string(), "counts/s".to_string()]));
        assert_eq!((l.labels_source, l.first_data_line), ("comment", 4));
        assert_eq!(l.comment, Some(b'#'));
    }

    #[test]
    fn ini_style_preamble() {
        let text = "[Info]\nNumber of Regions=0001\n\n[Region 1]\nPass Energy=50\n\
                    Dimension 1 scale=382 381.95 381.9\n\n[Data 1]\n  382  15.7\n  381.95  16.4\n";
        let l = detect(text).unwrap();
        assert_eq!((l.delim, l.labels_source, l.first_data_line), (Delim::Whitespace, "generated", 9));
        assert_eq!(l.types, vec![ColType::Float, ColType::Float]);
    }

    #[test]
    fn prose_is_not_a_table() {
        let prose = "the quick brown fox\njumps over the dog\nand then it runs away\n";
        assert!(matches!(detect(prose), Err(ReadError::NoTable(_))));
        let prose = "we stay, whatever the weather may bring\nthe ship sails, and we wait here\n\
                     then the long winter came, and it was cold\n";
        assert!(matches!(detect(prose), Err(ReadError::NoTable(_))));
    }

    #[test]
    fn text_only_tables_and_no_table() {
        let l = detect("name;city\nAda;London\nAlan;Wilmslow\n").unwrap();
        assert_eq!(l.delim, Delim::Byte(b';'));
        assert_eq!(l.rows.len(), 2);
        assert!(matches!(detect("just a line\nand another\n"), Err(ReadError::NoTable(_))));
    }

    #[test]
    fn one_row_under_a_header_is_a_table_when_a_cell_is_data() {
        // The Signposting benchmark's `test-apple-data.csv`.
        let l = detect("Id,Fruit,Color\n0,Apple,Green").unwrap();
        assert_eq!((l.width, l.header_line, l.rows.len()), (3, Some(1), 1));
        assert_eq!(l.labels, Some(vec!["Id".to_string(), "Fruit".to_string(), "Color".to_string()]));
        assert!(matches!(detect("Fruit,Color\nApple,Green\n"), Err(ReadError::NoTable(_))));
    }
}
