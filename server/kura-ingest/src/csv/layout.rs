//! Finding the table in the sample: which delimiter, quote and number format, where the preamble
//! ends, whether there is a header line, and where the data starts.
//!
//! A table is a run of records with a consistent field count of at least two (a header line's
//! trailing delimiter aside), ended by a blank line, a comment line or the end of the sample; a
//! run that runs into a record with more fields is part of a preamble (such as CasaXPS's per-peak
//! rows above the spectrum). Within one dialect the first data-like run wins (some column holds
//! mostly numbers, dates or missing-value tokens; split at runs of spaces, most cells must be
//! data); a run is judged once, so a run that is not data-like never becomes one by giving up its
//! first rows to a header block. A run of two columns with a text first column is `key,value`
//! metadata only above a wider table (above one of its own width, with a warning); with nothing
//! below, it is the table. Without a data-like run, a table of text is accepted, but never with
//! the whitespace delimiter, which would turn prose into a table.
//!
//! Dialects (delimiter × quote × number format: decimal separator and thousands separator)
//! compete on a score, clevercsv's pattern × type idea:
//! the rows their table explains times the share of its cells that read as a typed value or as
//! plain text without another dialect's delimiter in it (`5000;0` read with `,` does not). Ties go
//! to the order in [`Delim::CANDIDATES`], to `"` and to [`Numbers::CANDIDATES`]. The quote `'`
//! and the thousands separators are only tried when the sample shows them (a `'` opening
//! fields, a number with two groups or a group and a decimal part). A runner-up within [`CLOSE`] of the winner
//! that reads the sample differently is a warning naming both (STYLE: no heuristic without a
//! confidence); so are an uncertain header block and a header guessed over a table of text.

use crate::reader::ReadError;

use super::dialect::{self, Delim, Rec, RecKind};
use super::infer::{self, ColType, INFER_ROWS};
use super::values::{self, Numbers};

/// Where the table is and what it looks like.
#[derive(Debug, Clone)]
pub(crate) struct Layout {
    pub delim: Delim,
    /// The quote character (`None`: fields are not quoted).
    pub quote: Option<u8>,
    /// How numbers are written: decimal separator and thousands separator.
    pub numbers: Numbers,
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
    /// Lines skipped at the caller's request.
    pub skip_lines: u64,
    /// How the reading was chosen: its score, the runner-up's, and what was uncertain.
    pub choice: Choice,
}

/// How sure detection is of the reading it chose (see the module docs for the score).
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Choice {
    /// Score of the chosen dialect: rows explained × share of cells that read as a type.
    pub score: f64,
    /// The best other dialect that reads the sample differently, and its score.
    pub runner_up: Option<(String, f64)>,
    /// 1 − runner-up score / score: 0 when two readings tie, 1 when there is no other.
    pub confidence: f64,
    /// Sentences for the report when a choice was close (dialect, header block boundary).
    pub warnings: Vec<String>,
    /// Whether the dialect was given by the caller rather than detected.
    pub given: bool,
}

/// What the caller fixes instead of detection (ingest parameters); `None` leaves it to detection.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Hints {
    pub delim: Option<Delim>,
    /// `Some(None)`: no quoting.
    pub quote: Option<Option<u8>>,
    pub decimal: Option<u8>,
    /// `Some(None)`: no thousands separator.
    pub group: Option<Option<u8>>,
    /// `Some(None)`: the file has no header line; `Some(Some(n))`: line `n` is the header.
    pub header_line: Option<Option<u64>>,
    /// Lines at the top that are never part of the table (they go to the preamble).
    pub skip_lines: u64,
    /// Lines starting with this (after blanks) are comments, besides `#`.
    pub comment: Option<String>,
}

/// A reading below this share of the best score is not a close runner-up.
const CLOSE: f64 = 0.9;

struct Cand {
    start: usize,
    width: usize,
    rows: usize,
    /// Non-empty cells of the first rows, and how many read as a type or as plain text.
    cells: usize,
    typed: usize,
    /// Cells that read as numbers only with a decimal comma.
    comma_floats: usize,
    /// Cells that read as numbers only with the format's thousands separator.
    grouped: usize,
    /// A `key,value` block above the table was skipped although it had the table's width.
    kv_same_width: Option<(u64, u64)>,
}

