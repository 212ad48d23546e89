//! Compute jobs in the portal: `POST /jobs` submits a SQL job from a dataset's landing page
//! (its tables picked, at the version shown), `GET /jobs` lists the caller's jobs, `GET
//! /jobs/{id}` follows one (state, message, log for its submitter, output) and refreshes itself
//! until the job ends, `POST /jobs/{id}/cancel` cancels it. Every call is one use case of
//! `kura_service::compute`, the same as REST's and TES's.

use axum::extract::{Path, State};
use axum::response::Response;
use kura_catalog::PageRequest;
use kura_compute::{InputRef, JobKind, JobRequest};
use kura_core::ErrorCode;
use kura_service::compute::{self, ComputeJob};

use super::form::FormData;
use super::text::Text;
use super::{Ctx, Nav, day, see_other, visible_name};
use crate::error::ApiError;
use crate::state::AppState;

/// A job as a row of the list and the head of its page.
#[derive(Debug)]
pub struct JobRow {
    pub id: String,
    pub name: String,
    pub kind: &'static str,
    /// The TES state (`QUEUED`…), and its label in the reader's language.
    pub state: &'static str,
    pub state_label: String,
    pub created: String,
    pub finished: String,
    /// The output dataset's handle, once written and while the caller may see it.
    pub output: Option<String>,
}

async fn row(state: &AppState, ctx: &Ctx, job: &ComputeJob) -> Result<JobRow, ApiError> {
    let output = match job.output_dataset_id {
        Some(id) => visible_name(state, &ctx.caller, id).await?,
        None => None,
    };
    Ok(JobRow {
        id: job.id.to_string(),
        name: job.name.clone(),
        kind: job.kind.as_str(),
        state: job.state.as_str(),
        state_label: super::state_label(ctx.t, job.state.as_str()),
        created: day(&job.created_at),
        finished: job.finished_at.as_ref().map(day).unwrap_or_default(),
        output,
    })
}

#[derive(askama::Template)]
#[template(path = "portal/jobs.html")]
struct JobsPage {
    t: &'static Text,
    nav: Nav,
    jobs: Vec<JobRow>,
    /// `shown / total` when the list is cut.
    shown_of_total: Option<String>,
}

/// `GET /jobs`: the caller's compute jobs, newest first.
pub async fn list(State(state): State<AppState>, ctx: Ctx) -> Result<Response, ApiError> {
    let page = compute::list(&state, &ctx.caller, PageRequest { offset: 0, limit: 100 }).await?;
    let mut jobs = Vec::with_capacity(page.items.len());
    for job in &page.items {
        jobs.push(row(&state, &ctx, job).await?);
    }
    let shown = jobs.len() as u64;
    let shown_of_total = (page.total > shown).then(|| format!("{shown} / {}", page.total));
    ctx.render(&JobsPage { t: ctx.t, nav: ctx.nav.clone(), jobs, shown_of_total })
}

#[derive(askama::Template)]
#[template(path = "portal/compute_job.html")]
struct JobPage {
    t: &'static Text,
    nav: Nav,
    job: JobRow,
    running: bool,
    code: String,
    inputs: Vec<String>,
    message: String,
    /// The log, for the submitter only.
    log: Option<String>,
}

/// `GET /jobs/{id}`: one job, refreshing itself until it ends.
pub async fn page(State(state): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> Result<Response, ApiError> {
    let id = crate::routes::parse_id(&id, "job")?;
    let job = compute::get(&state, &ctx.caller, id).await?;
    let log = match compute::log(&state, &ctx.caller, id).await {
        Ok(log) => Some(log),
        // An administrator sees the job but not its log.
        Err(e) if e.code == ErrorCode::Forbidden => None,
        Err(e) => return Err(e.into()),
    };
    let page = JobPage {
        t: ctx.t,
        nav: ctx.nav.clone(),
        running: !job.state.is_final(),
        code: job.code.clone(),
        inputs: job.inputs.iter().map(|i| format!("{} ← {}", i.local_name(), i.reference())).collect(),
        message: job.message.clone().unwrap_or_default(),
        job: row(&state, &ctx, &job).await?,
        log,
    };
    ctx.render(&page)
}

/// `POST /jobs`: a SQL job over tables of one dataset version (the landing page's form:
/// `dataset`, `version`, `table` for each table picked, `name`, `code`, and `group` when the
/// submitter has several).
pub async fn submit(State(state): State<AppState>, ctx: Ctx, form: FormData) -> Result<Response, ApiError> {
    let (dataset, version) = (form.get("dataset"), form.get("version"));
    let inputs = form
        .all("table")
        .into_iter()
        .map(|table| InputRef {
            name: None,
            dataset: dataset.to_owned(),
            version: if version.is_empty() { "latest".to_owned() } else { version.to_owned() },
            table: table.to_owned(),
            columns: None,
        })
        .collect();
    let request = JobRequest {
        name: Some(form.get("name").to_owned()).filter(|n| !n.is_empty()),
        kind: JobKind::Sql,
        code: form.get("code").to_owned(),
        inputs,
        outputs: Vec::new(),
        group: Some(form.get("group").to_owned()).filter(|g| !g.is_empty()),
        tags: Default::default(),
    };
    let job = compute::submit(&state, &ctx.caller, request).await?;
    Ok(see_other(&format!("/jobs/{}", job.id)))
}

/// `POST /jobs/{id}/cancel`.
pub async fn cancel(State(state): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> Result<Response, ApiError> {
    let id = crate::routes::parse_id(&id, "job")?;
    // A job that ended before the click arrived is no error: the page says how it ended.
    if let Err(e) = compute::cancel(&state, &ctx.caller, id).await
        && e.code != ErrorCode::Conflict
    {
        return Err(e.into());
    }
    Ok(see_other(&format!("/jobs/{id}")))
}
