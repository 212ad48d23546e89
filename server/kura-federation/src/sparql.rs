//! Federated SPARQL: `SERVICE <peer>/sparql` for the trusted peers' endpoints only, carrying the
//! caller's identity as the token each peer gave in exchange for this node's assertion. A partner
//! node's user, and a query that already crossed [`MAX_HOPS`] nodes, get no SERVICE at all.

use std::collections::HashMap;
use std::sync::Arc;

use kura_catalog::entity::peer;
use kura_core::Principal;
use kura_rdf::service::{BearerFuture, PeerCredentials, Remote};
use kura_rdf::sparql::{ParsedQuery, ResultFormat};
use kura_service::{ServiceError, federation};

use crate::{Federation, MAX_HOPS};

/// The SPARQL endpoint of `peer`, the only IRI a SERVICE may name for it.
pub fn endpoint(peer: &peer::Model) -> String {
    format!("{}/sparql", peer.base_url.trim_end_matches('/'))
}

impl Federation {
    /// Evaluates `query` for `principal` (who reached this node after `hops` nodes), with SERVICE
    /// to the trusted peers' SPARQL endpoints.
    pub async fn sparql(
        &self,
        principal: &Principal,
        query: ParsedQuery,
        format: ResultFormat,
        hops: u32,
    ) -> Result<Vec<u8>, ServiceError> {
        let remote = if principal.home_node.is_some() {
            Remote::refused("a partner node's user is not passed on to other nodes")
        } else if hops >= MAX_HOPS {
            Remote::refused("the query came from another node and is not passed on")
        } else {
            let peers: HashMap<String, peer::Model> =
                federation::trusted_peers(self.services()).await?.into_iter().map(|p| (endpoint(&p), p)).collect();
            let endpoints: Vec<String> = peers.keys().cloned().collect();
            let tokens = Tokens { federation: self.clone(), principal: principal.clone(), peers };
            Remote::trusted(self.http.clone(), endpoints, Arc::new(tokens), hops + 1)
        };
        kura_service::sparql::query(self.services(), principal, query, format, remote).await
    }
}

/// The caller's tokens at the peers, exchanged when a SERVICE first calls one (and cached by
/// [`Federation::token_for`]).
struct Tokens {
    federation: Federation,
    principal: Principal,
    peers: HashMap<String, peer::Model>,
}

impl PeerCredentials for Tokens {
    fn bearer<'a>(&'a self, endpoint: &'a str) -> BearerFuture<'a> {
        Box::pin(async move {
            let peer = self.peers.get(endpoint).ok_or_else(|| "not a trusted peer's endpoint".to_owned())?;
            self.federation.token_for(&self.principal, peer).await.map_err(|e| format!("no token at the peer: {e}"))
        })
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_hops_header_is_the_one_kura_rdf_sends() {
        assert_eq!(crate::HOPS_HEADER, kura_rdf::service::HOPS_HEADER);
    }
}
