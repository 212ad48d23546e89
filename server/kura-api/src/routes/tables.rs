use axum::Json;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use kura_catalog::tables::TableInfo;
use kura_catalog::{Page, PageRequest};

use crate::auth::Caller;
use crate::error::ApiError;
use crate::routes::files::{in_collection, stream_object};
use crate::state::AppState;
use kura_service::Surface;
use kura_service::tables::{self, ParquetData, TableParquet, TableRef};

#[utoipa::path(get, path = "/api/v1/datasets/{name}/versions/{version}/tables", tag = "tables",
    params(("name" = String, Path), ("version" = String, Path), PageRequest),
    responses((status = 200, body = Page<TableInfo>, description = "masked columns only for the owner group; column statistics only for callers who may read the data"), (status = 404)))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Path((name, version)): Path<(String, String)>,
    Query(page): Query<PageRequest>,
) -> Result<Json<Page<TableInfo>>, ApiError> {
    Ok(Json(tables::list(&state, &caller, &name, &version, page).await?))
}

#[utoipa::path(get, path = "/api/v1/datasets/{name}/versions/{version}/tables/{table}", tag = "tables",
    params(("name" = String, Path), ("version" = String, Path), ("table" = String, Path)),
    responses((status = 200, body = TableInfo, description = "masked columns only for the owner group; column statistics only for callers who may read the data"), (status = 404)))]
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Path((name, version, table)): Path<(String, String, String)>,
) -> Result<Json<TableInfo>, ApiError> {
    Ok(Json(tables::get(&state, &caller, TableRef { dataset: &name, version: &version, table: &table }).await?))
}

#[utoipa::path(get, path = "/api/v1/datasets/{name}/versions/{version}/tables/{table}/parquet", tag = "tables",
    params(("name" = String, Path), ("version" = String, Path), ("table" = String, Path)),
    responses((status = 200, content_type = "application/vnd.apache.parquet", description = "the table as Parquet"), (status = 404)))]
pub async fn parquet(
    State(state): State<AppState>,
    caller: Caller,
    Path((name, version, table)): Path<(String, String, String)>,
) -> Result<Response, ApiError> {
    let TableParquet { target, table, file, data } =
        tables::parquet(&state, &caller, Surface::Rest, TableRef { dataset: &name, version: &version, table: &table })
            .await?;
    let response = match data {
        ParquetData::Without { schema, batches } => {
            crate::routes::rows::parquet_without(&state, &table, schema, batches).await?
        }
        ParquetData::Whole(bytes) => stream_object(&file, &format!("{}.parquet", table.name), bytes)?,
    };
    in_collection(&state, &target, response)
}
