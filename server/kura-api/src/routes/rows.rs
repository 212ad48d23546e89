//! Table rows in JSON, CSV or Arrow IPC, chosen by `Accept`, streamed batch by batch.

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, header};
use axum::response::Response;
use bytes::Bytes;
use futures::StreamExt;
use kura_core::ErrorCode;
use kura_storage::parquet_io::{RowsRequest, read_rows};
use serde::Deserialize;

use crate::auth::Caller;
use crate::error::ApiError;
use crate::routes::find_version;
use crate::state::AppState;

mod encode;

/// Rows returned when the caller gives no limit.
const DEFAULT_LIMIT: u64 = 1000;
/// Most rows one request may ask for; larger reads use the Parquet download or Flight.
const MAX_LIMIT: u64 = 1_000_000;

/// Query of the rows endpoint.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct RowsQuery {
    /// Comma-separated column names; all columns when absent.
    pub columns: Option<String>,
    /// Rows to skip.
    #[serde(default)]
    pub offset: u64,
    /// Rows to return (default 1000, at most 1000000).
    pub limit: Option<u64>,
}

#[utoipa::path(get, path = "/api/v1/datasets/{name}/versions/{version}/tables/{table}/rows", tag = "tables",
    params(("name" = String, Path), ("version" = String, Path), ("table" = String, Path), RowsQuery),
    responses(
        (status = 200, description = "rows as a JSON array of objects, CSV, or an Arrow IPC stream, by Accept",
            content(("application/json"), ("text/csv"), ("application/vnd.apache.arrow.stream"))),
        (status = 400, description = "unknown column or bad limit"), (status = 404), (status = 406)))]
pub async fn rows(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path((name, version, table)): Path<(String, String, String)>,
    Query(query): Query<RowsQuery>,
) -> Result<Response, ApiError> {
    let format = encode::Format::from_accept(headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()))?;
    let limit = query.limit.unwrap_or(DEFAULT_LIMIT);
    if limit > MAX_LIMIT {
        return Err(ApiError::bad_request(format!("limit {limit} is above the maximum of {MAX_LIMIT}")));
    }
    let (_, v) = find_version(&state, &caller, &name, &version).await?;
    let t = state.catalog.table(v.id, &table).await?;
    let f = state.catalog.file(v.id, t.file_id).await?;
    let columns =
        query.columns.as_deref().map(|c| c.split(',').map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect());
    let request = RowsRequest { columns, offset: query.offset, limit: Some(limit) };
    let (schema, batches) = read_rows(&state.store, &f.sha256, f.size as u64, &request).await?;
    let body = encode::encode(format, schema, batches)
        .map(|chunk: Result<Bytes, ApiError>| chunk.map_err(|e| std::io::Error::other(format!("{e:?}"))));
    Response::builder()
        .header(header::CONTENT_TYPE, format.media_type())
        .header("x-total-rows", t.row_count)
        .body(Body::from_stream(body.boxed()))
        .map_err(|e| ApiError::new(ErrorCode::Internal, e.to_string()))
}
