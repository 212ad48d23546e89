//! Credentials become a `Principal` here and nowhere else: bearer JWTs (Kura's own or a trusted
//! identity provider's), API tokens, portal sessions, and passwords (signing in, Flight's
//! Handshake). Every surface calls the one [`CredentialResolver`]; what it needs from the
//! catalog is the [`CredentialStore`] trait, which the catalog implements, so that this crate
//! never sees a database.
//!
//! A credential's scope is part of its principal: a read-only credential gives a principal that
//! cannot write, and [`CredentialResolver::exchange`] never mints a token wider than the
//! principal it is given.

mod authorization;
mod resolver;
mod store;

pub use authorization::Authorization;
pub use resolver::{CredentialResolver, EXCHANGED_TOKEN_MINUTES, SessionCaller};
pub use store::{CredentialStore, StoreError, StoredSession, StoredToken, StoredUser};

#[cfg(test)]
mod tests;
