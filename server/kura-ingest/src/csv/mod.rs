//! CSV, TSV and whitespace-aligned text tables, including the instrument header blocks that
//! precede them.
//!
//! Reading happens in two steps. A sample (up to 1 MiB of decoded text, fewer lines when they
//! are plenty) fixes the encoding, delimiter, preamble, header line, units and column types. Then
//! the file is streamed from the start: decoded to UTF-8, cut at the table end, split into
//! records by the `csv` crate and built into Arrow batches of [`BATCH_ROWS`] rows, so memory stays
//! bounded whatever the file size. A later cell that does not fit its column's inferred type
//! widens the column and restarts the stream (see `stream.rs`).
//!
//! Records are built into Arrow arrays here rather than by arrow-csv so that missing-value tokens,
//! `yes`/`no` booleans, exact line numbers in errors and the widening decision stay in our hands
//! without a null regex or parsing arrow's error messages; measured on 300 MB of timestamps,
//! floats and text it runs at about the speed of arrow-csv with a fixed schema.
//!
//! Decisions, each documented where it is made: missing-value tokens in `values.rs`, repeated
//! metadata keys in `preamble.rs`, the unit table and what counts as a unit in `units.rs`. Cells
//! of typed columns are trimmed before parsing; text cells are kept as written, and only an
//! empty text cell is null.
//!
//! Only the first table is read (named `data`); content after the first blank line that follows
//! the data is counted in the `trailing_content_lines` parameter and reported as a warning.

pub(crate) mod columns;
pub(crate) mod dialect;
mod encoding;
pub(crate) mod infer;
pub(crate) mod layout;
mod lines;
pub(crate) mod preamble;
mod stream;
pub(crate) mod values;

#[cfg(test)]
mod tests;

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use serde_json::{Map, Value, json};

use crate::reader::{FormatReader, ReadError, ReadOptions, ReadReport, TableSink};

use self::infer::ColType;
use self::stream::{Outcome, Pass};

/// Longest line accepted, in bytes; longer lines fail without being buffered.
pub const LINE_LIMIT: usize = 16 * 1024 * 1024;
/// Rows per record batch.
pub const BATCH_ROWS: usize = 8192;
/// Decoded bytes examined to find the table and infer column types: at most `SAMPLE_BYTES`,
/// and no more than `SAMPLE_LINES` lines once `SAMPLE_MIN_BYTES` are in (detection cost grows
/// with the sample, and a few thousand lines are plenty for a thousand inference rows).
const SAMPLE_BYTES: usize = 1024 * 1024;
const SAMPLE_MIN_BYTES: usize = 64 * 1024;
const SAMPLE_LINES: u64 = 4096;
/// Restarts allowed after type mismatches; the last one reads every column as text.
const MAX_RESTARTS: usize = 4;

/// Reads delimited text tables (`,`, tab, `;`, `|`, runs of spaces) with their header blocks.
/// A unit struct, so format detection can keep it in a `static`.
#[derive(Debug, Clone, Copy, Default)]
pub struct CsvReader;

/// Whether `head` (the first bytes of a file, at most 64 KiB are used) looks like a delimited
/// text table, so format detection can route the file here.
pub fn sniff(head: &[u8]) -> bool {
    let head = &head[..head.len().min(encoding::HEAD_BYTES)];
    let Ok(detected) = encoding::detect(head) else { return false };
    let mut text = encoding::decode_head(head, detected);
    // JSON and XML are not tables; an INI section line such as `[Info]` may head one.
    let first = text.trim_start().lines().next().unwrap_or_default().trim_end();
    let section = first.len() > 2 && first.ends_with(']') && !first.contains(',');
    if first.starts_with(['{', '<']) || (first.starts_with('[') && !section) {
        return false;
    }
    if head.len() == encoding::HEAD_BYTES
        && let Some(cut) = text.rfind('\n')
    {
        text.truncate(cut + 1);
    }
    layout::detect(&text).is_ok()
}

