//! Flight SQL's engine: DataFusion over exactly the tables the caller may read, built per call
//! from the catalog. Catalog `kura`, one schema per dataset (its name), and in it each table of
//! the newest version the caller may see under the table's name, plus every readable version's
//! tables as `v{N}_{table}`:
//!
//! ```sql
//! SELECT * FROM "demo-uvvis"."uvvis-methylene-blue" WHERE absorbance > 0.5;
//! SELECT * FROM kura."demo-uvvis"."v1_uvvis-methylene-blue";
//! ```
//!
//! Tables are Parquet listing tables on the object store whose schema leaves out the columns
//! hidden from the caller, so masked data never enters a plan. Read-only: DDL, DML and
//! statements (SET, COPY, CREATE EXTERNAL TABLE…) are refused by DataFusion's `SQLOptions`, no
//! URL tables or file-reading functions are registered, and each query has a time limit and
//! shares one memory pool, without spilling to disk.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;
use datafusion::catalog::{CatalogProvider, MemoryCatalogProvider, SchemaProvider};
use datafusion::datasource::TableProvider;
use datafusion::execution::SessionStateBuilder;
use datafusion::execution::disk_manager::{DiskManagerBuilder, DiskManagerMode};
use datafusion::execution::object_store::ObjectStoreUrl;
use datafusion::execution::runtime_env::{RuntimeEnv, RuntimeEnvBuilder};
use datafusion::prelude::{DataFrame, SQLOptions, SessionConfig, SessionContext};
use futures::StreamExt;
use futures::stream::BoxStream;
use kura_core::{ErrorCode, Principal};

use crate::FlightContext;
use crate::error::FlightError;
use crate::federated::{self, Wanted};
use kura_service::readable::{Readable, readable_tables};

/// The catalog name tables are registered under.
pub const CATALOG: &str = "kura";
const STORE_URL: &str = kura_compute::sql::STORE_URL;

/// Limits for SQL queries.
#[derive(Debug, Clone)]
pub struct SqlLimits {
    /// Wall time from planning to the last batch.
    pub time: Duration,
    /// Memory all running queries share (sorts, joins and aggregates fail beyond it).
    pub memory_bytes: usize,
    /// Queries one caller may run at once; every anonymous caller together counts as one, so
    /// that nobody without credentials can keep the query threads busy.
    pub per_caller: usize,
}

impl Default for SqlLimits {
    fn default() -> Self {
        SqlLimits { time: Duration::from_secs(120), memory_bytes: 1 << 30, per_caller: 2 }
    }
}

/// How many queries each caller runs now.
#[derive(Debug, Default)]
struct Running(std::sync::Mutex<std::collections::HashMap<String, usize>>);

/// One running query of a caller, given back when its stream ends or is dropped.
#[derive(Debug)]
struct QuerySlot {
    running: Arc<Running>,
    actor: String,
}

impl Running {
    fn take(self: &Arc<Self>, actor: &str, limit: usize) -> Result<QuerySlot, FlightError> {
        let mut counts = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let count = counts.entry(actor.to_owned()).or_default();
        if *count >= limit {
            return Err(FlightError::new(
                kura_core::ErrorCode::ResourceExhausted,
                format!("at most {limit} queries of one caller run at once: wait for one to end"),
            ));
        }
        *count += 1;
        Ok(QuerySlot { running: self.clone(), actor: actor.to_owned() })
    }
}

impl Drop for QuerySlot {
    fn drop(&mut self) {
        let mut counts = self.running.0.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(count) = counts.get_mut(&self.actor) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                counts.remove(&self.actor);
            }
        }
    }
}

/// What all SQL sessions share: the runtime with its memory pool and the object store, and the
/// threads queries run on.
#[derive(Debug, Clone)]
pub struct SqlEngine {
    runtime: Arc<RuntimeEnv>,
    threads: Arc<QueryThreads>,
    running: Arc<Running>,
    pub limits: SqlLimits,
}

/// A tokio runtime of its own for query execution: CPU-bound operators that compute for long
/// without yielding occupy these threads, never the ones serving calls and keeping deadlines.
#[derive(Debug)]
struct QueryThreads(Option<tokio::runtime::Runtime>);

impl QueryThreads {
    fn handle(&self) -> &tokio::runtime::Handle {
        self.0.as_ref().expect("runtime lives until drop").handle()
    }
}

