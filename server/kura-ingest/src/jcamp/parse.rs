//! The record stream of a JCAMP-DX file turned into blocks (metadata) and tables (data).
//!
//! Blocks nest: a `##TITLE=` inside an open block starts a child (LINK blocks hold their members
//! this way) and `##END=` closes the innermost one. A plain data section (`##XYDATA=`,
//! `##XYPOINTS=`, `##PEAK TABLE=`) is one table and ends at the next record; an NTUPLES block's
//! pages (`##PAGE=` + `##DATA TABLE=`) all go into one table, ended by `##END NTUPLES=` or the
//! block's end (see the module documentation for the layout).

use std::collections::HashSet;

use serde_json::{Value, json};

use super::asdf::{Forms, LineError, Token, XyDecoder, tokenize};
use super::form::{self, Form, Spacing};
use super::ldr::{self, Block, normalize, strip_comment};
use super::table::TableWriter;
use crate::{ColumnInfo, ReadError, TableSink};

/// Searchable text kept, in bytes.
const TEXT_LIMIT: usize = 1024 * 1024;
/// Warnings kept; more are counted in the last one.
const WARNING_LIMIT: usize = 100;
/// Nesting depth accepted for blocks.
const DEPTH_LIMIT: usize = 64;
/// Metadata kept per file, in bytes of labels and values; records beyond it are dropped with a
/// warning so that a file of millions of records cannot exhaust memory.
const METADATA_LIMIT: usize = 16 * 1024 * 1024;

/// Records the reader itself uses to build tables.
const USED_LABELS: &[&str] = &[
    "XUNITS", "YUNITS", "XFACTOR", "YFACTOR", "FIRSTX", "LASTX", "NPOINTS", "DELTAX", "SYMBOL", "VARNAME", "UNITS",
    "FIRST", "LAST", "VARDIM", "FACTOR",
];

/// Records whose values are searchable text besides titles and comments.
const TEXT_LABELS: &[&str] = &[
    "ORIGIN",
    "OWNER",
    "SAMPLEDESCRIPTION",
    "NAMES",
    "CASNAME",
    "MOLFORM",
    "CASREGISTRYNO",
    "SPECTROMETERDATASYSTEM",
    "INSTRUMENTPARAMETERS",
    "DATATYPE",
    "SOLVENTNAME",
    "",
];

pub(crate) fn malformed(message: impl Into<String>) -> ReadError {
    ReadError::Malformed { format: "jcamp", message: message.into() }
}

/// A table being filled.
struct Open {
    writer: TableWriter,
    ntuples: bool,
    /// Upper-case symbol of each column.
    symbols: Vec<String>,
    form: String,
    forms: Forms,
    /// Points the header declares (NPOINTS, or VAR_DIM per page in NTUPLES).
    expected: Option<f64>,
    /// Page variable column and value for the current page.
    page: Option<(usize, f64)>,
    page_rows: u64,
}

/// How the lines of the current data section are read.
enum Section {
    None,
    Incremental { spacing: Spacing, x: usize, y: usize, factor: f64, decoder: XyDecoder, index: u64 },
    Tuples { cols: Vec<usize>, factors: Vec<f64>, pending: Vec<Option<f64>> },
}

/// Parser state over the whole file.
pub(crate) struct Parser<'s> {
    sink: &'s mut dyn TableSink,
    stack: Vec<Block>,
    /// Finished top-level blocks.
    pub blocks: Vec<Value>,
    open: Option<Open>,
    section: Section,
    /// The last `##PAGE=` as (symbol, value).
    page: Option<(String, f64)>,
    pub warnings: Vec<String>,
    dropped_warnings: usize,
    pub text: String,
    names: HashSet<String>,
    data_tables: usize,
    /// Per-table parameters for the report.
    pub tables: Vec<Value>,
    tokens: Vec<Token>,
    row: Vec<Option<f64>>,
    line: u64,
    pub points: u64,
    metadata_bytes: usize,
}

