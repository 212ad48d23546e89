//! CIF 1.1 (Crystallographic Information File) and the mmCIF files written in the same syntax.
//!
//! - Single items (`_cell_length_a 5.4309(2)`) go to the metadata, per data block:
//!   `blocks.<name>.items`, keyed by the tag as written. Bare numbers become JSON numbers and
//!   their standard uncertainty goes beside them in `blocks.<name>.su` (so `items` holds plain
//!   values a consumer can compare); dictionary units in `blocks.<name>.units`; quoted values and
//!   text fields stay text, as in the CIF dictionaries; `?` and `.` are null.
//! - Every `loop_` becomes one table named after its category (`atom_site`, see `naming.rs`),
//!   prefixed by the block name when the file has several blocks. A column is Int64 or Float64
//!   when every non-null value is a bare number, else Utf8 with the values as written. A numeric
//!   column with uncertainties is followed by `<column>_su` (Float64), so `0.0142(9)` is 0.0142 in
//!   `U_iso_or_equiv` and 0.0009 in `U_iso_or_equiv_su`.
//! - Text fields and multi-word single values go to the searchable text.
//!
//! Reading takes two streaming passes over the file (see `scan.rs`, `emit.rs`): column types
//! depend on every value of a loop, and the first pass keeps only counts, so memory stays bounded
//! by one batch whatever the size of the loops. `global_` blocks and save frames are read too
//! (save frames' items under `save_frames`, their loops prefixed by the frame name).

mod emit;
mod lexer;
pub(crate) mod lines;
mod naming;
mod number;
mod parser;
mod scan;

#[cfg(test)]
mod tests;

use std::fs::File;
use std::io::BufReader;
use std::path::Path;

use serde_json::{Map, json};

use crate::{FormatReader, ReadError, ReadReport, TableSink};

/// Reader for CIF 1.1 files.
#[derive(Debug, Clone, Copy, Default)]
pub struct CifReader;

pub(crate) fn malformed(message: impl Into<String>) -> ReadError {
    ReadError::Malformed { format: "cif", message: message.into() }
}

/// Whether the head of a file looks like CIF: its first line that is neither blank nor a comment
/// opens a data block (or `global_`), and a tag or `loop_` follows within the head.
pub fn sniff(head: &[u8]) -> bool {
    let text = String::from_utf8_lossy(head);
    let mut lines = text.split(['\r', '\n']).map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#'));
    let Some(first) = lines.next() else { return false };
    let lower = first.get(..7).unwrap_or(first).to_ascii_lowercase();
    let opens = (lower.starts_with("data_") && first.len() > 5) || lower == "global_";
    opens && lines.take(200).any(|l| l.starts_with('_') || l.to_ascii_lowercase().starts_with("loop_"))
}

impl FormatReader for CifReader {
    fn name(&self) -> &'static str {
        "cif"
    }

    fn read(
        &self,
        path: &Path,
        sink: &mut dyn TableSink,
        progress: &mut dyn FnMut(u64),
    ) -> Result<ReadReport, ReadError> {
        read_cif(path, sink, progress, emit::BATCH_ROWS)
    }
}

fn read_cif(
    path: &Path,
    sink: &mut dyn TableSink,
    progress: &mut dyn FnMut(u64),
    batch_rows: usize,
) -> Result<ReadReport, ReadError> {
    let size = std::fs::metadata(path)?.len();
    if size == 0 {
        return Err(ReadError::Empty);
    }
    let mut scan = scan::Scan::default();
    let mut lexer = lexer::Lexer::new(BufReader::new(File::open(path)?));
    parser::parse(&mut lexer, &mut scan)?;
    let legacy = lexer.legacy_line();
    let metadata = scan.finish();
    let blocks = metadata["blocks"].as_object().map_or(0, Map::len);
    if blocks == 0 {
        return Err(malformed("no data_ block found"));
    }
    let mut emit = emit::Emit::new(&scan.loops, sink, progress, batch_rows);
    parser::parse(&mut lexer::Lexer::new(BufReader::new(File::open(path)?)), &mut emit)?;
    progress(size);

    let mut warnings = scan.warnings;
    if let Some(line) = legacy {
        warnings.push(format!("line {line} and possibly others are not UTF-8; read as Windows-1252"));
    }
    let mut parameters = Map::new();
    parameters.insert("blocks".into(), json!(blocks));
    parameters.insert("tables".into(), json!(scan.loops.len()));
    parameters.insert("rows".into(), json!(scan.loops.iter().map(|l| l.rows).sum::<u64>()));
    parameters.insert("uncertainties".into(), json!("value column plus <column>_su column"));
    Ok(ReadReport {
        reader: "cif",
        reader_version: "1",
        parameters,
        metadata,
        text: scan.text,
        warnings,
        ..Default::default()
    })
}
