//! Federation over HTTP: this node's description, the token exchange partner nodes call, the
//! federated search, and the administrators' list of peers. Each handler calls one function of
//! `kura_federation` or `kura_service::federation`.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Form, Json};
use kura_catalog::entity::peer;
use kura_core::PeerConfig;
use kura_federation::{ExchangeError, FederatedResults, TokenRequest, TokenResponse};
use kura_service::Surface::Rest;
use kura_service::federation;
use serde::Serialize;

use crate::auth::Caller;
use crate::error::ApiError;
use crate::routes::search::SearchQuery;
use crate::state::AppState;

/// What a node says of itself, for peers checking their configuration.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct NodeInfo {
    pub node_id: String,
    pub base_url: String,
    pub jwks_url: String,
}

#[utoipa::path(get, path = "/api/v1/federation/node", tag = "federation",
    responses((status = 200, body = NodeInfo)))]
pub async fn node(State(state): State<AppState>) -> Json<NodeInfo> {
    let base_url = state.config.base_url();
    Json(NodeInfo {
        node_id: state.config.node_id.clone(),
        jwks_url: format!("{base_url}/.well-known/jwks.json"),
        base_url,
    })
}

#[utoipa::path(post, path = "/api/v1/federation/token", tag = "federation",
    request_body(content = TokenRequest, content_type = "application/x-www-form-urlencoded"),
    responses((status = 200, body = TokenResponse), (status = 400, body = ExchangeError,
        description = "the assertion was refused: forged, expired, replayed, for another node, or from an untrusted peer")))]
pub async fn token(State(state): State<AppState>, Form(request): Form<TokenRequest>) -> Response {
    let federation = match state.federation() {
        Ok(f) => f,
        Err(e) => return ApiError::from(e).into_response(),
    };
    match federation.exchange(request).await {
        Ok(answer) => (no_store(), Json(answer)).into_response(),
        Err(refused) => {
            let status =
                if refused.is_server_error() { StatusCode::INTERNAL_SERVER_ERROR } else { StatusCode::BAD_REQUEST };
            (status, no_store(), Json(refused)).into_response()
        }
    }
}

/// RFC 6749 §5.1: token answers are never cached.
fn no_store() -> [(axum::http::HeaderName, &'static str); 2] {
    [(axum::http::header::CACHE_CONTROL, "no-store"), (axum::http::header::PRAGMA, "no-cache")]
}

#[utoipa::path(get, path = "/api/v1/federation/search", tag = "federation", params(SearchQuery),
    responses((status = 200, body = FederatedResults,
        description = "hits of every node that answered, and every node's status; `partial` when one did not")))]
pub async fn search(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Query(query): Query<SearchQuery>,
) -> Result<Json<FederatedResults>, ApiError> {
    let hops = headers
        .get(kura_federation::HOPS_HEADER)
        .and_then(|h| h.to_str().ok())
        .and_then(|h| h.parse::<u32>().ok())
        .unwrap_or(0);
    Ok(Json(state.federation()?.search(&caller, query.request()?, hops).await?))
}

#[utoipa::path(get, path = "/api/v1/federation/peers", tag = "federation",
    responses((status = 200, body = Vec<peer::Model>), (status = 403)), security(("token" = [])))]
pub async fn list_peers(State(state): State<AppState>, caller: Caller) -> Result<Json<Vec<peer::Model>>, ApiError> {
    Ok(Json(federation::list_peers(&state, &caller).await?))
}

#[utoipa::path(post, path = "/api/v1/federation/peers", tag = "federation", request_body = PeerConfig,
    responses((status = 201, body = peer::Model), (status = 400), (status = 403)), security(("token" = [])))]
pub async fn put_peer(
    State(state): State<AppState>,
    caller: Caller,
    Json(body): Json<PeerConfig>,
) -> Result<(StatusCode, Json<peer::Model>), ApiError> {
    Ok((StatusCode::CREATED, Json(federation::put_peer(&state, &caller, body, Rest).await?)))
}

#[utoipa::path(delete, path = "/api/v1/federation/peers/{id}", tag = "federation", params(("id" = String, Path)),
    responses((status = 204), (status = 404), (status = 403)), security(("token" = [])))]
pub async fn remove_peer(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    federation::remove_peer(&state, &caller, &id, Rest).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/v1/federation/peers/{id}/check", tag = "federation", params(("id" = String, Path)),
    responses((status = 200, body = kura_federation::PeerCheck), (status = 404), (status = 403)), security(("token" = [])))]
pub async fn check_peer(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<kura_federation::PeerCheck>, ApiError> {
    Ok(Json(state.federation()?.check_peer(&caller, &id).await?))
}

#[utoipa::path(post, path = "/api/v1/federation/peers/{id}/delta-sharing-profile", tag = "federation",
    params(("id" = String, Path)),
    responses((status = 200, body = kura_federation::delta_sharing::profile::Profile,
        description = "the peer's Delta Sharing endpoint with the short-lived read-only token it gave the caller"),
        (status = 401), (status = 404), (status = 503)),
    security(("token" = [])))]
pub async fn peer_sharing_profile(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<kura_federation::delta_sharing::profile::Profile>, ApiError> {
    Ok(Json(state.federation()?.peer_profile(&caller, &id).await?))
}
