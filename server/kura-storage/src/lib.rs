//! Object storage: content-addressed by SHA-256 through the `object_store` crate, plus the
//! Parquet settings and readers every table goes through.
//!
//! Objects live at `sha256/ab/cd/abcd…`: the same bytes are stored once, a retried ingest
//! writes nothing twice, and an object's name proves its content.

mod error;
mod objects;
pub mod parquet_io;
mod s3;
mod staging;

pub use error::StorageError;
pub use objects::{GcReport, ObjectStore, StoredObject};
pub use s3::S3Settings;
pub use staging::{HashingWriter, StagedFile};