impl Cand {
    /// Rows explained × the share of cells that read as a type (clevercsv's pattern × type
    /// score, with the pattern reduced to the table's run of consistent records).
    fn score(&self) -> f64 {
        let type_share = if self.cells == 0 { 0.0 } else { self.typed as f64 / self.cells as f64 };
        self.rows as f64 * type_share
    }
}

/// A cell reads as something: a typed value under `num`, or plain text that shows no sign of
/// a wrong split: no delimiter of another dialect (`5000;0` read with `,`; the dialect's own
/// delimiter inside a quoted cell is fine), no quote left at either end (`'a` and `b'` from
/// `'a;b'` split at `;`), and no number of another format (`12.5` is no plain text to a
/// decimal comma, nor `1'234.5` to `.`).
fn reads_as_typed(v: &str, num: Numbers, delim: Delim) -> bool {
    let b = v.as_bytes();
    if values::is_data_like_dec(b, num) {
        return true;
    }
    let own = match delim {
        Delim::Byte(d) => char::from(d),
        Delim::Whitespace => ' ',
    };
    let foreign = v.chars().any(|c| matches!(c, ',' | ';' | '|' | '\t') && c != own);
    let quote_left = v.starts_with(['"', '\'']) || v.ends_with(['"', '\'']);
    let number_elsewhere = b.first().is_some_and(|c| c.is_ascii_digit() || matches!(c, b'-' | b'+' | b'.'))
        && Numbers::CANDIDATES.iter().any(|&n| n != num && values::is_data_like_dec(b, n));
    !(foreign || quote_left || number_elsewhere)
}

/// Cells that need `num`'s decimal comma or thousands separator to read as numbers.
fn counts_format(v: &str, num: Numbers) -> (usize, usize) {
    let b = v.as_bytes();
    let comma = num.decimal != b'.'
        && num.group.is_none()
        && v.contains(char::from(num.decimal))
        && values::is_data_like_dec(b, num)
        && !values::is_data_like(b);
    (usize::from(comma), usize::from(num.needs_group(b)))
}

/// Whether the sample holds what may be a thousands separator of `num` (a digit, the
/// separator, three digits and no fourth): only then is the format a candidate.
fn shows_groups(text: &str, num: Numbers) -> bool {
    let Some(g) = num.group else { return true };
    let b = text.as_bytes();
    memchr::memchr_iter(g, b).any(|i| {
        let digits = |from: usize, n: usize| b.get(from..from + n).is_some_and(|d| d.iter().all(u8::is_ascii_digit));
        i > 0 && b[i - 1].is_ascii_digit() && digits(i + 1, 3) && !digits(i + 4, 1)
    })
}

/// The quote characters to try for `delim`: `"`, and `'` when it opens fields in the sample.
fn quotes(text: &str, delim: Delim, hints: &Hints) -> Vec<Option<u8>> {
    match (hints.quote, delim) {
        (_, Delim::Whitespace) => vec![None],
        (Some(q), _) => vec![q],
        (None, Delim::Byte(d)) if dialect::quotes_fields(text, d, b'\'') => vec![Some(b'"'), Some(b'\'')],
        (None, _) => vec![Some(b'"')],
    }
}

/// Locates the table in `text`, the decoded sample.
pub(crate) fn detect(text: &str) -> Result<Layout, ReadError> {
    detect_with(text, &Hints::default())
}

