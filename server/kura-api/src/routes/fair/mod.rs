//! The FAIR surfaces outside `/api/v1`: landing pages with schema.org JSON-LD and Signposting,
//! content negotiation to RDF, DataCite and RO-Crate, PID resolution with tombstones, the DCAT
//! catalog, the sitemap and robots.txt. Every dataset is reached through `crate::access`;
//! descriptions come from `kura_rdf::Describer` (the one place that turns catalog rows into
//! metadata views), documents from `kura_metadata`.

pub mod catalog;
pub mod export;
pub mod landing;
mod lineage;
mod negotiate;
mod page;
pub mod pid;

use axum::http::{HeaderMap, header};
use chrono::Utc;
use kura_core::access::{Action, sees_masked_columns};
use kura_core::{ErrorCode, VersionState};
use kura_metadata::{DatasetView, MetadataError};
use kura_rdf::Describer;

use crate::auth::Caller;
use crate::error::ApiError;
use crate::state::AppState;
use kura_service::access::{Target, Which, authorize};

/// The node's describer (base URL and repository name from the configuration).
pub(crate) fn describer(state: &AppState) -> Describer {
    Describer::new(state.catalog.clone(), &state.config.base_url(), &state.config.repository_name, None)
}

/// The version `/datasets/{name}` and `/pid/{id}` stand for: the newest version the caller may
/// see that has not been withdrawn, else the newest (a tombstone).
pub(crate) async fn latest_target(state: &AppState, caller: &Caller, name: &str) -> Result<Target, ApiError> {
    let vis = caller.visibility();
    let dataset = state.catalog.dataset_by_name(name, &vis).await?;
    let versions = state.catalog.versions(dataset.id, &vis).await?;
    let chosen = versions
        .iter()
        .rev()
        .find(|v| v.state != VersionState::Deaccessioned)
        .or(versions.last())
        .map(|v| v.number.to_string())
        .ok_or_else(|| ApiError::not_found("dataset"))?;
    Ok(authorize(state, caller, name, Which::Version(&chosen), Action::ReadMetadata).await?)
}

/// The description of `target` for this caller: masked columns, and files holding them, only
/// for those who see masked columns.
pub(crate) async fn view_of(state: &AppState, caller: &Caller, target: &Target) -> Result<DatasetView, ApiError> {
    let include_masked = sees_masked_columns(&caller.0.subject, &target.facts);
    Ok(describer(state).version(&target.dataset, &target.version, include_masked, Utc::now()).await?)
}

/// A mapping failure is a bug or bad stored data, never the caller's fault.
pub(crate) fn metadata_error(e: MetadataError) -> ApiError {
    ApiError::new(ErrorCode::Internal, format!("metadata mapping failed: {e}"))
}

/// The `Accept` header, if any.
pub(crate) fn accept(headers: &HeaderMap) -> Option<&str> {
    headers.get(header::ACCEPT).and_then(|v| v.to_str().ok())
}

/// 406 with what is offered.
pub(crate) fn not_acceptable() -> ApiError {
    ApiError::new(ErrorCode::NotAcceptable, format!("not acceptable; offered: {}", negotiate::offered_list()))
}
