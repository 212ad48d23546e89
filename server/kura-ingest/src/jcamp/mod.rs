//! JCAMP-DX 4.24 and 5.x spectra: labelled data records become per-block metadata, data sections
//! become Float64 tables streamed in batches.
//!
//! Tables, one per data section:
//! - `##XYDATA=(X++(Y..Y))` and `##XYPOINTS=(XY..XY)`: columns `x`, `y`; the first such table is
//!   `data`, later ones `block_2`, `block_3`... (numbered among data tables, not blocks). X of an
//!   incremental form is computed from FIRSTX, LASTX and NPOINTS (or FIRSTX and DELTAX), never
//!   from the rounded abscissas on the lines; Y is multiplied by YFACTOR.
//! - `##PEAK TABLE=(XY..XY)` / `(XYW..XYW)`: `peaks`, `peaks_2`..., columns named by the symbols.
//! - NTUPLES (`##SYMBOL=`, `##PAGE=`, `##DATA TABLE=`): one table per block in long form, one
//!   column per declared symbol (plus the page variable when it is not declared). Each page's
//!   rows fill the page variable, its abscissa and its ordinate; the other columns are null.
//!   So a real/imaginary pair is `x, r, i, n` with the real page's rows (`i` null) followed by
//!   the imaginary page's rows (`r` null), and a 2D spectrum is `f1, f2, y`. Long form keeps
//!   streaming possible (pages are never held in memory) and works for any number of pages.
//!
//! Units come from XUNITS/YUNITS or the NTUPLES `##UNITS=` list through
//! [`ColumnInfo::with_unit`]. Metadata is `{"blocks": [...]}`, each block its records keyed by
//! label (upper case, spaces collapsed; repeated labels become arrays) with `tables` and nested
//! `blocks` (LINK members). `$$` comments are stripped from values and, outside data lines,
//! kept in the searchable text with titles and sample/instrument fields.

mod asdf;
mod form;
mod ldr;
mod lines;
mod parse;
mod table;

#[cfg(test)]
mod tests;

use std::fs::File;
use std::io::BufReader;
use std::path::Path;

use serde_json::{Map, Value, json};

use crate::{FormatReader, ReadError, ReadReport, TableSink};
use lines::Lines;
use parse::Parser;

/// Reader for JCAMP-DX files (`.jdx`, `.dx`, `.jcamp`).
#[derive(Debug, Clone, Copy, Default)]
pub struct JcampReader;

/// Whether the head of a file looks like JCAMP-DX: its first record, after blank lines and
/// `$$` comments, is `##TITLE=` or `##JCAMP-DX=` (labels compared normalized).
pub fn sniff(head: &[u8]) -> bool {
    let text = String::from_utf8_lossy(&head[..head.len().min(4096)]);
    let text = text.trim_start_matches('\u{feff}');
    for line in text.lines() {
        let t = line.trim();
        if t.is_empty() || t.starts_with("$$") {
            continue;
        }
        return ldr::split(t).is_some_and(|(label, _)| matches!(ldr::normalize(label).as_str(), "TITLE" | "JCAMPDX"));
    }
    false
}

/// Lines between progress reports.
const PROGRESS_LINES: u64 = 4096;

impl FormatReader for JcampReader {
    fn name(&self) -> &'static str {
        "jcamp"
    }

    fn read(
        &self,
        path: &Path,
        sink: &mut dyn TableSink,
        progress: &mut dyn FnMut(u64),
    ) -> Result<ReadReport, ReadError> {
        if std::fs::metadata(path)?.len() == 0 {
            return Err(ReadError::Empty);
        }
        let mut lines = Lines::new(BufReader::with_capacity(64 * 1024, File::open(path)?));
        let mut parser = Parser::new(sink);
        let mut saw_record = false;
        while let Some(line) = lines.next_line()? {
            if !saw_record {
                let t = line.trim();
                if t.is_empty() || t.starts_with("$$") {
                    continue;
                }
                if ldr::split(t).is_none() {
                    return Err(parse::malformed(format!("line {}: expected a ##LABEL= record", lines.number)));
                }
                saw_record = true;
            }
            parser.line(&line, lines.number)?;
            if lines.number % PROGRESS_LINES == 0 {
                progress(lines.consumed);
            }
        }
        if !saw_record {
            return Err(parse::malformed("no ##TITLE= record found"));
        }
        parser.finish()?;
        progress(lines.consumed);

        let mut metadata = Map::new();
        let version = parser
            .blocks
            .first()
            .and_then(|b| b.as_object())
            .and_then(|b| b.iter().find(|(k, _)| ldr::normalize(k) == "JCAMPDX"))
            .map(|(_, v)| v.clone());
        if let Some(v) = &version {
            metadata.insert("jcamp_version".into(), v.clone());
        }
        metadata.insert("blocks".into(), Value::Array(std::mem::take(&mut parser.blocks)));
        let mut parameters = Map::new();
        parameters.insert("tables".into(), Value::Array(std::mem::take(&mut parser.tables)));
        parameters.insert("points".into(), json!(parser.points));
        parameters.insert("lines".into(), json!(lines.number));
        Ok(ReadReport {
            reader: "jcamp",
            reader_version: "1",
            parameters,
            metadata,
            text: std::mem::take(&mut parser.text),
            warnings: std::mem::take(&mut parser.warnings),
            ..Default::default()
        })
    }
}
