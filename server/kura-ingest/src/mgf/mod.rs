//! Mascot Generic Format (MGF) peak lists: a `spectra` table (title, precursor mass and
//! charge, retention time and every other parameter as a column) and a `peaks` table (one row
//! per peak). Parameters before the first spectrum go to the metadata.
//!
//! Three streaming passes, since a sink takes one table at a time and the columns are known
//! only after every spectrum is seen: survey (parameter keys and their types), `spectra`,
//! `peaks`. Only one spectrum's peaks are in memory at a time.

mod parse;

use std::fs::File;
use std::io::BufReader;
use std::path::Path;
use std::sync::Arc;

use arrow::array::{ArrayRef, Float64Builder, Int64Builder, StringBuilder};
use arrow::datatypes::{DataType, Schema, SchemaRef};
use arrow::record_batch::RecordBatch;
use serde_json::{Map, Value, json};

use crate::{ColumnInfo, FormatReader, ReadError, ReadReport, TableSink, TableStart};
use parse::malformed;
pub use parse::{Item, Parser, Spectrum, parse_charge};

/// Spectra per batch of the `spectra` table.
const SPECTRA_BATCH: usize = 8192;
/// Peaks per batch of the `peaks` table.
const PEAKS_BATCH: usize = 65_536;
/// Most parameter keys that become columns; further keys go to the `params` column.
const MAX_KEY_COLUMNS: usize = 256;
/// Most searchable text kept from comments and titles.
const MAX_TEXT: usize = 64 * 1024;

/// Reader for MGF peak lists.
#[derive(Debug, Clone, Copy, Default)]
pub struct MgfReader;

/// Whether the head of a file holds a `BEGIN IONS` line.
pub fn sniff(head: &[u8]) -> bool {
    head.split(|b| *b == b'\n').any(|line| line.trim_ascii().eq_ignore_ascii_case(b"BEGIN IONS"))
}

/// Keys with their own columns.
const SPECIAL: &[&str] = &["TITLE", "PEPMASS", "CHARGE"];

/// What the first pass learned.
#[derive(Default)]
struct Survey {
    /// Parameter keys in first-seen order, and whether every value is a number.
    keys: Vec<(String, bool)>,
    /// Some parameters go to the JSON `params` column (too many keys, repeated keys).
    overflow: bool,
    peak_charges: bool,
    spectra: u64,
    global: Map<String, Value>,
    text: String,
}

fn open(path: &Path) -> Result<Parser<BufReader<File>>, ReadError> {
    Ok(Parser::new(BufReader::with_capacity(1 << 16, File::open(path)?)))
}

fn survey(path: &Path, progress: &mut dyn FnMut(u64), share: u64) -> Result<Survey, ReadError> {
    let mut parser = open(path)?;
    let mut s = Survey::default();
    while let Some(item) = parser.next_item()? {
        match item {
            Item::Global(k, v) => {
                add_text(&mut s.text, &v);
                match s.global.get_mut(&k) {
                    Some(Value::Array(a)) => a.push(json!(v)),
                    Some(existing) => *existing = json!([existing.take(), v]),
                    None => {
                        s.global.insert(k, json!(v));
                    }
                }
            }
            Item::Comment(c) => add_text(&mut s.text, &c),
            Item::Spectrum(sp) => {
                s.spectra += 1;
                s.peak_charges |= sp.charge.iter().any(Option::is_some);
                let mut seen: Vec<&str> = Vec::new();
                for (k, v) in &sp.params {
                    if k == "TITLE" {
                        add_text(&mut s.text, v);
                    }
                    if seen.contains(&k.as_str()) {
                        s.overflow = true;
                        continue;
                    }
                    seen.push(k);
                    if SPECIAL.contains(&k.as_str()) {
                        continue;
                    }
                    let numeric = v.trim().parse::<f64>().is_ok();
                    if let Some((_, n)) = s.keys.iter_mut().find(|(key, _)| key == k) {
                        *n &= numeric;
                    } else if s.keys.len() < MAX_KEY_COLUMNS {
                        s.keys.push((k.clone(), numeric));
                    } else {
                        s.overflow = true;
                    }
                }
                if let Some((_, pepmass)) = sp.params.iter().find(|(k, _)| k == "PEPMASS") {
                    pepmass_values(pepmass, &sp)?;
                }
            }
        }
        progress(parser.position() / share);
    }
    Ok(s)
}

