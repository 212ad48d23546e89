//! Operations endpoints at the root, for probes and scrapers: `/livez`, `/readyz`, `/metrics`.
//! They take no credential and tell nothing about any dataset (names of checks, states, counts
//! and route templates only), so they answer everyone.

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;

use crate::error::ApiError;
use crate::state::AppState;

/// The three routes, for every router a process serves (whatever its roles): merged after the
/// authentication layers, which therefore do not wrap them.
pub fn routes() -> Router<AppState> {
    Router::new().route("/livez", get(livez)).route("/readyz", get(readyz)).route("/metrics", get(metrics))
}

/// The process answers.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Live {
    pub status: &'static str,
}

/// 200 while the process serves HTTP: a liveness probe restarts a process that stops answering.
#[utoipa::path(get, path = "/livez", tag = "system", responses((status = 200, body = Live)))]
pub async fn livez() -> Json<Live> {
    Json(Live { status: "ok" })
}

/// 200 when the catalog answers with this binary's schema and this process's projections have
/// applied the outbox; 503 naming what is not ready otherwise.
#[utoipa::path(
    get,
    path = "/readyz",
    tag = "system",
    responses(
        (status = 200, description = "ready", body = kura_service::ops::Readiness),
        (status = 503, description = "not ready; the checks say which", body = kura_service::ops::Readiness),
    )
)]
pub async fn readyz(State(state): State<AppState>) -> Response {
    let readiness = kura_service::ops::readiness(&state).await;
    let status = if readiness.ready { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    (status, Json(readiness)).into_response()
}

/// This process's metrics in the OpenMetrics text format Prometheus scrapes.
#[utoipa::path(
    get,
    path = "/metrics",
    tag = "system",
    responses((status = 200, description = "OpenMetrics text", content_type = "application/openmetrics-text", body = String))
)]
pub async fn metrics(State(state): State<AppState>) -> Result<Response, ApiError> {
    let text = kura_service::metrics::render(&state).await?;
    Ok(([(header::CONTENT_TYPE, kura_service::metrics::CONTENT_TYPE)], text).into_response())
}