impl FormatReader for CsvReader {
    fn name(&self) -> &'static str {
        "csv"
    }

    fn read(
        &self,
        path: &Path,
        sink: &mut dyn TableSink,
        progress: &mut dyn FnMut(u64),
    ) -> Result<ReadReport, ReadError> {
        read_table(path, sink, progress, BATCH_ROWS, &ReadOptions::default())
    }

    fn read_with(
        &self,
        path: &Path,
        sink: &mut dyn TableSink,
        progress: &mut dyn FnMut(u64),
        options: &ReadOptions,
    ) -> Result<ReadReport, ReadError> {
        read_table(path, sink, progress, BATCH_ROWS, options)
    }
}

fn bad_option(message: String) -> ReadError {
    ReadError::Unsupported(format!("read parameters: {message}"))
}

/// The layout hints and the comment prefix the options give.
fn hints(options: &ReadOptions) -> Result<layout::Hints, ReadError> {
    let delim = match options.delimiter.as_deref() {
        None => None,
        Some("tab" | "\t" | "\\t") => Some(dialect::Delim::Byte(b'\t')),
        Some("space" | " ") => Some(dialect::Delim::Byte(b' ')),
        Some("whitespace") => Some(dialect::Delim::Whitespace),
        Some(d) if d.len() == 1 && !d.as_bytes()[0].is_ascii_alphanumeric() && d != "\"" => {
            Some(dialect::Delim::Byte(d.as_bytes()[0]))
        }
        Some(d) => return Err(bad_option(format!("delimiter {d:?} is not one character, tab, space or whitespace"))),
    };
    let decimal = match options.decimal.as_deref() {
        None => None,
        Some(".") => Some(b'.'),
        Some(",") => Some(b','),
        Some(d) => return Err(bad_option(format!("decimal separator {d:?} is neither '.' nor ','"))),
    };
    if delim == Some(dialect::Delim::Byte(b',')) && decimal == Some(b',') {
        return Err(bad_option("',' cannot be both the delimiter and the decimal separator".into()));
    }
    let quote = match options.quote.as_deref() {
        None => None,
        Some("\"") => Some(Some(b'"')),
        Some("'") => Some(Some(b'\'')),
        Some("" | "none") => Some(None),
        Some(q) => return Err(bad_option(format!("quote {q:?} is neither '\"', \"'\" nor empty (no quoting)"))),
    };
    let group = match options.thousands.as_deref() {
        None => None,
        Some("" | "none") => Some(None),
        Some(",") => Some(Some(b',')),
        Some(".") => Some(Some(b'.')),
        Some("'") => Some(Some(b'\'')),
        Some(t) => return Err(bad_option(format!("thousands separator {t:?} is not ',', '.', \"'\" or empty"))),
    };
    if group.flatten().is_some_and(|g| Some(g) == decimal) {
        return Err(bad_option("the thousands separator cannot be the decimal separator".into()));
    }
    if group.flatten().is_some() && decimal.is_none() {
        return Err(bad_option("a thousands separator needs the decimal separator too".into()));
    }
    let comment = match options.comment_prefix.as_deref() {
        None => None,
        Some(c) if !c.trim().is_empty() => Some(c.trim().to_string()),
        Some(_) => return Err(bad_option("empty comment prefix".into())),
    };
    Ok(layout::Hints {
        delim,
        quote,
        decimal,
        group,
        header_line: options.header_line.map(|n| (n > 0).then_some(n)),
        skip_lines: options.skip_lines.unwrap_or(0),
        comment,
    })
}

fn column_type(name: &str) -> Result<ColType, ReadError> {
    Ok(match name {
        "integer" | "int" => ColType::Int,
        "float" | "number" => ColType::Float,
        "boolean" | "bool" => ColType::Bool,
        "timestamp" => ColType::Timestamp { tz: false },
        "timestamp with time zone" => ColType::Timestamp { tz: true },
        "text" | "string" => ColType::Text,
        other => {
            return Err(bad_option(format!("column type {other:?} is not integer, float, boolean, timestamp or text")));
        }
    })
}

