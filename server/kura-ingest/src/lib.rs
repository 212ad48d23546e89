//! Ingestion: format detection, one reader per format, and the pipeline that turns uploaded
//! files into Parquet tables plus catalog rows.

pub mod cif;
pub mod convert;
pub mod csv;
pub mod detect;
mod error;
pub mod hdf5;
pub mod jcamp;
pub mod json;
pub mod mzml;
pub mod pipeline;
pub mod reader;
mod sink;
pub mod units;

pub use error::IngestError;
pub use pipeline::{Ingestor, LocalFile, Progress};
pub use reader::{ColumnInfo, FormatReader, ReadError, ReadReport, SinkError, TableSink, TableStart};
