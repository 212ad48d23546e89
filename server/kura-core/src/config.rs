//! Typed configuration, built once in the binary (defaults, then file, then `KURA_*`).

use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// Everything a Kura node needs to start.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Address of the HTTP server (REST, FAIR surfaces, portal).
    pub http_addr: String,
    /// Address of the Arrow Flight and Flight SQL server.
    pub flight_addr: String,
    /// Directory holding the SQLite catalog, the object store and staging files.
    pub data_dir: PathBuf,
    /// `sqlite://…` or `postgres://…`; defaults to `kura.db` in the data directory.
    pub database_url: Option<String>,
    /// `postgres://…` of a streaming replica: anonymous reads (harvesting, crawling, public
    /// listings and landing pages) go there; every caller who signed in, and every write, uses
    /// `database_url`, so whoever can write reads their own writes.
    pub database_read_url: Option<String>,
    /// Connections to `database_url` (0: 8 for SQLite, 16 for PostgreSQL).
    pub database_max_connections: u32,
    /// Connections to `database_read_url` (0: as many as to the primary).
    pub database_read_max_connections: u32,
    /// Largest accepted upload request in bytes: all its files together (the body limit of the
    /// upload routes, with a little room for the multipart framing).
    pub max_upload_bytes: u64,
    /// Most bytes of raw files one draft may hold (a quota per dataset version); 0: no quota.
    pub max_dataset_bytes: u64,
    /// Most bytes of raw files one user may have uploaded, in all datasets; 0: no quota.
    pub max_user_bytes: u64,
    /// Ingest jobs that run at once; more wait `queued` until one ends (at least 1).
    pub max_concurrent_ingests: usize,
    /// Largest accepted page size for lists and rows.
    pub max_page_size: u64,
    /// Public base URL used in links (defaults to `http://{http_addr}`).
    pub base_url: Option<String>,
    /// Issuer of Kura's JWTs (defaults to the base URL).
    pub jwt_issuer: Option<String>,
    /// Audience of Kura's JWTs.
    pub jwt_audience: String,
    /// Identity providers whose tokens are accepted (universities use their own).
    pub identity_providers: Vec<IdentityProvider>,
    /// The repository's name, shown to harvesters (OAI-PMH Identify, DCAT catalog).
    pub repository_name: String,
    /// Whom harvesters and users write to about this repository.
    pub admin_email: String,
    /// How log lines are written to stderr: `text` for people, `json` (one object per line) for
    /// log collectors. `KURA_LOG` sets the filter either way.
    pub log_format: LogFormat,
    /// Records per OAI-PMH list response before a resumption token.
    pub oai_page_size: usize,
    /// A SPARQL query is stopped after this many milliseconds.
    pub sparql_timeout_ms: u64,
    /// Most solutions or triples in one SPARQL answer (more asks the caller for `LIMIT`).
    pub sparql_max_results: usize,
    /// Disk the Flight server may fill with row groups it already encoded as Flight messages
    /// (`data_dir/cache/flight`), so repeated reads skip Parquet decoding; 0 turns it off.
    pub flight_cache_bytes: u64,
    /// Memory the Flight server may fill with entries of that cache, sent from there without
    /// reading the disk; admitted while there is room and kept while read (entries unread for
    /// ten minutes make room). 0 turns it off.
    pub flight_memory_bytes: u64,
    /// This node's id in a federation: short and stable (`univ-a`), what partners list it as.
    pub node_id: String,
    /// Partner nodes trusted from this file; `kura federation add` and the API add more. A peer
    /// listed here is written to the catalog at start (the catalog's list is the one in force).
    pub peers: Vec<PeerConfig>,
    /// How long a federated query waits for a peer before reporting it as `timeout`.
    pub federation_timeout_ms: u64,
    /// Largest answer read from a peer; a longer one is cut and reported as `error`.
    pub federation_max_response_bytes: u64,
    /// Peers asked at once by one federated query.
    pub federation_concurrency: usize,
    /// How long the file URLs a Delta Sharing query hands out may be used (seconds); a fresh
    /// query gives new ones.
    pub delta_sharing_url_seconds: u64,
    /// What this process does, a comma-separated non-empty subset of `api` (REST, portal, FAIR
    /// surfaces), `flight` (Arrow Flight and Flight SQL) and `worker` (runs ingest jobs);
    /// `kura serve --roles` overrides it. Processes sharing a PostgreSQL catalog and an object
    /// store divide the work this way; each keeps its own search index in its data directory.
    pub roles: String,
    /// How long a worker's claim on a job holds: when the worker stops renewing it for this
    /// long (it renews every third), another worker takes the job over.
    pub job_lease_seconds: u64,
    /// How many times a job is started before a worker stopping during it fails it.
    pub job_max_attempts: i32,
    /// Compute jobs (SQL, scripts) one node runs at once; more wait `QUEUED` (at least 1).
    pub compute_max_per_node: usize,
    /// Compute jobs of one submitter that run at once on a node; the others wait their turn
    /// (at least 1), so one user cannot take every slot.
    pub compute_max_per_user: usize,
    /// Wall time a compute job may run (seconds) before it ends as `EXECUTOR_ERROR`.
    pub compute_time_limit_seconds: u64,
    /// How long a compute job may wait `QUEUED` (seconds) before it ends as `SYSTEM_ERROR`: a
    /// node that never gets to a job must still end it.
    pub compute_queue_seconds: u64,
    /// How long a compute job may stay `INITIALIZING` (seconds: access decided again, inputs
    /// prepared) before it ends as `SYSTEM_ERROR`.
    pub compute_initializing_seconds: u64,
    /// Bytes of a compute job's log kept with it; later lines are cut, saying so.
    pub compute_log_bytes: usize,
    /// Memory all running SQL compute jobs of a node share (bytes); a query beyond it fails.
    pub compute_memory_bytes: usize,
    /// The Python script jobs run with (a venv's `bin/python` with pyarrow), in a sandbox
    /// (bubblewrap); unset, script jobs are not enabled on this node.
    pub compute_script_python: Option<std::path::PathBuf>,
    /// CPU time a script job may use (seconds).
    pub compute_script_cpu_seconds: u64,
    /// Memory a script job may use (bytes).
    pub compute_script_memory_bytes: u64,
    /// Bytes a script job may write to its outputs.
    pub compute_script_output_bytes: u64,
    /// Processes and threads a script job may run at once.
    pub compute_script_max_processes: u64,
    /// An OpenLineage endpoint (e.g. `http://marquez:5000/api/v1/lineage`) that the compute
    /// jobs' run events are POSTed to, by a worker process; unset, they are only kept and served.
    /// A refused or failed POST is retried later and never holds up a job.
    pub openlineage_url: Option<String>,
    /// Objects (raw files, Parquet, exports) go to this bucket of an S3-compatible store instead
    /// of `data_dir/objects`; staging and caches stay in the data directory.
    pub s3_bucket: Option<String>,
    /// Key prefix of every object in the bucket (e.g. `kura/`), so one bucket can hold several nodes.
    pub s3_prefix: Option<String>,
    /// The store's URL for an on-premises store (MinIO, Ceph, …); AWS when absent.
    pub s3_endpoint: Option<String>,
    /// Region (`us-east-1` when absent and not in `AWS_REGION`).
    pub s3_region: Option<String>,
    /// Static credentials; when absent, the standard AWS environment (`AWS_ACCESS_KEY_ID`, …),
    /// web identity and instance metadata are asked, in object_store's order.
    pub s3_access_key_id: Option<String>,
    pub s3_secret_access_key: Option<String>,
    /// Allows a plain-HTTP endpoint (a store on the local network).
    pub s3_allow_http: bool,
    /// Path-style addressing (`endpoint/bucket/key`), as MinIO, Ceph and SeaweedFS expect
    /// without wildcard DNS (the default); false for virtual-hosted style (`bucket.endpoint/key`).
    pub s3_path_style: bool,
    /// A stream table commits its buffered appends as soon as this many rows wait.
    pub stream_commit_rows: usize,
    /// ... and at least this often (milliseconds) while any wait.
    pub stream_commit_ms: u64,
    /// A stream table's newest small Parquet files are merged once this many have accumulated.
    pub stream_compact_files: usize,
    /// Bytes of acknowledged appends that may wait in the object store for their commit before
    /// a stream table refuses more ("behind on commits"). A commit takes `stream_commit_rows`
    /// at a time, so memory does not grow with it; what it bounds is the store and how far
    /// readers lag behind a bulk writer.
    pub stream_backlog_bytes: u64,
}