/// [`CsvReader::read_with`] with a chosen batch size (tests use small batches).
fn read_table(
    path: &Path,
    sink: &mut dyn TableSink,
    progress: &mut dyn FnMut(u64),
    batch_rows: usize,
    options: &ReadOptions,
) -> Result<ReadReport, ReadError> {
    let hints = hints(options)?;
    let mut file = File::open(path)?;
    let mut head = Vec::with_capacity(encoding::HEAD_BYTES);
    (&mut file).take(encoding::HEAD_BYTES as u64).read_to_end(&mut head)?;
    if head.is_empty() {
        return Err(ReadError::Empty);
    }
    let detected = match options.encoding.as_deref() {
        None => encoding::detect(&head)?,
        Some(label) => {
            let Some(encoding) = encoding_rs::Encoding::for_label(label.trim().as_bytes()) else {
                return Err(bad_option(format!("unknown encoding {label:?}")));
            };
            let bom_len = match encoding_rs::Encoding::for_bom(&head) {
                Some((e, len)) if e == encoding => len,
                _ => 0,
            };
            encoding::Detected { encoding, bom_len }
        }
    };
    file.seek(SeekFrom::Start(detected.bom_len as u64))?;
    let sample = read_sample(encoding::Decoding::new(file, detected))?;
    if sample.text.trim().is_empty() {
        return Err(if sample.eof {
            ReadError::Empty
        } else {
            ReadError::NoTable("only blank lines in the first MiB".into())
        });
    }
    let layout = layout::detect_with(&sample.text, &hints)?;
    let preamble = preamble::extract(&sample.text, &layout.preamble, layout.delim);
    let mut plan = columns::plan(layout.labels.as_deref(), &layout.rows, layout.width);
    let mut types: Vec<ColType> = plan.keep.iter().map(|&i| layout.types[i]).collect();
    for (name, given) in &options.columns {
        let Some(k) = plan.columns.iter().position(|c| c.name == *name || c.original_label == *name) else {
            let known: Vec<&str> = plan.columns.iter().map(|c| c.name.as_str()).collect();
            return Err(bad_option(format!("no column {name:?} (columns: {})", known.join(", "))));
        };
        if let Some(t) = &given.data_type {
            types[k] = column_type(t)?;
        }
        if let Some(unit) = given.unit.as_deref() {
            let c = &plan.columns[k];
            plan.columns[k] = crate::ColumnInfo::with_unit(c.name.clone(), c.original_label.clone(), Some(unit));
        }
    }

    let mut report = ReadReport {
        reader: "csv",
        reader_version: env!("CARGO_PKG_VERSION"),
        metadata: preamble.metadata,
        text: preamble.text,
        warnings: layout.choice.warnings.clone(),
        ..ReadReport::default()
    };
    if options.encoding.is_none()
        && let Some(other) = encoding::runner_up(&head, detected)
    {
        report.warnings.push(format!(
            "uncertain encoding: read as {}, but {} also decodes the file and few characters tell them apart; \
             set the encoding to read it differently",
            detected.encoding.name(),
            other.name()
        ));
    }
    let mut restarts = 0;
    let stats = loop {
        let pass = Pass { path, detected, layout: &layout, plan: &plan, types: &types, batch_rows: batch_rows.max(1) };
        match stream::run(&pass, sink, progress)? {
            Outcome::Done(stats) => break stats,
            Outcome::Widen(changes) => {
                restarts += 1;
                for w in &changes {
                    types[w.column] = w.to;
                    report.warnings.push(format!(
                        "column {:?} widened from {} to {} at line {}",
                        plan.columns[w.column].name,
                        w.from.label(),
                        w.to.label(),
                        w.line
                    ));
                }
                if restarts == MAX_RESTARTS {
                    types.iter_mut().for_each(|t| *t = ColType::Text);
                    report.warnings.push("too many restarts: every column read as text".into());
                }
            }
        }
    };

    if stats.short_rows > 0 {
        report
            .warnings
            .push(format!("{} rows had fewer fields than the header and were padded with nulls", stats.short_rows));
    }
    if let Some(line) = stats.ended_at.filter(|_| stats.trailing_lines > 0) {
        report.warnings.push(format!(
            "only the first table was read: {} non-blank lines from line {line} on were not parsed",
            stats.trailing_lines
        ));
    }
    report.parameters = parameters(detected, &layout, &stats, restarts, &types);
    if !options.is_empty() {
        report.parameters.insert("given".into(), serde_json::to_value(options).unwrap_or_default());
    }
    Ok(report)
}

