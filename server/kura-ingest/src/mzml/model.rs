//! What the scanner hands on: spectra and chromatograms with their parameters and decoded
//! arrays, and the PSI-MS / UO accessions the tables pick out of them.

use serde_json::{Map, Value, json};

use super::binary::{Compression, NumberType};
use crate::ColumnInfo;

/// A `cvParam` or `userParam`, or an attribute of an element nested in a spectrum (a scan's
/// `instrumentConfigurationRef`), with the path of elements it sat in (`scan/scanWindow`,
/// `precursor/selectedIon`; empty for the spectrum itself).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Param {
    pub context: String,
    pub accession: Option<String>,
    pub name: String,
    pub value: String,
    pub unit_accession: Option<String>,
    pub unit_name: Option<String>,
    /// `type` of a `userParam` (`xsd:float`).
    pub value_type: Option<String>,
}

impl Param {
    /// The parameter as JSON, leaving out what is absent.
    pub fn to_json(&self, with_context: bool) -> Value {
        let mut m = Map::new();
        if with_context && !self.context.is_empty() {
            m.insert("context".into(), json!(self.context));
        }
        if let Some(a) = &self.accession {
            m.insert("accession".into(), json!(a));
        }
        m.insert("name".into(), json!(self.name));
        if !self.value.is_empty() {
            m.insert("value".into(), json!(self.value));
        }
        if let Some(u) = &self.unit_accession {
            m.insert("unit_accession".into(), json!(u));
        }
        if let Some(u) = &self.unit_name {
            m.insert("unit_name".into(), json!(u));
        }
        if let Some(t) = &self.value_type {
            m.insert("type".into(), json!(t));
        }
        Value::Object(m)
    }

    /// The value as a number, when it is one.
    pub fn number(&self) -> Option<f64> {
        self.value.trim().parse().ok()
    }
}

/// Spectrum or chromatogram.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordKind {
    Spectrum,
    Chromatogram,
}

/// One decoded `binaryDataArray`.
#[derive(Debug, Clone, PartialEq)]
pub struct DataArray {
    /// Column name (`mz`, `intensity`, `charge`, `time`).
    pub column: String,
    /// The array type as the file names it (`m/z array`).
    pub label: String,
    pub unit_accession: Option<String>,
    pub unit_name: Option<String>,
    pub number: NumberType,
    pub compression: Compression,
    pub values: Vec<f64>,
}

/// A spectrum or chromatogram: its attributes, parameters and arrays.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    pub kind: RecordKind,
    /// Position in the file, counted from 0 (the `index` attribute when present).
    pub index: i64,
    pub id: String,
    /// Attributes of the element besides `index` and `id` (`defaultArrayLength`,
    /// `dataProcessingRef`, `spotID`, `nativeID`).
    pub attributes: Vec<(String, String)>,
    pub params: Vec<Param>,
    pub arrays: Vec<DataArray>,
    /// Byte offset of the start tag, for messages.
    pub offset: u64,
}

impl Record {
    /// The first parameter with `accession`, anywhere in the record.
    pub fn param(&self, accession: &str) -> Option<&Param> {
        self.params.iter().find(|p| p.accession.as_deref() == Some(accession))
    }

    /// The array with this column name.
    pub fn array(&self, column: &str) -> Option<&DataArray> {
        self.arrays.iter().find(|a| a.column == column)
    }

    /// `spectrum 3 (id "scan=4")`, for messages.
    pub fn describe(&self) -> String {
        let kind = match self.kind {
            RecordKind::Spectrum => "spectrum",
            RecordKind::Chromatogram => "chromatogram",
        };
        format!("{kind} {} (id {:?})", self.index, self.id)
    }
}

/// Accessions the spectra table turns into columns.
pub mod acc {
    pub const MS_LEVEL: &str = "MS:1000511";
    pub const SCAN_START_TIME: &str = "MS:1000016";
    pub const POSITIVE: &str = "MS:1000130";
    pub const NEGATIVE: &str = "MS:1000129";
    pub const PROFILE: &str = "MS:1000128";
    pub const CENTROID: &str = "MS:1000127";
    pub const BASE_PEAK_MZ: &str = "MS:1000504";
    pub const BASE_PEAK_INTENSITY: &str = "MS:1000505";
    pub const TIC: &str = "MS:1000285";
    pub const LOWEST_MZ: &str = "MS:1000528";
    pub const HIGHEST_MZ: &str = "MS:1000527";
    pub const SELECTED_ION_MZ: &str = "MS:1000744";
    pub const CHARGE_STATE: &str = "MS:1000041";
    pub const PEAK_INTENSITY: &str = "MS:1000042";
    pub const FILTER_STRING: &str = "MS:1000512";
    pub const NON_STANDARD_ARRAY: &str = "MS:1000786";
}

/// The column name for an array type: short names for the common ones, otherwise the name the
/// file gives made safe (`signal to noise array` → `signal_to_noise`).
pub fn array_column(accession: Option<&str>, name: &str) -> String {
    match accession {
        Some("MS:1000514") => return "mz".into(),
        Some("MS:1000515") => return "intensity".into(),
        Some("MS:1000516") => return "charge".into(),
        Some("MS:1000595") => return "time".into(),
        _ => {}
    }
    let base = name.trim().strip_suffix(" array").unwrap_or(name.trim());
    let safe: String =
        base.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '_' }).collect();
    let safe = safe.split('_').filter(|s| !s.is_empty()).collect::<Vec<_>>().join("_");
    if safe.is_empty() { "array".into() } else { safe }
}

/// The spelling [`crate::units`] knows a PSI-MS or UO unit by.
fn unit_spelling(accession: Option<&str>) -> Option<&'static str> {
    Some(match accession? {
        "MS:1000040" => "m/z",
        "UO:0000010" => "s",
        "UO:0000031" => "min",
        "UO:0000028" => "ms",
        "MS:1000131" => "counts",
        "MS:1000814" => "counts/s",
        "MS:1000132" | "UO:0000187" => "%",
        "UO:0000266" => "eV",
        "UO:0000018" => "nm",
        "UO:0000218" => "V",
        "UO:0000186" => "a.u.",
        _ => return None,
    })
}

/// A column whose unit the file names by accession and name; `fallback` when it names none.
pub fn column(
    name: &str,
    label: &str,
    unit_accession: Option<&str>,
    unit_name: Option<&str>,
    fallback: Option<&str>,
) -> ColumnInfo {
    let spelling = unit_spelling(unit_accession).or(unit_name).or(fallback);
    let mut info = ColumnInfo::with_unit(name, label, spelling);
    if let Some(written) = unit_name.or(unit_accession) {
        info.unit = Some(written.to_string());
    }
    info
}