/// Locates the table in `text` with what the caller fixed. Every candidate dialect (delimiter ×
/// quote × number format) finds its table; the highest [`Cand::score`] wins, ties going to the
/// order of the candidates. A runner-up within [`CLOSE`] of the winner that reads the sample
/// differently is reported.
pub(crate) fn detect_with(text: &str, hints: &Hints) -> Result<Layout, ReadError> {
    let delims: Vec<Delim> = match hints.delim {
        Some(d) => vec![d],
        None => Delim::CANDIDATES.to_vec(),
    };
    let split: Vec<(Delim, Option<u8>, Vec<Rec>)> = delims
        .iter()
        .flat_map(|&d| quotes(text, d, hints).into_iter().map(move |q| (d, q)))
        .map(|(d, q)| (d, q, skip_lines(text, dialect::split_records(text, d, q), hints)))
        .collect();
    let formats: Vec<Numbers> = Numbers::CANDIDATES
        .into_iter()
        .filter(|n| hints.decimal.is_none_or(|d| d == n.decimal))
        .filter(|n| match hints.group {
            Some(g) => g == n.group,
            None => shows_groups(text, *n),
        })
        .collect();
    for strict in [true, false] {
        let mut found: Vec<(usize, Numbers, Cand)> = Vec::new();
        for (k, (delim, _, recs)) in split.iter().enumerate() {
            // Prose splits into words consistently enough to pass for a table of text.
            if !strict && *delim == Delim::Whitespace && hints.delim.is_none() {
                continue;
            }
            for &num in &formats {
                if *delim == Delim::Byte(b',') && num.decimal == b',' {
                    continue;
                }
                if let Some(c) = find_table(recs, *delim, strict, num, hints)
                    // A format that no cell needs is the same reading as plain `.` numbers.
                    && (num == Numbers::DOT
                        || (num.group.is_none() && c.comma_floats > 0)
                        || (num.group.is_some() && c.grouped > 0)
                        || (hints.decimal.is_some() && num.group.is_none())
                        || hints.group.is_some())
                {
                    found.push((k, num, c));
                }
            }
        }
        if found.is_empty() {
            continue;
        }
        let best = (0..found.len())
            .max_by(|&a, &b| found[a].2.score().total_cmp(&found[b].2.score()).then(b.cmp(&a)))
            .unwrap_or(0);
        let (k, num, cand) = found.swap_remove(best);
        let (delim, quote) = (split[k].0, split[k].1);
        let score = cand.score();
        let mut choice = Choice { score, confidence: 1.0, given: hints.delim.is_some(), ..Choice::default() };
        let runner = found
            .iter()
            .filter(|(k2, n2, c2)| !same_reading(&split[k].2, &cand, &split[*k2].2, c2) || *n2 != num)
            .max_by(|a, b| a.2.score().total_cmp(&b.2.score()));
        if let Some((k2, n2, c2)) = runner {
            let name = dialect_name(split[*k2].0, split[*k2].1, *n2);
            choice.confidence = if score > 0.0 { (1.0 - c2.score() / score).max(0.0) } else { 0.0 };
            if c2.score() >= CLOSE * score && hints.delim.is_none() {
                choice.warnings.push(format!(
                    "ambiguous dialect: read with {} (score {:.1}), but {} explains the sample almost as well \
                     (score {:.1}); set the delimiter, quote, decimal and thousands separators to read it differently",
                    dialect_name(delim, quote, num),
                    score,
                    name,
                    c2.score()
                ));
            }
            choice.runner_up = Some((name, c2.score()));
        }
        if delim == Delim::Byte(b',') && split_numbers(&split[k].2, &cand) && hints.delim.is_none() {
            choice.warnings.push(
                "ambiguous dialect: read with delimiter ',', but most rows hold a number cut at a comma \
                 (`12,5` as 12 and 5): the file may use decimal commas with another delimiter; set the delimiter \
                 and decimal separator to read it differently"
                    .to_string(),
            );
        }
        if let Some((from, to)) = cand.kv_same_width {
            choice.warnings.push(format!(
                "uncertain header block: lines {from}-{to} were read as key/value metadata, not as rows of the \
                 table below of the same width; set the header line to read them as rows"
            ));
        }
        let recs = split.into_iter().nth(k).map(|(_, _, r)| r).unwrap_or_default();
        return Ok(build(text, (delim, quote, num), recs, cand, choice, hints));
    }
    Err(ReadError::NoTable("no delimited rows with two or more columns".into()))
}

