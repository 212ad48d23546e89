//! New datasets and their files: `GET/POST /new` (name, title, owner group and files in one
//! multipart form, streamed to staging; drag and drop is an enhancement), `POST
//! /edit/{name}/files` (more files into the draft), and `GET /edit/{name}/jobs/{job}`, the
//! ingest job's live progress with per-file errors (a refreshing page without JavaScript) and a
//! Cancel button while it has not ended.

use axum::extract::{Multipart, Path, State};
use axum::response::Response;
use kura_catalog::datasets::NewDataset;

use super::text::Text;
use super::{Ctx, Nav, see_other, state_label};
use crate::error::ApiError;
use crate::staging::{UploadBudget, stage_part};
use crate::state::AppState;
use kura_service::{Target, datasets, files, ingest, jobs};

#[derive(askama::Template)]
#[template(path = "portal/new.html")]
struct NewPage {
    t: &'static Text,
    nav: Nav,
    groups: Vec<(String, String)>,
}

pub async fn form(State(state): State<AppState>, ctx: Ctx) -> Result<Response, ApiError> {
    ctx.user()?;
    let ids: Vec<uuid::Uuid> = ctx.caller.0.subject.groups.iter().map(|(g, _)| *g).collect();
    let groups = state.catalog.group_names(&ids).await?.into_iter().map(|g| (g.id.to_string(), g.name)).collect();
    ctx.render(&NewPage { t: ctx.t, nav: ctx.nav.clone(), groups })
}

/// Reads the form's text fields up to the first file, then creates the dataset and streams every
/// file into its draft; redirects to the ingest job (or to the editor when no file was sent).
pub async fn create(State(state): State<AppState>, ctx: Ctx, mut multipart: Multipart) -> Result<Response, ApiError> {
    ctx.user()?;
    let (mut name, mut title, mut group) = (String::new(), String::new(), String::new());
    let mut draft = None;
    let mut staged = Vec::new();
    let mut budget = UploadBudget::of(&state);
    while let Some(mut field) = multipart.next_field().await? {
        let field_name = field.name().unwrap_or("").to_owned();
        if field_name != "files" {
            let value = bounded_text(&mut field).await?;
            match field_name.as_str() {
                "name" => name = value.trim().to_owned(),
                "title" => title = value.trim().to_owned(),
                "group" => group = value.trim().to_owned(),
                _ => {}
            }
            continue;
        }
        // A file input left empty still sends one part, without a file name.
        let Some(path) = field.file_name().filter(|f| !f.is_empty()).map(str::to_owned) else { continue };
        if draft.is_none() {
            draft = Some(create_dataset(&state, &ctx, &name, &title, &group).await?);
        }
        staged.push(stage_part(&state, &mut budget, path, field).await?);
    }
    let draft = match draft {
        Some(d) => d,
        None => create_dataset(&state, &ctx, &name, &title, &group).await?,
    };
    finish_upload(&state, &ctx, &name, &draft, staged).await
}

/// Longest text field of the upload form (a name, a title, a group id): read in chunks and
/// refused beyond this, so that a huge field cannot fill the server's memory.
const MAX_TEXT_FIELD_BYTES: usize = 64 * 1024;

async fn bounded_text(field: &mut axum::extract::multipart::Field<'_>) -> Result<String, ApiError> {
    let mut bytes = Vec::new();
    while let Some(chunk) = field.chunk().await? {
        if bytes.len() + chunk.len() > MAX_TEXT_FIELD_BYTES {
            return Err(ApiError::new(
                kura_core::ErrorCode::PayloadTooLarge,
                format!("form field {:?} is longer than {MAX_TEXT_FIELD_BYTES} bytes", field.name().unwrap_or("")),
            ));
        }
        bytes.extend_from_slice(&chunk);
    }
    String::from_utf8(bytes).map_err(|_| ApiError::bad_request("a form field is not UTF-8"))
}

async fn create_dataset(state: &AppState, ctx: &Ctx, name: &str, title: &str, group: &str) -> Result<Target, ApiError> {
    let new = NewDataset {
        name: name.to_owned(),
        title: title.to_owned(),
        description: String::new(),
        metadata: serde_json::Value::Null,
        group_id: group.parse::<uuid::Uuid>().ok(),
    };
    Ok(datasets::create(state, &ctx.caller, new).await?)
}

