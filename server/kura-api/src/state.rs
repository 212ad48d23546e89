//! What every handler can reach.

use std::sync::Arc;

use kura_auth::CredentialResolver;
use kura_catalog::Catalog;
use kura_core::Config;
use kura_ingest::{Ingestor, JobRunner};
use kura_storage::ObjectStore;

/// Shared application state; cheap to clone.
#[derive(Clone, Debug)]
pub struct AppState {
    pub config: Arc<Config>,
    pub catalog: Catalog,
    pub store: ObjectStore,
    pub ingestor: Ingestor,
    /// Runs ingest jobs in the background, `max_concurrent_ingests` at a time.
    pub jobs: JobRunner,
    /// Turns credentials into principals (with Kura's signing keys, the issuers it trusts and
    /// the sign-in limiter); shared with the Flight server.
    pub credentials: Arc<CredentialResolver>,
    /// The search projection; opened by the server only (it holds the index's writer).
    pub search: Option<kura_search::Projector>,
    /// The RDF projection behind `/sparql`; built by the server once its base URL is known.
    pub rdf: Option<kura_rdf::RdfProjector>,
}
