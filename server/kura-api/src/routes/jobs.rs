use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use kura_catalog::entity::ingest_job;
use kura_catalog::{Page, PageRequest};
use kura_ingest::ReadOptions;

use crate::auth::Caller;
use crate::error::ApiError;
use crate::state::AppState;
use kura_service::ingest::{self, ReadAgain};
use kura_service::jobs;

/// Body of `POST …/draft/ingest` (optional): read parameters per raw file path. A file named
/// here is read again even when it was ingested before, and its tables in the draft are
/// replaced; unset parameters are detected as usual.
#[derive(Debug, Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StartIngest {
    /// Raw file path → parameters (`delimiter`, `quote`, `decimal`, `thousands`, `encoding`,
    /// `header_line`, `skip_lines`, `comment_prefix`, `columns: {name: {type, unit}}`).
    #[serde(default)]
    #[schema(value_type = Object)]
    pub files: BTreeMap<String, ReadOptions>,
    /// More raw files of the draft to read again (detecting everything), replacing their tables.
    #[serde(default)]
    pub reingest: Vec<String>,
}

#[utoipa::path(post, path = "/api/v1/datasets/{name}/draft/ingest", tag = "jobs", params(("name" = String, Path)),
    request_body(content = Option<StartIngest>, description = "read parameters per file; absent: detect everything"),
    responses((status = 202, body = ingest_job::Model, description = "the job, queued; poll it for progress"),
        (status = 400, description = "nothing left to ingest, or bad parameters"), (status = 404)), security(("token" = [])))]
pub async fn start(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
    body: Option<Json<StartIngest>>,
) -> Result<(StatusCode, Json<ingest_job::Model>), ApiError> {
    let StartIngest { files: options, reingest } = body.map(|Json(b)| b).unwrap_or_default();
    let job = ingest::start(&state, &caller, &name, ReadAgain { options, reingest }).await?;
    Ok((StatusCode::ACCEPTED, Json(job)))
}

#[utoipa::path(get, path = "/api/v1/datasets/{name}/jobs/{job_id}", tag = "jobs",
    params(("name" = String, Path), ("job_id" = uuid::Uuid, Path)),
    responses((status = 200, body = ingest_job::Model), (status = 404)), security(("token" = [])))]
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Path((name, job_id)): Path<(String, String)>,
) -> Result<Json<ingest_job::Model>, ApiError> {
    Ok(Json(jobs::get(&state, &caller, &name, super::parse_id(&job_id, "job")?).await?))
}

#[utoipa::path(get, path = "/api/v1/datasets/{name}/jobs", tag = "jobs", params(("name" = String, Path), PageRequest),
    responses((status = 200, body = Page<ingest_job::Model>)), security(("token" = [])))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
    Query(page): Query<PageRequest>,
) -> Result<Json<Page<ingest_job::Model>>, ApiError> {
    Ok(Json(jobs::list(&state, &caller, &name, page).await?))
}

#[utoipa::path(post, path = "/api/v1/datasets/{name}/jobs/{job_id}/cancel", tag = "jobs",
    params(("name" = String, Path), ("job_id" = uuid::Uuid, Path)),
    responses((status = 200, body = ingest_job::Model,
            description = "the job, cancelled: a queued job never runs, a running one stops at its next file or batch and commits nothing"),
        (status = 404), (status = 409, description = "the job has already ended")),
    security(("token" = [])))]
pub async fn cancel(
    State(state): State<AppState>,
    caller: Caller,
    Path((name, job_id)): Path<(String, String)>,
) -> Result<Json<ingest_job::Model>, ApiError> {
    Ok(Json(jobs::cancel(&state, &caller, &name, super::parse_id(&job_id, "job")?).await?))
}
