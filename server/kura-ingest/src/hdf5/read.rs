//! Reading one HDF5 file: find the superblock, open the file with the HDF5 library, walk it into
//! a metadata tree and table plans, then write the tables.

use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use serde_json::{Map, Value, json};

use super::walk::{TablePlan, Walk};
use super::{SIGNATURE, nexus, superblock_offsets, tables};
use crate::{ReadError, ReadReport, TableSink};

fn malformed(message: impl Into<String>) -> ReadError {
    ReadError::Malformed { format: "hdf5", message: message.into() }
}

/// The offset of the superblock in `path`, reading 8 bytes at each candidate offset.
fn find_superblock(path: &Path) -> Result<Option<u64>, ReadError> {
    let mut file = std::fs::File::open(path)?;
    let len = file.metadata()?.len();
    let mut buf = [0u8; 8];
    for at in superblock_offsets(len) {
        file.seek(SeekFrom::Start(at))?;
        if file.read_exact(&mut buf).is_ok() && &buf == SIGNATURE {
            return Ok(Some(at));
        }
    }
    Ok(None)
}

/// Reads `path` into `sink`; see the module documentation for what goes where.
pub(super) fn read(
    path: &Path,
    sink: &mut dyn TableSink,
    progress: &mut dyn FnMut(u64),
) -> Result<ReadReport, ReadError> {
    let Some(offset) = find_superblock(path)? else {
        return Err(malformed("no hdf5 signature at offset 0 nor at any power of two from 512"));
    };
    let file = hdf5_metno::File::open(path).map_err(|e| malformed(format!("cannot open: {e}")))?;
    let mut walk = Walk::new();
    let root = walk.visit_group(&file, "/", 0)?;

    let mut metadata = Map::new();
    let mut text = String::new();
    let nexus = nexus::summarize(&root, &mut metadata, &mut text);
    if !walk.text.is_empty() {
        if !text.is_empty() {
            text.push('\n');
        }
        text.push_str(&walk.text);
    }
    metadata.insert("tree".into(), Value::Object(root));

    let mut done = 0u64;
    let mut rows = Map::new();
    for plan in &walk.tables {
        let n = tables::write(&file, plan, sink, &mut done, progress)?;
        let name = match plan {
            TablePlan::Columns { name, .. } | TablePlan::Matrix { name, .. } | TablePlan::Long { name, .. } => name,
        };
        rows.insert(name.clone(), json!(n));
    }
    progress(std::fs::metadata(path).map(|m| m.len()).unwrap_or(done));

    let version = hdf5_metno::library_version();
    let mut parameters = Map::new();
    parameters.insert("superblock_offset".into(), json!(offset));
    parameters.insert("hdf5_library".into(), json!(format!("{}.{}.{}", version.0, version.1, version.2)));
    parameters.insert("objects".into(), json!(walk.objects));
    parameters.insert("nexus".into(), json!(nexus));
    parameters.insert("rows".into(), Value::Object(rows));
    Ok(ReadReport {
        reader: "hdf5",
        reader_version: super::VERSION,
        parameters,
        metadata,
        text,
        warnings: walk.warnings,
        ..ReadReport::default()
    })
}
