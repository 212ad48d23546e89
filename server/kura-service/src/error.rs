//! The one domain error every service function returns: a kind (`ErrorCode`: not found,
//! forbidden, gone, invalid, conflict…) and a message. Transports render it — HTTP and gRPC by
//! the one rule of `ErrorCode::tell` — and never classify it by its text.

use kura_core::{ErrorCode, HasErrorCode};

/// A use case's failure.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message}")]
pub struct ServiceError {
    pub code: ErrorCode,
    pub message: String,
}

impl ServiceError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ServiceError { code, message: message.into() }
    }

    /// Absent, or invisible to the caller: the two answer alike.
    pub fn not_found(what: &str) -> Self {
        ServiceError::new(ErrorCode::NotFound, format!("{what} not found"))
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        ServiceError::new(ErrorCode::Forbidden, message)
    }

    pub fn invalid(message: impl Into<String>) -> Self {
        ServiceError::new(ErrorCode::BadRequest, message)
    }

    pub fn unauthenticated(message: impl Into<String>) -> Self {
        ServiceError::new(ErrorCode::Unauthenticated, message)
    }

    pub fn internal(message: impl Into<String>) -> Self {
        ServiceError::new(ErrorCode::Internal, message)
    }
}

impl HasErrorCode for ServiceError {
    fn code(&self) -> ErrorCode {
        self.code
    }
}

/// Renders an error with its sources, for the log (a server error's text never reaches callers).
pub fn chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

macro_rules! from_capability {
    ($($t:ty),+) => {$(
        impl From<$t> for ServiceError {
            fn from(err: $t) -> Self {
                ServiceError::new(err.code(), chain(&err))
            }
        }
    )+};
}

from_capability!(
    kura_catalog::CatalogError,
    kura_storage::StorageError,
    kura_ingest::IngestError,
    kura_search::SearchError,
    kura_rdf::sparql::SparqlError,
    kura_streams::StreamError,
    kura_compute::ComputeError
);
