//! GA4GH TES 1.1 over Kura's compute jobs, `/ga4gh/tes/v1`, so TES clients (`py-tes`) submit,
//! poll, list and cancel. Only the shape is translated here; every call is one use case of
//! `kura_service::compute`, the same as REST's.
//!
//! How a TES task names Kura things (inputs are Kura tables, never URLs to fetch):
//! - `executors[0].image` is `kura/sql` (a SQL job; `command` is the query, its elements joined
//!   by spaces) or `kura/script` (the Python script the sandbox runs, as the one element);
//! - each `inputs[].url` is `kura:DATASET/VERSION/TABLE` (VERSION a number or `latest`); the
//!   input is read under the last part of `inputs[].path` without `.parquet`
//!   (`/inputs/spectra.parquet` → `spectra`), or under the table's name when no path is given;
//! - each `outputs[].path`'s last part names an output table (`/outputs/result.parquet`);
//! - `tags["kura.group"]` names the group that owns the output, when the caller has several.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{Path, Query, State};
use kura_catalog::PageRequest;
use kura_compute::{InputRef, JobKind, JobRequest};
use kura_core::TaskState;
use kura_service::compute::{self, ComputeJob};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::auth::Caller;
use crate::error::ApiError;
use crate::state::AppState;

/// Where the TES routes are mounted.
pub const PREFIX: &str = "/ga4gh/tes/v1";

/// A TES task as submitted or shown (the fields Kura reads or fills).
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Task {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<TaskState>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default)]
    pub inputs: Vec<TesIo>,
    #[serde(default)]
    pub outputs: Vec<TesIo>,
    #[serde(default)]
    pub executors: Vec<Executor>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resources: Option<Value>,
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub logs: Vec<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub creation_time: Option<String>,
}

/// A TES input or output.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct TesIo {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none", rename = "type")]
    pub kind: Option<String>,
}

/// A TES executor: which runner (`image`) and what it runs (`command`).
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Executor {
    #[serde(default)]
    pub image: String,
    #[serde(default)]
    pub command: Vec<String>,
}

/// The last part of a TES path without `.parquet`: the table name it stands for.
fn table_name(path: &str) -> String {
    let last = path.rsplit('/').next().unwrap_or(path);
    last.strip_suffix(".parquet").unwrap_or(last).to_owned()
}

fn bad(message: impl Into<String>) -> ApiError {
    ApiError::new(kura_core::ErrorCode::BadRequest, message.into())
}

impl Task {
    /// The Kura job this task asks for.
    fn into_request(self) -> Result<JobRequest, ApiError> {
        let [executor] = <[Executor; 1]>::try_from(self.executors)
            .map_err(|_| bad("a Kura task has exactly one executor (image kura/sql or kura/script)"))?;
        let kind = match executor.image.as_str() {
            "kura/sql" => JobKind::Sql,
            "kura/script" => JobKind::Script,
            other => {
                return Err(bad(format!("executor image {other:?} is not a Kura runner: use kura/sql or kura/script")));
            }
        };
        let mut inputs = Vec::new();
        for io in self.inputs {
            let url = io.url.ok_or_else(|| bad("every input needs a url kura:DATASET/VERSION/TABLE"))?;
            let mut input = InputRef::from_url(&url).map_err(|e| bad(e.to_string()))?;
            input.name = io.path.as_deref().map(table_name);
            inputs.push(input);
        }
        let outputs = self.outputs.iter().filter_map(|o| o.path.as_deref().map(table_name)).collect();
        let mut tags = self.tags;
        let group = tags.remove("kura.group");
        Ok(JobRequest { name: self.name, kind, code: executor.command.join(" "), inputs, outputs, group, tags })
    }

    /// The TES view of a job; `full` adds the code and the log's place.
    fn of(job: ComputeJob, full: bool) -> Task {
        let image = match job.kind {
            JobKind::Sql => "kura/sql",
            JobKind::Script => "kura/script",
        };
        let mut task = Task {
            id: Some(job.id.to_string()),
            state: Some(job.state),
            name: Some(job.name.clone()),
            creation_time: Some(job.created_at.to_rfc3339()),
            tags: job.tags.clone(),
            ..Task::default()
        };
        if !full {
            return task;
        }
        task.inputs = job
            .inputs
            .iter()
            .map(|i| TesIo {
                name: Some(i.local_name().to_owned()),
                url: Some(format!("kura:{}", i.reference())),
                path: Some(format!("/inputs/{}.parquet", i.local_name())),
                kind: Some("FILE".into()),
            })
            .collect();
        task.outputs = job
            .outputs
            .iter()
            .map(|o| TesIo {
                name: Some(o.clone()),
                url: job.output_dataset_id.map(|d| format!("kura:{d}/1/{o}")),
                path: Some(format!("/outputs/{o}.parquet")),
                kind: Some("FILE".into()),
            })
            .collect();
        task.executors = vec![Executor { image: image.into(), command: vec![job.code.clone()] }];
        task.logs = vec![json!({
            "start_time": job.running_at.map(|t| t.to_rfc3339()),
            "end_time": job.finished_at.map(|t| t.to_rfc3339()),
            "system_logs": job.message.iter().collect::<Vec<_>>(),
            "logs": [],
            "outputs": [],
        })];
        task
    }
}

