//! Kura's use cases. Every transport — REST, portal, Flight/Flight SQL, OAI-PMH/DCAT/sitemap/
//! SPARQL, the CLI — parses its request, calls ONE function here with the caller's `Principal`,
//! and renders the domain result or [`ServiceError`]. The functions here decide access through
//! [`access`] (which calls `kura_core::access::decide`), write through the catalog, and keep the
//! projections (search, RDF) in step. No transport reaches the catalog's write functions itself.

pub mod access;
pub mod audit;
pub mod consortia;
pub mod datasets;
pub mod directory;
pub mod error;
pub mod exports;
pub mod federation;
pub mod files;
pub mod grants;
pub mod harvest;
pub mod ingest;
pub mod jobs;
pub mod policy;
pub mod preview;
pub mod readable;
pub mod rows;
pub mod search;
pub mod sessions;
pub mod sparql;
pub mod streams;
pub mod tables;
pub mod versions;

use std::sync::Arc;

use kura_catalog::Catalog;
use kura_core::Config;
use kura_ingest::{Ingestor, JobRunner};
use kura_storage::ObjectStore;

pub use access::{Target, Which};
pub use error::ServiceError;

/// What the use cases work on; cheap to clone. Transports hold one (inside their own state).
#[derive(Clone, Debug)]
pub struct Services {
    pub config: Arc<Config>,
    pub catalog: Catalog,
    pub store: ObjectStore,
    pub ingestor: Ingestor,
    /// Runs ingest jobs in the background, `max_concurrent_ingests` at a time.
    pub jobs: JobRunner,
    /// The search projection; opened by the server only (it holds the index's writer).
    pub search: Option<kura_search::Projector>,
    /// The RDF projection behind SPARQL; built by the server once its base URL is known.
    pub rdf: Option<kura_rdf::RdfProjector>,
    /// Stream tables' logs and committers; opened by the server only (a second process
    /// replaying the same logs would commit appends twice).
    pub streams: Option<kura_streams::Streams>,
}

impl Services {
    /// Opens the catalog (migrating it) and the object store described by `config`.
    pub async fn open(config: Config, on_statement: Option<kura_catalog::StatementHook>) -> Result<Self, ServiceError> {
        std::fs::create_dir_all(&config.data_dir).map_err(|e| {
            ServiceError::internal(format!("cannot create data directory {}: {e}", config.data_dir.display()))
        })?;
        let catalog = Catalog::connect_with(&config.database_url(), on_statement).await?;
        catalog.migrate().await?;
        let store = ObjectStore::local(&config.objects_dir(), &config.staging_dir())?;
        let ingestor = Ingestor::new(catalog.clone(), store.clone());
        let jobs = JobRunner::new(ingestor.clone(), config.max_concurrent_ingests);
        Ok(Services {
            config: Arc::new(config),
            catalog,
            store,
            ingestor,
            jobs,
            search: None,
            rdf: None,
            streams: None,
        })
    }

    /// Opens the stream tables (the server's, once): their logs are replayed, committing what
    /// was acknowledged before the last stop, and their committers start.
    pub async fn open_streams(&mut self) -> Result<(), ServiceError> {
        let policy = kura_streams::CommitPolicy::of(&self.config);
        let streams =
            kura_streams::Streams::open(self.catalog.clone(), self.store.clone(), &self.config.data_dir, policy)
                .await?;
        self.streams = Some(streams);
        Ok(())
    }

    /// Waits until search and SPARQL show every catalog change made so far (those this process
    /// runs), so a change of access is in force on every surface when its use case returns.
    pub async fn catch_up_projections(&self) -> Result<(), ServiceError> {
        if let Some(search) = &self.search {
            search.catch_up().await.map_err(|e| ServiceError::internal(e.to_string()))?;
        }
        if let Some(rdf) = &self.rdf {
            rdf.catch_up().await.map_err(|e| ServiceError::internal(e.to_string()))?;
        }
        Ok(())
    }
}

/// Through which surface a use case was reached, as the audit log records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Surface {
    /// The REST API.
    Rest,
    /// The web portal and the FAIR pages.
    Web,
    /// Arrow Flight and Flight SQL.
    Flight,
    /// The command line on the data directory.
    Cli,
    /// A partner node's request (token exchange, federated queries).
    Federation,
    /// The Delta Sharing protocol.
    DeltaSharing,
}

impl Surface {
    /// Who acts, and through this surface, as the catalog writes it to the audit log.
    pub fn actor(self, principal: &kura_core::Principal) -> kura_catalog::audit::Actor<'_> {
        kura_catalog::audit::Actor { who: &principal.actor, surface: self.as_str() }
    }

    /// The name stored in the audit log.
    pub fn as_str(self) -> &'static str {
        match self {
            Surface::Rest => "rest",
            Surface::Web => "web",
            Surface::Flight => "flight",
            Surface::Cli => "cli",
            Surface::Federation => "federation",
            Surface::DeltaSharing => "delta-sharing",
        }
    }
}
