//! mzML (PSI mass spectrometry): the `spectra` table (one row per spectrum), the `peaks` table
//! (one row per m/z–intensity point) and, when the file has them, the `chromatograms` table.
//! Everything outside spectra and chromatograms (file description, instruments, software,
//! samples, run) goes to the report's metadata.
//!
//! The file is streamed twice with quick-xml's pull reader, because a sink takes one table at
//! a time: the first pass writes `spectra` and learns which arrays exist, the second writes the
//! points. Only the current spectrum's arrays are ever in memory.

mod binary;
mod model;
mod points;
mod scan;
mod spectra;

use std::fs::File;
use std::io::BufReader;
use std::path::Path;

use serde_json::{Map, Value, json};

pub use binary::MAX_DECODED_BYTES;
pub use model::{DataArray, Param, Record, RecordKind};
pub use scan::Scanner;

use crate::{FormatReader, ReadError, ReadReport, TableSink};
use points::{Layout, PointsTable};
use scan::malformed;
use spectra::SpectraTable;

/// Most chromatograms described one by one in the metadata.
const MAX_CHROMATOGRAM_METADATA: usize = 10_000;

/// Reader for mzML and indexed mzML files.
#[derive(Debug, Clone, Copy)]
pub struct MzmlReader {
    /// Largest decoded array accepted, in bytes.
    pub max_array_bytes: u64,
}

impl Default for MzmlReader {
    fn default() -> Self {
        MzmlReader { max_array_bytes: MAX_DECODED_BYTES }
    }
}

/// Whether the head of a file is an mzML document: an `<mzML` or `<indexedmzML` root element.
pub fn sniff(head: &[u8]) -> bool {
    let Some(start) = root_start(head) else { return false };
    let rest = &head[start..];
    [&b"mzML"[..], b"indexedmzML"].iter().any(|name| {
        rest.starts_with(name)
            && rest.get(name.len()).is_none_or(|b| b.is_ascii_whitespace() || *b == b'>' || *b == b'/')
    })
}

/// Offset just after the `<` of the first element, skipping the declaration, comments,
/// processing instructions and a DOCTYPE.
fn root_start(head: &[u8]) -> Option<usize> {
    let mut i = 0;
    if head.starts_with(&[0xEF, 0xBB, 0xBF]) {
        i = 3;
    }
    loop {
        while head.get(i).is_some_and(u8::is_ascii_whitespace) {
            i += 1;
        }
        let rest = head.get(i..)?;
        if rest.starts_with(b"<?") {
            i += memchr::memmem::find(rest, b"?>")? + 2;
        } else if rest.starts_with(b"<!--") {
            i += memchr::memmem::find(rest, b"-->")? + 3;
        } else if rest.starts_with(b"<!") {
            // A DOCTYPE may hold an internal subset with `>` inside brackets.
            let end = match memchr::memchr(b'[', rest) {
                Some(open) if memchr::memchr(b'>', rest).is_some_and(|gt| open < gt) => {
                    open + memchr::memmem::find(&rest[open..], b"]")? + 1
                }
                _ => 0,
            };
            i += end + memchr::memchr(b'>', &rest[end..])? + 1;
        } else if rest.starts_with(b"<") {
            return Some(i + 1);
        } else {
            return None;
        }
    }
}

fn open(path: &Path, limit: u64) -> Result<Scanner<BufReader<File>>, ReadError> {
    Ok(Scanner::new(BufReader::with_capacity(1 << 16, File::open(path)?), limit))
}

