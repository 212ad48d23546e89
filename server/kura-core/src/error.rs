//! Error codes shared by every surface.

use serde::Serialize;

/// The kind of a failure, independent of transport. Each crate's error type maps onto one of
/// these with a pure `code()` function; transports map the code to their own status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    BadRequest,
    Unauthenticated,
    Forbidden,
    NotFound,
    Conflict,
    Gone,
    PayloadTooLarge,
    UnsupportedMediaType,
    NotAcceptable,
    Unprocessable,
    ResourceExhausted,
    Internal,
    Unavailable,
}

impl ErrorCode {
    /// HTTP status code for this error.
    pub fn http_status(self) -> u16 {
        match self {
            ErrorCode::BadRequest => 400,
            ErrorCode::Unauthenticated => 401,
            ErrorCode::Forbidden => 403,
            ErrorCode::NotFound => 404,
            ErrorCode::NotAcceptable => 406,
            ErrorCode::Conflict => 409,
            ErrorCode::Gone => 410,
            ErrorCode::PayloadTooLarge => 413,
            ErrorCode::UnsupportedMediaType => 415,
            ErrorCode::Unprocessable => 422,
            ErrorCode::ResourceExhausted => 429,
            ErrorCode::Internal => 500,
            ErrorCode::Unavailable => 503,
        }
    }

    /// gRPC status code (the numeric values of `tonic::Code`) for this error.
    pub fn grpc_code(self) -> i32 {
        match self {
            ErrorCode::BadRequest | ErrorCode::Unprocessable | ErrorCode::NotAcceptable => 3,
            ErrorCode::NotFound | ErrorCode::Gone => 5,
            ErrorCode::Conflict => 6,
            ErrorCode::Forbidden => 7,
            ErrorCode::ResourceExhausted | ErrorCode::PayloadTooLarge => 8,
            ErrorCode::UnsupportedMediaType => 3,
            ErrorCode::Internal => 13,
            ErrorCode::Unavailable => 14,
            ErrorCode::Unauthenticated => 16,
        }
    }

    /// True when the message may be shown to the caller (client errors).
    pub fn is_client_error(self) -> bool {
        self.http_status() < 500
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_and_server_errors_are_told_apart() {
        assert!(ErrorCode::NotFound.is_client_error());
        assert!(!ErrorCode::Internal.is_client_error());
        assert_eq!(ErrorCode::Unauthenticated.grpc_code(), 16);
        assert_eq!(ErrorCode::PayloadTooLarge.http_status(), 413);
    }
}