/// The shape of log lines (see [`Config::log_format`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object per line, with the same fields.
    Json,
}

/// A partner node of the federation, as an admin lists it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PeerConfig {
    /// The peer's node id (its `node_id`), the issuer of its signed assertions.
    pub id: String,
    /// Its public base URL (REST, FAIR pages).
    pub base_url: String,
    /// Where its signing keys are published; defaults to `{base_url}/.well-known/jwks.json`.
    #[serde(default)]
    pub jwks_url: Option<String>,
    /// Its Arrow Flight endpoint (`http://host:port`), for federated Flight SQL.
    #[serde(default)]
    pub flight_url: Option<String>,
    /// The organizations (names or ROR ids) it speaks for: its users' home organization must be one.
    #[serde(default)]
    pub organizations: Vec<String>,
}

impl PeerConfig {
    /// The JWKS URL, given or defaulted.
    pub fn jwks_url(&self) -> String {
        self.jwks_url
            .clone()
            .unwrap_or_else(|| format!("{}/.well-known/jwks.json", self.base_url.trim_end_matches('/')))
    }
}

/// A trusted external identity provider.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct IdentityProvider {
    /// The `iss` of its tokens.
    pub issuer: String,
    /// The `aud` its tokens must carry for this node.
    pub audience: String,
    /// A file holding its JWK Set (fetch and refresh it outside Kura, e.g. from its JWKS URL).
    pub jwks_file: PathBuf,
    /// Accepted algorithms, e.g. `["RS256", "ES256", "EdDSA"]`.
    pub algorithms: Vec<String>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            http_addr: "127.0.0.1:8080".into(),
            flight_addr: "127.0.0.1:50051".into(),
            data_dir: PathBuf::from("kura-data"),
            database_url: None,
            database_read_url: None,
            database_max_connections: 0,
            database_read_max_connections: 0,
            max_upload_bytes: 64 * 1024 * 1024 * 1024,
            max_dataset_bytes: 0,
            max_user_bytes: 0,
            max_concurrent_ingests: 2,
            max_page_size: 10_000,
            base_url: None,
            jwt_issuer: None,
            jwt_audience: "kura".into(),
            identity_providers: Vec::new(),
            repository_name: "Kura".into(),
            admin_email: "kura-admin@example.org".into(),
            log_format: LogFormat::Text,
            oai_page_size: 100,
            sparql_timeout_ms: 10_000,
            sparql_max_results: 100_000,
            flight_cache_bytes: 16 << 30,
            flight_memory_bytes: 2 << 30,
            node_id: "kura".into(),
            peers: Vec::new(),
            federation_timeout_ms: 5_000,
            federation_max_response_bytes: 8 << 20,
            federation_concurrency: 8,
            delta_sharing_url_seconds: 900,
            roles: "api,flight,worker".into(),
            job_lease_seconds: 30,
            job_max_attempts: 2,
            compute_max_per_node: 2,
            compute_max_per_user: 1,
            compute_time_limit_seconds: 600,
            compute_queue_seconds: 24 * 3600,
            compute_initializing_seconds: 600,
            compute_log_bytes: 64 * 1024,
            compute_memory_bytes: 1 << 30,
            compute_script_python: None,
            compute_script_cpu_seconds: 300,
            compute_script_memory_bytes: 2 << 30,
            compute_script_output_bytes: 1 << 30,
            compute_script_max_processes: 64,
            openlineage_url: None,
            s3_bucket: None,
            s3_prefix: None,
            s3_endpoint: None,
            s3_region: None,
            s3_access_key_id: None,
            s3_secret_access_key: None,
            s3_allow_http: false,
            s3_path_style: true,
            stream_commit_rows: 100_000,
            stream_commit_ms: 1_000,
            stream_compact_files: 16,
            stream_backlog_bytes: 4 << 30,
        }
    }
}

