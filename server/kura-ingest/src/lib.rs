//! Ingestion: format detection, one reader per format, and the pipeline that turns uploaded
//! files into Parquet tables plus catalog rows.

pub mod csv;
pub mod reader;

pub use reader::{ColumnInfo, FormatReader, ReadError, ReadReport, SinkError, TableSink, TableStart};
