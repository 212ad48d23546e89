//! Arrow Flight and Flight SQL for Kura, on its own port (`KURA_FLIGHT_ADDR`).
//!
//! Thin over the capability code: [`server`] authenticates each call and dispatches to
//! [`tables`] (plain Flight over Parquet tables) or [`sql_service`] (Flight SQL on DataFusion,
//! [`sql`]). Access is decided by `kura_service::access` (which calls `kura_core::access::decide`), exactly as the
//! REST API decides it; masked columns never leave the server for callers who may not see them.

pub mod auth;
pub mod doget;
pub mod encoded;
pub mod error;
pub mod federated;
pub mod filter;
pub mod footers;
pub mod memory;
pub mod server;
pub mod sql;
pub mod sql_service;
pub mod streams;
pub mod tables;
pub mod ticket;

use std::net::SocketAddr;
use std::sync::Arc;

use arrow_flight::flight_service_server::FlightServiceServer;
use kura_auth::CredentialResolver;
use kura_service::Services;
use tokio::net::TcpListener;

pub use error::FlightError;
pub use sql::SqlLimits;

/// What every Flight call can reach; cheap to clone.
#[derive(Debug, Clone)]
pub struct FlightContext {
    /// The use cases every transport calls (the catalog and the store behind them).
    pub services: Services,
    /// Turns credentials into principals; shared with the REST API (and so are its keys and
    /// its count of failed sign-ins).
    pub credentials: Arc<CredentialResolver>,
    pub tickets: ticket::TicketKey,
    pub sql: sql::SqlEngine,
    /// Row groups already encoded as Flight messages (`data_dir/cache/flight`); `None`: off.
    pub encoded: Option<Arc<encoded::EncodedCache>>,
    /// Parquet footers of the objects read lately.
    pub footers: Arc<footers::Footers>,
    /// Federation with partner nodes: their tables in Flight SQL sessions; `None`: this node's
    /// tables only.
    pub federation: Option<kura_federation::Federation>,
    /// Partners' recent answers of what a caller may read there.
    pub discoveries: Arc<federated::discover::Discoveries>,
    data_dir: std::path::PathBuf,
}

impl std::ops::Deref for FlightContext {
    type Target = Services;
    fn deref(&self) -> &Services {
        &self.services
    }
}

/// Default size limit of the encoded-row-group cache: 16 GiB.
pub const DEFAULT_ENCODED_CACHE_BYTES: u64 = 16 << 30;

/// Default memory for entries of that cache held in memory (see [`memory`]): 2 GiB.
pub const DEFAULT_MEMORY_CACHE_BYTES: u64 = 2 << 30;

impl FlightContext {
    /// A context over the node's catalog and store; the ticket key is created in
    /// `data_dir/keys/` on first start, the encoded-row-group cache in `data_dir/cache/flight`
    /// (up to [`DEFAULT_ENCODED_CACHE_BYTES`] on disk and [`DEFAULT_MEMORY_CACHE_BYTES`] in memory;
    /// see [`FlightContext::with_encoded_cache`]).
    pub fn new(
        services: Services,
        credentials: Arc<CredentialResolver>,
        data_dir: &std::path::Path,
        limits: SqlLimits,
    ) -> Result<Self, FlightError> {
        let tickets = ticket::TicketKey::load_or_create(&data_dir.join("keys").join("flight-tickets.key"))
            .map_err(|e| FlightError::internal(format!("ticket key: {e}")))?;
        let sql = sql::SqlEngine::new(&services.store, limits)?;
        let encoded = open_cache(data_dir, DEFAULT_ENCODED_CACHE_BYTES, DEFAULT_MEMORY_CACHE_BYTES)?;
        Ok(FlightContext {
            services,
            credentials,
            tickets,
            sql,
            encoded,
            footers: Arc::default(),
            federation: None,
            discoveries: Arc::default(),
            data_dir: data_dir.to_owned(),
        })
    }

    /// The same context showing partners' tables in Flight SQL sessions.
    pub fn with_federation(mut self, federation: kura_federation::Federation) -> Self {
        self.federation = Some(federation);
        self
    }

    /// The same context with the encoded-row-group cache limited to `max_bytes` (0: off).
    pub fn with_encoded_cache(mut self, max_bytes: u64, memory_bytes: u64) -> Result<Self, FlightError> {
        self.encoded = open_cache(&self.data_dir, max_bytes, memory_bytes)?;
        Ok(self)
    }
}

fn open_cache(
    data_dir: &std::path::Path,
    max_bytes: u64,
    memory_bytes: u64,
) -> Result<Option<Arc<encoded::EncodedCache>>, FlightError> {
    encoded::EncodedCache::open(&data_dir.join("cache").join("flight"), max_bytes, memory_bytes)
        .map_err(|e| FlightError::internal(format!("flight cache: {e}")))
}

/// A bound, ready-to-run Flight server.
pub struct FlightServer {
    listener: TcpListener,
    ctx: FlightContext,
}

impl FlightServer {
    /// Binds `addr` (port 0 picks a free port; see [`FlightServer::address`]).
    pub async fn bind(ctx: FlightContext, addr: &str) -> Result<Self, FlightError> {
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|e| FlightError::internal(format!("cannot listen on {addr}: {e}")))?;
        Ok(FlightServer { listener, ctx })
    }

    /// The address the server listens on.
    pub fn address(&self) -> SocketAddr {
        self.listener.local_addr().unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 0)))
    }

    /// Serves until `shutdown` completes.
    pub async fn run_until(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> Result<(), tonic::transport::Error> {
        let flight = server::KuraFlight::new(self.ctx);
        let doget = doget::DoGetLayer::new(flight.clone());
        let service = FlightServiceServer::new(flight)
            .max_decoding_message_size(16 * 1024 * 1024)
            .max_encoding_message_size(64 * 1024 * 1024);
        // Nagle's algorithm is turned off: it would hold back the small HTTP/2 frames that end
        // each message until the previous segment is acknowledged. The connection is the plain
        // socket: h2 writes DATA frames as large as the client allows (gRPC clients announce
        // 4 MiB; `strace` of a read showed writes of 1-4 MiB), which measured cheaper than
        // gathering frames into one buffer at the price of a copy of every byte (stop 16,
        // `bench/README.md`).
        let incoming = futures::stream::unfold(self.listener, |listener| async move {
            let accepted = listener.accept().await.map(|(stream, _)| {
                let _ = stream.set_nodelay(true);
                stream
            });
            Some((accepted, listener))
        });
        // DoGet is framed by `doget` (no copy of the message bodies); every other call by tonic.
        tonic::transport::Server::builder()
            .layer(doget)
            .add_service(service)
            .serve_with_incoming_shutdown(incoming, shutdown)
            .await
    }
}
