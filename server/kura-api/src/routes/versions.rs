use axum::Json;
use axum::extract::{Path, State};
use kura_catalog::entity::dataset_version;
use kura_catalog::versions::DraftUpdate;
use serde::Deserialize;
use serde_json::Value;

use crate::auth::Caller;
use crate::error::ApiError;
use crate::state::AppState;
use kura_service::{Surface, versions};

/// Body of `PATCH /api/v1/datasets/{name}/draft`: fields left out stay as they are.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateDraft {
    pub title: Option<String>,
    pub description: Option<String>,
    pub metadata: Option<Value>,
}

#[utoipa::path(get, path = "/api/v1/datasets/{name}/versions", tag = "versions", params(("name" = String, Path)),
    responses((status = 200, body = Vec<dataset_version::Model>, description = "the versions the caller may see, oldest first"), (status = 404)))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
) -> Result<Json<Vec<dataset_version::Model>>, ApiError> {
    Ok(Json(versions::list(&state, &caller, &name).await?))
}

#[utoipa::path(get, path = "/api/v1/datasets/{name}/versions/{version}", tag = "versions",
    params(("name" = String, Path), ("version" = String, Path, description = "a number or 'latest'")),
    responses((status = 200, body = dataset_version::Model), (status = 404)))]
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Path((name, version)): Path<(String, String)>,
) -> Result<Json<dataset_version::Model>, ApiError> {
    Ok(Json(versions::get(&state, &caller, &name, &version).await?))
}

#[utoipa::path(post, path = "/api/v1/datasets/{name}/draft", tag = "versions", params(("name" = String, Path)),
    responses((status = 200, body = dataset_version::Model, description = "the open draft, created from the latest version if there was none")),
    security(("token" = [])))]
pub async fn draft(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
) -> Result<Json<dataset_version::Model>, ApiError> {
    Ok(Json(versions::open_draft(&state, &caller, &name).await?))
}

#[utoipa::path(patch, path = "/api/v1/datasets/{name}/draft", tag = "versions", params(("name" = String, Path)),
    request_body = UpdateDraft, responses((status = 200, body = dataset_version::Model)), security(("token" = [])))]
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
    Json(body): Json<UpdateDraft>,
) -> Result<Json<dataset_version::Model>, ApiError> {
    let update = DraftUpdate { title: body.title, description: body.description, metadata: body.metadata };
    Ok(Json(versions::update_draft(&state, &caller, &name, update).await?))
}

#[utoipa::path(post, path = "/api/v1/datasets/{name}/draft/publish", tag = "versions", params(("name" = String, Path)),
    responses((status = 200, body = dataset_version::Model), (status = 404, description = "no open draft"), (status = 409, description = "an ingest job is still running")),
    security(("token" = [])))]
pub async fn publish(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
) -> Result<Json<dataset_version::Model>, ApiError> {
    Ok(Json(versions::publish(&state, &caller, &name).await?))
}

/// Body of `POST /api/v1/datasets/{name}/versions/{version}/deaccession`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Deaccession {
    /// Why the version is withdrawn; shown on its tombstone page.
    pub reason: String,
}

#[utoipa::path(post, path = "/api/v1/datasets/{name}/versions/{version}/deaccession", tag = "versions",
    params(("name" = String, Path), ("version" = String, Path)), request_body = Deaccession,
    responses((status = 200, body = dataset_version::Model, description = "the version, now a tombstone: its PID still resolves, its data answer 410"),
        (status = 403), (status = 404), (status = 409, description = "the version is not published")),
    security(("token" = [])))]
pub async fn deaccession(
    State(state): State<AppState>,
    caller: Caller,
    Path((name, version)): Path<(String, String)>,
    Json(body): Json<Deaccession>,
) -> Result<Json<dataset_version::Model>, ApiError> {
    Ok(Json(versions::deaccession(&state, &caller, Surface::Rest, &name, &version, &body.reason).await?))
}

#[utoipa::path(post, path = "/api/v1/datasets/{name}/draft/submit", tag = "versions", params(("name" = String, Path)),
    responses((status = 200, body = dataset_version::Model, description = "the draft, now in review: a steward publishes it or sends it back"),
        (status = 404, description = "no open draft"), (status = 409, description = "the version is not a draft")),
    security(("token" = [])))]
pub async fn submit(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
) -> Result<Json<dataset_version::Model>, ApiError> {
    Ok(Json(versions::submit(&state, &caller, Surface::Rest, &name).await?))
}

/// Body of `POST /api/v1/datasets/{name}/draft/return`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SendBack {
    /// What the editors should change; kept on the version as `review_comment`.
    pub comment: String,
}

#[utoipa::path(post, path = "/api/v1/datasets/{name}/draft/return", tag = "versions", params(("name" = String, Path)),
    request_body = SendBack,
    responses((status = 200, body = dataset_version::Model, description = "the version, back in draft with the comment"),
        (status = 403), (status = 404), (status = 409, description = "the version is not in review")),
    security(("token" = [])))]
pub async fn send_back(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
    Json(body): Json<SendBack>,
) -> Result<Json<dataset_version::Model>, ApiError> {
    Ok(Json(versions::return_to_draft(&state, &caller, Surface::Rest, &name, &body.comment).await?))
}
