//! Jupyter notebooks (nbformat 4): cell sources as searchable text, kernel and language as
//! metadata, images in outputs kept as files (`images/cell-<n>-<k>.png`), and tabular outputs
//! (`text/csv`, Table Schema data resources) as tables named `cell-<n>-<k>` (cell `n`, output
//! `k`, both from 1). HTML tables (pandas' `text/html`) are left as text; see `outputs.rs`.
//!
//! A notebook is one JSON document and is parsed whole (images are base64 inside it), so memory
//! grows with the file: files over [`MAX_BYTES`] are refused rather than risked.

mod model;
mod outputs;
mod resource;

#[cfg(test)]
mod tests;

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

use serde_json::{Map, Value, json};

use crate::reader::{FormatReader, ReadError, ReadReport, TableSink};

use self::model::Notebook;

/// Largest notebook read.
pub const MAX_BYTES: u64 = 512 * 1024 * 1024;

/// Notebook metadata keys not copied into Kura's metadata: widget state is large and says
/// nothing about the research.
const SKIPPED_METADATA: &[&str] = &["widgets"];

/// Reads Jupyter notebooks.
#[derive(Debug, Clone, Copy, Default)]
pub struct NotebookReader;

/// Whether the head of a file (its first 64 KiB) is a notebook: a JSON object with `"cells"` and
/// `"nbformat"` keys, or, for a notebook too large for `"nbformat"` (written last) to be in the
/// head, with `"cells"` holding objects with a `"cell_type"`.
pub fn sniff(head: &[u8]) -> bool {
    let has = |needle: &[u8]| head.windows(needle.len()).any(|w| w == needle);
    head.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{')
        && has(b"\"cells\"")
        && (has(b"\"nbformat\"") || has(b"\"cell_type\""))
}

fn malformed(message: impl Into<String>) -> ReadError {
    ReadError::Malformed { format: "notebook", message: message.into() }
}

fn parse(path: &Path) -> Result<(Notebook, u64), ReadError> {
    let size = std::fs::metadata(path)?.len();
    if size == 0 {
        return Err(ReadError::Empty);
    }
    if size > MAX_BYTES {
        return Err(malformed(format!("notebook is {size} bytes, more than the {MAX_BYTES} read")));
    }
    let mut first = [0u8; 1];
    let mut file = BufReader::new(File::open(path)?);
    loop {
        if let Err(e) = file.read_exact(&mut first) {
            return Err(match e.kind() {
                std::io::ErrorKind::UnexpectedEof => malformed("not a notebook: only whitespace"),
                _ => e.into(),
            });
        }
        if !first[0].is_ascii_whitespace() {
            break;
        }
    }
    if first[0] != b'{' {
        return Err(malformed("not a notebook: the top level is not a json object"));
    }
    let nb: Notebook = serde_json::from_reader(BufReader::new(File::open(path)?))
        .map_err(|e| malformed(format!("not a notebook: {e}")))?;
    let version = nb.nbformat.as_ref().ok_or_else(|| malformed("no \"nbformat\" version"))?;
    if version.as_u64() != Some(4) {
        let hint = if nb.worksheets.is_some() { " (cells in \"worksheets\")" } else { "" };
        return Err(malformed(format!("nbformat {version}{hint} is not supported: only version 4 is read")));
    }
    if nb.cells.is_none() {
        return Err(malformed("nbformat 4 notebook without a \"cells\" list"));
    }
    Ok((nb, size))
}

impl FormatReader for NotebookReader {
    fn name(&self) -> &'static str {
        "notebook"
    }

    fn read(
        &self,
        path: &Path,
        sink: &mut dyn TableSink,
        progress: &mut dyn FnMut(u64),
    ) -> Result<ReadReport, ReadError> {
        let (mut nb, size) = parse(path)?;
        let cells = nb.cells.take().unwrap_or_default();
        let mut text = Vec::new();
        let mut counts = Map::new();
        let mut mimes = Map::new();
        let mut found = outputs::Found::default();
        let mut outputs_total = 0usize;
        let mut tags = Vec::new();
        for (i, cell) in cells.iter().enumerate() {
            let n = i + 1;
            let kind = counts.get(&cell.cell_type).and_then(Value::as_u64).unwrap_or(0);
            counts.insert(cell.cell_type.clone(), json!(kind + 1));
            let source = cell.source.joined();
            if !source.trim().is_empty() {
                text.push(source);
            }
            if let Some(Value::Array(t)) = cell.metadata.get("tags") {
                tags.extend(t.iter().filter_map(Value::as_str).map(str::to_string));
            }
            for (j, out) in cell.outputs.iter().enumerate() {
                let k = j + 1;
                outputs_total += 1;
                outputs::count_mimes(out, &mut mimes);
                outputs::images(out, n, k, sink, &mut found)?;
                outputs::table(out, n, k, sink, &mut found)?;
                let t = outputs::text(out);
                if !t.trim().is_empty() {
                    text.push(t);
                }
            }
        }
        progress(size);

        let mut metadata = Map::new();
        metadata.insert("nbformat".into(), nb.nbformat.clone().unwrap_or(Value::Null));
        metadata.insert("nbformat_minor".into(), nb.nbformat_minor.clone().unwrap_or(Value::Null));
        let mut rest = std::mem::take(&mut nb.metadata);
        if let Some(kernel) = rest.remove("kernelspec") {
            metadata.insert("kernel".into(), kernel);
        }
        if let Some(language) = rest.remove("language_info") {
            metadata.insert("language".into(), language);
        }
        let skipped: Vec<&str> = SKIPPED_METADATA.iter().copied().filter(|k| rest.remove(*k).is_some()).collect();
        if !rest.is_empty() {
            metadata.insert("notebook".into(), Value::Object(rest));
        }
        counts.insert("total".into(), json!(cells.len()));
        metadata.insert("cells".into(), Value::Object(counts));
        metadata.insert("outputs".into(), json!({"total": outputs_total, "mime_types": mimes}));
        if !tags.is_empty() {
            tags.sort();
            tags.dedup();
            metadata.insert("tags".into(), json!(tags));
        }
        if !found.tables.is_empty() {
            metadata.insert("tables".into(), Value::Object(std::mem::take(&mut found.tables)));
        }

        let mut parameters = Map::new();
        parameters.insert("images".into(), json!(found.images));
        parameters.insert("skipped_metadata".into(), json!(skipped));
        Ok(ReadReport {
            reader: "notebook",
            reader_version: "1",
            parameters,
            metadata,
            text: text.join("\n\n"),
            warnings: found.warnings,
            ..Default::default()
        })
    }
}
