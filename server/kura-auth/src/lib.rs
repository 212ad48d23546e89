//! Authentication primitives: Kura's signing keys and JWKS, issuing and verifying JWTs (Kura's
//! own and those of configured identity providers), password hashing, and the sign-in limiter every surface shares. No transport and no
//! database here: the API and Flight servers turn a verified [`Identity`] into a principal.

mod error;
mod keys;
pub mod login_limit;
mod password;
mod verify;

pub use error::AuthError;
pub use keys::KeyStore;
pub use password::{MIN_PASSWORD_LEN, hash_password, verify_password};
pub use verify::{AuthConfig, Authority, ExternalIssuer, Identity, KuraClaims, MAX_LEEWAY_SECONDS};
