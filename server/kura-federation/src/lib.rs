//! Federation between Kura nodes. Each institution runs its own node and stays authoritative for
//! its datasets; nodes trust the peers an administrator listed (id, base URL, JWKS URL, the
//! organizations each speaks for). A user's identity travels as a short-lived assertion signed
//! by the home node, which the target node exchanges for a read-only token of its own (the shape
//! of RFC 8693) and then decides with its own rules. Federated queries fan out to every peer with
//! a deadline and answer an envelope that names every node's status: a node that did not answer
//! is reported, never dropped.
//!
//! This crate calls the use cases of `kura-service` (which hold the catalog's side of trust);
//! the HTTP routes in `kura-api` are its thin adapters.

pub mod assertion;
mod check;
mod client;
pub mod delta_sharing;
pub mod exchange;
mod keys;
pub mod search;
pub mod sparql;
pub mod visa;

use std::sync::Arc;

use kura_auth::CredentialResolver;
use kura_service::Services;

pub use check::PeerCheck;
pub use client::NodeFailure;
pub use exchange::{ExchangeError, TokenRequest, TokenResponse};
pub use search::{FederatedHit, FederatedResults, NodeReport, NodeStatus};

/// The HTTP header that counts how many nodes a federated request has passed through; a request
/// that already crossed [`MAX_HOPS`] is answered from the local node only (no loop between
/// aggregators can form).
pub const HOPS_HEADER: &str = "kura-federation-hops";

/// Hops a federated request may take: one (home node → peer).
pub const MAX_HOPS: u32 = 1;

/// Federation for one node: its services, its signing keys (through the credential resolver),
/// the keys of its peers, the tokens its users hold at peers, and an HTTP client. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Federation {
    services: Services,
    credentials: Arc<CredentialResolver>,
    http: reqwest::Client,
    peer_keys: Arc<keys::PeerKeys>,
    tokens: Arc<exchange::TokenCache>,
}

impl Federation {
    /// Federation over `services`, signing with the keys of `credentials`.
    pub fn new(services: Services, credentials: Arc<CredentialResolver>) -> Self {
        let timeout = std::time::Duration::from_millis(services.config.federation_timeout_ms);
        let http = reqwest::Client::builder()
            .connect_timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap_or_default();
        Federation {
            services,
            credentials,
            peer_keys: Arc::new(keys::PeerKeys::default()),
            tokens: Arc::new(exchange::TokenCache::default()),
            http,
        }
    }

    /// This node's id.
    pub fn node_id(&self) -> &str {
        &self.services.config.node_id
    }

    /// The services it calls.
    pub fn services(&self) -> &Services {
        &self.services
    }
}
