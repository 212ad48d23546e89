//! Notebook reading on small notebooks written here (the test data has none), and broken input.

use std::path::Path;

use arrow::array::{Array, BooleanArray, Float64Array, Int64Array, StringArray, TimestampMicrosecondArray};
use arrow::record_batch::RecordBatch;
use base64::Engine;
use serde_json::json;

use super::*;
use crate::testing::CollectSink;

/// Records tables and kept files.
fn col<'a, T: 'static>(batch: &'a RecordBatch, name: &str) -> &'a T {
    batch.column(batch.schema().index_of(name).unwrap()).as_any().downcast_ref::<T>().unwrap()
}

fn read_bytes(bytes: &[u8]) -> Result<(CollectSink, ReadReport), ReadError> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nb.ipynb");
    std::fs::write(&path, bytes).unwrap();
    read_at(&path)
}

fn read_at(path: &Path) -> Result<(CollectSink, ReadReport), ReadError> {
    let mut sink = CollectSink::default();
    let report = NotebookReader.read(path, &mut sink, &mut |_| {})?;
    Ok((sink, report))
}

/// A tiny PNG (1×1, red), as bytes.
fn png() -> Vec<u8> {
    let mut v = b"\x89PNG\r\n\x1a\n".to_vec();
    v.extend_from_slice(&[0, 0, 0, 13, b'I', b'H', b'D', b'R', 0, 0, 0, 1, 0, 0, 0, 1, 8, 2, 0, 0, 0]);
    v
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn notebook() -> serde_json::Value {
    let png_b64 = b64(&png());
    // wrapped over lines as some writers do
    let (a, b) = png_b64.split_at(10);
    let jpeg = vec![0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3];
    json!({
        "cells": [
            {"cell_type": "markdown", "metadata": {"tags": ["intro"]}, "source": ["# Calibration\n", "Run with the **XRD-7**."]},
            {"cell_type": "code", "execution_count": 1, "metadata": {}, "source": "import pandas as pd\ndf = pd.read_csv('t.csv')",
             "outputs": [
                {"output_type": "stream", "name": "stdout", "text": ["loaded 3 rows\n"]},
                {"output_type": "display_data", "metadata": {}, "data": {"image/png": format!("{a}\n{b}\n"), "text/plain": ["<Figure>"]}},
                {"output_type": "execute_result", "execution_count": 1, "metadata": {}, "data": {
                    "text/csv": "time [s],T [K]\n0,300.5\n1,301\n",
                    "text/html": "<table><tr><th>time</th></tr></table>",
                    "text/plain": "   time   T"}}
             ]},
            {"cell_type": "code", "execution_count": 2, "metadata": {}, "source": ["df.head()"],
             "outputs": [
                {"output_type": "execute_result", "execution_count": 2, "metadata": {}, "data": {
                    "application/vnd.dataresource+json": {
                        "schema": {"fields": [
                            {"name": "index", "type": "integer"},
                            {"name": "mass [mg]", "type": "number"},
                            {"name": "ok", "type": "boolean"},
                            {"name": "when", "type": "datetime"},
                            {"name": "label", "type": "string"},
                            {"name": "odd", "type": "integer"}],
                            "primaryKey": ["index"], "pandas_version": "1.4.0"},
                        "data": [
                            {"index": 0, "mass [mg]": 1.5, "ok": true, "when": "2024-01-15T10:00:00.000", "label": "a", "odd": 1},
                            {"index": 1, "mass [mg]": null, "ok": false, "when": "2024-01-16T10:00:00.000", "label": null, "odd": "x"}]},
                    "text/plain": "table"}},
                {"output_type": "display_data", "metadata": {}, "data": {"image/jpeg": b64(&jpeg), "image/svg+xml": ["<svg>", "</svg>"]}},
                {"output_type": "error", "ename": "ValueError", "evalue": "bad calibration", "traceback": []}
             ]},
            {"cell_type": "raw", "metadata": {}, "source": "raw text"}
        ],
        "metadata": {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python", "version": "3.12.1"},
            "authors": [{"name": "Ada"}],
            "widgets": {"state": {}}
        },
        "nbformat": 4,
        "nbformat_minor": 5
    })
}

#[test]
fn text_metadata_images_and_tables() {
    let (sink, report) = read_bytes(notebook().to_string().as_bytes()).unwrap();
    assert_eq!((report.reader, report.reader_version), ("notebook", "1"));
    assert!(
        report.text.starts_with("# Calibration\nRun with the **XRD-7**.\n\nimport pandas as pd"),
        "{}",
        report.text
    );
    for needle in ["loaded 3 rows", "df.head()", "ValueError: bad calibration", "raw text", "time"] {
        assert!(report.text.contains(needle), "{needle} missing from {}", report.text);
    }
    let m = &report.metadata;
    assert_eq!((m["nbformat"].as_u64(), m["nbformat_minor"].as_u64()), (Some(4), Some(5)));
    assert_eq!(m["kernel"]["name"], "python3");
    assert_eq!(m["language"]["version"], "3.12.1");
    assert_eq!(m["cells"], json!({"total": 4, "markdown": 1, "code": 2, "raw": 1}));
    assert_eq!(m["outputs"]["total"], 6);
    assert_eq!(m["outputs"]["mime_types"]["text/plain"], 3);
    assert_eq!(m["notebook"]["authors"][0]["name"], "Ada");
    assert!(m["notebook"].get("widgets").is_none());
    assert_eq!(m["tags"], json!(["intro"]));
    assert_eq!(m["tables"]["cell-3-1"]["primaryKey"], json!(["index"]));
    assert_eq!(m["tables"]["cell-2-3"]["source"], "text/csv");

    let kept = sink.kept_paths();
    assert_eq!(kept, ["images/cell-2-2.png", "images/cell-3-2.jpeg", "images/cell-3-2.svg"]);
    assert_eq!(sink.kept[0].1, png());
    assert_eq!(sink.kept[1].1, vec![0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3]);
    assert_eq!(sink.kept[2].1, b"<svg></svg>");
    assert_eq!(report.parameters["images"].as_array().unwrap().len(), 3);

    let csv = &sink.table("cell-2-3");
    assert_eq!(col::<Int64Array>(csv, "time").values(), &[0, 1]);
    assert_eq!(col::<Float64Array>(csv, "T").values(), &[300.5, 301.0]);
    let (start, _) = sink.get("cell-2-3");
    assert_eq!(start.columns[1].ucum.as_deref(), Some("K"));

    let res = &sink.table("cell-3-1");
    assert_eq!(col::<Int64Array>(res, "index").values(), &[0, 1]);
    let mass = col::<Float64Array>(res, "mass");
    assert_eq!((mass.value(0), mass.is_null(1)), (1.5, true));
    assert!(!col::<BooleanArray>(res, "ok").value(1));
    let when = col::<TimestampMicrosecondArray>(res, "when");
    assert_eq!(when.value(1) - when.value(0), 86_400_000_000);
    assert!(col::<StringArray>(res, "label").is_null(1));
    assert_eq!(col::<StringArray>(res, "odd").value(0), "1");
    let (start, _) = sink.get("cell-3-1");
    assert_eq!((start.columns[1].original_label.as_str(), start.columns[1].ucum.as_deref()), ("mass [mg]", Some("mg")));
    assert!(report.warnings.iter().any(|w| w.contains("column \"odd\" read as text: row 2")), "{:?}", report.warnings);
}

#[test]
fn invalid_base64_is_a_warning() {
    let mut nb = notebook();
    nb["cells"][1]["outputs"][1]["data"]["image/png"] = json!("not base64 at all!!");
    let (sink, report) = read_bytes(nb.to_string().as_bytes()).unwrap();
    assert!(!sink.kept.iter().any(|(p, _)| p.ends_with(".png")));
    assert!(
        report.warnings.iter().any(|w| w.starts_with("cell 2 output 2: image/png is not valid base64")),
        "{:?}",
        report.warnings
    );
    assert_eq!(sink.tables.len(), 2);
}

#[test]
fn bad_notebooks_fail_precisely() {
    let v3 = json!({"nbformat": 3, "nbformat_minor": 0, "metadata": {}, "worksheets": [{"cells": []}]});
    let no_cells = json!({"nbformat": 4, "nbformat_minor": 5, "metadata": {}});
    let no_version = json!({"cells": [], "metadata": {}});
    let full = notebook().to_string();
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (v3.to_string().into_bytes(), "nbformat 3 (cells in \"worksheets\") is not supported"),
        (no_cells.to_string().into_bytes(), "without a \"cells\" list"),
        (no_version.to_string().into_bytes(), "no \"nbformat\" version"),
        (full.as_bytes()[..full.len() / 2].to_vec(), "not a notebook: EOF while parsing"),
        (b"[1, 2]".to_vec(), "the top level is not a json object"),
        (b"   \n ".to_vec(), "only whitespace"),
        (br#"{"nbformat": 4, "cells": "oops"}"#.to_vec(), "line 1 column"),
        (Vec::new(), "file is empty"),
    ];
    for (bytes, expected) in cases {
        let err = read_bytes(&bytes).expect_err("read").to_string();
        assert!(err.contains(expected), "{expected}: {err}");
    }
}

#[test]
fn detected_before_json() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("object");
    std::fs::write(&path, notebook().to_string()).unwrap();
    assert_eq!(crate::detect::detect(&path, "object").unwrap().unwrap().name(), "notebook");
    // a notebook larger than the detection head: "nbformat" comes last
    let mut big = notebook();
    big["cells"][0]["source"] = json!("x".repeat(100_000));
    std::fs::write(&path, big.to_string()).unwrap();
    assert_eq!(crate::detect::detect(&path, "object").unwrap().unwrap().name(), "notebook");
    std::fs::write(&path, r#"{"cells": 1}"#).unwrap();
    assert_eq!(crate::detect::detect(&path, "data.json").unwrap().unwrap().name(), "json");
    assert!(sniff(br#"  {"cells": [], "nbformat": 4}"#));
    assert!(!sniff(br#"[{"cells": 1, "nbformat": 4}]"#));
}
