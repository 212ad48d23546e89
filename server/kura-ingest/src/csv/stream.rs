//! One streaming pass over the table: decode, split records, build batches, hand them to the
//! sink. A cell that does not fit its column's type does not fail the read: the pass discards
//! the table, keeps scanning (without building) to collect every widening the rest of the file
//! needs, and returns them so the caller can restart once with the wider schema.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::Path;

use arrow::record_batch::RecordBatch;
use csv::ByteRecord;

use crate::reader::{ReadError, TableSink, TableStart};

use super::columns::{self, ColBuilder, Plan};
use super::dialect::Delim;
use super::encoding::{self, Decoding, Detected};
use super::infer::ColType;
use super::layout::Layout;
use super::lines::TableBytes;
use super::values;

/// A batch is also flushed when its cells reach this many bytes, so very wide or very long text
/// rows stay within the memory budget.
const BATCH_BYTES: usize = 32 * 1024 * 1024;

/// A column whose type had to be widened, and the first line that forced it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Widening {
    pub column: usize,
    pub from: ColType,
    pub to: ColType,
    pub line: u64,
}

/// How a pass ended.
#[derive(Debug)]
pub(crate) enum Outcome {
    Done(Stats),
    Widen(Vec<Widening>),
}

/// What a completed pass saw.
#[derive(Debug, Default)]
pub(crate) struct Stats {
    pub rows: u64,
    pub short_rows: u64,
    pub ignored_extra_fields: u64,
    /// Line at which the table ended before the end of the file.
    pub ended_at: Option<u64>,
    pub trailing_lines: u64,
}

/// Everything a pass needs besides the sink.
pub(crate) struct Pass<'a> {
    pub path: &'a Path,
    pub detected: Detected,
    pub layout: &'a Layout,
    pub plan: &'a Plan,
    pub types: &'a [ColType],
    pub batch_rows: usize,
}

enum Rows<R: Read> {
    Csv(csv::Reader<TableBytes<R>>, u64),
    Whitespace(BufReader<TableBytes<R>>, u64, Vec<u8>),
}

impl<R: Read> Rows<R> {
    /// Reads the next record; returns its 1-based line number.
    fn next(&mut self, rec: &mut ByteRecord) -> Result<Option<u64>, ReadError> {
        match self {
            Rows::Csv(rdr, first) => match rdr.read_byte_record(rec) {
                Ok(true) => Ok(Some(*first + rec.position().map_or(1, |p| p.line()) - 1)),
                Ok(false) => Ok(None),
                Err(e) => Err(match e.into_kind() {
                    csv::ErrorKind::Io(io) => encoding::from_io(io),
                    other => ReadError::Malformed { format: "csv", message: format!("{other:?}") },
                }),
            },
            Rows::Whitespace(rdr, line, buf) => {
                buf.clear();
                if rdr.read_until(b'\n', buf).map_err(encoding::from_io)? == 0 {
                    return Ok(None);
                }
                rec.clear();
                for tok in buf.split(|b| b.is_ascii_whitespace()).filter(|t| !t.is_empty()) {
                    rec.push_field(tok);
                }
                *line += 1;
                Ok(Some(*line - 1))
            }
        }
    }

    fn into_bytes(self) -> TableBytes<R> {
        match self {
            Rows::Csv(rdr, _) => rdr.into_inner(),
            Rows::Whitespace(rdr, _, _) => rdr.into_inner(),
        }
    }
}

/// Runs one pass; `progress` gets the raw bytes consumed after every batch.
pub(crate) fn run(
    pass: &Pass<'_>,
    sink: &mut dyn TableSink,
    progress: &mut dyn FnMut(u64),
) -> Result<Outcome, ReadError> {
    let layout = pass.layout;
    let mut file = File::open(pass.path)?;
    file.seek(SeekFrom::Start(pass.detected.bom_len as u64))?;
    let mut decoded = Decoding::new(file, pass.detected);
    let consumed = decoded.consumed();
    io::copy(&mut (&mut decoded).take(layout.data_start as u64), &mut io::sink()).map_err(encoding::from_io)?;
    let bytes = TableBytes::new(decoded, layout.first_data_line, layout.quote, layout.comment);
    let mut rows = match layout.delim {
        Delim::Byte(d) => Rows::Csv(
            csv::ReaderBuilder::new()
                .delimiter(d)
                .quote(layout.quote.unwrap_or(b'"'))
                .quoting(layout.quote.is_some())
                .has_headers(false)
                .flexible(true)
                .buffer_capacity(256 * 1024)
                .from_reader(bytes),
            layout.first_data_line,
        ),
        Delim::Whitespace => {
            Rows::Whitespace(BufReader::with_capacity(256 * 1024, bytes), layout.first_data_line, Vec::new())
        }
    };

    let schema = columns::schema(pass.plan, pass.types);
    let mut builders: Vec<ColBuilder> =
        pass.types.iter().map(|t| ColBuilder::new(*t, pass.batch_rows, layout.numbers)).collect();
    sink.begin_table(TableStart { name: "data".into(), schema: schema.clone(), columns: pass.plan.columns.clone() })?;

    let mut open = true;
    let result = pump(pass, &mut rows, &mut builders, &schema, sink, progress, &consumed, &mut open);
    if result.is_err() && open {
        sink.discard_table();
    }
    let mut stats = match result? {
        Outcome::Done(stats) => stats,
        widen => return Ok(widen),
    };
    let mut bytes = rows.into_bytes();
    stats.ended_at = bytes.ended_at();
    if stats.ended_at.is_some() {
        stats.trailing_lines = bytes.count_rest().map_err(encoding::from_io)?;
    }
    progress(consumed.get());
    Ok(Outcome::Done(stats))
}

