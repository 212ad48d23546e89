//! `/pid/{id}` and `/pid/{id}/{version}`: the persistent URLs. They redirect (303 See Other: the
//! PID names the dataset, the page describes it) to the landing page of the latest version the
//! caller may see, or of the given version; a withdrawn version's page is its tombstone (410).
//! What the caller may not see answers 404, like an id that never existed.

use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use kura_core::access::Action;
use kura_rdf::urls;

use super::latest_target;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::state::AppState;
use kura_service::access::{Which, authorize};

/// The dataset's name, for an id the caller may know (visibility is checked by the caller of
/// this function through `authorize`).
async fn name_of(state: &AppState, id: &str) -> Result<String, ApiError> {
    let id = crate::routes::parse_id(id, "dataset")?;
    Ok(state.catalog.dataset_by_id(id).await?.name)
}

fn see_other(name: &str, version: i32) -> Response {
    // A path, not an absolute URL: right behind any proxy whatever the configured base URL.
    let location = urls::landing("", name, version);
    (StatusCode::SEE_OTHER, [(header::LOCATION, location), (header::VARY, "Accept".to_string())]).into_response()
}

/// `GET /pid/{id}`.
pub async fn latest(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let name = name_of(&state, &id).await?;
    let target = latest_target(&state, &caller, &name).await?;
    Ok(see_other(&target.dataset.name, target.version.number))
}

/// `GET /pid/{id}/{version}`.
pub async fn version(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, version)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let name = name_of(&state, &id).await?;
    let target = authorize(&state, &caller, &name, Which::Version(&version), Action::ReadMetadata).await?;
    Ok(see_other(&target.dataset.name, target.version.number))
}
