use kura_catalog::CatalogError;
use kura_core::ErrorCode;
use kura_storage::StorageError;

/// Why an ingest operation (not a single file: those fail inside the job) could not proceed.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error("{0}")]
    Conflict(String),
    #[error("nothing to ingest: {0}")]
    NothingToDo(String),
    #[error("ingest worker failed: {0}")]
    Worker(String),
    /// The job was cancelled: it stopped at a file or batch boundary and committed nothing.
    #[error("the job was cancelled")]
    Cancelled,
}

impl kura_core::HasErrorCode for IngestError {
    /// The transport-independent kind of this error.
    fn code(&self) -> ErrorCode {
        match self {
            IngestError::Catalog(e) => e.code(),
            IngestError::Storage(e) => e.code(),
            IngestError::Conflict(_) => ErrorCode::Conflict,
            IngestError::NothingToDo(_) => ErrorCode::BadRequest,
            IngestError::Worker(_) => ErrorCode::Internal,
            IngestError::Cancelled => ErrorCode::Conflict,
        }
    }
}
