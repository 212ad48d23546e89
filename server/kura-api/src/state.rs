//! What every handler can reach: the use cases ([`Services`]) and what only HTTP needs.

use std::sync::Arc;

use kura_auth::CredentialResolver;
use kura_service::Services;

/// Shared application state; cheap to clone. Derefs to the [`Services`] handlers call.
#[derive(Clone, Debug)]
pub struct AppState {
    pub services: Services,
    /// Turns credentials into principals (with Kura's signing keys, the issuers it trusts and
    /// the sign-in limiter); shared with the Flight server.
    pub credentials: Arc<CredentialResolver>,
}

impl std::ops::Deref for AppState {
    type Target = Services;
    fn deref(&self) -> &Services {
        &self.services
    }
}