/// The record loop of [`run`]; `open` tells whether the sink still has the table open.
#[allow(clippy::too_many_arguments)]
fn pump<R: Read>(
    pass: &Pass<'_>,
    rows: &mut Rows<R>,
    builders: &mut [ColBuilder],
    schema: &arrow::datatypes::SchemaRef,
    sink: &mut dyn TableSink,
    progress: &mut dyn FnMut(u64),
    consumed: &encoding::Consumed,
    open: &mut bool,
) -> Result<Outcome, ReadError> {
    let keep = &pass.plan.keep;
    let width = pass.layout.width;
    let needed = keep.last().map_or(0, |k| k + 1);
    let mut stats = Stats::default();
    let mut rec = ByteRecord::new();
    let (mut batch_rows, mut batch_bytes) = (0usize, 0usize);
    // Set once a cell did not fit: from then on rows are only checked, not built.
    let mut widened: Option<(Vec<ColType>, Vec<Widening>)> = None;
    while let Some(line) = rows.next(&mut rec)? {
        let found = rec.len();
        if found > width {
            if rec.iter().skip(width).any(|f| !f.trim_ascii().is_empty()) {
                return Err(ReadError::Ragged { line, expected: width, found });
            }
            stats.ignored_extra_fields += 1;
        }
        stats.short_rows += u64::from(found < needed);
        if let Some((types, changes)) = &mut widened {
            check_row(&rec, keep, types, changes, line, pass.layout.numbers);
            continue;
        }
        for (k, b) in builders.iter_mut().enumerate() {
            match rec.get(keep[k]) {
                Some(v) if !b.push(v) => {
                    sink.discard_table();
                    *open = false;
                    let mut state = (pass.types.to_vec(), Vec::new());
                    check_row(&rec, keep, &mut state.0, &mut state.1, line, pass.layout.numbers);
                    widened = Some(state);
                    break;
                }
                Some(_) => {}
                None => b.push_null(),
            }
        }
        if widened.is_some() {
            continue;
        }
        stats.rows += 1;
        batch_rows += 1;
        batch_bytes += rec.as_slice().len();
        if batch_rows >= pass.batch_rows || batch_bytes >= BATCH_BYTES {
            flush(schema, builders, sink)?;
            (batch_rows, batch_bytes) = (0, 0);
            progress(consumed.get());
        }
    }
    if let Some((_, changes)) = widened {
        return Ok(Outcome::Widen(changes));
    }
    if batch_rows > 0 {
        flush(schema, builders, sink)?;
    }
    *open = false;
    sink.finish_table()?;
    Ok(Outcome::Done(stats))
}

/// Checks every kept cell of a row against the (already widened) types, widening further.
fn check_row(
    rec: &ByteRecord,
    keep: &[usize],
    types: &mut [ColType],
    changes: &mut Vec<Widening>,
    line: u64,
    num: values::Numbers,
) {
    for (k, t) in types.iter_mut().enumerate() {
        let Some(v) = rec.get(keep[k]) else { continue };
        if t.accepts_dec(v, num) {
            continue;
        }
        let to = t.join(values::classify_dec(v, num));
        match changes.iter_mut().find(|w| w.column == k) {
            Some(w) => w.to = to,
            None => changes.push(Widening { column: k, from: *t, to, line }),
        }
        *t = to;
    }
}

fn flush(
    schema: &arrow::datatypes::SchemaRef,
    builders: &mut [ColBuilder],
    sink: &mut dyn TableSink,
) -> Result<(), ReadError> {
    let arrays = builders.iter_mut().map(ColBuilder::finish).collect();
    let batch = RecordBatch::try_new(schema.clone(), arrays)?;
    sink.write_batch(&batch)?;
    Ok(())
}
