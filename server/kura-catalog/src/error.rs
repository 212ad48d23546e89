use kura_core::ErrorCode;
use sea_orm::{DbErr, SqlErr};

/// Why a catalog operation failed.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("{0} not found")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Invalid(String),
    #[error("catalog database error")]
    Db(#[source] DbErr),
    #[error("cannot take the catalog's migration lock")]
    Lock(#[source] std::io::Error),
}

impl From<DbErr> for CatalogError {
    fn from(err: DbErr) -> Self {
        match err.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(detail)) => {
                CatalogError::Conflict(format!("already exists ({detail})"))
            }
            _ => CatalogError::Db(err),
        }
    }
}

impl kura_core::HasErrorCode for CatalogError {
    /// The transport-independent kind of this error.
    fn code(&self) -> ErrorCode {
        match self {
            CatalogError::NotFound(_) => ErrorCode::NotFound,
            CatalogError::Conflict(_) => ErrorCode::Conflict,
            CatalogError::Invalid(_) => ErrorCode::BadRequest,
            CatalogError::Db(_) | CatalogError::Lock(_) => ErrorCode::Internal,
        }
    }
}

impl CatalogError {
    pub(crate) fn not_found(what: impl Into<String>) -> Self {
        CatalogError::NotFound(what.into())
    }
}
