//! Kura's use cases. Every transport — REST, portal, Flight/Flight SQL, OAI-PMH/DCAT/sitemap/
//! SPARQL, the CLI — parses its request, calls ONE function here with the caller's `Principal`,
//! and renders the domain result or [`ServiceError`]. The functions here decide access through
//! [`access`] (which calls `kura_core::access::decide`), write through the catalog, and keep the
//! projections (search, RDF) in step. No transport reaches the catalog's write functions itself.

pub mod access;
pub mod audit;
pub mod compute;
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
pub mod metrics;
pub mod ops;
pub mod policy;
pub mod preview;
pub mod readable;
pub mod rows;
pub mod search;
pub mod sessions;
pub mod sparql;
pub mod streams;
pub mod tables;
pub mod verify;
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
    /// Where anonymous reads go: a streaming replica when `database_read_url` is set, else the
    /// catalog itself (see [`Services::reader`]). Never written to.
    pub replica: Catalog,
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
    /// This process's metrics, fed by every transport and shown at `/metrics`.
    pub metrics: metrics::Metrics,
    /// Compute jobs' runners and the jobs this process runs.
    pub compute: compute::Compute,
}

impl Services {
    /// Opens the catalog (migrating it) and the object store described by `config`.
    pub async fn open(config: Config, on_statement: Option<kura_catalog::StatementHook>) -> Result<Self, ServiceError> {
        std::fs::create_dir_all(&config.data_dir).map_err(|e| {
            ServiceError::internal(format!("cannot create data directory {}: {e}", config.data_dir.display()))
        })?;
        let catalog =
            Catalog::connect_pool(&config.database_url(), config.database_max_connections, on_statement).await?;
        ready_schema(&catalog).await?;
        let replica = match &config.database_read_url {
            Some(url) if !url.is_empty() => {
                let pool = match config.database_read_max_connections {
                    0 => config.database_max_connections,
                    n => n,
                };
                Catalog::connect_pool(url, pool, None).await?
            }
            _ => catalog.clone(),
        };
        let store = match kura_storage::S3Settings::from_config(&config) {
            Some(s3) => ObjectStore::s3(&s3, &config.staging_dir()).await?,
            None => ObjectStore::local(&config.objects_dir(), &config.staging_dir())?,
        };
        let lease = std::time::Duration::from_secs(config.job_lease_seconds.max(3));
        let ingestor = Ingestor::new(catalog.clone(), store.clone()).with_lease(lease, config.job_max_attempts);
        let jobs = JobRunner::new(ingestor.clone(), config.max_concurrent_ingests);
        let compute = compute::Compute::new(&config, &store).await?;
        Ok(Services {
            config: Arc::new(config),
            catalog,
            replica,
            store,
            ingestor,
            jobs,
            search: None,
            rdf: None,
            streams: None,
            metrics: Default::default(),
            compute,
        })
    }

    /// The catalog to read from for `principal`: the replica for anonymous callers (they
    /// never write, so they have no writes of their own to miss), the primary for everyone
    /// else (read-your-writes). Only for reads that write nothing, audit included.
    pub fn reader(&self, principal: &kura_core::Principal) -> &Catalog {
        if principal.is_anonymous() { &self.replica } else { &self.catalog }
    }

    /// Opens the stream tables (the server's, once) and starts their committer, which also
    /// commits what was acknowledged before the last stop, here or in another process.
    pub async fn open_streams(&mut self) -> Result<(), ServiceError> {
        let policy = kura_streams::CommitPolicy::of(&self.config);
        let streams = kura_streams::Streams::open(self.catalog.clone(), self.store.clone(), policy).await?;
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

/// Migrates an embedded SQLite catalog (one node's own file: zero set-up, and SQLite's write
/// lock serializes it); a PostgreSQL catalog, which several processes may share, is only
/// checked: `kura migrate` alone changes its schema, and a process refuses to start on a schema
/// older or newer than its own.
async fn ready_schema(catalog: &Catalog) -> Result<(), ServiceError> {
    if catalog.ping().await? == "sqlite" {
        catalog.migrate().await?;
        return Ok(());
    }
    match catalog.schema_status().await? {
        kura_catalog::SchemaStatus::Current => Ok(()),
        kura_catalog::SchemaStatus::Older { pending } => Err(ServiceError::new(
            kura_core::ErrorCode::Unavailable,
            format!(
                "the catalog's schema is older than this Kura ({} migration(s) pending, first {}): run `kura migrate`",
                pending.len(),
                pending[0]
            ),
        )),
        kura_catalog::SchemaStatus::Newer { unknown } => Err(ServiceError::new(
            kura_core::ErrorCode::Unavailable,
            format!(
                "the catalog's schema is newer than this Kura (migration {} is unknown to it): run a Kura of that version or later",
                unknown[0]
            ),
        )),
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
    /// A compute job reading its inputs for its submitter.
    Compute,
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
            Surface::Compute => "compute",
        }
    }
}
