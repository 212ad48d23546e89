//! HTTP routes under `/api/v1`. Handlers extract, call the catalog or the ingestor, map the result.

pub mod datasets;
pub mod files;
pub mod health;
pub mod jobs;
pub mod rows;
pub mod tables;
pub mod versions;

use kura_catalog::entity::{dataset, dataset_version};
use kura_catalog::versions::VersionSelector;

use crate::auth::Caller;
use crate::error::ApiError;
use crate::state::AppState;

/// The dataset `name` as the caller may see it.
pub(crate) async fn find_dataset(state: &AppState, caller: &Caller, name: &str) -> Result<dataset::Model, ApiError> {
    Ok(state.catalog.dataset_by_name(name, &caller.visibility()).await?)
}

/// A version (`3` or `latest`) of dataset `name` as the caller may see it.
pub(crate) async fn find_version(
    state: &AppState,
    caller: &Caller,
    name: &str,
    version: &str,
) -> Result<(dataset::Model, dataset_version::Model), ApiError> {
    let selector: VersionSelector = version.parse()?;
    let ds = find_dataset(state, caller, name).await?;
    let v = state.catalog.version(ds.id, selector, &caller.visibility()).await?;
    Ok((ds, v))
}

/// The open draft of dataset `name`, created from the latest version when there is none.
/// Admin only.
pub(crate) async fn open_draft(
    state: &AppState,
    caller: &Caller,
    name: &str,
) -> Result<(dataset::Model, dataset_version::Model), ApiError> {
    caller.require_admin()?;
    let ds = find_dataset(state, caller, name).await?;
    let draft = state.catalog.open_draft(ds.id).await?;
    Ok((ds, draft))
}

/// The existing open draft of dataset `name` (404 when there is none). Admin only.
pub(crate) async fn existing_draft(
    state: &AppState,
    caller: &Caller,
    name: &str,
) -> Result<(dataset::Model, dataset_version::Model), ApiError> {
    caller.require_admin()?;
    let ds = find_dataset(state, caller, name).await?;
    let draft = state.catalog.existing_draft(ds.id).await?;
    Ok((ds, draft))
}
