//! What code cells produced: images kept as files, tables read into tables, the rest as text.

use std::path::PathBuf;

use arrow::record_batch::RecordBatch;
use base64::Engine;
use serde_json::{Map, Value, json};

use crate::reader::{FormatReader, ReadError, SinkError, TableSink, TableStart};

use super::model::{Output, bundle_text};
use super::resource;

/// Image types kept as files, with the extension they get and whether they are base64.
const IMAGES: &[(&str, &str, bool)] = &[
    ("image/png", "png", true),
    ("image/jpeg", "jpeg", true),
    ("image/gif", "gif", true),
    ("image/svg+xml", "svg", false),
];

const DATA_RESOURCE: &str = "application/vnd.dataresource+json";

/// What the outputs of the notebook added up to.
#[derive(Debug, Default)]
pub(crate) struct Found {
    pub images: Vec<String>,
    pub tables: Map<String, Value>,
    pub warnings: Vec<String>,
}

/// Decodes base64 as notebooks write it (wrapped in lines).
fn decode(b64: &str) -> Result<Vec<u8>, base64::DecodeError> {
    let compact: Vec<u8> = b64.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    base64::engine::general_purpose::STANDARD.decode(compact)
}

/// Keeps the images of output `k` of cell `n` (both 1-based).
pub(crate) fn images(
    out: &Output,
    n: usize,
    k: usize,
    sink: &mut dyn TableSink,
    found: &mut Found,
) -> Result<(), ReadError> {
    for (mime, ext, binary) in IMAGES {
        let Some(v) = out.data.get(*mime) else { continue };
        let Some(content) = bundle_text(v) else {
            found.warnings.push(format!("cell {n} output {k}: {mime} is not text: image skipped"));
            continue;
        };
        let bytes = if *binary {
            match decode(&content) {
                Ok(b) => b,
                Err(e) => {
                    found
                        .warnings
                        .push(format!("cell {n} output {k}: {mime} is not valid base64 ({e}): image skipped"));
                    continue;
                }
            }
        } else {
            content.into_bytes()
        };
        let path = format!("images/cell-{n}-{k}.{ext}");
        sink.keep_file(&path, &mut bytes.as_slice())?;
        found.images.push(path);
    }
    Ok(())
}

/// Reads the tabular content of output `k` of cell `n` into table `cell-<n>-<k>`: a Table Schema
/// data resource when there is one, else `text/csv` through the CSV reader. A table that cannot
/// be read is a warning: the output stays in the notebook's text.
pub(crate) fn table(
    out: &Output,
    n: usize,
    k: usize,
    sink: &mut dyn TableSink,
    found: &mut Found,
) -> Result<(), ReadError> {
    let name = format!("cell-{n}-{k}");
    if let Some(res) = out.data.get(DATA_RESOURCE) {
        match resource::write(res, &name, sink) {
            Ok((rows, warnings)) => {
                found.warnings.extend(warnings);
                let mut d = resource::describe(res);
                d.insert("source".into(), DATA_RESOURCE.into());
                d.insert("rows".into(), rows.into());
                found.tables.insert(name, Value::Object(d));
            }
            Err(ReadError::Malformed { message, .. }) => found.warnings.push(format!("table skipped: {message}")),
            Err(e) => return Err(e),
        }
        return Ok(());
    }
    let Some(csv) = out.data.get("text/csv").and_then(bundle_text) else { return Ok(()) };
    match read_csv(&csv, &name, sink) {
        Ok(report) => {
            found.warnings.extend(report.warnings.iter().map(|w| format!("{name}: {w}")));
            let mut d = Map::new();
            d.insert("source".into(), "text/csv".into());
            if !report.metadata.is_empty() {
                d.insert("metadata".into(), Value::Object(report.metadata));
            }
            d.insert("parameters".into(), Value::Object(report.parameters));
            found.tables.insert(name, Value::Object(d));
        }
        Err(ReadError::Sink(e)) => return Err(ReadError::Sink(e)),
        Err(e) => found.warnings.push(format!("{name}: text/csv output not read as a table: {e}")),
    }
    Ok(())
}

/// A temporary file removed when dropped.
struct TempFile(PathBuf);

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Runs the CSV reader (which reads files) over `text` through a temporary file.
fn read_csv(text: &str, name: &str, sink: &mut dyn TableSink) -> Result<crate::ReadReport, ReadError> {
    let tmp = TempFile(std::env::temp_dir().join(format!("kura-notebook-{}.csv", uuid::Uuid::new_v4())));
    std::fs::write(&tmp.0, text)?;
    let mut renamed = Rename { inner: sink, name };
    crate::csv::CsvReader.read(&tmp.0, &mut renamed, &mut |_| {})
}

/// Gives the tables of an inner reader this output's name.
struct Rename<'a> {
    inner: &'a mut dyn TableSink,
    name: &'a str,
}

impl TableSink for Rename<'_> {
    fn begin_table(&mut self, mut table: TableStart) -> Result<(), SinkError> {
        table.name = self.name.to_string();
        self.inner.begin_table(table)
    }
    fn write_batch(&mut self, batch: &RecordBatch) -> Result<(), SinkError> {
        self.inner.write_batch(batch)
    }
    fn finish_table(&mut self) -> Result<(), SinkError> {
        self.inner.finish_table()
    }
    fn discard_table(&mut self) {
        self.inner.discard_table()
    }
    fn keep_file(&mut self, path: &str, bytes: &mut dyn std::io::Read) -> Result<(), SinkError> {
        self.inner.keep_file(path, bytes)
    }
}

/// The searchable text of an output: streams, errors and the text forms of results. HTML (pandas
/// tables among it) is kept as text with its tags removed; it is not parsed into a table, because
/// pandas also sends the same table as `text/plain` and, when asked, as a data resource.
pub(crate) fn text(out: &Output) -> String {
    match out.output_type.as_str() {
        "stream" => out.text.joined(),
        "error" => {
            format!("{}: {}", out.ename.as_deref().unwrap_or_default(), out.evalue.as_deref().unwrap_or_default())
        }
        _ => {
            let mut parts = Vec::new();
            for mime in ["text/plain", "text/markdown", "text/latex"] {
                if let Some(t) = out.data.get(mime).and_then(bundle_text) {
                    parts.push(t);
                }
            }
            if let Some(html) = out.data.get("text/html").and_then(bundle_text) {
                parts.push(strip_tags(&html));
            }
            parts.join("\n")
        }
    }
}

fn strip_tags(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                if !out.ends_with([' ', '\n']) {
                    out.push(' ');
                }
            }
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Mime types seen in the outputs, counted, for the metadata.
pub(crate) fn count_mimes(out: &Output, counts: &mut Map<String, Value>) {
    for mime in out.data.keys() {
        let n = counts.get(mime).and_then(Value::as_u64).unwrap_or(0);
        counts.insert(mime.clone(), json!(n + 1));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_tags_are_stripped() {
        assert_eq!(strip_tags("<table><tr><th>a</th><td>1.5</td></tr></table>"), "a 1.5");
    }
}
