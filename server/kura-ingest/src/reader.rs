//! The one trait every format reader implements, and the sink it writes tables into.
//!
//! Readers stream: they hand record batches to a [`TableSink`] as they parse, so memory stays
//! bounded by the batch size whatever the file size. The pipeline's sink writes Parquet.

use std::path::Path;

use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;
use serde_json::{Map, Value};

/// Arrow field metadata key: the column label exactly as the source wrote it.
pub const META_ORIGINAL_LABEL: &str = "kura:original_label";
/// Arrow field metadata key: the unit as the source wrote it (`cm-1`, `°C`).
pub const META_UNIT: &str = "kura:unit";
/// Arrow field metadata key: the unit as a UCUM code, when known (`/cm`, `Cel`).
pub const META_UCUM: &str = "kura:ucum";

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
    /// Free-text description, when the source gives one.
    pub description: Option<String>,
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
}
