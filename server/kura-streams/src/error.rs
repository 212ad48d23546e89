//! What can go wrong with a stream table, each kind with its `ErrorCode`.

use kura_core::ErrorCode;

/// Why a stream operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StreamError {
    /// The batch does not fit the table's schema (the message names the column).
    #[error("{0}")]
    Schema(String),
    /// The request is malformed (an unreadable batch, a bad idempotency key or snapshot).
    #[error("{0}")]
    Invalid(String),
    #[error("{0} not found")]
    NotFound(String),
    /// Too many acknowledged rows wait for a commit (commits are failing or slower than
    /// appends): the writer retries later with the same key.
    #[error("the stream table is behind on commits: retry later with the same key")]
    Behind,
    #[error("append log i/o error")]
    Io(#[from] std::io::Error),
    #[error("arrow error: {0}")]
    Arrow(#[from] arrow::error::ArrowError),
    #[error("parquet error: {0}")]
    Parquet(#[from] parquet::errors::ParquetError),
    #[error(transparent)]
    Catalog(#[from] kura_catalog::CatalogError),
    #[error(transparent)]
    Storage(#[from] kura_storage::StorageError),
    #[error("stream task failed: {0}")]
    Task(String),
}

impl kura_core::HasErrorCode for StreamError {
    fn code(&self) -> ErrorCode {
        match self {
            StreamError::Schema(_) => ErrorCode::Unprocessable,
            StreamError::Invalid(_) => ErrorCode::BadRequest,
            StreamError::NotFound(_) => ErrorCode::NotFound,
            StreamError::Behind => ErrorCode::ResourceExhausted,
            StreamError::Catalog(e) => e.code(),
            StreamError::Storage(e) => e.code(),
            StreamError::Io(_) | StreamError::Arrow(_) | StreamError::Parquet(_) | StreamError::Task(_) => {
                ErrorCode::Internal
            }
        }
    }
}

impl From<tokio::task::JoinError> for StreamError {
    fn from(err: tokio::task::JoinError) -> Self {
        StreamError::Task(err.to_string())
    }
}