async fn finish_upload(
    state: &AppState,
    ctx: &Ctx,
    name: &str,
    draft: &Target,
    staged: Vec<(String, kura_storage::StagedFile)>,
) -> Result<Response, ApiError> {
    if staged.is_empty() {
        return Ok(see_other(&format!("/edit/{name}")));
    }
    let job = ingest::upload_and_start(state, &ctx.caller, draft, staged).await?;
    Ok(see_other(&format!("/edit/{name}/jobs/{}", job.id)))
}

/// `POST /edit/{name}/files`: more files for the draft (the CSRF field comes first).
pub async fn add_files(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(name): Path<String>,
    mut multipart: Multipart,
) -> Result<Response, ApiError> {
    let draft = files::draft_for_upload(&state, &ctx.caller, &name).await?;
    let mut staged = Vec::new();
    let mut budget = UploadBudget::of(&state);
    while let Some(field) = multipart.next_field().await? {
        if field.name() != Some("files") {
            continue;
        }
        let Some(path) = field.file_name().filter(|f| !f.is_empty()).map(str::to_owned) else { continue };
        staged.push(stage_part(&state, &mut budget, path, field).await?);
    }
    finish_upload(&state, &ctx, &name, &draft, staged).await
}

/// One line of the job's report about a file, with the page that shows how it was read.
#[derive(Debug)]
pub struct FileError {
    pub file: String,
    pub error: String,
    /// `/edit/{name}/files/{id}` when the file is a raw file of the draft, else empty.
    pub link: String,
}

#[derive(askama::Template)]
#[template(path = "portal/job.html")]
struct JobPage {
    t: &'static Text,
    nav: Nav,
    name: String,
    api_url: String,
    /// Where the Cancel button posts while the job has not ended.
    cancel_url: String,
    state: String,
    running: bool,
    files_done: i32,
    files_total: i32,
    bytes_done: i64,
    bytes_total: i64,
    message: String,
    errors: Vec<FileError>,
    warnings: Vec<FileError>,
}

pub async fn job(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((name, job)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let job = jobs::get(&state, &ctx.caller, &name, crate::routes::parse_id(&job, "job")?).await?;
    let job_id = job.id;
    let raw: std::collections::HashMap<String, uuid::Uuid> = state
        .catalog
        .files_page(job.version_id, kura_catalog::PageRequest { offset: 0, limit: 500 })
        .await?
        .items
        .into_iter()
        .filter(|f| f.role == kura_core::FileRole::Raw)
        .map(|f| (f.path, f.id))
        .collect();
    let (mut errors, mut warnings) = (Vec::new(), Vec::new());
    for e in job.errors.as_array().into_iter().flatten() {
        let file = e["file"].as_str().unwrap_or("").to_owned();
        let link = raw.get(&file).map(|id| format!("/edit/{name}/files/{id}")).unwrap_or_default();
        match (e["error"].as_str(), e["warning"].as_str()) {
            (Some(error), _) => {
                let error = match e["member"].as_str() {
                    Some(member) => format!("{member}: {error}"),
                    None => error.to_owned(),
                };
                errors.push(FileError { file, error, link });
            }
            (None, Some(warning)) => warnings.push(FileError { file, error: warning.to_owned(), link }),
            (None, None) => {}
        }
    }
    let page = JobPage {
        t: ctx.t,
        nav: ctx.nav.clone(),
        api_url: format!("/api/v1/datasets/{name}/jobs/{job_id}"),
        cancel_url: format!("/edit/{name}/jobs/{job_id}/cancel"),
        name,
        state: state_label(ctx.t, job.state.as_str()),
        running: job.finished_at.is_none(),
        files_done: job.files_done,
        files_total: job.files_total,
        bytes_done: job.bytes_done,
        bytes_total: job.bytes_total.max(1),
        message: job.message.unwrap_or_default(),
        errors,
        warnings,
    };
    ctx.render(&page)
}

/// `POST /edit/{name}/jobs/{job}/cancel`: the job page's Cancel button; back to the job page,
/// which then shows the job cancelled (or how it ended, when it ended first).
pub async fn cancel_job(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((name, job)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let job = crate::routes::parse_id(&job, "job")?;
    // A job that ended before the click arrived is no error: the page says how it ended.
    if let Err(e) = jobs::cancel(&state, &ctx.caller, &name, job).await
        && e.code != kura_core::ErrorCode::Conflict
    {
        return Err(e.into());
    }
    Ok(see_other(&format!("/edit/{name}/jobs/{job}")))
}