impl Drop for QueryThreads {
    fn drop(&mut self) {
        // Dropping a runtime may block; this may run inside the server's runtime.
        if let Some(rt) = self.0.take() {
            rt.shutdown_background();
        }
    }
}

impl SqlEngine {
    pub fn new(store: &kura_storage::ObjectStore, limits: SqlLimits) -> Result<Self, FlightError> {
        // No spilling: queries stay within the pool or fail (RESOURCE_EXHAUSTED), and never
        // write temporary files on the server.
        let disk = DiskManagerBuilder::default().with_mode(DiskManagerMode::Disabled);
        let runtime = RuntimeEnvBuilder::new()
            .with_memory_limit(limits.memory_bytes, 1.0)
            .with_disk_manager_builder(disk)
            .build_arc()?;
        let url = ObjectStoreUrl::parse(STORE_URL)?;
        runtime.register_object_store(url.as_ref(), store.backend());
        let threads = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2).max(2);
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(threads)
            .thread_name("kura-sql")
            .enable_all()
            .build()
            .map_err(|e| FlightError::internal(format!("query threads: {e}")))?;
        Ok(SqlEngine { runtime, threads: Arc::new(QueryThreads(Some(rt))), running: Arc::default(), limits })
    }
}

/// The tables a statement read, for the audit log.
pub type Used = Arc<Mutex<Vec<Readable>>>;

/// One dataset's tables as the caller sees them; providers are built when a query names them.
#[derive(Debug)]
struct DatasetSchema {
    ctx: FlightContext,
    tables: HashMap<String, Readable>,
    used: Used,
}

#[async_trait::async_trait]
impl SchemaProvider for DatasetSchema {
    fn table_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.tables.keys().cloned().collect();
        names.sort();
        names
    }

    async fn table(&self, name: &str) -> datafusion::error::Result<Option<Arc<dyn TableProvider>>> {
        let Some(readable) = self.tables.get(name) else { return Ok(None) };
        let provider = provider(&self.ctx, readable)
            .await
            .map_err(|e| datafusion::error::DataFusionError::External(Box::new(e)))?;
        self.used.lock().unwrap_or_else(|e| e.into_inner()).push(readable.clone());
        Ok(Some(provider))
    }

    fn table_exist(&self, name: &str) -> bool {
        self.tables.contains_key(name)
    }
}

/// The Arrow schema the caller sees of a table (hidden columns removed).
pub async fn visible_schema(ctx: &FlightContext, r: &Readable) -> Result<SchemaRef, FlightError> {
    let schema = kura_compute::sql::parquet_schema(&ctx.store, &r.sha256, r.size).await.map_err(compute_error)?;
    let keep: Vec<usize> = (0..schema.fields().len()).filter(|i| !r.hidden.contains(schema.field(*i).name())).collect();
    Ok(Arc::new(schema.project(&keep)?))
}

/// The table over the object, read the way compute jobs read theirs (one listing-table builder).
async fn provider(ctx: &FlightContext, r: &Readable) -> Result<Arc<dyn TableProvider>, FlightError> {
    let schema = visible_schema(ctx, r).await?;
    kura_compute::sql::listing_table(&r.sha256, schema).map_err(compute_error)
}

fn compute_error(e: kura_compute::ComputeError) -> FlightError {
    use kura_core::HasErrorCode;
    FlightError::new(e.code(), e.to_string())
}

/// A caller's SQL session and the tables its statements use.
pub struct Session {
    pub context: SessionContext,
    pub used: Used,
    /// (schema, table name, readable) for GetTables.
    pub tables: Vec<(String, String, Readable)>,
    /// Partners' tables in the session (catalog = the partner's node id), and the partners
    /// asked that did not answer.
    pub peers: federated::Peers,
}

/// A session over exactly what `principal` may read here, and at the `wanted` partners what
/// they let `principal` read.
pub async fn session(ctx: &FlightContext, principal: &Principal, wanted: &Wanted) -> Result<Session, FlightError> {
    let mut session = local_session(ctx, principal).await?;
    federate(ctx, principal, &mut session, wanted).await?;
    Ok(session)
}

