use kura_core::ErrorCode;

/// Why a storage operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("object {0} not found")]
    NotFound(String),
    #[error("upload exceeds the limit of {limit} bytes")]
    TooLarge { limit: u64 },
    #[error("upload interrupted: {0}")]
    Interrupted(String),
    #[error("no column named {0:?}")]
    UnknownColumn(String),
    #[error("invalid content address {0:?}")]
    BadAddress(String),
    #[error("object store unusable: {0}")]
    Unusable(String),
    #[error("storage i/o error")]
    Io(#[from] std::io::Error),
    #[error("object store error")]
    Store(#[from] object_store::Error),
    #[error("parquet error: {0}")]
    Parquet(#[from] parquet::errors::ParquetError),
    #[error("arrow error: {0}")]
    Arrow(#[from] arrow::error::ArrowError),
}

impl kura_core::HasErrorCode for StorageError {
    /// The transport-independent kind of this error.
    fn code(&self) -> ErrorCode {
        match self {
            StorageError::NotFound(_) => ErrorCode::NotFound,
            StorageError::TooLarge { .. } => ErrorCode::PayloadTooLarge,
            StorageError::Interrupted(_) | StorageError::BadAddress(_) | StorageError::UnknownColumn(_) => {
                ErrorCode::BadRequest
            }
            StorageError::Arrow(_) => ErrorCode::BadRequest,
            StorageError::Io(_) | StorageError::Store(_) | StorageError::Parquet(_) | StorageError::Unusable(_) => {
                ErrorCode::Internal
            }
        }
    }
}