fn add_text(text: &mut String, value: &str) {
    if text.len() + value.len() < MAX_TEXT {
        text.push_str(value);
        text.push('\n');
    }
}

/// `PEPMASS=983.6` or `PEPMASS=1084.9 1234`: precursor m/z and optional intensity.
fn pepmass_values(text: &str, s: &Spectrum) -> Result<(f64, Option<f64>), ReadError> {
    let bad = || malformed(format!("spectrum {} (line {}): PEPMASS {text:?} is not m/z [intensity]", s.index, s.line));
    let mut fields = text.split_whitespace();
    let mz = fields.next().and_then(|v| v.parse().ok()).ok_or_else(bad)?;
    let intensity = match fields.next() {
        Some(v) => Some(v.parse().map_err(|_| bad())?),
        None => None,
    };
    if fields.next().is_some() {
        return Err(bad());
    }
    Ok((mz, intensity))
}

/// A column name from an MGF key: lower case, `_` for anything else.
fn column_name(key: &str) -> String {
    let s: String = key.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '_' }).collect();
    if s.is_empty() { "param".into() } else { s }
}

enum Source {
    Index,
    Title,
    PepmassMz,
    PepmassIntensity,
    Charge,
    ChargeState,
    Key(String),
    Peaks,
    Params,
}

enum Builder {
    Int(Int64Builder),
    Float(Float64Builder),
    Text(StringBuilder),
}

impl Builder {
    fn new(t: &DataType) -> Self {
        match t {
            DataType::Int64 => Builder::Int(Int64Builder::new()),
            DataType::Float64 => Builder::Float(Float64Builder::new()),
            _ => Builder::Text(StringBuilder::new()),
        }
    }

    fn finish(&mut self) -> ArrayRef {
        match self {
            Builder::Int(b) => Arc::new(b.finish()),
            Builder::Float(b) => Arc::new(b.finish()),
            Builder::Text(b) => Arc::new(b.finish()),
        }
    }
}

struct Plan {
    sources: Vec<Source>,
    types: Vec<DataType>,
    schema: SchemaRef,
    columns: Vec<ColumnInfo>,
}

fn plan(survey: &Survey) -> Plan {
    let mut sources = vec![
        Source::Index,
        Source::Title,
        Source::PepmassMz,
        Source::PepmassIntensity,
        Source::Charge,
        Source::ChargeState,
    ];
    let mut columns = vec![
        ColumnInfo::with_unit("index", "index", None),
        ColumnInfo::with_unit("title", "TITLE", None),
        ColumnInfo::with_unit("pepmass_mz", "PEPMASS", Some("m/z")),
        ColumnInfo::with_unit("pepmass_intensity", "PEPMASS", Some("a.u.")),
        ColumnInfo::with_unit("charge", "CHARGE", None),
        ColumnInfo::with_unit("charge_state", "CHARGE", None),
    ];
    let mut types =
        vec![DataType::Int64, DataType::Utf8, DataType::Float64, DataType::Float64, DataType::Utf8, DataType::Int64];
    for (key, numeric) in &survey.keys {
        let mut name = column_name(key);
        while columns.iter().any(|c| c.name == name) || name == "peaks" || name == "params" {
            name = format!("param_{name}");
        }
        let unit = match key.as_str() {
            "RTINSECONDS" => Some("s"),
            "RTINMINUTES" => Some("min"),
            _ => None,
        };
        columns.push(ColumnInfo::with_unit(name, key.as_str(), unit));
        types.push(if *numeric { DataType::Float64 } else { DataType::Utf8 });
        sources.push(Source::Key(key.clone()));
    }
    columns.push(ColumnInfo::with_unit("peaks", "peaks", None));
    types.push(DataType::Int64);
    sources.push(Source::Peaks);
    if survey.overflow {
        columns.push(ColumnInfo::with_unit("params", "other parameters (JSON)", None));
        types.push(DataType::Utf8);
        sources.push(Source::Params);
    }
    let fields: Vec<_> = columns.iter().zip(&types).map(|(c, t)| c.field(t.clone())).collect();
    Plan { sources, types, schema: Arc::new(Schema::new(fields)), columns }
}

