use kura_core::ErrorCode;

use crate::credentials::StoreError;

/// Why credentials were refused. Each reason is its own variant so that the server can log it;
/// callers all get the same 401 (too many sign-ins: 429; a failing store: 500).
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
    /// A bearer JWT that did not verify; which check failed is logged, never told.
    #[error("invalid or expired token")]
    RefusedJwt(#[source] Box<AuthError>),
    #[error("invalid token: subject is not a user id")]
    SubjectNotAUser,
    #[error("invalid, expired or revoked token")]
    InvalidApiToken,
    #[error("unknown user")]
    UnknownUser,
    #[error("this account is disabled")]
    Disabled,
    #[error("authorization header is not text")]
    HeaderNotText,
    #[error("authorization header must be 'Bearer <token>'")]
    NotBearer,
    #[error("malformed basic credentials")]
    MalformedBasic,
    /// Wrong account or password: the two are not told apart.
    #[error("wrong username or password")]
    WrongPassword,
    #[error("too many failed sign-ins: try again in {} s", .0.as_secs().max(1))]
    TooManyAttempts(std::time::Duration),
    #[error("only a user's credentials can be exchanged for a token")]
    NotAUser,
    /// A token given to a user of a partner node this node no longer trusts.
    #[error("node {0:?} is not a trusted peer")]
    PeerNotTrusted(String),
    /// A federated user's token is not exchanged again: it is the partner node that asks.
    #[error("a federated user's token cannot be exchanged here: ask the home node")]
    FederatedExchange,
    /// The credential store failed (not a refusal: the credential was never judged).
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("password check did not finish: {0}")]
    PasswordCheck(String),
}

impl kura_core::HasErrorCode for AuthError {
    /// Every refusal of a credential is an authentication failure (401 / UNAUTHENTICATED); a
    /// password refused by policy is the caller's mistake, and a broken key store a server fault.
    fn code(&self) -> ErrorCode {
        match self {
            AuthError::KeyStore(_) | AuthError::PasswordCheck(_) => ErrorCode::Internal,
            AuthError::Store(e) => e.code,
            AuthError::WeakPassword(_) => ErrorCode::BadRequest,
            AuthError::TooManyAttempts(_) => ErrorCode::ResourceExhausted,
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
        let wait = AuthError::TooManyAttempts(std::time::Duration::from_millis(10));
        assert_eq!(
            (wait.code(), wait.to_string().as_str()),
            (ErrorCode::ResourceExhausted, "too many failed sign-ins: try again in 1 s")
        );
        let jwt = AuthError::RefusedJwt(Box::new(AuthError::Expired));
        assert_eq!(jwt.to_string(), "invalid or expired token", "the reason is not told");
        assert_eq!(std::error::Error::source(&jwt).map(ToString::to_string).as_deref(), Some("token has expired"));
        let store = AuthError::from(StoreError::new(ErrorCode::Unavailable, "catalog is read-only"));
        assert_eq!(store.code(), ErrorCode::Unavailable);
        for e in [AuthError::Malformed, AuthError::UnknownKid("k".into()), AuthError::MissingClaim("exp".into())] {
            let message = e.to_string();
            assert_eq!(message, message.to_lowercase(), "messages are lowercase");
            assert!(!message.ends_with('.'));
        }
    }
}