impl<'s> Parser<'s> {
    pub(crate) fn new(sink: &'s mut dyn TableSink) -> Self {
        Parser {
            sink,
            stack: Vec::new(),
            blocks: Vec::new(),
            open: None,
            section: Section::None,
            page: None,
            warnings: Vec::new(),
            dropped_warnings: 0,
            text: String::new(),
            names: HashSet::new(),
            data_tables: 0,
            tables: Vec::new(),
            tokens: Vec::new(),
            row: Vec::new(),
            line: 0,
            points: 0,
            metadata_bytes: 0,
        }
    }

    fn warn(&mut self, message: String) {
        if self.warnings.len() < WARNING_LIMIT {
            self.warnings.push(message);
        } else {
            self.dropped_warnings += 1;
        }
    }

    fn add_text(&mut self, text: &str) {
        let t = text.trim();
        if t.is_empty() || self.text.len() + t.len() + 1 > TEXT_LIMIT {
            return;
        }
        if !self.text.is_empty() {
            self.text.push('\n');
        }
        self.text.push_str(t);
    }

    fn title(&self) -> String {
        self.stack.last().and_then(|b| b.get("TITLE")).unwrap_or("").to_string()
    }

    /// Handles one physical line (`number` is 1-based).
    pub(crate) fn line(&mut self, raw: &str, number: u64) -> Result<(), ReadError> {
        self.line = number;
        if let Some((label, value)) = ldr::split(raw) {
            return self.record(label, value);
        }
        let (content, comment) = strip_comment(raw);
        let in_data = !matches!(self.section, Section::None);
        if let Some(c) = comment
            && !in_data
        {
            self.add_text(c);
        }
        if content.trim().is_empty() {
            return Ok(());
        }
        if in_data {
            return self.data_line(content);
        }
        if !self.budget(content.len()) {
            return Ok(());
        }
        match self.stack.last_mut() {
            Some(block) if block.open_key.is_some() => {
                if !block.continue_value(content) {
                    self.warn(format!("line {number}: a record value longer than {} bytes was cut", ldr::VALUE_LIMIT));
                }
            }
            _ => self.warn(format!("line {number}: text outside any record ignored")),
        }
        Ok(())
    }

    fn record(&mut self, label: &str, value: &str) -> Result<(), ReadError> {
        let norm = normalize(label);
        let (value, comment) = strip_comment(value);
        if let Some(c) = comment {
            self.add_text(c);
        }
        self.end_section()?;
        let ntuples_open = self.open.as_ref().is_some_and(|o| o.ntuples);
        let keeps_ntuples = ntuples_open && !matches!(norm.as_str(), "TITLE" | "END" | "ENDNTUPLES" | "NTUPLES");
        if !keeps_ntuples {
            self.close_table()?;
        }
        match norm.as_str() {
            "TITLE" => {
                if self.stack.len() >= DEPTH_LIMIT {
                    return Err(malformed(format!("line {}: blocks nested deeper than {DEPTH_LIMIT}", self.line)));
                }
                self.page = None;
                let mut block = Block::default();
                block.set(label, value);
                self.add_text(value);
                self.stack.push(block);
                return Ok(());
            }
            "END" => {
                match self.stack.pop() {
                    Some(block) => self.store(block),
                    None => self.warn(format!("line {}: ##END with no open block", self.line)),
                }
                return Ok(());
            }
            _ => {}
        }
        if self.stack.is_empty() {
            self.stack.push(Block::default());
        }
        let keep = self.budget(label.len() + value.len());
        let block = self.stack.last_mut().expect("a block was just ensured");
        if keep {
            block.set(label, value);
        } else if USED_LABELS.contains(&norm.as_str()) {
            // Over budget, the records that place and scale the data are still read, not kept.
            block.remember(label, value);
        }
        if TEXT_LABELS.contains(&norm.as_str()) {
            self.add_text(value);
        }
        match norm.as_str() {
            "XYDATA" | "XYPOINTS" | "PEAKTABLE" | "DATATABLE" => self.start_data(&norm, value),
            "PAGE" => {
                self.page =
                    value.split_once('=').and_then(|(s, v)| Some((normalize(s), v.trim().parse::<f64>().ok()?)));
                self.apply_page();
                Ok(())
            }
            _ => Ok(()),
        }
    }

