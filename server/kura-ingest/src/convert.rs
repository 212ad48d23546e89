//! Reading files without a catalog: `kura read FILE --out DIR` writes each table a reader finds
//! as `DIR/<table>.parquet`, kept files under `DIR/extracted/`, and what the reader reported as
//! `DIR/report.json`. The same readers and Parquet writer as ingestion, so what this shows is
//! what ingestion stores; the end-to-end tests compare it with independent readers.

use std::path::{Path, PathBuf};

use kura_storage::ObjectStore;
use serde_json::{Value, json};

use crate::FormatReader;
use crate::detect;
use crate::sink::ParquetSink;

/// What `read_to_dir` did with one file.
#[derive(Debug)]
pub struct Converted {
    /// Reader name, or `None` when no reader claims the file.
    pub format: Option<&'static str>,
    /// Parquet files written, one per table.
    pub tables: Vec<PathBuf>,
    /// Files found inside the source, written byte for byte.
    pub extracted: Vec<PathBuf>,
    /// The reader's report as JSON (metadata, parameters, text, warnings, columns).
    pub report: Value,
}

/// Reads `path` (named `name`, for detection by extension) into `out`.
pub fn read_to_dir(path: &Path, name: &str, out: &Path) -> Result<Converted, String> {
    std::fs::create_dir_all(out).map_err(|e| format!("cannot create {}: {e}", out.display()))?;
    let Some(reader) = detect::detect(path, name).map_err(|e| format!("cannot open {name}: {e}"))? else {
        return Ok(Converted { format: None, tables: vec![], extracted: vec![], report: json!({"format": null}) });
    };
    read_with(reader, path, name, out)
}

/// Reads `path` into `out` with the given reader, whatever detection would say: the isolated
/// HDF5 reader's child process uses this, so it reads exactly what its parent decided was HDF5.
pub fn read_with(reader: &dyn FormatReader, path: &Path, name: &str, out: &Path) -> Result<Converted, String> {
    std::fs::create_dir_all(out).map_err(|e| format!("cannot create {}: {e}", out.display()))?;
    let staging = out.join(".staging");
    let store = ObjectStore::local(&staging.join("objects"), &staging).map_err(|e| e.to_string())?;
    // Nothing cancels `kura read`: a token no one fires.
    let mut sink = ParquetSink::new(&store, 1, tokio_util::sync::CancellationToken::new());
    let result = reader.read(path, &mut sink, &mut |_| {});
    let outcome = result.map_err(|e| e.to_string()).and_then(|report| {
        let mut tables = Vec::new();
        let mut described = Vec::new();
        for table in std::mem::take(&mut sink.finished) {
            let target = out.join(format!("{}.parquet", table.name.replace('/', "_")));
            std::fs::rename(&table.file.path, &target).map_err(|e| e.to_string())?;
            let columns: Vec<Value> = table
                .columns
                .iter()
                .map(|c| json!({"name": c.name, "original_label": c.original_label, "unit": c.unit, "ucum": c.ucum, "qudt": c.qudt, "description": c.description}))
                .collect();
            let member = report.sources.get(&table.name);
            described.push(json!({"name": table.name, "rows": table.rows, "columns": columns, "file": target, "member": member}));
            tables.push(target);
        }
        let mut extracted = Vec::new();
        for kept in std::mem::take(&mut sink.kept) {
            let target = out.join("extracted").join(kept.path.trim_start_matches('/'));
            if let Some(parent) = target.parent() {
                std::fs::create_dir_all(parent).map_err(|e| e.to_string())?;
            }
            std::fs::rename(&kept.file.path, &target).map_err(|e| e.to_string())?;
            extracted.push(target);
        }
        let report = json!({
            "format": reader.name(),
            "reader": report.reader,
            "reader_version": report.reader_version,
            "parameters": report.parameters,
            "metadata": report.metadata,
            "text": report.text,
            "warnings": report.warnings,
            "sources": report.sources,
            "tables": described,
            "extracted": extracted,
        });
        Ok(Converted { format: Some(reader.name()), tables, extracted, report })
    });
    drop(sink);
    let _ = std::fs::remove_dir_all(&staging);
    let converted = outcome.map_err(|e| format!("{name}: {e}"))?;
    let json = serde_json::to_vec_pretty(&converted.report).map_err(|e| e.to_string())?;
    std::fs::write(out.join("report.json"), json).map_err(|e| e.to_string())?;
    Ok(converted)
}