/// Whether a `,`-split table looks like numbers with decimal commas cut in two: in most rows a
/// field holding another delimiter (space, `;`, tab, `|`) and ending in digits is followed by one
/// starting with digits (`alpha beta -186,46800`, `-0,5000;0,35`).
fn split_numbers(recs: &[Rec], cand: &Cand) -> bool {
    let rows: Vec<&[String]> = recs[cand.start..]
        .iter()
        .filter(|r| matches!(r.kind, RecKind::Fields(_)))
        .take(cand.rows.min(64))
        .map(|r| r.fields())
        .collect();
    // `-382` `4650 Fe 2p` or `alpha -186` `468`: a field ending in digits followed by one
    // starting with digits, where one of the two holds another delimiter.
    let cut = |f: &[String]| {
        f.windows(2).any(|w| {
            w[0].ends_with(|c: char| c.is_ascii_digit())
                && w[1].starts_with(|c: char| c.is_ascii_digit())
                && (w[0].contains([' ', ';', '\t', '|']) || w[1].contains([' ', ';', '\t', '|']))
        })
    };
    !rows.is_empty() && rows.iter().filter(|f| cut(f)).count() * 2 > rows.len()
}

/// How a dialect is named in warnings.
pub(crate) fn dialect_name(delim: Delim, quote: Option<u8>, num: Numbers) -> String {
    let d = match delim {
        Delim::Byte(b'\t') => "tab".to_string(),
        Delim::Byte(b' ') => "space".to_string(),
        Delim::Byte(b) => format!("'{}'", char::from(b)),
        Delim::Whitespace => "runs of spaces".to_string(),
    };
    let q = match quote {
        Some(b'"') | None => String::new(),
        Some(q) => format!(", quote {}", char::from(q)),
    };
    let g = match num.group {
        Some(g) => format!(" and thousands separator '{}'", char::from(g)),
        None => String::new(),
    };
    format!("delimiter {d}{q} with decimal '{}'{g}", char::from(num.decimal))
}

/// Whether two candidates agree wherever both read a record (same fields on the same lines):
/// then the one explaining more rows is simply better, not a rival reading (a tab-separated file
/// reads the same with tabs and with runs of whitespace, except for a header with spaces).
fn same_reading(a: &[Rec], ca: &Cand, b: &[Rec], cb: &Cand) -> bool {
    let run = |recs: &[Rec], c: &Cand| -> Vec<(u64, Vec<String>)> {
        recs[c.start..]
            .iter()
            .filter(|r| matches!(r.kind, RecKind::Fields(_)))
            .take(c.rows.min(INFER_ROWS))
            .map(|r| (r.line, r.fields().to_vec()))
            .collect()
    };
    let (ra, rb) = (run(a, ca), run(b, cb));
    let mut overlap = 0;
    for (line, fields) in &rb {
        if let Ok(k) = ra.binary_search_by_key(line, |(l, _)| *l) {
            if ra[k].1 != *fields {
                return false;
            }
            overlap += 1;
        }
    }
    overlap > 0
}

/// Turns the skipped lines, and lines starting with the caller's comment prefix, into comments
/// so no table starts there.
fn skip_lines(text: &str, mut recs: Vec<Rec>, hints: &Hints) -> Vec<Rec> {
    for r in recs.iter_mut() {
        let commented = hints.comment.as_deref().is_some_and(|c| r.raw(text).trim_start().starts_with(c));
        if (r.line <= hints.skip_lines || commented) && matches!(r.kind, RecKind::Fields(_)) {
            r.kind = RecKind::Comment;
            r.colon_kv = false;
        }
    }
    recs
}

/// Locates the table among records split elsewhere (a spreadsheet's rows, joined into `text`
/// with `delim` so that record offsets and `key: value` lines work as for a text file).
pub(crate) fn detect_in(text: &str, delim: Delim, recs: Vec<Rec>) -> Result<Layout, ReadError> {
    let hints = Hints::default();
    for strict in [true, false] {
        if let Some(cand) = find_table(&recs, delim, strict, Numbers::DOT, &hints) {
            let choice = Choice { score: cand.score(), confidence: 1.0, ..Choice::default() };
            return Ok(build(text, (delim, None, Numbers::DOT), recs, cand, choice, &hints));
        }
    }
    Err(ReadError::NoTable("no rows with two or more columns".into()))
}

