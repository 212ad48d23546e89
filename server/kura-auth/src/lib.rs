//! Authentication primitives: Kura's signing keys and JWKS, issuing and verifying JWTs (Kura's
//! own and those of configured identity providers), password hashing, the sign-in limiter every
//! surface shares, and the one [`CredentialResolver`] that turns credentials into principals. No
//! transport and no database here: the resolver reads users, tokens and sessions through the
//! [`CredentialStore`] trait, which the catalog implements.

pub mod credentials;
mod error;
mod keys;
pub mod login_limit;
mod mac_key;
mod password;
mod verify;

pub use credentials::{CredentialResolver, CredentialStore};
pub use error::AuthError;
pub use keys::KeyStore;
pub use mac_key::MacKey;
pub use password::{MIN_PASSWORD_LEN, hash_password, verify_password};
pub use verify::{
    AuthConfig, Authority, ExternalIssuer, FederatedClaim, Identity, KuraClaims, MAX_LEEWAY_SECONDS, unverified_claims,
};