#[derive(Debug, Deserialize)]
pub struct ViewQuery {
    #[serde(default)]
    view: Option<String>,
    #[serde(default)]
    page_size: Option<u64>,
    #[serde(default)]
    page_token: Option<String>,
}

impl ViewQuery {
    fn full(&self) -> bool {
        matches!(self.view.as_deref(), Some("BASIC" | "FULL"))
    }
}

/// `GET /service-info`.
pub async fn service_info(State(state): State<AppState>) -> Json<Value> {
    Json(json!({
        "id": format!("org.kura.{}", state.config.node_id),
        "name": format!("{} compute (GA4GH TES)", state.config.repository_name),
        "type": {"group": "org.ga4gh", "artifact": "tes", "version": "1.1.0"},
        "organization": {"name": state.config.repository_name, "url": state.config.base_url.clone().unwrap_or_default()},
        "version": env!("CARGO_PKG_VERSION"),
        "storage": ["kura:"],
        "tesResources_backend_parameters": [],
    }))
}

/// `POST /tasks`.
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Json(task): Json<Task>,
) -> Result<Json<Value>, ApiError> {
    let job = compute::submit(&state, &caller, task.into_request()?).await?;
    Ok(Json(json!({"id": job.id.to_string()})))
}

/// `GET /tasks`.
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<ViewQuery>,
) -> Result<Json<Value>, ApiError> {
    let offset = match q.page_token.as_deref() {
        None | Some("") => 0,
        Some(t) => t.parse().map_err(|_| bad("page_token is not one this server gave"))?,
    };
    let page = PageRequest { offset, limit: q.page_size.unwrap_or(256) };
    let jobs = compute::list(&state, &caller, page).await?;
    let next = jobs.offset + jobs.items.len() as u64;
    let tasks: Vec<Task> = jobs.items.into_iter().map(|j| Task::of(j, q.full())).collect();
    let mut body = json!({"tasks": tasks});
    if next < jobs.total {
        body["next_page_token"] = json!(next.to_string());
    }
    Ok(Json(body))
}

/// `GET /tasks/{id}`.
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Query(q): Query<ViewQuery>,
) -> Result<Json<Task>, ApiError> {
    let job = compute::get(&state, &caller, super::parse_id(&id, "task")?).await?;
    Ok(Json(Task::of(job, q.full())))
}

/// `POST /tasks/{id}:cancel` (the route is `/tasks/{id}`: the router cannot split `:cancel`).
pub async fn cancel(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let id = id.strip_suffix(":cancel").ok_or_else(|| ApiError::not_found("route"))?;
    compute::cancel(&state, &caller, super::parse_id(id, "task")?).await?;
    Ok(Json(json!({})))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tes_task_names_kura_tables_and_the_runner() {
        let task: Task = serde_json::from_value(json!({
            "name": "join",
            "inputs": [{"url": "kura:uvvis/latest/spectra", "path": "/inputs/s.parquet"}, {"url": "kura:b/2/t"}],
            "outputs": [{"path": "/outputs/joined.parquet", "url": "kura:out"}],
            "executors": [{"image": "kura/sql", "command": ["SELECT *", "FROM s"]}],
            "tags": {"kura.group": "lab", "project": "x"}
        }))
        .unwrap();
        let job = task.into_request().unwrap();
        assert_eq!((job.kind, job.code.as_str(), job.group.as_deref()), (JobKind::Sql, "SELECT * FROM s", Some("lab")));
        assert_eq!(job.inputs[0].local_name(), "s");
        assert_eq!((job.inputs[1].local_name(), job.inputs[1].version.as_str()), ("t", "2"));
        assert_eq!(job.outputs, ["joined"]);
        assert_eq!(job.tags.len(), 1);
        let docker: Task =
            serde_json::from_value(json!({"executors": [{"image": "ubuntu", "command": ["ls"]}]})).unwrap();
        assert!(docker.into_request().is_err());
    }
}
