//! Checking a peer as configured: its node description answers with the id it is listed under,
//! and its published keys can be read.

use std::time::Duration;

use kura_core::Principal;
use kura_core::access::Governance;
use kura_service::{ServiceError, access, federation};
use serde::{Deserialize, Serialize};

use crate::Federation;
use crate::client;

/// What checking a peer found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PeerCheck {
    pub peer: String,
    /// Everything below held.
    pub ok: bool,
    /// The node id its description gives (it must be the id it is listed under).
    pub reported_id: Option<String>,
    /// Keys in its JWKS.
    pub keys: usize,
    /// What failed, in words.
    pub problems: Vec<String>,
}

impl Federation {
    /// Checks the peer `id` (administrators only).
    pub async fn check_peer(&self, principal: &Principal, id: &str) -> Result<PeerCheck, ServiceError> {
        access::govern(principal, Governance::ManageDirectory, "checking a peer needs an administrator")?;
        let peer =
            federation::trusted_peer(self.services(), id).await?.ok_or_else(|| ServiceError::not_found("peer"))?;
        let timeout = Duration::from_millis(self.services().config.federation_timeout_ms);
        let mut problems = Vec::new();
        let node_url = format!("{}/api/v1/federation/node", peer.base_url);
        let reported_id = match client::get(&self.http, &node_url, None, 0, timeout, 64 << 10).await {
            Ok(answer) => serde_json::from_slice::<serde_json::Value>(&answer.bytes)
                .ok()
                .and_then(|v| v.get("node_id").and_then(|n| n.as_str()).map(str::to_owned)),
            Err(e) => {
                problems.push(format!("{node_url}: {e}"));
                None
            }
        };
        if let Some(reported) = &reported_id
            && reported != &peer.id
        {
            problems.push(format!("the node at {} calls itself {reported:?}, not {:?}", peer.base_url, peer.id));
        }
        let keys = match self.peer_keys.refresh(&self.http, &peer.id, &peer.jwks_url, timeout).await {
            Ok(set) => set.keys.len(),
            Err(e) => {
                problems.push(format!("{}: {e}", peer.jwks_url));
                0
            }
        };
        if keys == 0 && problems.is_empty() {
            problems.push(format!("{} lists no keys", peer.jwks_url));
        }
        Ok(PeerCheck { peer: peer.id, ok: problems.is_empty(), reported_id, keys, problems })
    }
}
