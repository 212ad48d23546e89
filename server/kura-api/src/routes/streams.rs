//! Stream tables over REST: create, append (Arrow IPC stream, NDJSON or CSV by `Content-Type`,
//! the idempotency key in `Kura-Writer-Id` + `Kura-Sequence`, provenance in `Kura-*` headers or
//! the query), list, describe, rows at a `snapshot` or `since` one, and the batches' provenance.

use std::collections::HashMap;

use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use futures::StreamExt;
use kura_catalog::entity::stream_batch;
use kura_core::ErrorCode;
use kura_service::Surface;
use kura_service::streams::{self, AppendKey, Appended, BatchProvenance, StreamInfo, StreamRef};
use serde::Deserialize;

use crate::auth::Caller;
use crate::error::ApiError;
use crate::routes::rows::encode;
use crate::state::AppState;

/// Body of stream table creation.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateStream {
    /// Unique within the dataset: letters, digits, `-`, `_`, `.`.
    pub name: String,
}

/// Provenance of an appended batch, as query parameters (the `Kura-Instrument`,
/// `Kura-Run-Id`, `Kura-Protocol`, `Kura-Sample-Ids`, `Kura-Started-At`, `Kura-Ended-At`
/// headers say the same and win).
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)] // the handler reads the query as a map; this documents it
pub struct AppendQuery {
    pub instrument: Option<String>,
    pub run_id: Option<String>,
    pub protocol: Option<String>,
    /// Comma-separated.
    pub sample_ids: Option<String>,
    /// RFC 3339.
    pub started_at: Option<String>,
    pub ended_at: Option<String>,
}

/// Which rows to read.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
pub struct StreamRowsQuery {
    /// The snapshot to read; the latest the caller may read when absent.
    pub snapshot: Option<i64>,
    /// Only rows committed after this snapshot.
    pub since: Option<i64>,
}

/// Which batches' provenance to list.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
pub struct BatchesQuery {
    /// Only batches committed after this snapshot.
    #[serde(default)]
    pub since: i64,
    pub run_id: Option<String>,
}

/// The answer to an append.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct AppendAnswer {
    pub stream: String,
    #[serde(flatten)]
    pub appended: Appended,
}

fn header_text<'a>(headers: &'a HeaderMap, name: &str) -> Result<Option<&'a str>, ApiError> {
    headers
        .get(name)
        .map(|v| v.to_str().map_err(|_| ApiError::bad_request(format!("header {name} is not text"))))
        .transpose()
}

/// A batch's idempotency key and provenance from the request's headers (and, for provenance,
/// its query).
fn key_and_provenance(
    headers: &HeaderMap,
    query: &HashMap<String, String>,
) -> Result<(Option<AppendKey>, BatchProvenance), ApiError> {
    let field = |name: &str| -> Result<Option<&str>, ApiError> { header_text(headers, &streams::header_name(name)) };
    let key = streams::key_of(field(streams::WRITER_ID)?, field(streams::SEQUENCE)?)?;
    let mut fields = HashMap::new();
    for name in streams::PROVENANCE_FIELDS {
        if let Some(value) = field(name)?.or(query.get(name).map(String::as_str)) {
            fields.insert(name, value);
        }
    }
    Ok((key, streams::provenance_of(|name| fields.get(name).copied())?))
}

#[utoipa::path(post, path = "/api/v1/datasets/{name}/streams", tag = "streams", params(("name" = String, Path)),
    request_body = CreateStream, responses((status = 201, body = StreamInfo), (status = 403), (status = 404)),
    security(("token" = [])))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
    Json(body): Json<CreateStream>,
) -> Result<(StatusCode, Json<StreamInfo>), ApiError> {
    Ok((StatusCode::CREATED, Json(streams::create(&state, &caller, Surface::Rest, &name, &body.name).await?)))
}

#[utoipa::path(get, path = "/api/v1/datasets/{name}/streams", tag = "streams", params(("name" = String, Path)),
    responses((status = 200, body = Vec<StreamInfo>, description = "live for editors of the dataset, else as the latest version froze them"),
        (status = 403), (status = 404)))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
) -> Result<Json<Vec<StreamInfo>>, ApiError> {
    Ok(Json(streams::list(&state, &caller, &name, None).await?))
}

#[utoipa::path(get, path = "/api/v1/datasets/{name}/streams/{table}", tag = "streams",
    params(("name" = String, Path), ("table" = String, Path)),
    responses((status = 200, body = StreamInfo), (status = 403), (status = 404)))]
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Path((name, table)): Path<(String, String)>,
) -> Result<Json<StreamInfo>, ApiError> {
    let at = StreamRef { dataset: &name, version: None, table: &table };
    Ok(Json(streams::describe(&state, &caller, at).await?))
}