    /// Whether `bytes` more metadata fit in [`METADATA_LIMIT`]; warns once when they no longer do.
    fn budget(&mut self, bytes: usize) -> bool {
        if self.metadata_bytes > METADATA_LIMIT {
            return false;
        }
        self.metadata_bytes += bytes;
        if self.metadata_bytes > METADATA_LIMIT {
            let line = self.line;
            self.warn(format!("line {line}: metadata beyond {METADATA_LIMIT} bytes is not kept"));
            return false;
        }
        true
    }

    fn store(&mut self, block: Block) {
        let json = block.into_json();
        match self.stack.last_mut() {
            Some(parent) => parent.children.push(json),
            None => self.blocks.push(json),
        }
    }

    fn apply_page(&mut self) {
        if let Some(open) = self.open.as_mut() {
            open.page = self
                .page
                .as_ref()
                .and_then(|(s, v)| open.symbols.iter().position(|c| normalize(c) == *s).map(|i| (i, *v)));
        }
    }

    fn start_data(&mut self, norm: &str, value: &str) -> Result<(), ReadError> {
        let block = self.stack.last().expect("records live in a block");
        let declared: Vec<String> = block.list("SYMBOL").iter().map(|s| s.to_uppercase()).collect();
        let Some(form) = form::parse(value, &declared) else {
            let title = self.title();
            self.warn(format!(
                "line {}: data form {:?} in block {title:?} is not understood; its lines are kept as text",
                self.line,
                value.trim()
            ));
            return Ok(());
        };
        if norm == "DATATABLE" { self.start_page(form, value) } else { self.start_plain(norm, form, value) }
    }

    fn table_name(&mut self, base: &str) -> String {
        let mut name = if base == "data" {
            self.data_tables += 1;
            if self.data_tables == 1 { "data".to_string() } else { format!("block_{}", self.data_tables) }
        } else {
            base.to_string()
        };
        let mut k = 2;
        while self.names.contains(&name) {
            name = format!("{base}_{k}");
            k += 1;
        }
        self.names.insert(name.clone());
        name
    }

    fn start_plain(&mut self, norm: &str, form: Form, value: &str) -> Result<(), ReadError> {
        let block = self.stack.last().expect("records live in a block");
        let symbols = form.symbols();
        let unit_of = |s: &str| match s {
            "X" => block.get("XUNITS").map(str::to_string),
            "Y" => block.get("YUNITS").map(str::to_string),
            _ => None,
        };
        let factor_of = |s: &str| match s {
            "X" => block.number("XFACTOR").unwrap_or(1.0),
            "Y" => block.number("YFACTOR").unwrap_or(1.0),
            _ => 1.0,
        };
        let columns = columns(&symbols, &[], |i| unit_of(&symbols[i]));
        let expected = block.number("NPOINTS");
        let section = match &form {
            Form::Incremental { y, .. } => {
                let spacing = Spacing::new(
                    block.number("FIRSTX"),
                    block.number("LASTX"),
                    block.number("NPOINTS"),
                    block.number("DELTAX"),
                )
                .ok_or_else(|| {
                    malformed(format!(
                        "line {}: ##{} needs ##FIRSTX with ##LASTX and ##NPOINTS, or with ##DELTAX, to place its points",
                        self.line,
                        if norm == "XYDATA" { "XYDATA" } else { norm }
                    ))
                })?;
                Section::Incremental {
                    spacing,
                    x: 0,
                    y: 1,
                    factor: factor_of(y),
                    decoder: XyDecoder::default(),
                    index: 0,
                }
            }
            Form::Tuples(s) => Section::Tuples {
                cols: (0..s.len()).collect(),
                factors: s.iter().map(|s| factor_of(s)).collect(),
                pending: Vec::new(),
            },
        };
        let name = self.table_name(if norm == "PEAKTABLE" { "peaks" } else { "data" });
        let writer = TableWriter::begin(self.sink, name, columns)?;
        self.row = vec![None; writer.width()];
        self.open = Some(Open {
            writer,
            ntuples: false,
            symbols,
            form: value.trim().to_string(),
            forms: Forms::default(),
            expected,
            page: None,
            page_rows: 0,
        });
        self.section = section;
        Ok(())
    }

