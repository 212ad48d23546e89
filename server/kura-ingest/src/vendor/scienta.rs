//! Scienta SES text exports: INI-like sections `[Info]`, then per region `[Region N]` (name and
//! dimensions), `[Info N]` (acquisition parameters), `[Run Mode Information N]` and `[Data N]`
//! (rows of the energy and one intensity per slice).
//!
//! Each region is one table named after its `Region Name`: the first column is dimension 1 with
//! its unit from the label (`Binding Energy [eV]`), then `intensity` (or `intensity_1`… one per
//! slice when there is a dimension 2, whose scale stays in the metadata). SES writes no unit for
//! the intensity, so none is claimed. The dimension 1 `scale` line repeats the first column and
//! is not copied into the metadata; the row count is checked against its declared `size`.

use std::io::BufRead;

use serde_json::{Value, json};

use super::table::{Block, Fields, TableNames, header_value, parse_row};
use super::{Output, malformed};
use crate::cif::lines::Lines;
use crate::{ColumnInfo, ReadError, TableSink};

/// Whether `head` is a Scienta export: a `[Region 1]` section with a `Region Name=` line.
pub(crate) fn sniff(text: &str) -> bool {
    let mut lines = text.lines().map(str::trim);
    lines.any(|l| l == "[Region 1]") && text.lines().any(|l| l.trim_start().starts_with("Region Name="))
}

/// Most intensity columns a region may declare; real exports have one to a few hundred slices.
const MAX_SLICES: u64 = 4096;

#[derive(Default)]
struct Region {
    /// Metadata: `[Region N]` keys, `[Info N]` keys, run mode lines.
    meta: Fields,
    dim1: Option<String>,
    dim1_size: Option<u64>,
    /// Slices along dimension 2, when it is given.
    dim2_size: Option<u64>,
}

enum Section {
    File,
    Region(String),
    Info(String),
    RunMode(String),
    Data(String),
    Other(String),
}

pub(crate) fn read<R: BufRead>(
    lines: &mut Lines<R>,
    sink: &mut dyn TableSink,
    progress: &mut dyn FnMut(u64),
    batch_rows: usize,
    out: &mut Output,
) -> Result<(), ReadError> {
    let mut file = Fields::default();
    let mut regions: Vec<(String, Region)> = Vec::new();
    let mut section = Section::File;
    let mut names = TableNames::reserving(&["file"]);
    let mut block: Option<(Block, String, u64)> = None;
    let mut line = String::new();
    let mut row = Vec::new();
    while lines.next_line(&mut line)? {
        let at = lines.number;
        let t = line.trim();
        if let Some(name) = t.strip_prefix('[').and_then(|s| s.strip_suffix(']')) {
            if let Some((b, region, declared)) = block.take() {
                close(b, &region, declared, sink, out)?;
                progress(lines.consumed);
            }
            section = section_of(name);
            if let Section::Data(id) = &section {
                let region = regions
                    .iter()
                    .find(|(r, _)| r == id)
                    .map(|(_, r)| r)
                    .ok_or_else(|| malformed(format!("[Data {id}] at line {at} has no [Region {id}] before it")))?;
                let (b, declared) = begin(region, &mut names, sink, batch_rows, at)?;
                out.metadata.insert(b.name.clone(), Value::Object(region.meta.map.clone()));
                block = Some((b, id.clone(), declared));
            }
            if let Section::Region(id) = &section {
                regions.push((id.clone(), Region::default()));
            }
            continue;
        }
        if t.is_empty() {
            continue;
        }
        match &section {
            Section::Data(_) => {
                let Some((b, _, _)) = &mut block else { continue };
                parse_row(t, &mut row).map_err(|f| {
                    malformed(format!("line {at} in [Data] of region {}: {f:?} is not a number", b.name))
                })?;
                if row.len() != b.width() {
                    return Err(malformed(format!(
                        "line {at} in [Data] of region {} has {} values, expected {}",
                        b.name,
                        row.len(),
                        b.width()
                    )));
                }
                b.push(sink, &row)?;
            }
            Section::File => {
                if let Some((k, v)) = t.split_once('=') {
                    file.insert(k, header_value(v));
                } else {
                    out.push_text(t);
                }
            }
            Section::Region(id) | Section::Info(id) => {
                let r = region_mut(&mut regions, id);
                let Some((k, v)) = t.split_once('=') else {
                    r.meta.insert("note", json!(t));
                    continue;
                };
                let key = k.trim();
                match key {
                    "Dimension 1 name" => r.dim1 = Some(v.trim().to_string()),
                    "Dimension 1 size" => r.dim1_size = v.trim().parse().ok(),
                    "Dimension 2 size" => r.dim2_size = v.trim().parse().ok(),
                    _ => {}
                }
                if key == "Dimension 1 scale" {
                    continue;
                }
                if key == "Comments" {
                    out.push_text(v.trim());
                }
                r.meta.insert(key, header_value(v));
            }
            Section::RunMode(id) => {
                let r = region_mut(&mut regions, id);
                let entry = r.meta.map.entry("Run Mode Information").or_insert_with(|| json!([]));
                if let Value::Array(a) = entry {
                    a.push(json!(t));
                }
            }
            Section::Other(name) => {
                let entry = file.map.entry(name.clone()).or_insert_with(|| json!([]));
                if let Value::Array(a) = entry {
                    a.push(json!(t));
                }
            }
        }
    }
    if let Some((b, region, declared)) = block.take() {
        close(b, &region, declared, sink, out)?;
    }
    if out.tables == 0 {
        return Err(ReadError::NoTable("scienta export without a [Data N] section".into()));
    }
    out.metadata.insert("file".into(), Value::Object(file.map));
    Ok(())
}