#[utoipa::path(post, path = "/api/v1/datasets/{name}/streams/{table}/rows", tag = "streams",
    params(("name" = String, Path), ("table" = String, Path),
        ("Kura-Writer-Id" = Option<String>, Header, description = "the writer's id; with Kura-Sequence, the idempotency key"),
        ("Kura-Sequence" = Option<i64>, Header, description = "the writer's sequence number of this batch"),
        AppendQuery),
    request_body(content(("application/vnd.apache.arrow.stream"), ("application/x-ndjson"), ("text/csv"))),
    responses((status = 200, body = AppendAnswer, description = "durable; `duplicate` when the key was already applied"),
        (status = 400), (status = 403), (status = 404), (status = 415), (status = 422, description = "the rows do not fit the table's schema: the message names the column")),
    security(("token" = [])))]
pub async fn append(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path((name, table)): Path<(String, String)>,
    Query(query): Query<HashMap<String, String>>,
    body: Bytes,
) -> Result<Json<AppendAnswer>, ApiError> {
    let (key, provenance) = key_and_provenance(&headers, &query)?;
    let content_type = header_text(&headers, header::CONTENT_TYPE.as_str())?.unwrap_or("");
    let appender = streams::open_append(&state, &caller, Surface::Rest, &name, &table).await?;
    let appended = appender.append_body(&state, key, provenance, content_type, body).await?;
    Ok(Json(AppendAnswer { stream: table, appended }))
}

#[utoipa::path(get, path = "/api/v1/datasets/{name}/streams/{table}/rows", tag = "streams",
    params(("name" = String, Path), ("table" = String, Path), StreamRowsQuery),
    responses((status = 200, description = "rows as JSON, CSV or an Arrow IPC stream by Accept; the snapshot read in Kura-Snapshot",
            content(("application/json"), ("text/csv"), ("application/vnd.apache.arrow.stream"))),
        (status = 403), (status = 404), (status = 406)))]
pub async fn rows(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path((name, table)): Path<(String, String)>,
    Query(query): Query<StreamRowsQuery>,
) -> Result<Response, ApiError> {
    read(state, caller, headers, StreamRef { dataset: &name, version: None, table: &table }, query).await
}

#[utoipa::path(get, path = "/api/v1/datasets/{name}/versions/{version}/streams/{table}/rows", tag = "streams",
    params(("name" = String, Path), ("version" = String, Path), ("table" = String, Path), StreamRowsQuery),
    responses((status = 200, description = "a published version's rows are those of the snapshot it froze",
            content(("application/json"), ("text/csv"), ("application/vnd.apache.arrow.stream"))),
        (status = 403), (status = 404), (status = 406)))]
pub async fn version_rows(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path((name, version, table)): Path<(String, String, String)>,
    Query(query): Query<StreamRowsQuery>,
) -> Result<Response, ApiError> {
    read(state, caller, headers, StreamRef { dataset: &name, version: Some(&version), table: &table }, query).await
}

async fn read(
    state: AppState,
    caller: Caller,
    headers: HeaderMap,
    at: StreamRef<'_>,
    query: StreamRowsQuery,
) -> Result<Response, ApiError> {
    let format = encode::Format::from_accept(headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()))?;
    let read = streams::read(&state, &caller, Surface::Rest, at, query.snapshot, query.since).await?;
    let mut body = encode::encode(format, read.schema, read.batches);
    // The first chunk is taken before answering, so that an early failure is an error response.
    let first = body.next().await.transpose()?;
    let body = futures::stream::iter(first.map(Ok))
        .chain(body)
        .map(|chunk: Result<Bytes, ApiError>| chunk.map_err(|e| std::io::Error::other(format!("{e:?}"))));
    Response::builder()
        .header(header::CONTENT_TYPE, format.media_type())
        .header("kura-snapshot", read.stream.snapshot)
        .body(Body::from_stream(body.boxed()))
        .map_err(|e| ApiError::new(ErrorCode::Internal, e.to_string()))
}

#[utoipa::path(get, path = "/api/v1/datasets/{name}/streams/{table}/batches", tag = "streams",
    params(("name" = String, Path), ("table" = String, Path), BatchesQuery),
    responses((status = 200, body = Vec<stream_batch::Model>, description = "committed batches with their idempotency key, snapshot and provenance, oldest first"),
        (status = 403), (status = 404)))]
pub async fn batches(
    State(state): State<AppState>,
    caller: Caller,
    Path((name, table)): Path<(String, String)>,
    Query(query): Query<BatchesQuery>,
) -> Result<Json<Vec<stream_batch::Model>>, ApiError> {
    let at = StreamRef { dataset: &name, version: None, table: &table };
    Ok(Json(streams::batches(&state, &caller, at, query.since, query.run_id.as_deref()).await?))
}
