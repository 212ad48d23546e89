use kura_core::ErrorCode;

/// Why credentials were refused. Each reason is its own variant so that the server can log it;
/// callers all get the same 401.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AuthError {
    #[error("token is not a well-formed jwt")]
    Malformed,
    #[error("token is too large")]
    TooLarge,
    #[error("token has no key id")]
    MissingKid,
    #[error("no key with id {0:?} for this issuer")]
    UnknownKid(String),
    #[error("issuer {0:?} is not trusted")]
    UnknownIssuer(String),
    #[error("algorithm {0} is not allowed for this issuer")]
    AlgorithmNotAllowed(String),
    #[error("signature does not verify")]
    BadSignature,
    #[error("token has expired")]
    Expired,
    #[error("token is not valid yet")]
    NotYetValid,
    #[error("wrong issuer")]
    WrongIssuer,
    #[error("wrong audience")]
    WrongAudience,
    #[error("required claim {0:?} is missing")]
    MissingClaim(String),
    #[error("claims are malformed: {0}")]
    InvalidClaims(String),
    #[error("password is too short: use at least {0} characters")]
    WeakPassword(usize),
    #[error("key store: {0}")]
    KeyStore(String),
}

impl AuthError {
    /// Every refusal is an authentication failure, except a bad key store (a server fault).
    pub fn code(&self) -> ErrorCode {
        match self {
            AuthError::KeyStore(_) => ErrorCode::Internal,
            AuthError::WeakPassword(_) => ErrorCode::BadRequest,
            _ => ErrorCode::Unauthenticated,
        }
    }
}