/// The region `id`, created when an `[Info N]` comes without its `[Region N]`.
fn region_mut<'a>(regions: &'a mut Vec<(String, Region)>, id: &str) -> &'a mut Region {
    let i = match regions.iter().position(|(r, _)| r == id) {
        Some(i) => i,
        None => {
            regions.push((id.to_string(), Region::default()));
            regions.len() - 1
        }
    };
    &mut regions[i].1
}

fn section_of(name: &str) -> Section {
    let (kind, id) = match name.rsplit_once(' ') {
        Some((k, id)) if id.bytes().all(|b| b.is_ascii_digit()) => (k, id.to_string()),
        _ => return if name == "Info" { Section::File } else { Section::Other(name.to_string()) },
    };
    match kind {
        "Region" => Section::Region(id),
        "Info" => Section::Info(id),
        "Run Mode Information" => Section::RunMode(id),
        "Data" => Section::Data(id),
        _ => Section::Other(name.to_string()),
    }
}

fn begin(
    region: &Region,
    names: &mut TableNames,
    sink: &mut dyn TableSink,
    batch_rows: usize,
    at: u64,
) -> Result<(Block, u64), ReadError> {
    let region_name = region.meta.map.get("Region Name").and_then(Value::as_str).unwrap_or("region").to_string();
    let dim1 = region
        .dim1
        .clone()
        .ok_or_else(|| malformed(format!("[Data] at line {at}: region {region_name} has no Dimension 1 name")))?;
    let label = crate::units::split_label(&dim1);
    let mut columns = vec![ColumnInfo::with_unit(label.name, dim1.clone(), label.unit.as_deref())];
    // A bound on slices, not an allocation: a width that no data line has fails on the first row.
    match region.dim2_size.unwrap_or(1) {
        0 | 1 => columns.push(ColumnInfo::with_unit("intensity", "intensity", None)),
        n => {
            let n = n.min(MAX_SLICES);
            columns.extend(
                (1..=n).map(|i| ColumnInfo::with_unit(format!("intensity_{i}"), format!("intensity {i}"), None)),
            );
        }
    }
    let name = names.name(&region_name);
    let block = Block::begin(sink, name, columns, batch_rows)?;
    Ok((block, region.dim1_size.unwrap_or(0)))
}

fn close(b: Block, _region: &str, declared: u64, sink: &mut dyn TableSink, out: &mut Output) -> Result<(), ReadError> {
    let name = b.name.clone();
    let rows = b.finish(sink)?;
    if declared != rows {
        out.warnings.push(format!("region {name}: Dimension 1 size is {declared} but {rows} data rows were read"));
    }
    out.tables += 1;
    out.rows += rows;
    Ok(())
}
