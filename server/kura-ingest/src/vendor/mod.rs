//! Vendor text exports that hold several data blocks, one table per block: X-ray photoelectron
//! spectroscopy from Scienta SES (`[Region N]` / `[Data N]` sections, `scienta.rs`) and SPECS
//! Prodigy (`# Region:` / `# Cycle:` comment headers, `specs.rs`).
//!
//! The CSV reader would read only the first block of these; here each region's block becomes a
//! table named after the region, and `ReadReport.metadata` is keyed by table name with that
//! block's headers (region name, pass energy, excitation energy, dwell time, sweeps…) as
//! numbers where they read back exactly, else text. The file's own header is under `file`.
//! Detection runs before the CSV sniff; files of neither layout (CasaXPS results) stay with CSV.

mod scienta;
mod specs;
mod table;

#[cfg(test)]
mod tests;

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

use serde_json::{Map, Value, json};

use crate::cif::lines::Lines;
use crate::{FormatReader, ReadError, ReadReport, TableSink};

/// Searchable text kept at most, in bytes.
const TEXT_LIMIT: usize = 1024 * 1024;

/// Reader for multi-block XPS text exports.
#[derive(Debug, Clone, Copy, Default)]
pub struct XpsTextReader;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Layout {
    Scienta,
    Specs,
}

fn malformed(message: impl Into<String>) -> ReadError {
    ReadError::Malformed { format: "xps-text", message: message.into() }
}

fn layout(head: &[u8]) -> Option<Layout> {
    let text = String::from_utf8_lossy(head);
    if scienta::sniff(&text) {
        Some(Layout::Scienta)
    } else if specs::sniff(&text) {
        Some(Layout::Specs)
    } else {
        None
    }
}

/// Whether the head of a file is a Scienta or SPECS multi-block export.
pub fn sniff(head: &[u8]) -> bool {
    layout(head).is_some()
}

/// What the layout readers accumulate.
#[derive(Default)]
struct Output {
    metadata: Map<String, Value>,
    text: String,
    warnings: Vec<String>,
    tables: u64,
    rows: u64,
}

impl Output {
    fn push_text(&mut self, line: &str) {
        if self.text.len() + line.len() < TEXT_LIMIT {
            if !self.text.is_empty() {
                self.text.push('\n');
            }
            self.text.push_str(line);
        }
    }
}

impl FormatReader for XpsTextReader {
    fn name(&self) -> &'static str {
        "xps-text"
    }

    fn read(
        &self,
        path: &Path,
        sink: &mut dyn TableSink,
        progress: &mut dyn FnMut(u64),
    ) -> Result<ReadReport, ReadError> {
        read_file(path, sink, progress, table::BATCH_ROWS)
    }
}

fn read_file(
    path: &Path,
    sink: &mut dyn TableSink,
    progress: &mut dyn FnMut(u64),
    batch_rows: usize,
) -> Result<ReadReport, ReadError> {
    let mut head = Vec::new();
    File::open(path)?.take(64 * 1024).read_to_end(&mut head)?;
    if head.is_empty() {
        return Err(ReadError::Empty);
    }
    let layout = layout(&head).ok_or_else(|| malformed("neither a Scienta [Region 1] nor a SPECS # Region: export"))?;
    let mut lines = Lines::new(BufReader::new(File::open(path)?));
    let mut out = Output::default();
    match layout {
        Layout::Scienta => scienta::read(&mut lines, sink, progress, batch_rows, &mut out)?,
        Layout::Specs => specs::read(&mut lines, sink, progress, batch_rows, &mut out)?,
    }
    progress(lines.consumed);
    if let Some(line) = lines.legacy_line {
        out.warnings.push(format!("line {line} and possibly others are not UTF-8; read as Windows-1252"));
    }
    let mut parameters = Map::new();
    let vendor = match layout {
        Layout::Scienta => "scienta",
        Layout::Specs => "specs",
    };
    parameters.insert("layout".into(), json!(vendor));
    parameters.insert("tables".into(), json!(out.tables));
    parameters.insert("rows".into(), json!(out.rows));
    Ok(ReadReport {
        reader: "xps-text",
        reader_version: "1",
        parameters,
        metadata: out.metadata,
        text: out.text,
        warnings: out.warnings,
        ..Default::default()
    })
}