fn find_table(recs: &[Rec], delim: Delim, strict: bool, num: Numbers, hints: &Hints) -> Option<Cand> {
    let mut kv_like: Option<Cand> = None;
    let whitespace = delim == Delim::Whitespace;
    let data_like = |v: &str| values::is_data_like_dec(v.as_bytes(), num);
    let given = matches!(hints.header_line, Some(Some(_)));
    // Records of a consistent run already judged are not table starts of their own: a run that
    // is not data-like enough does not become one by dropping its first rows (which would take
    // them for a header block).
    let mut skip_until = 0;
    let mut lone_record: Option<Cand> = None;
    for (i, rec) in recs.iter().enumerate() {
        let RecKind::Fields(head) = &rec.kind else { continue };
        if i < skip_until {
            continue;
        }
        if let Some(Some(line)) = hints.header_line
            && rec.line != line
        {
            continue;
        }
        let width = head.len();
        // A header line ending in the delimiter has an empty last field its rows do not repeat.
        let trailing = head.iter().rev().take_while(|f| f.trim().is_empty()).count();
        let least = (width - trailing).max(2);
        if (rec.colon_kv && !given) || width < 2 || head.iter().filter(|f| !f.trim().is_empty()).count() < 2 {
            continue;
        }
        // Split at runs of whitespace, a line of words above rows separated by tabs is a title.
        if whitespace && !given && !rec.tab && recs.get(i + 1).is_some_and(|n| n.tab && !n.fields().is_empty()) {
            continue;
        }
        let (mut rows, mut exact, mut cells, mut data_cells, mut words, mut typed, mut comma_floats, mut grouped) =
            (0, 0, 0, 0, 0, 0, 0, 0);
        // Per column: non-empty cells, cells that are data or a missing-value token, data cells.
        let mut columns = vec![(0usize, 0usize, 0usize); width];
        for v in head.iter().filter(|v| !v.trim().is_empty()) {
            cells += 1;
            typed += usize::from(reads_as_typed(v, num, delim));
            let (c, g) = counts_format(v, num);
            (comma_floats, grouped) = (comma_floats + c, grouped + g);
        }
        let header_cells = cells;
        let mut first_col_text = !data_like(&head[0]);
        let mut wider = false;
        let mut end = recs.len();
        for (j, r) in recs.iter().enumerate().skip(i + 1) {
            let RecKind::Fields(f) = &r.kind else {
                end = j;
                break;
            };
            if f.len() > width && f[width..].iter().any(|x| !x.trim().is_empty()) {
                // A wider row that starts a run of its own means this run was preamble; a lone
                // wider row is a ragged row of this table, refused when streaming.
                wider = recs.get(j + 1).is_some_and(|n| n.fields().len() == f.len());
                end = j;
                break;
            }
            rows += 1;
            exact += usize::from(f.len() >= least);
            if rows <= INFER_ROWS {
                for (k, v) in f.iter().enumerate().filter(|(_, v)| !v.trim().is_empty()) {
                    cells += 1;
                    words += v.split_whitespace().count();
                    let d = data_like(v);
                    data_cells += usize::from(d);
                    typed += usize::from(d || reads_as_typed(v, num, delim));
                    let (c, g) = counts_format(v, num);
                    (comma_floats, grouped) = (comma_floats + c, grouped + g);
                    if let Some(c) = columns.get_mut(k) {
                        c.0 += 1;
                        c.1 += usize::from(d || values::is_null_token(v.trim().as_bytes()));
                        c.2 += usize::from(d);
                    }
                }
                first_col_text &= f.first().is_none_or(|v| !data_like(v));
            }
        }
        // A lone record of data (no header, one row, mostly values) is a table of one row when
        // nothing else in the sample is.
        let lone = rows == 0
            && strict
            && !whitespace
            && !recs.get(i + 1).is_some_and(|r| matches!(r.kind, RecKind::Fields(_)))
            && head.iter().filter(|v| data_like(v)).count() * 2 >= head.iter().filter(|v| !v.trim().is_empty()).count();
        if lone && lone_record.is_none() {
            let (comma_floats, grouped) =
                head.iter().map(|v| counts_format(v, num)).fold((0, 0), |(c, g), (c1, g1)| (c + c1, g + g1));
            let kv_same_width = None;
            lone_record = Some(Cand { start: i, width, rows: 1, cells, typed, comma_floats, grouped, kv_same_width });
        }
        if wider || rows == 0 || exact * 2 < rows {
            if given {
                return None;
            }
            if wider {
                skip_until = end;
            }
            continue;
        }
        skip_until = end;
        let body_cells = cells - header_cells;
        let cand = Cand { start: i, width, rows: rows + 1, cells, typed, comma_floats, grouped, kv_same_width: None };
        if given {
            return Some(cand);
        }
        // Sentences split at commas are not a table of text: its cells are a word or two.
        // A text table without data-like cells needs two rows to be told from prose; with one
        // (`Id,Fruit,Color` over `0,Apple,Green`) a single row is a table.
        if !strict && (words > body_cells * 3 || (rows < 2 && data_cells == 0)) {
            continue;
        }
        if strict {
            // Data-like: some column holds mostly data (numbers, dates, missing-value tokens);
            // split at runs of spaces, where prose splits too, most cells must be data.
            let data_column = columns.iter().any(|&(n, data_or_null, data)| data > 0 && data_or_null * 2 >= n);
            if !data_column || (whitespace && data_cells * 2 < body_cells) {
                continue;
            }
            if width == 2 && first_col_text && kv_like.is_none() {
                kv_like = Some(cand);
                continue;
            }
            // A `key,value` block above a wider table is metadata. Above a table of its own
            // width it may as well be rows of that table: the table below is read, with a warning.
            if let Some(kv) = &kv_like
                && cand.width == kv.width
            {
                let (from, to) = (recs[kv.start].line, recs[kv.start + kv.rows - 1].line);
                return Some(Cand { kv_same_width: Some((from, to)), ..cand });
            }
        }
        return Some(cand);
    }
    // A `key,value`-shaped run with nothing below it is the table.
    kv_like.or(lone_record)
}

