//! The `spectra` table: one row per spectrum with the parameters people filter on as columns
//! (ms level, retention time, polarity, base peak, precursor) and every other parameter kept as
//! JSON in `params`, so nothing the file says about a spectrum is lost.

use std::sync::Arc;

use arrow::array::{ArrayRef, Float64Builder, Int64Builder, StringBuilder};
use arrow::datatypes::{DataType, Schema, SchemaRef};
use arrow::record_batch::RecordBatch;
use serde_json::{Value, json};

use super::model::{Param, Record, acc, column};
use crate::{ColumnInfo, ReadError, TableSink, TableStart};

/// Rows per batch.
const BATCH: usize = 8192;

/// A unit as the file names it: accession and name.
type Unit = (Option<String>, Option<String>);

#[derive(Debug, Default)]
struct Row {
    index: i64,
    id: String,
    ms_level: Option<i64>,
    scan_start_time: Option<f64>,
    time_unit: Unit,
    polarity: Option<String>,
    representation: Option<String>,
    base_peak_mz: Option<f64>,
    base_peak_intensity: Option<f64>,
    intensity_unit: Unit,
    tic: Option<f64>,
    lowest_mz: Option<f64>,
    highest_mz: Option<f64>,
    precursor_mz: Option<f64>,
    precursor_charge: Option<i64>,
    precursor_intensity: Option<f64>,
    filter_string: Option<String>,
    peaks: i64,
    params: Vec<Value>,
}

/// Buffers spectrum rows and writes them in batches; the schema (with units) is fixed from the
/// first batch.
#[derive(Default)]
pub struct SpectraTable {
    rows: Vec<Row>,
    /// Schema and time unit, fixed when the table begins.
    started: Option<(SchemaRef, Unit)>,
    /// Units of `scan_start_time` and the intensity columns, from the first spectrum giving one.
    time_unit: Option<Unit>,
    intensity_unit: Option<Unit>,
    pub written: u64,
    /// Spectra whose base peak, TIC or m/z range was computed from the arrays.
    pub derived: u64,
    pub warnings: Vec<String>,
}

fn unit_of(p: &Param) -> Unit {
    (p.unit_accession.clone(), p.unit_name.clone())
}

/// Seconds per unit for the time units PSI-MS files use.
fn seconds(unit: &Unit) -> Option<f64> {
    match (unit.0.as_deref(), unit.1.as_deref()) {
        (Some("UO:0000010"), _) | (None, Some("second")) => Some(1.0),
        (Some("UO:0000031"), _) | (None, Some("minute")) => Some(60.0),
        (Some("UO:0000028"), _) | (None, Some("millisecond")) => Some(0.001),
        _ => None,
    }
}