impl FormatReader for MzmlReader {
    fn name(&self) -> &'static str {
        "mzml"
    }

    fn read(
        &self,
        path: &Path,
        sink: &mut dyn TableSink,
        progress: &mut dyn FnMut(u64),
    ) -> Result<ReadReport, ReadError> {
        let size = std::fs::metadata(path)?.len();
        if size == 0 {
            return Err(ReadError::Empty);
        }

        // First pass: spectra, the array layouts, chromatogram descriptions, metadata.
        let mut scanner = open(path, self.max_array_bytes)?;
        let mut spectra = SpectraTable::default();
        let mut peak_layout = Layout::default();
        let mut chromatogram_layout = Layout::default();
        let mut chromatograms = Vec::new();
        while let Some(record) = scanner.next_record()? {
            match record.kind {
                RecordKind::Spectrum => {
                    peak_layout.observe(&record)?;
                    spectra.push(&record, sink)?;
                }
                RecordKind::Chromatogram => {
                    chromatogram_layout.observe(&record)?;
                    if chromatograms.len() < MAX_CHROMATOGRAM_METADATA {
                        chromatograms.push(describe_chromatogram(&record));
                    }
                }
            }
            progress(scanner.position() / 2);
        }
        spectra.finish(sink)?;
        let mut metadata = scanner.metadata();
        let counts = std::mem::take(&mut scanner.counts);
        let root = scanner.root.clone().unwrap_or_default();
        let mut warnings = std::mem::take(&mut scanner.warnings);
        let text = std::mem::take(&mut scanner.text);
        drop(scanner);
        if !chromatograms.is_empty() {
            metadata.insert("chromatograms".into(), Value::Array(chromatograms));
        }

        // Second pass: the points of every spectrum, then of every chromatogram.
        let mut scanner = open(path, self.max_array_bytes)?;
        let mut peaks: Option<PointsTable> = None;
        let mut chromatogram_points: Option<PointsTable> = None;
        let mut peaks_done = peak_layout.is_empty();
        while let Some(record) = scanner.next_record()? {
            match record.kind {
                RecordKind::Spectrum if peak_layout.is_empty() => {}
                RecordKind::Spectrum => {
                    if peaks_done {
                        return Err(malformed(format!("{} comes after the chromatograms", record.describe())));
                    }
                    if peaks.is_none() {
                        peaks = Some(PointsTable::begin("peaks", "spectrum_index", &peak_layout, sink)?);
                    }
                    if let Some(t) = &mut peaks {
                        t.push(&record, sink)?;
                    }
                }
                RecordKind::Chromatogram if chromatogram_layout.is_empty() => {}
                RecordKind::Chromatogram => {
                    if !peaks_done && let Some(t) = &mut peaks {
                        t.finish(sink)?;
                        warnings.append(&mut t.warnings);
                    }
                    peaks_done = true;
                    if chromatogram_points.is_none() {
                        chromatogram_points = Some(PointsTable::begin(
                            "chromatograms",
                            "chromatogram_index",
                            &chromatogram_layout,
                            sink,
                        )?);
                    }
                    if let Some(t) = &mut chromatogram_points {
                        t.push(&record, sink)?;
                    }
                }
            }
            progress(size / 2 + scanner.position() / 2);
        }
        if !peaks_done && let Some(t) = &mut peaks {
            t.finish(sink)?;
            warnings.append(&mut t.warnings);
        }
        if let Some(t) = &mut chromatogram_points {
            t.finish(sink)?;
            warnings.append(&mut t.warnings);
        }
        progress(size);

        warnings.append(&mut spectra.warnings);
        if spectra.derived > 0 {
            warnings.push(format!(
                "base peak, total ion current or m/z range computed from the arrays for {} spectra that do not state them",
                spectra.derived
            ));
        }
        let mut parameters = Map::new();
        parameters.insert("root".into(), json!(root));
        parameters.insert("spectra".into(), json!(spectra.written));
        parameters.insert("peaks".into(), json!(peaks.as_ref().map_or(0, |t| t.rows)));
        parameters.insert("peak_arrays".into(), json!(peak_layout.names()));
        parameters.insert("chromatograms".into(), counts.get("chromatograms").cloned().unwrap_or(json!(0)));
        parameters.insert("chromatogram_points".into(), json!(chromatogram_points.as_ref().map_or(0, |t| t.rows)));
        parameters.insert("chromatogram_arrays".into(), json!(chromatogram_layout.names()));
        parameters.insert("index".into(), json!("the indexList of byte offsets is not kept: it is derivable"));
        Ok(ReadReport {
            reader: "mzml",
            reader_version: "1",
            parameters,
            metadata,
            text,
            warnings,
            ..Default::default()
        })
    }
}

/// A chromatogram's description for the metadata: id, parameters and its arrays.
fn describe_chromatogram(record: &Record) -> Value {
    let params: Vec<Value> = record.params.iter().map(|p| p.to_json(true)).collect();
    let arrays: Vec<Value> = record
        .arrays
        .iter()
        .map(|a| json!({"column": a.column, "label": a.label, "unit": a.unit_name, "points": a.values.len()}))
        .collect();
    let mut m = Map::new();
    m.insert("index".into(), json!(record.index));
    m.insert("id".into(), json!(record.id));
    for (k, v) in &record.attributes {
        m.insert(k.clone(), json!(v));
    }
    m.insert("params".into(), Value::Array(params));
    m.insert("arrays".into(), Value::Array(arrays));
    Value::Object(m)
}

#[cfg(test)]
pub(crate) mod tests;
