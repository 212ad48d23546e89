use kura_core::HasErrorCode;
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
use kura_core::access::Action;
use kura_service::access::{Which, authorize, editable_dataset, editable_job};

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
    let draft = authorize(&state, &caller, &name, Which::Draft, Action::Edit).await?.version;
    let StartIngest { files: options, reingest } = body.map(|Json(b)| b).unwrap_or_default();
    Ok((StatusCode::ACCEPTED, Json(read_again(&state, &draft, options, reingest).await?)))
}

/// Reads the named raw files of the draft again — those given parameters, and those in
/// `reingest` (detecting everything) — with any file still pending, replacing their tables when
/// the job commits: `POST …/draft/ingest` and the portal's "read again" button.
pub(crate) async fn read_again(
    state: &AppState,
    draft: &kura_catalog::entity::dataset_version::Model,
    options: BTreeMap<String, ReadOptions>,
    reingest: Vec<String>,
) -> Result<ingest_job::Model, ApiError> {
    let mut paths: Vec<String> = options.keys().cloned().chain(reingest).collect();
    paths.sort();
    paths.dedup();
    if !paths.is_empty() {
        state.ingestor.reopen(draft, &paths).await.map_err(|e| match e.code() {
            kura_core::ErrorCode::NotFound => ApiError::bad_request(format!("{e}: name raw files of the draft")),
            _ => e.into(),
        })?;
    }
    start_job_with(state, draft, options).await
}

/// Queues an ingest job for the draft's pending raw files; the runner runs it when a slot is free.
pub(crate) async fn start_job(
    state: &AppState,
    draft: &kura_catalog::entity::dataset_version::Model,
) -> Result<ingest_job::Model, ApiError> {
    start_job_with(state, draft, BTreeMap::new()).await
}

/// [`start_job`] with read parameters per raw file path.
async fn start_job_with(
    state: &AppState,
    draft: &kura_catalog::entity::dataset_version::Model,
    options: BTreeMap<String, ReadOptions>,
) -> Result<ingest_job::Model, ApiError> {
    Ok(state.jobs.submit(draft, options).await?)
}

#[utoipa::path(get, path = "/api/v1/datasets/{name}/jobs/{job_id}", tag = "jobs",
    params(("name" = String, Path), ("job_id" = uuid::Uuid, Path)),
    responses((status = 200, body = ingest_job::Model), (status = 404)), security(("token" = [])))]
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Path((name, job_id)): Path<(String, String)>,
) -> Result<Json<ingest_job::Model>, ApiError> {
    Ok(Json(editable_job(&state, &caller, &name, super::parse_id(&job_id, "job")?).await?))
}

#[utoipa::path(get, path = "/api/v1/datasets/{name}/jobs", tag = "jobs", params(("name" = String, Path), PageRequest),
    responses((status = 200, body = Page<ingest_job::Model>)), security(("token" = [])))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
    Query(page): Query<PageRequest>,
) -> Result<Json<Page<ingest_job::Model>>, ApiError> {
    let ds = editable_dataset(&state, &caller, &name).await?;
    Ok(Json(state.catalog.jobs_page(ds.id, page.capped(state.config.max_page_size)).await?))
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
    let job = editable_job(&state, &caller, &name, super::parse_id(&job_id, "job")?).await?;
    Ok(Json(state.jobs.cancel(&job).await?))
}
