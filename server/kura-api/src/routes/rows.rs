//! Table rows in JSON, CSV or Arrow IPC, chosen by `Accept`, streamed batch by batch.

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, header};
use axum::response::Response;
use bytes::Bytes;
use futures::StreamExt;
use kura_core::ErrorCode;
use serde::Deserialize;

use crate::auth::Caller;
use crate::error::ApiError;
use crate::state::AppState;
use kura_service::tables::TableRef;
use kura_service::{Surface, rows};

pub(crate) mod encode;

/// Query of the rows endpoint.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct RowsQuery {
    /// Comma-separated column names; all columns the caller may see when absent.
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
    let columns =
        query.columns.as_deref().map(|c| c.split(',').map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect());
    let request = rows::RowsQuery { columns, offset: query.offset, limit: query.limit };
    let rows::Rows { table: t, schema, batches } = rows::read(
        &state,
        &caller,
        Surface::Rest,
        TableRef { dataset: &name, version: &version, table: &table },
        request,
    )
    .await?;
    // The first chunk is taken before answering, so that an early failure is a proper error
    // response rather than a connection cut after a 200.
    let mut body = encode::encode(format, schema, batches);
    let first = body.next().await.transpose()?;
    let body = futures::stream::iter(first.map(Ok))
        .chain(body)
        .map(|chunk: Result<Bytes, ApiError>| chunk.map_err(|e| std::io::Error::other(format!("{e:?}"))));
    Response::builder()
        .header(header::CONTENT_TYPE, format.media_type())
        .header("x-total-rows", t.row_count)
        .body(Body::from_stream(body.boxed()))
        .map_err(|e| ApiError::new(ErrorCode::Internal, e.to_string()))
}

/// The table as Parquet without its hidden columns, re-encoded for this caller.
pub(crate) async fn parquet_without(
    state: &AppState,
    table: &kura_catalog::tables::TableInfo,
    schema: arrow::datatypes::SchemaRef,
    mut batches: kura_service::rows::BatchStream,
) -> Result<Response, ApiError> {
    let scratch = state.store.scratch_path();
    let mut writer = parquet::arrow::ArrowWriter::try_new(
        std::fs::File::create(&scratch).map_err(kura_storage::StorageError::from)?,
        schema,
        Some(kura_storage::parquet_io::writer_properties()),
    )
    .map_err(kura_storage::StorageError::from)?;
    while let Some(batch) = batches.next().await {
        writer.write(&batch?).map_err(kura_storage::StorageError::from)?;
    }
    writer.close().map_err(kura_storage::StorageError::from)?;
    let bytes = tokio::fs::read(&scratch).await.map_err(kura_storage::StorageError::from)?;
    let _ = tokio::fs::remove_file(&scratch).await;
    Response::builder()
        .header(header::CONTENT_TYPE, "application/vnd.apache.parquet")
        .header(header::CONTENT_DISPOSITION, format!("attachment; filename=\"{}.parquet\"", table.name))
        .body(Body::from(bytes))
        .map_err(|e| ApiError::new(ErrorCode::Internal, e.to_string()))
}
