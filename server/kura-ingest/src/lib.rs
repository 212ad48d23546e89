//! Ingestion: format detection, one reader per format, and the pipeline that turns uploaded
//! files into Parquet tables plus catalog rows.

pub mod archive;
pub mod cif;
pub mod convert;
pub mod csv;
pub mod detect;
pub mod eln;
mod error;
pub mod hdf5;
pub mod jcamp;
pub mod json;
pub mod mgf;
pub mod mzml;
pub mod notebook;
pub mod pipeline;
pub mod preview;
pub mod reader;
pub mod runner;
pub mod sheet;
mod sink;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
pub mod units;
pub mod vendor;

pub use error::IngestError;
pub use pipeline::{Ingestor, LocalFile, Progress, failures, read_local_file};
pub use reader::{
    ColumnInfo, ColumnOptions, FormatReader, PartFailure, ReadError, ReadOptions, ReadReport, SinkError, SourceMember,
    TableSink, TableStart,
};
pub use runner::{JobRunner, Recovered};
pub use sink::{FinishedTable, ParquetSink};
