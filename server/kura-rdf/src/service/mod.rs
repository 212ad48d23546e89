//! SPARQL 1.1 Federated Query: `SERVICE` to the SPARQL endpoints of trusted peers, and nowhere
//! else. A query naming any other endpoint (or a variable) is refused before it is evaluated, so
//! before any request leaves the node; the handler checks the allow-list again before each call.
//! A call carries the caller's bearer token at the peer (see [`PeerCredentials`]) and shares the
//! query's deadline and result limit: it asks for one solution more than the limit, reads at most
//! [`MAX_ANSWER_BYTES`], and ends a little before the query's deadline so that `SERVICE SILENT`
//! can still answer with its one empty solution.

use std::collections::BTreeSet;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use oxigraph::model::NamedNode;
use spargebra::term::NamedNodePattern;
use tokio::runtime::Handle;
use tokio::time::Instant;

use crate::sparql::{ParsedQuery, SparqlError};

mod call;
mod names;
#[cfg(test)]
mod tests;

pub(crate) use call::Calls;

/// The header counting the nodes a federated request passed through (the same name as
/// `kura_federation::HOPS_HEADER`): a peer does not pass a query on again.
pub const HOPS_HEADER: &str = "kura-federation-hops";

/// Largest answer read from one SERVICE call.
pub const MAX_ANSWER_BYTES: u64 = 32 << 20;

/// Most SERVICE calls one evaluation makes: each is a request to a peer.
pub const MAX_CALLS: usize = 32;

/// Longest part of the query's time kept back from SERVICE calls, so that a silent call that
/// timed out still leaves the query time to answer.
const MAX_RESERVE: Duration = Duration::from_secs(1);

/// What a token lookup returns: the caller's bearer token, `None` when they are anonymous there.
pub type BearerFuture<'a> = Pin<Box<dyn Future<Output = Result<Option<String>, String>> + Send + 'a>>;

/// The caller's identity at the peers: implemented where tokens are exchanged (kura-federation).
pub trait PeerCredentials: Send + Sync {
    /// The caller's bearer token at the peer whose SPARQL endpoint is `endpoint`.
    fn bearer<'a>(&'a self, endpoint: &'a str) -> BearerFuture<'a>;
}

/// Which SERVICE endpoints one query may call, and how.
#[derive(Clone)]
pub struct Remote {
    allowed: Allowed,
    hops: u32,
}

#[derive(Clone)]
enum Allowed {
    /// Exactly these endpoint IRIs, called with this client and these credentials.
    Endpoints { iris: Arc<BTreeSet<String>>, http: reqwest::Client, credentials: Arc<dyn PeerCredentials> },
    /// No endpoint: every SERVICE IRI is untrusted.
    Nowhere,
    /// No SERVICE at all, for this reason.
    Refused(String),
}

impl std::fmt::Debug for Remote {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.allowed {
            Allowed::Endpoints { iris, .. } => f.debug_struct("Remote").field("endpoints", iris).finish(),
            Allowed::Nowhere => f.debug_struct("Remote").field("endpoints", &"none").finish(),
            Allowed::Refused(reason) => f.debug_struct("Remote").field("refused", reason).finish(),
        }
    }
}

impl Remote {
    /// No endpoint is trusted: any SERVICE is refused as not a trusted peer's endpoint.
    pub fn none() -> Remote {
        Remote { allowed: Allowed::Nowhere, hops: 0 }
    }

    /// No SERVICE for this caller, for `reason` (a partner's user, a query that already crossed a node).
    pub fn refused(reason: impl Into<String>) -> Remote {
        Remote { allowed: Allowed::Refused(reason.into()), hops: 0 }
    }

    /// SERVICE to exactly the endpoint IRIs `endpoints` (`<peer base URL>/sparql`), with `http`
    /// (which must not follow redirects: an answer is taken only from the endpoint asked) and
    /// the caller's `credentials`; calls say they are the `hops`-th hop.
    pub fn trusted(
        http: reqwest::Client,
        endpoints: impl IntoIterator<Item = String>,
        credentials: Arc<dyn PeerCredentials>,
        hops: u32,
    ) -> Remote {
        let iris = Arc::new(endpoints.into_iter().collect());
        Remote { allowed: Allowed::Endpoints { iris, http, credentials }, hops }
    }

    /// Refuses `query` if it calls a SERVICE other than an allowed endpoint.
    pub fn admit(&self, query: &ParsedQuery) -> Result<(), SparqlError> {
        let mut names = Vec::new();
        names::of_query(&query.query, &mut names);
        for name in names {
            let iri = match name {
                NamedNodePattern::NamedNode(iri) => iri,
                NamedNodePattern::Variable(v) => {
                    return Err(SparqlError::ServiceRefused(format!(
                        "SERVICE needs the IRI of a trusted peer's SPARQL endpoint, not the variable {v}"
                    )));
                }
            };
            self.check(&iri)?;
        }
        Ok(())
    }

    fn check(&self, iri: &NamedNode) -> Result<(), SparqlError> {
        match &self.allowed {
            Allowed::Refused(reason) => Err(SparqlError::ServiceRefused(reason.clone())),
            Allowed::Endpoints { iris, .. } if iris.contains(iri.as_str()) => Ok(()),
            Allowed::Endpoints { .. } | Allowed::Nowhere => Err(SparqlError::UntrustedService(iri.as_str().to_owned())),
        }
    }

    /// The handler of one evaluation, ending its calls shortly before `deadline`.
    pub(crate) fn handler(&self, runtime: Handle, deadline: Instant, timeout: Duration, max_results: usize) -> Calls {
        let reserve = (timeout / 10).min(MAX_RESERVE);
        let deadline = deadline.checked_sub(reserve).unwrap_or(deadline);
        Calls::new(self.clone(), runtime, deadline, max_results)
    }
}
