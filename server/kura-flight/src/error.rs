//! One error type for the Flight surface, mapped to gRPC through `kura_core::ErrorCode`, so that
//! Flight says what REST says for the same failure.

use kura_core::{ErrorCode, HasErrorCode};
use tonic::Status;

/// A failure of a Flight or Flight SQL call.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct FlightError {
    pub code: ErrorCode,
    pub message: String,
}

impl FlightError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        FlightError { code, message: message.into() }
    }

    pub fn unauthenticated(message: impl Into<String>) -> Self {
        FlightError::new(ErrorCode::Unauthenticated, message)
    }

    pub fn invalid(message: impl Into<String>) -> Self {
        FlightError::new(ErrorCode::BadRequest, message)
    }

    pub fn not_found(what: &str) -> Self {
        FlightError::new(ErrorCode::NotFound, format!("{what} not found"))
    }

    pub fn internal(message: impl Into<String>) -> Self {
        FlightError::new(ErrorCode::Internal, message)
    }

    /// The gRPC status, by the rule REST follows too ([`ErrorCode::tell`]): server errors are
    /// logged with an id and show only that id.
    pub fn into_status(self) -> Status {
        let code = tonic::Code::from_i32(self.code.grpc_code());
        let told = self.code.tell(&self.message);
        if let Some(id) = told.id {
            tracing::error!(error_id = %id, error = %self.message, "flight call failed");
        }
        Status::new(code, told.message)
    }
}

impl From<FlightError> for Status {
    fn from(e: FlightError) -> Self {
        e.into_status()
    }
}

impl From<kura_service::ServiceError> for FlightError {
    fn from(e: kura_service::ServiceError) -> Self {
        FlightError::new(e.code, e.message)
    }
}

impl From<kura_catalog::CatalogError> for FlightError {
    fn from(e: kura_catalog::CatalogError) -> Self {
        FlightError::new(e.code(), e.to_string())
    }
}

/// A refused credential keeps its own message only (the reason behind it is logged).
impl From<kura_auth::AuthError> for FlightError {
    fn from(e: kura_auth::AuthError) -> Self {
        FlightError::new(e.code(), e.to_string())
    }
}

impl From<kura_storage::StorageError> for FlightError {
    fn from(e: kura_storage::StorageError) -> Self {
        let message = match &e {
            kura_storage::StorageError::Io(_)
            | kura_storage::StorageError::Store(_)
            | kura_storage::StorageError::Parquet(_) => format!("{e}: {:?}", std::error::Error::source(&e)),
            _ => e.to_string(),
        };
        FlightError::new(e.code(), message)
    }
}

impl From<parquet::errors::ParquetError> for FlightError {
    fn from(e: parquet::errors::ParquetError) -> Self {
        FlightError::internal(format!("parquet: {e}"))
    }
}

impl From<arrow::error::ArrowError> for FlightError {
    fn from(e: arrow::error::ArrowError) -> Self {
        match e {
            arrow::error::ArrowError::ExternalError(inner) => match inner.downcast::<FlightError>() {
                Ok(fe) => *fe,
                Err(other) => FlightError::internal(format!("arrow: {other}")),
            },
            arrow::error::ArrowError::MemoryError(m) => FlightError::new(ErrorCode::ResourceExhausted, m),
            other => FlightError::internal(format!("arrow: {other}")),
        }
    }
}

impl From<datafusion::error::DataFusionError> for FlightError {
    fn from(e: datafusion::error::DataFusionError) -> Self {
        use datafusion::error::DataFusionError as D;
        match e.find_root() {
            D::ResourcesExhausted(m) => {
                FlightError::new(ErrorCode::ResourceExhausted, format!("query needs too much memory: {m}"))
            }
            D::External(inner) if inner.downcast_ref::<FlightError>().is_some() => {
                let fe = inner.downcast_ref::<FlightError>().expect("checked");
                FlightError::new(fe.code, fe.message.clone())
            }
            D::SQL(..) | D::Plan(_) | D::SchemaError(..) | D::NotImplemented(_) | D::Configuration(_) => {
                FlightError::invalid(e.strip_backtrace())
            }
            _ => FlightError::internal(e.strip_backtrace()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_map_to_grpc_and_hide_server_errors() {
        let s = FlightError::not_found("dataset").into_status();
        assert_eq!(s.code(), tonic::Code::NotFound);
        assert_eq!(s.message(), "dataset not found");
        let s = FlightError::new(ErrorCode::Forbidden, "no").into_status();
        assert_eq!(s.code(), tonic::Code::PermissionDenied);
        let s = FlightError::internal("secret path /x").into_status();
        assert_eq!(s.code(), tonic::Code::Internal);
        assert!(!s.message().contains("secret"));
        let s = FlightError::new(ErrorCode::ResourceExhausted, "big").into_status();
        assert_eq!(s.code(), tonic::Code::ResourceExhausted);
    }
}