    fn start_page(&mut self, form: Form, value: &str) -> Result<(), ReadError> {
        let block = self.stack.last().expect("records live in a block");
        let upper = |v: Vec<String>| v.into_iter().map(|s| s.to_uppercase()).collect::<Vec<_>>();
        let declared = upper(block.list("SYMBOL"));
        if self.open.is_none() {
            let mut symbols = if declared.is_empty() { form.symbols() } else { declared.clone() };
            if let Some((page, _)) = &self.page
                && !symbols.iter().any(|s| normalize(s) == *page)
            {
                symbols.push(page.clone());
            }
            let names = block.list("VARNAME");
            let units = block.list("UNITS");
            let columns = columns(&symbols, &names, |i| {
                declared.iter().position(|d| *d == symbols[i]).and_then(|j| units.get(j)).cloned()
            });
            let name = self.table_name("data");
            let writer = TableWriter::begin(self.sink, name, columns)?;
            self.row = vec![None; writer.width()];
            self.open = Some(Open {
                writer,
                ntuples: true,
                symbols,
                form: value.trim().to_string(),
                forms: Forms::default(),
                expected: None,
                page: None,
                page_rows: 0,
            });
            self.apply_page();
        }
        let block = self.stack.last().expect("records live in a block");
        let open = self.open.as_mut().expect("just opened");
        let col = |s: &str| {
            open.symbols
                .iter()
                .position(|c| c == s)
                .ok_or_else(|| malformed(format!("line {}: page variable {s} is not declared in ##SYMBOL", self.line)))
        };
        // Per-variable lists (FIRST, LAST, VAR_DIM, FACTOR) are indexed like ##SYMBOL.
        let at = |label: &str, s: &str| -> Option<f64> {
            let i = declared.iter().position(|d| d == s)?;
            block.list(label).get(i)?.parse::<f64>().ok().filter(|v| v.is_finite())
        };
        open.page_rows = 0;
        match &form {
            Form::Incremental { x, y } => {
                let spacing = Spacing::new(at("FIRST", x), at("LAST", x), at("VARDIM", x), None)
                    .or_else(|| {
                        Spacing::new(
                            block.number("FIRSTX"),
                            block.number("LASTX"),
                            block.number("NPOINTS"),
                            block.number("DELTAX"),
                        )
                    })
                    .ok_or_else(|| {
                        malformed(format!(
                            "line {}: ##DATA TABLE needs ##FIRST, ##LAST and ##VAR_DIM for {x} to place its points",
                            self.line
                        ))
                    })?;
                open.expected = at("VARDIM", x);
                self.section = Section::Incremental {
                    spacing,
                    x: col(x)?,
                    y: col(y)?,
                    factor: at("FACTOR", y).unwrap_or(1.0),
                    decoder: XyDecoder::default(),
                    index: 0,
                };
            }
            Form::Tuples(s) => {
                open.expected = s.first().and_then(|x| at("VARDIM", x));
                self.section = Section::Tuples {
                    cols: s.iter().map(|v| col(v)).collect::<Result<_, _>>()?,
                    factors: s.iter().map(|v| at("FACTOR", v).unwrap_or(1.0)).collect(),
                    pending: Vec::new(),
                };
            }
        }
        Ok(())
    }

    fn data_line(&mut self, content: &str) -> Result<(), ReadError> {
        let line = self.line;
        let Some(open) = self.open.as_mut() else { return Ok(()) };
        self.tokens.clear();
        tokenize(content, &mut self.tokens, &mut open.forms).map_err(|e| malformed(format!("line {line}: {e}")))?;
        let row = &mut self.row;
        let sink = &mut *self.sink;
        let page = open.page;
        let writer = &mut open.writer;
        let mut written = 0u64;
        match &mut self.section {
            Section::None => {}
            Section::Incremental { spacing, x, y, factor, decoder, index } => {
                let mut emit = |v: Option<f64>| -> Result<(), ReadError> {
                    row.fill(None);
                    if let Some((c, pv)) = page {
                        row[c] = Some(pv);
                    }
                    row[*x] = Some(spacing.at(*index));
                    row[*y] = v.map(|v| v * *factor);
                    *index += 1;
                    written += 1;
                    writer.push(sink, row)
                };
                decoder.line(&self.tokens, line, &mut emit).map_err(|e| match e {
                    LineError::Bad(m) => malformed(m),
                    LineError::Emit(e) => e,
                })?;
            }
            Section::Tuples { cols, factors, pending } => {
                for t in &self.tokens {
                    let v = match *t {
                        Token::Value(v) => v,
                        _ => return Err(malformed(format!("line {line}: compressed values in a tuple table"))),
                    };
                    pending.push(v);
                    if pending.len() == cols.len() {
                        row.fill(None);
                        if let Some((c, pv)) = page {
                            row[c] = Some(pv);
                        }
                        for ((c, f), v) in cols.iter().zip(factors.iter()).zip(pending.drain(..)) {
                            row[*c] = v.map(|v| v * f);
                        }
                        written += 1;
                        writer.push(sink, row)?;
                    }
                }
            }
        }
        open.page_rows += written;
        self.points += written;
        Ok(())
    }