fn write_spectra(
    path: &Path,
    plan: &Plan,
    sink: &mut dyn TableSink,
    progress: &mut dyn FnMut(u64),
    base: u64,
) -> Result<(), ReadError> {
    sink.begin_table(TableStart {
        name: "spectra".into(),
        schema: plan.schema.clone(),
        columns: plan.columns.clone(),
    })?;
    let mut builders: Vec<Builder> = plan.types.iter().map(Builder::new).collect();
    let mut pending = 0;
    let mut parser = open(path)?;
    while let Some(item) = parser.next_item()? {
        let Item::Spectrum(s) = item else { continue };
        let first = |key: &str| s.params.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str());
        let pepmass = first("PEPMASS").map(|p| pepmass_values(p, &s)).transpose()?;
        for (source, builder) in plan.sources.iter().zip(builders.iter_mut()) {
            match (source, builder) {
                (Source::Index, Builder::Int(b)) => b.append_value(s.index),
                (Source::Title, Builder::Text(b)) => b.append_option(first("TITLE")),
                (Source::PepmassMz, Builder::Float(b)) => b.append_option(pepmass.map(|p| p.0)),
                (Source::PepmassIntensity, Builder::Float(b)) => b.append_option(pepmass.and_then(|p| p.1)),
                (Source::Charge, Builder::Text(b)) => b.append_option(first("CHARGE")),
                (Source::ChargeState, Builder::Int(b)) => b.append_option(first("CHARGE").and_then(parse_charge)),
                (Source::Peaks, Builder::Int(b)) => b.append_value(s.mz.len() as i64),
                (Source::Key(key), builder) => {
                    let value = first(key);
                    match builder {
                        Builder::Float(b) => b.append_option(value.and_then(|v| v.trim().parse().ok())),
                        Builder::Text(b) => b.append_option(value),
                        Builder::Int(b) => b.append_null(),
                    }
                }
                (Source::Params, Builder::Text(b)) => {
                    // Parameters without a column of their own: repeats, and keys past the limit.
                    let mut extra = Vec::new();
                    for (i, (k, v)) in s.params.iter().enumerate() {
                        let has_column = SPECIAL.contains(&k.as_str())
                            || plan.sources.iter().any(|src| matches!(src, Source::Key(key) if key == k));
                        let first_of_key = s.params.iter().position(|(key, _)| key == k) == Some(i);
                        if !(has_column && first_of_key) {
                            extra.push(json!({"key": k, "value": v}));
                        }
                    }
                    b.append_option((!extra.is_empty()).then(|| Value::Array(extra).to_string()));
                }
                (_, Builder::Int(b)) => b.append_null(),
                (_, Builder::Float(b)) => b.append_null(),
                (_, Builder::Text(b)) => b.append_null(),
            }
        }
        pending += 1;
        if pending >= SPECTRA_BATCH {
            let arrays = builders.iter_mut().map(Builder::finish).collect();
            sink.write_batch(&RecordBatch::try_new(plan.schema.clone(), arrays)?)?;
            pending = 0;
        }
        progress(base + parser.position() / 3);
    }
    if pending > 0 {
        let arrays = builders.iter_mut().map(Builder::finish).collect();
        sink.write_batch(&RecordBatch::try_new(plan.schema.clone(), arrays)?)?;
    }
    sink.finish_table()?;
    Ok(())
}

