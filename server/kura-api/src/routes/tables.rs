use axum::Json;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use kura_catalog::tables::TableInfo;
use kura_catalog::{Page, PageRequest};

use crate::auth::Caller;
use crate::error::ApiError;
use crate::routes::files::{in_collection, stream_object};
use crate::state::AppState;
use kura_core::access::Action;
use kura_service::Surface;
use kura_service::access::{Which, audit_read, authorize};

#[utoipa::path(get, path = "/api/v1/datasets/{name}/versions/{version}/tables", tag = "tables",
    params(("name" = String, Path), ("version" = String, Path), PageRequest),
    responses((status = 200, body = Page<TableInfo>, description = "masked columns only for the owner group; column statistics only for callers who may read the data"), (status = 404)))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Path((name, version)): Path<(String, String)>,
    Query(page): Query<PageRequest>,
) -> Result<Json<Page<TableInfo>>, ApiError> {
    let target = authorize(&state, &caller, &name, Which::Version(&version), Action::ReadMetadata).await?;
    let shown = target.disclosure(&caller);
    let withheld = state.catalog.withheld_files(target.version.id, &shown).await?;
    let page = state.catalog.tables_page(target.version.id, page.capped(state.config.max_page_size)).await?;
    Ok(Json(Page { items: page.items.into_iter().map(|t| shown.table(t, &withheld)).collect(), ..page }))
}

#[utoipa::path(get, path = "/api/v1/datasets/{name}/versions/{version}/tables/{table}", tag = "tables",
    params(("name" = String, Path), ("version" = String, Path), ("table" = String, Path)),
    responses((status = 200, body = TableInfo, description = "masked columns only for the owner group; column statistics only for callers who may read the data"), (status = 404)))]
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Path((name, version, table)): Path<(String, String, String)>,
) -> Result<Json<TableInfo>, ApiError> {
    let target = authorize(&state, &caller, &name, Which::Version(&version), Action::ReadMetadata).await?;
    let shown = target.disclosure(&caller);
    let withheld = state.catalog.withheld_files(target.version.id, &shown).await?;
    let table = state.catalog.table(target.version.id, &table).await?;
    Ok(Json(shown.table(table, &withheld)))
}

#[utoipa::path(get, path = "/api/v1/datasets/{name}/versions/{version}/tables/{table}/parquet", tag = "tables",
    params(("name" = String, Path), ("version" = String, Path), ("table" = String, Path)),
    responses((status = 200, content_type = "application/vnd.apache.parquet", description = "the table as Parquet"), (status = 404)))]
pub async fn parquet(
    State(state): State<AppState>,
    caller: Caller,
    Path((name, version, table)): Path<(String, String, String)>,
) -> Result<Response, ApiError> {
    let target = authorize(&state, &caller, &name, Which::Version(&version), Action::ReadData).await?;
    let t = state.catalog.table(target.version.id, &table).await?;
    let f = state.catalog.file(target.version.id, t.file_id).await?;
    audit_read(&state, &caller, Surface::Rest, &target, "data.parquet", &t.name, serde_json::json!({"table": t.id}))
        .await?;
    let shown = target.disclosure(&caller);
    let response = if shown.hides_part_of(&t) {
        crate::routes::rows::parquet_without(&state, &f, &t, &shown).await?
    } else {
        stream_object(&state, &f, &format!("{}.parquet", t.name)).await?
    };
    in_collection(&state, &target, response)
}
