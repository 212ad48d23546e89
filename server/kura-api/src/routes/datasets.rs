use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use kura_catalog::datasets::{DatasetSummary, NewDataset};
use kura_catalog::entity::dataset_version;
use kura_catalog::{Page, PageRequest};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::auth::Caller;
use crate::error::ApiError;
use crate::state::AppState;
use kura_service::{Target, datasets};

/// Body of `POST /api/v1/datasets`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateDataset {
    /// URL-safe name: letters, digits, '-', '_', '.'. Unique within the owner group; taken (409)
    /// when a dataset the caller can see already has it.
    pub name: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub metadata: Value,
    /// The owner group; its members may edit, its stewards publish and manage access.
    /// Required unless the caller is a platform admin.
    #[serde(default)]
    pub group: Option<uuid::Uuid>,
}

/// A dataset with its versions.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DatasetDetail {
    pub id: uuid::Uuid,
    pub name: String,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub versions: Vec<dataset_version::Model>,
}

/// A newly created dataset and its first draft.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Created {
    pub dataset: kura_catalog::entity::dataset::Model,
    pub draft: dataset_version::Model,
}

#[utoipa::path(get, path = "/api/v1/datasets", tag = "datasets", params(PageRequest),
    responses((status = 200, body = Page<DatasetSummary>)))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Query(page): Query<PageRequest>,
) -> Result<Json<Page<DatasetSummary>>, ApiError> {
    Ok(Json(datasets::list(&state, &caller, page).await?))
}

#[utoipa::path(post, path = "/api/v1/datasets", tag = "datasets", request_body = CreateDataset,
    responses((status = 201, body = Created), (status = 401), (status = 409)), security(("token" = [])))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Json(body): Json<CreateDataset>,
) -> Result<(StatusCode, Json<Created>), ApiError> {
    let new = NewDataset {
        name: body.name,
        title: body.title,
        description: body.description,
        metadata: body.metadata,
        group_id: body.group,
    };
    let Target { dataset, version: draft, .. } = datasets::create(&state, &caller, new).await?;
    Ok((StatusCode::CREATED, Json(Created { dataset, draft })))
}

/// `{name}` is a dataset's name or id; a name several visible datasets share means the one of the
/// caller's own groups, else the oldest (`kura_catalog::datasets::preferred`).
#[utoipa::path(get, path = "/api/v1/datasets/{name}", tag = "datasets", params(("name" = String, Path)),
    responses((status = 200, body = DatasetDetail), (status = 404)))]
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
) -> Result<Json<DatasetDetail>, ApiError> {
    let datasets::DatasetVersions { dataset: ds, versions } = datasets::get(&state, &caller, &name).await?;
    Ok(Json(DatasetDetail { id: ds.id, name: ds.name, created_at: ds.created_at, versions }))
}