    /// Ends the current data section: an incomplete last tuple is written with nulls, and an
    /// NTUPLES page's point count is compared with VAR_DIM.
    fn end_section(&mut self) -> Result<(), ReadError> {
        let section = std::mem::replace(&mut self.section, Section::None);
        let Some(open) = self.open.as_mut() else { return Ok(()) };
        if let Section::Tuples { cols, factors, pending } = section
            && !pending.is_empty()
        {
            let n = pending.len();
            self.row.fill(None);
            for ((c, f), v) in cols.iter().zip(factors.iter()).zip(pending) {
                self.row[*c] = v.map(|v| v * f);
            }
            open.writer.push(self.sink, &self.row)?;
            open.page_rows += 1;
            self.points += 1;
            let (name, line) = (open.writer.name.clone(), self.line);
            self.warn(format!("table {name}: the last tuple before line {line} has {n} of {} values", cols.len()));
        }
        let open = self.open.as_mut().expect("checked above");
        if open.ntuples
            && let Some(e) = open.expected
            && e != open.page_rows as f64
        {
            let (name, rows, line) = (open.writer.name.clone(), open.page_rows, self.line);
            self.warn(format!("table {name}: the page ending at line {line} has {rows} points, ##VAR_DIM says {e}"));
        }
        Ok(())
    }

    fn close_table(&mut self) -> Result<(), ReadError> {
        self.end_section()?;
        let Some(open) = self.open.take() else { return Ok(()) };
        let name = open.writer.name.clone();
        let rows = open.writer.finish(self.sink)?;
        if !open.ntuples
            && let Some(e) = open.expected
            && e != rows as f64
        {
            self.warn(format!("table {name}: {rows} points read, ##NPOINTS says {e}"));
        }
        let title = self.title();
        self.tables.push(json!({
            "name": name,
            "block": title,
            "form": open.form,
            "compression": open.forms.name(),
            "rows": rows,
        }));
        if let Some(block) = self.stack.last_mut() {
            block.tables.push(name);
        }
        Ok(())
    }

    /// Ends the file: open tables are finished, unclosed blocks are kept with a warning.
    pub(crate) fn finish(&mut self) -> Result<(), ReadError> {
        self.close_table()?;
        while let Some(block) = self.stack.pop() {
            let title = block.get("TITLE").unwrap_or("").to_string();
            self.warn(format!("the file ends without ##END for block {title:?}"));
            self.store(block);
        }
        if self.dropped_warnings > 0 {
            self.warnings.push(format!("{} more warnings not shown", self.dropped_warnings));
        }
        Ok(())
    }
}

/// Column descriptions for symbols: names are the symbols in lower case (unique), labels the
/// ##VAR_NAME entries where given, units through `crate::units`.
fn columns(symbols: &[String], names: &[String], unit: impl Fn(usize) -> Option<String>) -> Vec<ColumnInfo> {
    let mut seen = HashSet::new();
    symbols
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let mut base: String =
                s.to_lowercase().chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }).collect();
            if base.trim_matches('_').is_empty() {
                base = format!("c{}", i + 1);
            }
            let mut name = base.clone();
            let mut k = 2;
            while !seen.insert(name.clone()) {
                name = format!("{base}_{k}");
                k += 1;
            }
            let label = names.get(i).filter(|n| !n.is_empty()).cloned().unwrap_or_else(|| s.clone());
            ColumnInfo::with_unit(name, label, unit(i).as_deref())
        })
        .collect()
}
