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
    /// Federation with partner nodes; set by the server once its base URL and projections are.
    pub federation: Option<kura_federation::Federation>,
    /// The Delta Sharing server (its URL key and recent Parquet rewrites).
    pub delta_sharing: kura_federation::delta_sharing::DeltaSharing,
}

impl AppState {
    /// Federation, when this process serves it.
    pub fn federation(&self) -> Result<&kura_federation::Federation, kura_service::ServiceError> {
        self.federation.as_ref().ok_or_else(|| {
            kura_service::ServiceError::new(
                kura_core::ErrorCode::Unavailable,
                "federation is not running in this process",
            )
        })
    }
}

impl std::ops::Deref for AppState {
    type Target = Services;
    fn deref(&self) -> &Services {
        &self.services
    }
}
