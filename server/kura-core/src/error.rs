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

    /// Whether a failure's own message reaches the caller (see [`ErrorCode::tell`]).
    pub fn shows_message(self) -> bool {
        self.is_client_error() || self == ErrorCode::Unavailable
    }

    /// What a caller is told of a failure with this code, the one rule for HTTP and gRPC: a
    /// client error's message, and a 503's (written only to say what is unavailable, never with
    /// an underlying error's text); for other server errors only an id, under which the
    /// transport logs the cause.
    pub fn tell(self, message: &str) -> Told {
        if self.shows_message() {
            Told { message: message.to_owned(), id: None }
        } else {
            let id = uuid::Uuid::now_v7();
            Told { message: format!("internal error {id}"), id: Some(id) }
        }
    }
}

/// What a caller sees of a failure (see [`ErrorCode::tell`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Told {
    pub message: String,
    /// Set for server errors: the id the cause is logged under.
    pub id: Option<uuid::Uuid>,
}

/// Every crate's error says which kind of failure it is, so transports map errors by kind and
/// never by message text.
pub trait HasErrorCode {
    fn code(&self) -> ErrorCode;
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

    #[test]
    fn callers_see_client_messages_and_only_an_id_for_server_errors() {
        let told = ErrorCode::NotFound.tell("dataset not found");
        assert_eq!((told.message.as_str(), told.id), ("dataset not found", None));
        let told = ErrorCode::Unavailable.tell("search is not running in this process");
        assert_eq!(told.id, None);
        let told = ErrorCode::Internal.tell("/var/lib/kura/secret.db: disk I/O error");
        let id = told.id.expect("an id");
        assert_eq!(told.message, format!("internal error {id}"));
    }
}