/// Adds the `wanted` partners' catalogs to `session`.
async fn federate(
    ctx: &FlightContext,
    principal: &Principal,
    session: &mut Session,
    wanted: &Wanted,
) -> Result<(), FlightError> {
    let peers = federated::peers(ctx, principal, wanted).await?;
    for (name, catalog) in &peers.catalogs {
        session.context.register_catalog(name, catalog.clone());
    }
    session.peers = peers;
    Ok(())
}

/// A session over exactly what `principal` may read here.
async fn local_session(ctx: &FlightContext, principal: &Principal) -> Result<Session, FlightError> {
    let config = SessionConfig::new()
        .with_default_catalog_and_schema(CATALOG, "public")
        .with_create_default_catalog_and_schema(false)
        .with_information_schema(false);
    let state = SessionStateBuilder::new()
        .with_config(config)
        .with_runtime_env(ctx.sql.runtime.clone())
        .with_default_features()
        .build();
    let context = SessionContext::new_with_state(state);
    let used: Used = Arc::default();
    let mut by_dataset: HashMap<String, HashMap<String, Readable>> = HashMap::new();
    let mut tables = Vec::new();
    for (readable, is_latest) in readable_tables(ctx, principal, None, true).await? {
        let schema = readable.dataset.name.clone();
        let versioned = format!("v{}_{}", readable.version.number, readable.table.name);
        let entry = by_dataset.entry(schema.clone()).or_default();
        if is_latest {
            entry.insert(readable.table.name.clone(), readable.clone());
            tables.push((schema.clone(), readable.table.name.clone(), readable.clone()));
        }
        entry.insert(versioned.clone(), readable.clone());
        tables.push((schema, versioned, readable));
    }
    let catalog = MemoryCatalogProvider::new();
    for (name, tables) in by_dataset {
        let schema = DatasetSchema { ctx: ctx.clone(), tables, used: used.clone() };
        catalog.register_schema(&name, Arc::new(schema))?;
    }
    context.register_catalog(CATALOG, Arc::new(catalog));
    tables.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
    Ok(Session { context, used, tables, peers: federated::Peers::default() })
}

/// The partners a metadata command's catalog filter asks: none for this node's own catalog.
pub fn wanted_by(catalog: Option<&str>) -> Wanted {
    match catalog {
        None => Wanted::All,
        Some(CATALOG) => Wanted::None,
        Some(peer) => Wanted::Named(BTreeSet::from([peer.to_owned()])),
    }
}

fn read_only() -> SQLOptions {
    SQLOptions::new().with_allow_ddl(false).with_allow_dml(false).with_allow_statements(false)
}

/// Plans `query` for `principal`: its result schema, or why it may not run.
pub async fn plan(
    ctx: &FlightContext,
    principal: &Principal,
    query: &str,
) -> Result<(Session, DataFrame), FlightError> {
    let mut session = local_session(ctx, principal).await?;
    let state = session.context.state();
    // Parsed once: the table check and the planner read the same statement.
    let statement = state.sql_to_statement(query, &state.config().options().sql_parser.dialect)?;
    // Only the partners the statement names are asked.
    let named: BTreeSet<String> = state
        .resolve_table_references(&statement)?
        .iter()
        .filter_map(|r| r.catalog().map(str::to_owned))
        .filter(|c| c != CATALOG)
        .collect();
    if !named.is_empty() {
        federate(ctx, principal, &mut session, &Wanted::Named(named)).await?;
    }
    let state = session.context.state();
    check_tables_exist(&state, &statement, &session.peers.unavailable)?;
    let planned = async {
        let plan = state.statement_to_plan(statement).await?;
        read_only().verify_plan(&plan)?;
        session.context.execute_logical_plan(plan).await
    };
    let df = tokio::time::timeout(ctx.sql.limits.time, planned).await.map_err(|_| timed_out(ctx))??;
    Ok((session, df))
}

