//! The one trait every format reader implements, and the sink it writes tables into.
//!
//! Readers stream: they hand record batches to a [`TableSink`] as they parse, so memory stays
//! bounded by the batch size whatever the file size. The pipeline's sink writes Parquet.

use std::path::Path;

use std::collections::{BTreeMap, HashMap};

use arrow::datatypes::{DataType, Field, SchemaRef};
use arrow::record_batch::RecordBatch;
use serde_json::{Map, Value};

/// Arrow field metadata key: the column label exactly as the source wrote it.
pub const META_ORIGINAL_LABEL: &str = "kura:original_label";
/// Arrow field metadata key: the unit as the source wrote it (`cm-1`, `°C`).
pub const META_UNIT: &str = "kura:unit";
/// Arrow field metadata key: the unit as a UCUM code, when known (`/cm`, `Cel`).
pub const META_UCUM: &str = "kura:ucum";
/// Arrow field metadata key: the QUDT unit IRI, when known.
pub const META_QUDT: &str = "kura:qudt";
/// Arrow field metadata key: a concept IRI for what the column measures, when the source says.
pub const META_CONCEPT: &str = "kura:concept";

/// What is known about one column beyond its Arrow type.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ColumnInfo {
    /// Normalized column name used in the Arrow schema.
    pub name: String,
    /// The header cell exactly as written in the source.
    pub original_label: String,
    /// The unit as written in the source, if any.
    pub unit: Option<String>,
    /// The unit as a UCUM code, when the written unit is recognised.
    pub ucum: Option<String>,
    /// The QUDT unit IRI, when the UCUM code has one.
    pub qudt: Option<String>,
    /// Free-text description, when the source gives one.
    pub description: Option<String>,
}

impl ColumnInfo {
    /// A column whose unit comes from file metadata rather than its label (`##XUNITS=1/CM`,
    /// an HDF5 `units` attribute): the unit is normalized to UCUM and QUDT when recognised.
    pub fn with_unit(name: impl Into<String>, original_label: impl Into<String>, unit: Option<&str>) -> Self {
        let unit = unit.map(str::trim).filter(|u| !u.is_empty());
        let (ucum, qudt) = unit.map(crate::units::normalize).unwrap_or_default();
        ColumnInfo {
            name: name.into(),
            original_label: original_label.into(),
            unit: unit.map(str::to_string),
            ucum,
            qudt,
            description: None,
        }
    }

    /// The nullable Arrow field for this column, carrying the `kura:*` metadata that is known.
    pub fn field(&self, data_type: DataType) -> Field {
        let mut meta = HashMap::new();
        if !self.original_label.is_empty() {
            meta.insert(META_ORIGINAL_LABEL.to_string(), self.original_label.clone());
        }
        for (key, value) in [(META_UNIT, &self.unit), (META_UCUM, &self.ucum), (META_QUDT, &self.qudt)] {
            if let Some(v) = value {
                meta.insert(key.to_string(), v.clone());
            }
        }
        Field::new(&self.name, data_type, true).with_metadata(meta)
    }
}

/// A table about to be written: its schema (fields carry the `kura:*` metadata) and columns.
#[derive(Debug, Clone)]
pub struct TableStart {
    /// Table name, unique within the source file (`data`, `block_2`, `atom_site`).
    pub name: String,
    pub schema: SchemaRef,
    /// One entry per schema field, same order.
    pub columns: Vec<ColumnInfo>,
}

/// Receives the tables a reader produces. Calls come in the order
/// `begin_table, write_batch*, (finish_table | discard_table)`, repeated per table.
pub trait TableSink {
    fn begin_table(&mut self, table: TableStart) -> Result<(), SinkError>;
    fn write_batch(&mut self, batch: &RecordBatch) -> Result<(), SinkError>;
    fn finish_table(&mut self) -> Result<(), SinkError>;
    /// Drops the table begun last, e.g. when a reader restarts with wider types.
    fn discard_table(&mut self);
    /// Keeps a file found inside the source (an archive member, an image in a notebook) byte for
    /// byte as a file of the version, at `path` relative to the source. Readers bound what they
    /// pass here (archive limits); sinks that cannot store files refuse.
    fn keep_file(&mut self, path: &str, bytes: &mut dyn std::io::Read) -> Result<(), SinkError> {
        let _ = bytes;
        Err(SinkError(format!("this sink cannot keep extracted file {path}")))
    }
}

/// A sink failure (disk full, Parquet encoding), carried through readers unchanged.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct SinkError(pub String);

