//! Kura's HTTP surface (axum): the REST API under `/api/v1`, the web portal, and the FAIR surfaces (landing
//! pages, PIDs, content negotiation, DCAT catalog, sitemap, OAI-PMH) at the root. Thin: handlers extract, call one
//! `kura_service` use case (which decides access), and map the result.

pub mod auth;
mod cookies;
mod csrf;
pub mod error;
mod metrics;
pub mod openapi;
mod routes;
mod session;
mod staging;
pub mod state;
mod write_scope;
mod xml;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use kura_core::Config;
use tokio::net::TcpListener;
use tower_http::trace::TraceLayer;

pub use error::ApiError;
pub use state::AppState;

/// The GA4GH TES routes (see [`routes::tes`]).
fn tes_router() -> Router<AppState> {
    use routes::tes;
    Router::new()
        .route("/service-info", get(tes::service_info))
        .route("/tasks", get(tes::list).post(tes::create))
        .route("/tasks/{id}", get(tes::get).post(tes::cancel))
}

/// Builds the router for `state`.
pub fn router(state: AppState) -> Router {
    use routes::*;
    let upload_limit = upload_body_limit(&state.config);
    let api = Router::new()
        .route("/health", get(health::health))
        .route("/datasets", get(datasets::list).post(datasets::create))
        .route("/datasets/{name}", get(datasets::get))
        .route("/datasets/{name}/draft", post(versions::draft).patch(versions::update))
        .route("/datasets/{name}/draft/files", post(files::upload).layer(upload_limit))
        .route("/datasets/{name}/draft/ingest", post(jobs::start))
        .route("/datasets/{name}/draft/publish", post(versions::publish))
        .route("/datasets/{name}/draft/submit", post(versions::submit))
        .route("/datasets/{name}/draft/return", post(versions::send_back))
        .route("/jobs", get(compute::list).post(compute::submit))
        .route("/jobs/{id}", get(compute::get))
        .route("/jobs/{id}/cancel", post(compute::cancel))
        .route("/jobs/{id}/log", get(compute::log))
        .route("/jobs/{id}/lineage", get(compute::lineage))
        .route("/datasets/{name}/airlock", post(compute::request_release))
        .route("/airlock", get(compute::pending_releases))
        .route("/airlock/{id}/approve", post(compute::approve_release))
        .route("/datasets/{name}/jobs", get(jobs::list))
        .route("/datasets/{name}/jobs/{job_id}", get(jobs::get))
        .route("/datasets/{name}/jobs/{job_id}/cancel", post(jobs::cancel))
        .route("/datasets/{name}/versions", get(versions::list))
        .route("/datasets/{name}/versions/{version}", get(versions::get))
        .route("/datasets/{name}/versions/{version}/deaccession", post(versions::deaccession))
        .route("/datasets/{name}/versions/{version}/files", get(files::list))
        .route("/datasets/{name}/versions/{version}/files/{file_id}/content", get(files::download))
        .route("/datasets/{name}/versions/{version}/tables", get(tables::list))
        .route("/datasets/{name}/versions/{version}/tables/{table}", get(tables::get))
        .route("/datasets/{name}/versions/{version}/tables/{table}/parquet", get(tables::parquet))
        .route("/datasets/{name}/versions/{version}/tables/{table}/rows", get(rows::rows))
        .route("/datasets/{name}/streams", get(streams::list).post(streams::create))
        .route("/datasets/{name}/streams/{table}", get(streams::get))
        .route(
            "/datasets/{name}/streams/{table}/rows",
            get(streams::rows).post(streams::append).layer(DefaultBodyLimit::max(APPEND_BODY_BYTES)),
        )
        .route("/datasets/{name}/streams/{table}/batches", get(streams::batches))
        .route("/datasets/{name}/versions/{version}/streams/{table}/rows", get(streams::version_rows))
        .route("/search", get(search::search))
        .route("/search/suggest", get(search::suggest))
        .route("/me", get(me::me))
        .route("/auth/token", post(session::token))
        .route("/session", post(session::sign_in).delete(session::sign_out))
        .route("/me/access-requests", get(me::my_requests))
        .route("/me/tokens", get(me::my_tokens))
        .route("/me/tokens/{id}", axum::routing::delete(me::revoke_my_token))
        .route("/me/delta-sharing-profile", post(delta_sharing::profile))
        .route("/organizations", post(access_admin::create_organization))
        .route("/organizations/{id}/groups", post(access_admin::create_group))
        .route("/groups/{id}/members/{user}", axum::routing::put(access_admin::set_member))
        .route("/users", post(access_admin::create_user))
        .route("/users/{id}/tokens", post(access_admin::create_user_token))
        .route("/users/{id}/disable", post(access_admin::disable_user))
        .route("/consortia", post(consortia::create_consortium))
        .route("/consortia/{id}", get(consortia::get_consortium))
        .route("/consortia/{id}/members", post(consortia::add_consortium_member))
        .route("/consortia/{id}/agreement", post(consortia::new_agreement))
        .route("/consortia/{id}/accept", post(consortia::accept_agreement))
        .route("/datasets/{name}/policy", get(access_admin::get_policy).put(access_admin::set_policy))
        .route("/datasets/{name}/access-requests", get(access_admin::list_requests).post(access_admin::request_access))
        .route("/datasets/{name}/access-requests/{id}", post(access_admin::answer_request))
        .route("/datasets/{name}/grants", get(access_admin::list_grants))
        .route("/datasets/{name}/grants/{id}", axum::routing::delete(access_admin::revoke_grant))
        .route("/audit", get(access_admin::audit_log))
        .route("/federation/node", get(federation::node))
        .route("/federation/token", post(federation::token))
        .route("/federation/search", get(federation::search))
        .route("/federation/peers", get(federation::list_peers).post(federation::put_peer))
        .route("/federation/peers/{id}", axum::routing::delete(federation::remove_peer))
        .route("/federation/peers/{id}/check", post(federation::check_peer))
        .route("/federation/peers/{id}/delta-sharing-profile", post(federation::peer_sharing_profile))
        .fallback(|| async { ApiError::not_found("route") });
    // Landing pages answer machines too: their errors become HTML pages only for browsers.
    let pages = Router::new()
        .route("/datasets/{name}", get(fair::landing::latest))
        .route("/datasets/{name}/{version}", get(fair::landing::version))
        .route("/datasets/{name}/{version}/{document}", get(fair::landing::document))
        .route("/pid/{id}", get(fair::pid::latest))
        .route("/pid/{id}/{version}", get(fair::pid::version))
        .layer(axum::middleware::from_fn(html::html_errors_for_browsers));
    Router::new()
        .route("/.well-known/jwks.json", get(session::jwks))
        .route("/oai", get(oai::get).post(oai::post))
        .route("/sparql", get(sparql::get).post(sparql::post))
        .merge(pages)
        .merge(portal::router(upload_limit))
        .route("/catalog", get(fair::catalog::catalog))
        .route("/sitemap.xml", get(fair::catalog::sitemap))
        .route("/robots.txt", get(fair::catalog::robots))
        .nest("/api/v1", api)
        .nest(tes::PREFIX, tes_router())
        .nest(kura_federation::delta_sharing::PREFIX, delta_sharing::router())
        .layer(axum::middleware::from_fn(write_scope::writes_need_write_scope))
        .layer(axum::middleware::from_fn(csrf::sessions_echo_the_csrf_token))
        .layer(axum::middleware::from_fn_with_state(state.clone(), auth::authenticate))
        .layer(axum::middleware::from_fn(html::refusals_as_pages))
        // Probes and scrapers send no credential and are refused none.
        .merge(ops::routes())
        .layer(axum::middleware::map_response(no_sniffing))
        // Outermost but tracing: every answer is counted, refusals included.
        .layer(axum::middleware::from_fn_with_state(state.clone(), metrics::record))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// The router of a process without the `api` role (a worker, a Flight-only process): only
/// what load balancers and operators ask every process.
pub fn operations_router(state: AppState) -> Router {
    Router::new()
        .route("/api/v1/health", get(routes::health::health))
        .merge(routes::ops::routes())
        .layer(axum::middleware::from_fn_with_state(state.clone(), metrics::record))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// Every answer is read as the media type it declares: a raw file uploaded as `text/html` (or
/// claiming to be an image) is never sniffed into something a browser would run.
async fn no_sniffing(mut response: axum::response::Response) -> axum::response::Response {
    response
        .headers_mut()
        .insert(axum::http::header::X_CONTENT_TYPE_OPTIONS, axum::http::HeaderValue::from_static("nosniff"));
    response
}

/// Largest body of one REST append to a stream: appends are read whole into memory before they
/// are logged (a robot sends small batches often; bulk loads go through Flight DoPut, which
/// streams).
const APPEND_BODY_BYTES: usize = 256 << 20;

/// The body limit of the upload routes: the upload limit covers the whole request, with room
/// for the multipart framing and the form's small fields. Every other body keeps axum's default
/// limit (2 MiB).
fn upload_body_limit(config: &Config) -> DefaultBodyLimit {
    const FRAMING: u64 = 1 << 20;
    DefaultBodyLimit::max(usize::try_from(config.max_upload_bytes.saturating_add(FRAMING)).unwrap_or(usize::MAX))
}

/// Opens the catalog (migrating it) and the object store described by `config`.
pub async fn open_state(config: Config) -> Result<AppState, ApiError> {
    open_state_with(config, None).await
}

/// Like [`open_state`], calling `on_statement` for every SQL statement (tests count them).
pub async fn open_state_with(
    config: Config,
    on_statement: Option<kura_catalog::StatementHook>,
) -> Result<AppState, ApiError> {
    let authority = auth::authority(&config)?;
    let services = kura_service::Services::open(config, on_statement).await?;
    let credentials = Arc::new(kura_auth::CredentialResolver::new(authority, Arc::new(services.catalog.clone())));
    let delta_sharing = kura_federation::delta_sharing::DeltaSharing::open(services.clone(), credentials.clone())?;
    Ok(AppState { services, credentials, federation: None, delta_sharing })
}

/// A bound, ready-to-run HTTP server.
pub struct Application {
    listener: TcpListener,
    router: Router,
    state: AppState,
}

impl Application {
    /// Binds the HTTP listener for `state` (port 0 picks a free port; see [`Application::address`]).
    /// Jobs whose workers stopped during their last allowed attempt are failed first; a process
    /// with the `worker` role then claims queued jobs (and those whose worker stopped).
    pub async fn build(mut state: AppState) -> Result<Self, ApiError> {
        let index = kura_search::SearchIndex::open(&state.config.data_dir.join("search"))?;
        let projector = kura_search::Projector::new(state.catalog.clone(), Arc::new(index));
        // Catch up before serving, then keep following the outbox.
        projector.catch_up().await.map_err(|e| ApiError::new(kura_core::ErrorCode::Internal, e.to_string()))?;
        projector.clone().spawn(std::time::Duration::from_millis(300));
        state.services.search = Some(projector);
        kura_service::jobs::start(&state).await?;
        let listener = TcpListener::bind(&state.config.http_addr).await.map_err(|e| {
            ApiError::new(kura_core::ErrorCode::Internal, format!("cannot listen on {}: {e}", state.config.http_addr))
        })?;
        // Links (PIDs, landing pages, OAI-PMH base URL) need the address actually bound when no
        // public base URL is configured (port 0 in tests).
        if state.config.base_url.is_none()
            && let Ok(bound) = listener.local_addr()
        {
            let mut config = (*state.config).clone();
            config.base_url = Some(format!("http://{bound}"));
            state.services.config = Arc::new(config);
        }
        // Compute jobs' lineage events name the node by its base URL: started once it is settled.
        kura_service::compute::worker::start(&state).await?;
        // The RDF store describes versions with their PID URLs, so it is built after the base URL
        // is settled: from the catalog at start, then from the outbox.
        let rdf = kura_rdf::RdfProjector::new(state.catalog.clone(), routes::fair::describer(&state))
            .map_err(|e| ApiError::new(kura_core::ErrorCode::Internal, e.to_string()))?;
        let described =
            rdf.rebuild().await.map_err(|e| ApiError::new(kura_core::ErrorCode::Internal, e.to_string()))?;
        tracing::info!(datasets = described, graphs = rdf.store().graph_count(), "RDF store built");
        rdf.clone().spawn(std::time::Duration::from_millis(300));
        state.services.rdf = Some(rdf);
        // Stream tables: processes that take appends (REST or Flight) run a committer, which
        // also commits what was acknowledged before a stop (see the README's stream tables).
        if state.config.has_role(kura_core::Role::Api) || state.config.has_role(kura_core::Role::Flight) {
            state.services.open_streams().await?;
        }
        kura_service::federation::seed_peers(&state).await?;
        state.federation = Some(kura_federation::Federation::new(state.services.clone(), state.credentials.clone()));
        let router = if state.config.has_role(kura_core::Role::Api) {
            router(state.clone())
        } else {
            operations_router(state.clone())
        };
        Ok(Application { listener, router, state })
    }

    /// The address the server listens on.
    pub fn address(&self) -> SocketAddr {
        self.listener.local_addr().unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 0)))
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `shutdown` completes.
    pub async fn run_until(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        axum::serve(self.listener, self.router.into_make_service_with_connect_info::<SocketAddr>())
            .with_graceful_shutdown(shutdown)
            .await
    }
}