fn parameters(
    detected: encoding::Detected,
    layout: &layout::Layout,
    stats: &stream::Stats,
    restarts: usize,
    types: &[ColType],
) -> Map<String, Value> {
    let value = json!({
        "encoding": detected.encoding.name(),
        "bom": detected.bom_len > 0,
        "delimiter": layout.delim.name(),
        "decimal": char::from(layout.numbers.decimal).to_string(),
        "thousands": layout.numbers.group.map(|g| char::from(g).to_string()),
        "dialect_given": layout.choice.given,
        "dialect_score": (layout.choice.score * 100.0).round() / 100.0,
        "dialect_confidence": (layout.choice.confidence * 100.0).round() / 100.0,
        "dialect_runner_up": layout.choice.runner_up.as_ref().map(|(name, score)| json!({"dialect": name, "score": (score * 100.0).round() / 100.0})),
        "quote": layout.quote.map(|q| char::from(q).to_string()),
        "comment_prefix": layout.comment.map(|c| char::from(c).to_string()),
        "skip_lines": layout.skip_lines,
        "header_line": layout.header_line,
        "column_labels": layout.labels_source,
        "first_data_line": layout.first_data_line,
        "rows": stats.rows,
        "columns": types.len(),
        "short_rows": stats.short_rows,
        "table_end_line": stats.ended_at,
        "trailing_content_lines": stats.trailing_lines,
        "restarts": restarts,
    });
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

/// The decoded head of the file used for layout detection.
struct Sample {
    text: String,
    eof: bool,
}

/// Reads about [`SAMPLE_BYTES`] of decoded text, ending at a line break; refuses a line longer
/// than [`LINE_LIMIT`] as soon as it is seen.
fn read_sample(mut r: impl Read) -> Result<Sample, ReadError> {
    let mut buf: Vec<u8> = Vec::with_capacity(SAMPLE_BYTES + 64 * 1024);
    let mut chunk = vec![0u8; 64 * 1024];
    let mut line_start = 0;
    let mut lines = 1u64;
    let eof = loop {
        let n = r.read(&mut chunk).map_err(encoding::from_io)?;
        if n == 0 {
            break true;
        }
        let from = buf.len();
        buf.extend_from_slice(&chunk[..n]);
        for i in memchr::memchr_iter(b'\n', &buf[from..]) {
            line_start = from + i + 1;
            lines += 1;
        }
        if buf.len() - line_start > LINE_LIMIT {
            return Err(ReadError::LineTooLong { line: lines, limit: LINE_LIMIT });
        }
        let enough = buf.len() >= SAMPLE_BYTES || (buf.len() >= SAMPLE_MIN_BYTES && lines > SAMPLE_LINES);
        if enough && line_start > 0 {
            buf.truncate(line_start);
            break false;
        }
    };
    let text = String::from_utf8(buf)
        .map_err(|e| ReadError::Malformed { format: "csv", message: format!("decoded text is not utf-8: {e}") })?;
    Ok(Sample { text, eof })
}