/// Every table the query names is one the caller may read, else NOT_FOUND — as if absent, which
/// for the caller it is: a table they may not read is not in their session. Decided on the parsed
/// statement before planning, so no planner message is ever read for its meaning. A table of a
/// partner that did not answer is UNAVAILABLE, saying so.
fn check_tables_exist(
    state: &datafusion::execution::SessionState,
    statement: &datafusion::sql::parser::Statement,
    unavailable: &BTreeMap<String, String>,
) -> Result<(), FlightError> {
    // Only queries read tables; the planner refuses every other statement (read-only options).
    let is_query = matches!(statement, datafusion::sql::parser::Statement::Statement(s)
        if matches!(**s, datafusion::sql::sqlparser::ast::Statement::Query(_)));
    if !is_query {
        return Ok(());
    }
    for reference in state.resolve_table_references(statement)? {
        let table_function = reference.schema().is_none() && state.table_functions().contains_key(reference.table());
        let readable =
            state.schema_for_ref(reference.clone()).is_ok_and(|schema| schema.table_exist(reference.table()));
        if let Some((peer, why)) = reference.catalog().and_then(|c| unavailable.get_key_value(c)) {
            return Err(FlightError::new(ErrorCode::Unavailable, format!("peer {peer} did not answer: {why}")));
        }
        if !readable && !table_function {
            return Err(FlightError::not_found(&format!("table {reference}")));
        }
    }
    Ok(())
}

fn timed_out(ctx: &FlightContext) -> FlightError {
    FlightError::new(
        ErrorCode::ResourceExhausted,
        format!("query took longer than {} s", ctx.sql.limits.time.as_secs()),
    )
}

/// Runs `query` for `principal`, auditing every table it reads, and streams the result within
/// the time limit.
pub async fn execute(
    ctx: &FlightContext,
    principal: &Principal,
    query: &str,
) -> Result<(SchemaRef, BoxStream<'static, Result<RecordBatch, FlightError>>), FlightError> {
    let deadline = tokio::time::Instant::now() + ctx.sql.limits.time;
    let slot = ctx.sql.running.take(&principal.actor, ctx.sql.limits.per_caller)?;
    let (session, df) = plan(ctx, principal, query).await?;
    let used: Vec<Readable> = session.used.lock().unwrap_or_else(|e| e.into_inner()).clone();
    for r in &used {
        let details = serde_json::json!({"query": query});
        kura_service::readable::audit_table_read(ctx, principal, kura_service::Surface::Flight, r, "data.sql", details)
            .await?;
    }
    // The owning node audits what its tables gave; this node records that its user asked.
    for (peer, _) in &session.peers.catalogs {
        let details = serde_json::json!({"query": query});
        let surface = kura_service::Surface::Flight;
        kura_service::federation::audit(ctx, principal, surface, "federation.sql", peer, details).await?;
    }
    // GetFlightInfo announced the logical plan's schema; the physical plan may differ in
    // nullability or metadata, and clients (ADBC) insist on the announced one.
    let schema: SchemaRef = Arc::new(df.schema().as_arrow().clone());
    let stream = tokio::time::timeout_at(deadline, ctx.sql.threads.handle().spawn(df.execute_stream()))
        .await
        .map_err(|_| timed_out(ctx))?
        .map_err(|e| FlightError::internal(format!("query task: {e}")))??;
    let announced = schema.clone();
    let stream = stream.map(move |batch| -> Result<RecordBatch, FlightError> {
        let batch = batch?;
        if batch.schema() == announced {
            return Ok(batch);
        }
        Ok(RecordBatch::try_new(announced.clone(), batch.columns().to_vec())?)
    });
    // The query runs as its own task, so that the deadline is kept even while an operator
    // computes for long without yielding; the task stops when the deadline passes or the client
    // goes away (the receiver is dropped), and is aborted with the stream.
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<RecordBatch, FlightError>>(2);
    let task = ctx.sql.threads.handle().spawn(async move {
        let mut stream = std::pin::pin!(stream);
        loop {
            let next = tokio::select! {
                next = stream.next() => next,
                _ = tx.closed() => return,
                _ = tokio::time::sleep_until(deadline) => return,
            };
            let Some(item) = next else { return };
            if tx.send(item).await.is_err() {
                return;
            }
        }
    });
    // The caller's slot is held as long as the stream lives.
    let abort = (AbortOnDrop(task), slot);
    let late = timed_out(ctx);
    let limited = futures::stream::unfold((rx, Some(late), abort), move |(mut rx, late, abort)| async move {
        let late = late?;
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(Some(item)) => Some((item, (rx, Some(late), abort))),
            Ok(None) if tokio::time::Instant::now() >= deadline => Some((Err(late), (rx, None, abort))),
            Ok(None) => None,
            Err(_) => Some((Err(late), (rx, None, abort))),
        }
    });
    Ok((schema, limited.boxed()))
}

/// Aborts a query's task when its result stream is dropped.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}