/// One kind of work a process does (see [`Config::roles`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    Api,
    Flight,
    Worker,
}

impl std::str::FromStr for Role {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "api" => Ok(Role::Api),
            "flight" => Ok(Role::Flight),
            "worker" => Ok(Role::Worker),
            other => Err(format!("unknown role {other:?} (roles are api, flight and worker)")),
        }
    }
}

/// Parses a comma-separated list of roles: at least one, each known.
pub fn parse_roles(text: &str) -> Result<std::collections::BTreeSet<Role>, String> {
    let roles = text
        .split(',')
        .filter(|r| !r.trim().is_empty())
        .map(str::parse)
        .collect::<Result<std::collections::BTreeSet<_>, _>>()?;
    if roles.is_empty() {
        return Err("at least one role is needed (api, flight, worker)".into());
    }
    Ok(roles)
}

impl Config {
    /// The roles of this process.
    pub fn roles(&self) -> Result<std::collections::BTreeSet<Role>, String> {
        parse_roles(&self.roles)
    }

    /// Whether this process has `role` (an unreadable list has none; start-up refuses it).
    pub fn has_role(&self, role: Role) -> bool {
        self.roles().is_ok_and(|roles| roles.contains(&role))
    }

    /// The catalog URL: the configured one, or a SQLite file in the data directory.
    pub fn database_url(&self) -> String {
        match &self.database_url {
            Some(url) => url.clone(),
            None => format!("sqlite://{}?mode=rwc", self.data_dir.join("kura.db").display()),
        }
    }

    /// Directory of the local object store.
    pub fn objects_dir(&self) -> PathBuf {
        self.data_dir.join("objects")
    }

    /// Directory for in-flight uploads and ingest scratch files.
    pub fn staging_dir(&self) -> PathBuf {
        self.data_dir.join("staging")
    }

    /// Issuer of Kura's JWTs.
    pub fn jwt_issuer(&self) -> String {
        self.jwt_issuer.clone().unwrap_or_else(|| self.base_url())
    }

    /// Base URL for absolute links.
    pub fn base_url(&self) -> String {
        self.base_url.clone().unwrap_or_else(|| format!("http://{}", self.http_addr))
    }
}