/// What a reader learned about a file besides its tables.
#[derive(Debug, Clone, Default)]
pub struct ReadReport {
    /// Reader name, recorded in provenance (`csv`).
    pub reader: &'static str,
    /// Reader version, recorded in provenance.
    pub reader_version: &'static str,
    /// Parameters the reader detected or used (delimiter, encoding, header line), for provenance.
    pub parameters: Map<String, Value>,
    /// Metadata read from the file (instrument header blocks and the like).
    pub metadata: Map<String, Value>,
    /// Searchable text (comments, notes), possibly empty.
    pub text: String,
    /// Things the reader tolerated and the user should know (padded rows, widened types).
    pub warnings: Vec<String>,
    /// For readers of containers (`.eln` archives): table name → the member it was read from.
    /// Tables absent here came from the file itself.
    pub sources: BTreeMap<String, SourceMember>,
    /// Parts of the file that could not be read while the rest was (an archive member that
    /// failed alone): the part's path inside the file and why. Each is a per-file error of the
    /// job; the part itself is kept as a raw file.
    pub failures: Vec<PartFailure>,
    /// Profile fields the file describes itself with (an `.eln` archive's RO-Crate root
    /// dataset), which fill the draft's metadata where it is still empty.
    pub profile: Option<kura_metadata::Imported>,
}

/// A part of a file (an archive member) that failed alone.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct PartFailure {
    /// Path inside the container (`crate/data/settings.json`).
    pub path: String,
    /// Why it could not be read, for users.
    pub error: String,
}

/// A file inside a container that a table was read from, for provenance.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct SourceMember {
    /// Path inside the container (`crate/data/raw/run.csv`).
    pub path: String,
    /// SHA-256 of the member's bytes, lowercase hex.
    pub sha256: String,
    pub size: u64,
    /// The reader that read the member, and its version.
    pub reader: &'static str,
    pub reader_version: &'static str,
    /// That reader's parameters and the metadata it read from the member.
    pub parameters: Map<String, Value>,
    pub metadata: Map<String, Value>,
}

/// Why a file could not be read. Messages are shown to users: precise, lowercase, no period.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("file is empty")]
    Empty,
    #[error("not a text file: {0}")]
    NotText(String),
    #[error("invalid {encoding} at byte {offset}")]
    InvalidEncoding { encoding: String, offset: u64 },
    #[error("line {line} is longer than {limit} bytes")]
    LineTooLong { line: u64, limit: usize },
    #[error("line {line} has {found} fields, the header has {expected}")]
    Ragged { line: u64, expected: usize, found: usize },
    #[error("no table found: {0}")]
    NoTable(String),
    /// The format is known but this build cannot read it (an optional feature is off).
    #[error("{0}")]
    Unsupported(String),
    #[error("malformed {format}: {message}")]
    Malformed { format: &'static str, message: String },
    #[error("reading failed: {0}")]
    Io(#[from] std::io::Error),
    #[error("arrow: {0}")]
    Arrow(#[from] arrow::error::ArrowError),
    #[error(transparent)]
    Sink(#[from] SinkError),
}

/// A reader for one file format.
pub trait FormatReader: Send + Sync {
    /// Short stable name, recorded in provenance.
    fn name(&self) -> &'static str;
    /// Reads `path`, writing every table to `sink`; `progress` is called with bytes consumed.
    fn read(
        &self,
        path: &Path,
        sink: &mut dyn TableSink,
        progress: &mut dyn FnMut(u64),
    ) -> Result<ReadReport, ReadError>;
    /// [`FormatReader::read`] with parameters the user set instead of detection. Readers that
    /// take none read as usual and say that the parameters were not used.
    fn read_with(
        &self,
        path: &Path,
        sink: &mut dyn TableSink,
        progress: &mut dyn FnMut(u64),
        options: &ReadOptions,
    ) -> Result<ReadReport, ReadError> {
        let mut report = self.read(path, sink, progress)?;
        if !options.is_empty() {
            report.warnings.push(format!("the {} reader takes no read parameters; they were not used", self.name()));
        }
        Ok(report)
    }
}

/// Read parameters a user sets for one file (`kura ingest --delimiter ';' --decimal ','`, the
/// per-file parameters of `POST …/draft/ingest`, the portal's "read it differently" form). Unset
/// fields are detected. Today the CSV reader takes them.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReadOptions {
    /// `,`, `;`, `|`, `tab` (or a tab character), `space` (or a space), `whitespace` (runs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delimiter: Option<String>,
    /// `"` (the default), `'`, or empty for no quoting.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quote: Option<String>,
    /// `.` or `,`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decimal: Option<String>,
    /// The thousands separator: `,`, `.`, `'`, or empty for none (needs `decimal` too).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thousands: Option<String>,
    /// A WHATWG encoding label: `utf-8`, `utf-16le`, `shift_jis`, `windows-1252`, `latin1`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encoding: Option<String>,
    /// 1-based line of the header; 0 when the file has no header line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub header_line: Option<u64>,
    /// Lines at the top that are never table rows (they are read as the header block).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skip_lines: Option<u64>,
    /// A line starting with this is a comment (`#`, `%`, `//`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment_prefix: Option<String>,
    /// Per column (by name as read, or `column_N`): its type and unit.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub columns: BTreeMap<String, ColumnOptions>,
}

/// A column's type and unit, set by the user.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ColumnOptions {
    /// `integer`, `float`, `boolean`, `timestamp`, `text`.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub data_type: Option<String>,
    /// The unit as written (`mV`, `°C`); normalised to UCUM and QUDT when recognised.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
}

impl ReadOptions {
    /// Whether nothing is set.
    pub fn is_empty(&self) -> bool {
        *self == ReadOptions::default()
    }
}