impl SpectraTable {
    /// Adds one spectrum, writing a batch when the buffer is full.
    pub fn push(&mut self, record: &Record, sink: &mut dyn TableSink) -> Result<(), ReadError> {
        let mut row = Row { index: record.index, id: record.id.clone(), ..Row::default() };
        for p in &record.params {
            let accession = p.accession.as_deref().unwrap_or("");
            let taken = match accession {
                acc::MS_LEVEL if row.ms_level.is_none() => {
                    row.ms_level = p.value.trim().parse().ok();
                    row.ms_level.is_some()
                }
                acc::SCAN_START_TIME if row.scan_start_time.is_none() => {
                    row.scan_start_time = p.number();
                    row.time_unit = unit_of(p);
                    row.scan_start_time.is_some()
                }
                acc::POSITIVE | acc::NEGATIVE if row.polarity.is_none() => {
                    row.polarity = Some(if accession == acc::POSITIVE { "positive" } else { "negative" }.into());
                    true
                }
                acc::PROFILE | acc::CENTROID if row.representation.is_none() => {
                    row.representation = Some(if accession == acc::PROFILE { "profile" } else { "centroid" }.into());
                    true
                }
                acc::BASE_PEAK_MZ if row.base_peak_mz.is_none() => {
                    row.base_peak_mz = p.number();
                    row.base_peak_mz.is_some()
                }
                acc::BASE_PEAK_INTENSITY if row.base_peak_intensity.is_none() => {
                    row.base_peak_intensity = p.number();
                    row.intensity_unit = unit_of(p);
                    row.base_peak_intensity.is_some()
                }
                acc::TIC if row.tic.is_none() => {
                    row.tic = p.number();
                    row.tic.is_some()
                }
                acc::LOWEST_MZ if row.lowest_mz.is_none() => {
                    row.lowest_mz = p.number();
                    row.lowest_mz.is_some()
                }
                acc::HIGHEST_MZ if row.highest_mz.is_none() => {
                    row.highest_mz = p.number();
                    row.highest_mz.is_some()
                }
                acc::SELECTED_ION_MZ if row.precursor_mz.is_none() => {
                    row.precursor_mz = p.number();
                    row.precursor_mz.is_some()
                }
                acc::CHARGE_STATE if row.precursor_charge.is_none() => {
                    row.precursor_charge = p.value.trim().parse().ok();
                    row.precursor_charge.is_some()
                }
                acc::PEAK_INTENSITY if row.precursor_intensity.is_none() => {
                    row.precursor_intensity = p.number();
                    row.precursor_intensity.is_some()
                }
                acc::FILTER_STRING if row.filter_string.is_none() => {
                    row.filter_string = Some(p.value.clone());
                    true
                }
                _ => false,
            };
            if !taken {
                row.params.push(p.to_json(true));
            }
        }
        for (k, v) in &record.attributes {
            if k != "defaultArrayLength" {
                row.params.push(json!({"name": k, "value": v}));
            }
        }
        row.peaks = record.arrays.iter().map(|a| a.values.len()).max().unwrap_or(0) as i64;
        self.derive(record, &mut row);
        if self.time_unit.is_none() && row.scan_start_time.is_some() {
            self.time_unit = Some(row.time_unit.clone());
        }
        if self.intensity_unit.is_none() && row.base_peak_intensity.is_some() {
            self.intensity_unit = Some(row.intensity_unit.clone());
        }
        self.rows.push(row);
        if self.rows.len() >= BATCH {
            self.flush(sink)?;
        }
        Ok(())
    }

    /// Fills the base peak, TIC and m/z range from the arrays when the file does not state them.
    fn derive(&mut self, record: &Record, row: &mut Row) {
        let (Some(mz), Some(intensity)) = (record.array("mz"), record.array("intensity")) else { return };
        if mz.values.is_empty() || mz.values.len() != intensity.values.len() {
            return;
        }
        let mut derived = false;
        if row.base_peak_mz.is_none() || row.base_peak_intensity.is_none() {
            let best =
                intensity.values.iter().enumerate().fold(None, |best: Option<(usize, f64)>, (i, &v)| match best {
                    Some((_, b)) if b >= v || v.is_nan() => best,
                    _ => Some((i, v)),
                });
            if let Some((i, v)) = best {
                row.base_peak_mz = row.base_peak_mz.or(Some(mz.values[i]));
                if row.base_peak_intensity.is_none() {
                    row.base_peak_intensity = Some(v);
                    row.intensity_unit = (intensity.unit_accession.clone(), intensity.unit_name.clone());
                }
                derived = true;
            }
        }
        if row.tic.is_none() {
            row.tic = Some(intensity.values.iter().sum());
            derived = true;
        }
        if row.lowest_mz.is_none() || row.highest_mz.is_none() {
            let lo = mz.values.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = mz.values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            row.lowest_mz = row.lowest_mz.or(Some(lo));
            row.highest_mz = row.highest_mz.or(Some(hi));
            derived = true;
        }
        if derived {
            self.derived += 1;
        }
    }

    fn columns(&self) -> Vec<(ColumnInfo, DataType)> {
        let time = self.time_unit.clone().unwrap_or_default();
        let intensity = self.intensity_unit.clone().unwrap_or_default();
        let mz = |name: &str, label: &str| column(name, label, Some("MS:1000040"), Some("m/z"), None);
        let counts =
            |name: &str, label: &str| column(name, label, intensity.0.as_deref(), intensity.1.as_deref(), Some("a.u."));
        let plain = |name: &str, label: &str| ColumnInfo::with_unit(name, label, None);
        vec![
            (plain("index", "index"), DataType::Int64),
            (plain("id", "id"), DataType::Utf8),
            (plain("ms_level", "ms level"), DataType::Int64),
            (
                column("scan_start_time", "scan start time", time.0.as_deref(), time.1.as_deref(), None),
                DataType::Float64,
            ),
            (plain("polarity", "scan polarity"), DataType::Utf8),
            (plain("spectrum_representation", "spectrum representation"), DataType::Utf8),
            (mz("base_peak_mz", "base peak m/z"), DataType::Float64),
            (counts("base_peak_intensity", "base peak intensity"), DataType::Float64),
            (counts("total_ion_current", "total ion current"), DataType::Float64),
            (mz("lowest_observed_mz", "lowest observed m/z"), DataType::Float64),
            (mz("highest_observed_mz", "highest observed m/z"), DataType::Float64),
            (mz("precursor_mz", "selected ion m/z"), DataType::Float64),
            (plain("precursor_charge", "charge state"), DataType::Int64),
            (counts("precursor_intensity", "peak intensity"), DataType::Float64),
            (plain("filter_string", "filter string"), DataType::Utf8),
            (plain("peaks", "defaultArrayLength"), DataType::Int64),
            (plain("params", "other parameters (JSON)"), DataType::Utf8),
        ]
    }

