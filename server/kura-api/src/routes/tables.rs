use axum::Json;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use kura_catalog::tables::TableInfo;
use kura_catalog::{Page, PageRequest};

use crate::auth::Caller;
use crate::error::ApiError;
use crate::routes::files::stream_object;
use crate::routes::find_version;
use crate::state::AppState;

#[utoipa::path(get, path = "/api/v1/datasets/{name}/versions/{version}/tables", tag = "tables",
    params(("name" = String, Path), ("version" = String, Path), PageRequest),
    responses((status = 200, body = Page<TableInfo>), (status = 404)))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Path((name, version)): Path<(String, String)>,
    Query(page): Query<PageRequest>,
) -> Result<Json<Page<TableInfo>>, ApiError> {
    let (_, v) = find_version(&state, &caller, &name, &version).await?;
    Ok(Json(state.catalog.tables_page(v.id, page.capped(state.config.max_page_size)).await?))
}

#[utoipa::path(get, path = "/api/v1/datasets/{name}/versions/{version}/tables/{table}", tag = "tables",
    params(("name" = String, Path), ("version" = String, Path), ("table" = String, Path)),
    responses((status = 200, body = TableInfo), (status = 404)))]
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Path((name, version, table)): Path<(String, String, String)>,
) -> Result<Json<TableInfo>, ApiError> {
    let (_, v) = find_version(&state, &caller, &name, &version).await?;
    Ok(Json(state.catalog.table(v.id, &table).await?))
}

#[utoipa::path(get, path = "/api/v1/datasets/{name}/versions/{version}/tables/{table}/parquet", tag = "tables",
    params(("name" = String, Path), ("version" = String, Path), ("table" = String, Path)),
    responses((status = 200, content_type = "application/vnd.apache.parquet", description = "the table as Parquet"), (status = 404)))]
pub async fn parquet(
    State(state): State<AppState>,
    caller: Caller,
    Path((name, version, table)): Path<(String, String, String)>,
) -> Result<Response, ApiError> {
    let (_, v) = find_version(&state, &caller, &name, &version).await?;
    let t = state.catalog.table(v.id, &table).await?;
    let f = state.catalog.file(v.id, t.file_id).await?;
    stream_object(&state, &f, &format!("{}.parquet", t.name)).await
}
