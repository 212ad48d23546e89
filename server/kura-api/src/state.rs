//! What every handler can reach: the use cases ([`Services`]) and what only HTTP needs.

use std::sync::Arc;

use kura_auth::Authority;
use kura_service::Services;

/// Shared application state; cheap to clone. Derefs to the [`Services`] handlers call.
#[derive(Clone, Debug)]
pub struct AppState {
    pub services: Services,
    /// Kura's signing keys and the issuers it trusts.
    pub auth: Arc<Authority>,
    pub login_limiter: Arc<crate::login_limit::LoginLimiter>,
}

impl std::ops::Deref for AppState {
    type Target = Services;
    fn deref(&self) -> &Services {
        &self.services
    }
}
