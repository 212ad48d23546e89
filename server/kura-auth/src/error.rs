use kura_core::ErrorCode;

/// Why credentials were refused. Each reason is its own variant so that the server can log it;
/// callers all get the same 401.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum AuthError {
    #[error("token is not a well-formed jwt")]
    Malformed,
    #[error("token is too large")]
    TooLarge,
    #[error("token has no key id")]
    MissingKid,
    #[error("no key with id {0:?} for this issuer")]
    UnknownKid(String),
    #[error("key {0:?} belongs to another issuer than the token claims")]
    KeyOfAnotherIssuer(String),
    #[error("issuer {0:?} is not trusted")]
    UnknownIssuer(String),
    #[error("algorithm {0} is not allowed for this issuer")]
    AlgorithmNotAllowed(String),
    #[error("critical header extensions are not supported")]
    CriticalHeader,
    #[error("signature does not verify")]
    BadSignature,
    #[error("token has expired")]
    Expired,
    #[error("token is not valid yet")]
    NotYetValid,
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

impl kura_core::HasErrorCode for AuthError {
    /// Every refusal of a credential is an authentication failure (401 / UNAUTHENTICATED); a
    /// password refused by policy is the caller's mistake, and a broken key store a server fault.
    fn code(&self) -> ErrorCode {
        match self {
            AuthError::KeyStore(_) => ErrorCode::Internal,
            AuthError::WeakPassword(_) => ErrorCode::BadRequest,
            _ => ErrorCode::Unauthenticated,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kura_core::HasErrorCode;

    #[test]
    fn refusals_are_unauthenticated_and_faults_are_not() {
        assert_eq!(AuthError::BadSignature.code(), ErrorCode::Unauthenticated);
        assert_eq!(AuthError::Expired.code(), ErrorCode::Unauthenticated);
        assert_eq!(AuthError::WeakPassword(12).code(), ErrorCode::BadRequest);
        assert_eq!(AuthError::KeyStore("disk full".into()).code(), ErrorCode::Internal);
        for e in [AuthError::Malformed, AuthError::UnknownKid("k".into()), AuthError::MissingClaim("exp".into())] {
            let message = e.to_string();
            assert_eq!(message, message.to_lowercase(), "messages are lowercase");
            assert!(!message.ends_with('.'));
        }
    }
}