    fn begin(&mut self, sink: &mut dyn TableSink) -> Result<(), ReadError> {
        let columns = self.columns();
        let schema = Arc::new(Schema::new(columns.iter().map(|(c, t)| c.field(t.clone())).collect::<Vec<_>>()));
        sink.begin_table(TableStart {
            name: "spectra".into(),
            schema: schema.clone(),
            columns: columns.into_iter().map(|(c, _)| c).collect(),
        })?;
        self.started = Some((schema, self.time_unit.clone().unwrap_or_default()));
        Ok(())
    }

    fn flush(&mut self, sink: &mut dyn TableSink) -> Result<(), ReadError> {
        if self.started.is_none() {
            self.begin(sink)?;
        }
        let Some((schema, column_unit)) = self.started.clone() else { return Ok(()) };
        if self.rows.is_empty() {
            return Ok(());
        }
        let rows = std::mem::take(&mut self.rows);
        let mut time = Float64Builder::with_capacity(rows.len());
        for r in &rows {
            let value = match (r.scan_start_time, r.time_unit == column_unit) {
                (None, _) => None,
                (Some(t), true) => Some(t),
                (Some(t), false) => match (seconds(&r.time_unit), seconds(&column_unit)) {
                    (Some(from), Some(to)) => Some(t * from / to),
                    _ if self.warnings.len() >= 10 => Some(t),
                    _ => {
                        self.warnings.push(format!(
                            "spectrum {}: scan start time unit {:?} differs from the column's {:?} and is kept as written",
                            r.index, r.time_unit.1, column_unit.1
                        ));
                        Some(t)
                    }
                },
            };
            time.append_option(value);
        }
        let ints = |f: &dyn Fn(&Row) -> Option<i64>| -> ArrayRef {
            let mut b = Int64Builder::with_capacity(rows.len());
            rows.iter().for_each(|r| b.append_option(f(r)));
            Arc::new(b.finish())
        };
        let floats = |f: &dyn Fn(&Row) -> Option<f64>| -> ArrayRef {
            let mut b = Float64Builder::with_capacity(rows.len());
            rows.iter().for_each(|r| b.append_option(f(r)));
            Arc::new(b.finish())
        };
        let strings = |f: &dyn Fn(&Row) -> Option<String>| -> ArrayRef {
            let mut b = StringBuilder::new();
            rows.iter().for_each(|r| b.append_option(f(r)));
            Arc::new(b.finish())
        };
        let arrays: Vec<ArrayRef> = vec![
            ints(&|r| Some(r.index)),
            strings(&|r| Some(r.id.clone())),
            ints(&|r| r.ms_level),
            Arc::new(time.finish()),
            strings(&|r| r.polarity.clone()),
            strings(&|r| r.representation.clone()),
            floats(&|r| r.base_peak_mz),
            floats(&|r| r.base_peak_intensity),
            floats(&|r| r.tic),
            floats(&|r| r.lowest_mz),
            floats(&|r| r.highest_mz),
            floats(&|r| r.precursor_mz),
            ints(&|r| r.precursor_charge),
            floats(&|r| r.precursor_intensity),
            strings(&|r| r.filter_string.clone()),
            ints(&|r| Some(r.peaks)),
            strings(&|r| (!r.params.is_empty()).then(|| Value::Array(r.params.clone()).to_string())),
        ];
        let batch = RecordBatch::try_new(schema, arrays)?;
        self.written += batch.num_rows() as u64;
        sink.write_batch(&batch)?;
        Ok(())
    }

    /// Writes what is buffered and closes the table.
    pub fn finish(&mut self, sink: &mut dyn TableSink) -> Result<(), ReadError> {
        self.flush(sink)?;
        sink.finish_table()?;
        Ok(())
    }
}
