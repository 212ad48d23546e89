//! The one error type every handler returns: 4xx keep their message, 5xx show only an error id
//! (the cause is logged with that id).

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use kura_core::ErrorCode;
use serde_json::json;

/// An error as the API reports it.
#[derive(Debug)]
pub struct ApiError {
    code: ErrorCode,
    message: String,
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ApiError { code, message: message.into() }
    }

    pub fn not_found(what: &str) -> Self {
        ApiError::new(ErrorCode::NotFound, format!("{what} not found"))
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        ApiError::new(ErrorCode::BadRequest, message)
    }

    pub fn code(&self) -> ErrorCode {
        self.code
    }

    /// The message a client sees (4xx only carry their text; see `IntoResponse`).
    pub fn message(&self) -> String {
        if self.code.shows_message() { self.message.clone() } else { "internal error".to_owned() }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.code.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let told = self.code.tell(&self.message);
        let body = match told.id {
            None => json!({"error": {"code": self.code, "message": told.message}}),
            Some(id) => {
                tracing::error!(error_id = %id, error = %self.message, "request failed");
                json!({"error": {"code": self.code, "message": told.message, "id": id}})
            }
        };
        (status, Json(body)).into_response()
    }
}

macro_rules! from_domain {
    ($($t:ty),+) => {$(
        impl From<$t> for ApiError {
            fn from(err: $t) -> Self {
                kura_service::ServiceError::from(err).into()
            }
        }
    )+};
}

from_domain!(
    kura_catalog::CatalogError,
    kura_storage::StorageError,
    kura_ingest::IngestError,
    kura_search::SearchError
);

impl From<kura_service::ServiceError> for ApiError {
    fn from(err: kura_service::ServiceError) -> Self {
        ApiError::new(err.code, err.message)
    }
}

/// A refused credential keeps its own message only: the reason behind it (which check of a JWT
/// failed) is logged, never told.
impl From<kura_auth::AuthError> for ApiError {
    fn from(err: kura_auth::AuthError) -> Self {
        ApiError::new(kura_core::HasErrorCode::code(&err), err.to_string())
    }
}

impl From<axum::extract::multipart::MultipartError> for ApiError {
    fn from(err: axum::extract::multipart::MultipartError) -> Self {
        ApiError::new(ErrorCode::BadRequest, format!("upload interrupted or malformed: {}", err.body_text()))
    }
}