fn write_peaks(
    path: &Path,
    charges: bool,
    sink: &mut dyn TableSink,
    progress: &mut dyn FnMut(u64),
    base: u64,
) -> Result<u64, ReadError> {
    let mut columns = vec![
        ColumnInfo::with_unit("spectrum_index", "spectrum_index", None),
        ColumnInfo::with_unit("mz", "m/z", Some("m/z")),
        ColumnInfo::with_unit("intensity", "intensity", Some("a.u.")),
    ];
    let mut types = vec![DataType::Int64, DataType::Float64, DataType::Float64];
    if charges {
        columns.push(ColumnInfo::with_unit("charge", "charge", None));
        types.push(DataType::Int64);
    }
    let schema: SchemaRef =
        Arc::new(Schema::new(columns.iter().zip(&types).map(|(c, t)| c.field(t.clone())).collect::<Vec<_>>()));
    sink.begin_table(TableStart { name: "peaks".into(), schema: schema.clone(), columns })?;
    let (mut index, mut mz, mut intensity, mut charge) =
        (Int64Builder::new(), Float64Builder::new(), Float64Builder::new(), Int64Builder::new());
    let mut pending = 0usize;
    let mut rows = 0u64;
    let flush = |index: &mut Int64Builder,
                 mz: &mut Float64Builder,
                 intensity: &mut Float64Builder,
                 charge: &mut Int64Builder,
                 sink: &mut dyn TableSink|
     -> Result<(), ReadError> {
        let mut arrays: Vec<ArrayRef> =
            vec![Arc::new(index.finish()), Arc::new(mz.finish()), Arc::new(intensity.finish())];
        let charge = charge.finish();
        if charges {
            arrays.push(Arc::new(charge));
        }
        sink.write_batch(&RecordBatch::try_new(schema.clone(), arrays)?)?;
        Ok(())
    };
    let mut parser = open(path)?;
    while let Some(item) = parser.next_item()? {
        let Item::Spectrum(s) = item else { continue };
        for i in 0..s.mz.len() {
            index.append_value(s.index);
            mz.append_option(s.mz.get(i).copied());
            intensity.append_option(s.intensity.get(i).copied().flatten());
            charge.append_option(s.charge.get(i).copied().flatten());
            pending += 1;
            if pending == PEAKS_BATCH {
                flush(&mut index, &mut mz, &mut intensity, &mut charge, sink)?;
                rows += pending as u64;
                pending = 0;
            }
        }
        progress(base + parser.position() / 3);
    }
    if pending > 0 {
        flush(&mut index, &mut mz, &mut intensity, &mut charge, sink)?;
        rows += pending as u64;
    }
    sink.finish_table()?;
    Ok(rows)
}

impl FormatReader for MgfReader {
    fn name(&self) -> &'static str {
        "mgf"
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
        let survey = survey(path, progress, 3)?;
        if survey.spectra == 0 {
            return Err(ReadError::NoTable("no BEGIN IONS block".into()));
        }
        let plan = plan(&survey);
        write_spectra(path, &plan, sink, progress, size / 3)?;
        let peaks = write_peaks(path, survey.peak_charges, sink, progress, size / 3 * 2)?;
        progress(size);
        let mut parameters = Map::new();
        parameters.insert("spectra".into(), json!(survey.spectra));
        parameters.insert("peaks".into(), json!(peaks));
        parameters.insert("parameter_columns".into(), json!(survey.keys.iter().map(|(k, _)| k).collect::<Vec<_>>()));
        parameters.insert("peak_charges".into(), json!(survey.peak_charges));
        let mut metadata = Map::new();
        if !survey.global.is_empty() {
            metadata.insert("global".into(), Value::Object(survey.global));
        }
        Ok(ReadReport {
            reader: "mgf",
            reader_version: "1",
            parameters,
            metadata,
            text: survey.text,
            warnings: Vec::new(),
            ..Default::default()
        })
    }
}

#[cfg(test)]
mod tests;