fn build(
    text: &str,
    (delim, quote, num): (Delim, Option<u8>, Numbers),
    recs: Vec<Rec>,
    cand: Cand,
    choice: Choice,
    hints: &Hints,
) -> Layout {
    let start = cand.start;
    let run_end = recs[start + 1..]
        .iter()
        .position(|r| !matches!(r.kind, RecKind::Fields(_)))
        .map_or(recs.len(), |p| start + 1 + p);
    let rows_of = |from: usize| -> Vec<Vec<String>> {
        recs[from..run_end].iter().take(INFER_ROWS).map(|r| r.fields().to_vec()).collect()
    };
    let after = rows_of(start + 1);
    let types_after = infer::infer_types_dec(&after, cand.width, num);
    let header = match hints.header_line {
        Some(line) => line.is_some(),
        None if run_end == start + 1 => false,
        None => infer::looks_like_header_dec(recs[start].fields(), &types_after, num),
    };
    let mut choice = choice;
    // Split at runs of whitespace, a title line of words reads like the header of a single row.
    let lone_row = delim == Delim::Whitespace && run_end == start + 2;
    if hints.header_line.is_none()
        && header
        && (lone_row || infer::header_holds_values(recs[start].fields(), &types_after, num))
    {
        choice.warnings.push(format!(
            "uncertain header: line {} was taken as the header, but some of its cells read as values of their \
             columns (it may be a title or a row); set the header line to read it differently",
            recs[start].line
        ));
    }
    if hints.header_line.is_none() && run_end > start + 1 && types_after.iter().all(|t| *t == ColType::Text) {
        // Nothing tells a header from a row in a table of text: say which was chosen.
        choice.warnings.push(format!(
            "uncertain header: line {} was taken as the header because every column is text; \
             set the header line to 0 to read it as a row",
            recs[start].line
        ));
    }
    let preamble: Vec<Rec> = recs[..start].to_vec();
    let comment = match &hints.comment {
        Some(c) => c.bytes().next(),
        None => preamble.iter().any(|r| r.kind == RecKind::Comment).then_some(b'#'),
    };
    let (labels, labels_source, header_line, first, rows, types) = if header {
        let labels = recs[start].fields().to_vec();
        (Some(labels), "header", Some(recs[start].line), start + 1, after, types_after)
    } else {
        let rows = rows_of(start);
        let types = infer::infer_types_dec(&rows, cand.width, num);
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
        quote,
        numbers: num,
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
        skip_lines: hints.skip_lines,
        choice,
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
