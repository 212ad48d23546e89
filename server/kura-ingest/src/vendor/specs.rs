//! SPECS Prodigy `.xy` exports: `#` comment headers, one group of `# key: value` lines per
//! region (`# Region: Fe2p`, pass energy, dwell time…), then per cycle/curve/scan a
//! `# Cycle: 0, Curve: 0, Scan: 0` header with `# ColumnLabels:` and a block of number rows that
//! a blank line ends.
//!
//! Each data block is one table named after its region (`Survey`, `Fe2p`; a second block of the
//! same region is `Fe2p_2`), its metadata the region's keys plus the block's own. Prodigy writes
//! energies in eV and says in the export settings whether the intensity is `counts/s` or
//! `counts`: the column labels `counts/s` and `counts` are that unit, so the column is named
//! `intensity` with it, and `energy` gets eV.

use std::io::BufRead;

use serde_json::{Value, json};

use super::table::{Block, Fields, TableNames, header_value, parse_row};
use super::{Output, malformed};
use crate::cif::lines::Lines;
use crate::{ColumnInfo, ReadError, TableSink};

/// Whether `head` is a SPECS export: `# Region:` and `# Cycle:` comment lines.
pub(crate) fn sniff(text: &str) -> bool {
    let has = |p: &str| text.lines().any(|l| l.starts_with(p));
    has("# Region:") && has("# Cycle:")
}

/// Where in the file the reader is.
enum State {
    /// Export header, before the first region.
    File,
    /// Inside a region's header (and its cycle headers).
    Region,
    /// Inside a block header (`# Cycle: …, Curve: …`), until its data.
    BlockHeader,
    /// Reading the number rows of a block.
    Data,
}

/// The `key: value` of a comment line, if it has one.
fn key_value(body: &str) -> Option<(&str, &str)> {
    let (k, v) = body.split_once(':')?;
    let k = k.trim();
    (!k.is_empty() && k.len() <= 64).then_some((k, v.trim()))
}

fn column(label: &str) -> ColumnInfo {
    match label {
        "energy" => ColumnInfo::with_unit("energy", label, Some("eV")),
        "counts/s" | "counts" | "cps" => ColumnInfo::with_unit("intensity", label, Some(label)),
        _ => {
            let l = crate::units::split_label(label);
            ColumnInfo::with_unit(l.name, label, l.unit.as_deref())
        }
    }
}

pub(crate) fn read<R: BufRead>(
    lines: &mut Lines<R>,
    sink: &mut dyn TableSink,
    progress: &mut dyn FnMut(u64),
    batch_rows: usize,
    out: &mut Output,
) -> Result<(), ReadError> {
    let mut file = Fields::default();
    let mut region = Fields::default();
    let mut group: Option<Value> = None;
    let mut header = Fields::default();
    let mut labels: Vec<String> = Vec::new();
    let mut state = State::File;
    let mut names = TableNames::reserving(&["file"]);
    let mut block: Option<Block> = None;
    let mut line = String::new();
    let mut row = Vec::new();
    while lines.next_line(&mut line)? {
        let at = lines.number;
        let t = line.trim();
        if let Some(body) = t.strip_prefix('#') {
            let body = body.trim();
            if let Some(b) = block.take() {
                finish(b, sink, out)?;
                progress(lines.consumed);
                state = State::Region;
            }
            let kv = key_value(body);
            match kv {
                Some(("Group", v)) => {
                    group = Some(header_value(v));
                    file.insert("Group", header_value(v));
                    continue;
                }
                Some(("Region", _)) => {
                    region = Fields::default();
                    if let Some(g) = &group {
                        region.map.insert("Group".into(), g.clone());
                    }
                    state = State::Region;
                }
                Some(("Cycle", v)) if v.contains("Curve") => {
                    header = Fields::default();
                    labels.clear();
                    state = State::BlockHeader;
                }
                _ => {}
            }
            let target = match state {
                State::File => &mut file,
                State::Region => &mut region,
                State::BlockHeader | State::Data => &mut header,
            };
            if matches!(state, State::File) && !body.is_empty() {
                out.push_text(body);
            }
            match kv {
                Some(("Comment", v)) if !v.is_empty() => {
                    out.push_text(v);
                    target.insert("Comment", json!(v));
                }
                Some(("ColumnLabels", v)) => {
                    labels = v.split_whitespace().map(str::to_string).collect();
                    target.insert("ColumnLabels", json!(v));
                }
                Some((k, v)) => target.insert(k, header_value(v)),
                None if !body.is_empty() && !matches!(state, State::File) => out.push_text(body),
                None => {}
            }
            continue;
        }
        if t.is_empty() {
            if let Some(b) = block.take() {
                finish(b, sink, out)?;
                progress(lines.consumed);
                state = State::Region;
            }
            continue;
        }
        parse_row(t, &mut row).map_err(|f| {
            let name = region.map.get("Region").and_then(Value::as_str).unwrap_or("?");
            malformed(format!("line {at} in region {name}: {f:?} is not a number"))
        })?;
        if block.is_none() {
            if !matches!(state, State::BlockHeader | State::Region) {
                return Err(malformed(format!("data at line {at} comes before any # Region: header")));
            }
            if labels.is_empty() {
                labels = (1..=row.len()).map(|i| format!("column_{i}")).collect();
            }
            let columns: Vec<ColumnInfo> = labels.iter().map(|l| column(l)).collect();
            let region_name = region.map.get("Region").map(|v| v.as_str().map_or(v.to_string(), str::to_string));
            let name = names.name(region_name.as_deref().unwrap_or("region"));
            let mut meta = region.map.clone();
            meta.extend(header.map.clone());
            out.metadata.insert(name.clone(), Value::Object(meta));
            block = Some(Block::begin(sink, name, columns, batch_rows)?);
            state = State::Data;
        }
        let Some(b) = &mut block else { continue };
        if row.len() != b.width() {
            return Err(malformed(format!(
                "line {at} in block {} has {} values, expected {} ({})",
                b.name,
                row.len(),
                b.width(),
                labels.join(" ")
            )));
        }
        b.push(sink, &row)?;
    }
    if let Some(b) = block.take() {
        finish(b, sink, out)?;
    }
    if out.tables == 0 {
        return Err(ReadError::NoTable("specs export without data rows".into()));
    }
    out.metadata.insert("file".into(), Value::Object(file.map));
    Ok(())
}

/// Closes a block; a row count that differs from the region's `Values/Curve` is a warning.
fn finish(b: Block, sink: &mut dyn TableSink, out: &mut Output) -> Result<(), ReadError> {
    let name = b.name.clone();
    let rows = b.finish(sink)?;
    let declared = out.metadata.get(&name).and_then(|m| m.get("Values/Curve")).and_then(Value::as_u64);
    if let Some(declared) = declared.filter(|d| *d != rows) {
        out.warnings.push(format!("block {name}: Values/Curve is {declared} but {rows} data rows were read"));
    }
    out.tables += 1;
    out.rows += rows;
    Ok(())
}
