//! Compute jobs over REST, `/api/v1/jobs` (ingest jobs live under their dataset, at
//! `/api/v1/datasets/{name}/jobs`, so the two never share a path). Each handler calls one use
//! case of `kura_service::compute`.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use kura_catalog::entity::airlock_release;
use kura_catalog::{Page, PageRequest};
use kura_compute::JobRequest;
use kura_service::Surface;
use kura_service::compute::airlock::{self, ReleaseRequest};
use kura_service::compute::{self, ComputeJob};

use crate::auth::Caller;
use crate::error::ApiError;
use crate::state::AppState;

#[utoipa::path(post, path = "/api/v1/jobs", tag = "compute", request_body = JobRequest,
    responses((status = 201, body = ComputeJob, description = "the job, QUEUED"),
        (status = 400, description = "a malformed job"), (status = 401), (status = 403),
        (status = 404, description = "an input the caller may not see or that does not exist"),
        (status = 422, description = "a kind of job this node does not run")),
    security(("token" = [])))]
pub async fn submit(
    State(state): State<AppState>,
    caller: Caller,
    Json(request): Json<JobRequest>,
) -> Result<(StatusCode, Json<ComputeJob>), ApiError> {
    Ok((StatusCode::CREATED, Json(compute::submit(&state, &caller, request).await?)))
}

#[utoipa::path(get, path = "/api/v1/jobs", tag = "compute", params(PageRequest),
    responses((status = 200, body = Page<ComputeJob>, description = "the caller's jobs (an administrator's: everyone's)"),
        (status = 401)), security(("token" = [])))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Query(page): Query<PageRequest>,
) -> Result<Json<Page<ComputeJob>>, ApiError> {
    Ok(Json(compute::list(&state, &caller, page).await?))
}

#[utoipa::path(get, path = "/api/v1/jobs/{id}", tag = "compute", params(("id" = uuid::Uuid, Path)),
    responses((status = 200, body = ComputeJob), (status = 404)), security(("token" = [])))]
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<ComputeJob>, ApiError> {
    Ok(Json(compute::get(&state, &caller, super::parse_id(&id, "job")?).await?))
}

#[utoipa::path(post, path = "/api/v1/jobs/{id}/cancel", tag = "compute", params(("id" = uuid::Uuid, Path)),
    responses((status = 200, body = ComputeJob, description = "the job, CANCELED"), (status = 404),
        (status = 409, description = "the job has already ended")), security(("token" = [])))]
pub async fn cancel(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<ComputeJob>, ApiError> {
    Ok(Json(compute::cancel(&state, &caller, super::parse_id(&id, "job")?).await?))
}

#[utoipa::path(get, path = "/api/v1/jobs/{id}/log", tag = "compute", params(("id" = uuid::Uuid, Path)),
    responses((status = 200, body = String, content_type = "text/plain", description = "the job's log, size-limited"),
        (status = 403, description = "not the submitter"), (status = 404)), security(("token" = [])))]
pub async fn log(State(state): State<AppState>, caller: Caller, Path(id): Path<String>) -> Result<String, ApiError> {
    Ok(compute::log(&state, &caller, super::parse_id(&id, "job")?).await?)
}

#[utoipa::path(get, path = "/api/v1/jobs/{id}/lineage", tag = "compute", params(("id" = uuid::Uuid, Path)),
    responses((status = 200, body = Vec<Object>,
            description = "the job's OpenLineage run events (START, COMPLETE, FAIL, ABORT) of every attempt, oldest first"),
        (status = 404)), security(("token" = [])))]
pub async fn lineage(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Vec<serde_json::Value>>, ApiError> {
    Ok(Json(compute::lineage::events(&state, &caller, super::parse_id(&id, "job")?).await?))
}

#[utoipa::path(post, path = "/api/v1/datasets/{name}/airlock", tag = "compute", params(("name" = String, Path)),
    request_body = ReleaseRequest,
    responses((status = 201, body = airlock_release::Model, description = "the release, pending until a steward of every input's owning group approves"),
        (status = 400, description = "not a job's output, no reason, or not a loosening"), (status = 403), (status = 404)),
    security(("token" = [])))]
pub async fn request_release(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
    Json(request): Json<ReleaseRequest>,
) -> Result<(StatusCode, Json<airlock_release::Model>), ApiError> {
    let release = airlock::request(&state, &caller, Surface::Rest, &name, request).await?;
    Ok((StatusCode::CREATED, Json(release)))
}

#[utoipa::path(get, path = "/api/v1/airlock", tag = "compute",
    responses((status = 200, body = Vec<airlock_release::Model>, description = "pending releases the caller approves or asked for")),
    security(("token" = [])))]
pub async fn pending_releases(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<airlock_release::Model>>, ApiError> {
    Ok(Json(airlock::pending(&state, &caller).await?))
}

#[utoipa::path(post, path = "/api/v1/airlock/{id}/approve", tag = "compute", params(("id" = uuid::Uuid, Path)),
    responses((status = 200, body = airlock_release::Model, description = "approved for the caller's groups; `approved` once every group has, and the policy is in force"),
        (status = 403), (status = 404), (status = 409, description = "already decided")),
    security(("token" = [])))]
pub async fn approve_release(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<airlock_release::Model>, ApiError> {
    Ok(Json(airlock::approve(&state, &caller, Surface::Rest, super::parse_id(&id, "airlock release")?).await?))
}
