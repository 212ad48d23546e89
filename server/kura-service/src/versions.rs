//! A dataset's versions and their life: the open draft, its metadata, review (submit, send
//! back), publishing, and deaccessioning a published version.

use kura_catalog::Visibility;
use kura_catalog::entity::dataset_version;
use kura_catalog::versions::DraftUpdate;
use kura_core::access::Action;
use kura_core::{ErrorCode, Principal};

use crate::access::{Which, authorize};
use crate::{ServiceError, Services, Surface};

/// Refuses a metadata document that breaks the profile (a draft may still lack required
/// fields): 422 naming every field and rule.
pub fn check_metadata(metadata: &serde_json::Value) -> Result<(), ServiceError> {
    kura_metadata::validate_draft(metadata).map_err(|e| ServiceError::new(ErrorCode::Unprocessable, e.to_string()))
}

/// The versions of dataset `name` the principal may see, oldest first.
pub async fn list(
    svc: &Services,
    principal: &Principal,
    name: &str,
) -> Result<Vec<dataset_version::Model>, ServiceError> {
    let vis = Visibility::of(principal);
    let dataset = svc.catalog.dataset_by_name(name, &vis).await?;
    Ok(svc.catalog.versions(dataset.id, &vis).await?)
}

/// One version (a number or `latest`) of dataset `name`.
pub async fn get(
    svc: &Services,
    principal: &Principal,
    name: &str,
    version: &str,
) -> Result<dataset_version::Model, ServiceError> {
    Ok(authorize(svc, principal, name, Which::Version(version), Action::ReadMetadata).await?.version)
}

/// The open draft of dataset `name`, created from the latest version when there is none.
pub async fn open_draft(
    svc: &Services,
    principal: &Principal,
    name: &str,
) -> Result<dataset_version::Model, ServiceError> {
    Ok(authorize(svc, principal, name, Which::OpenDraft, Action::Edit).await?.version)
}

/// Changes the open draft's title, description or metadata (fields left `None` stay); the
/// metadata must keep the profile's draft rules.
pub async fn update_draft(
    svc: &Services,
    principal: &Principal,
    name: &str,
    update: DraftUpdate,
) -> Result<dataset_version::Model, ServiceError> {
    let draft = authorize(svc, principal, name, Which::Draft, Action::Edit).await?.version;
    if let Some(metadata) = &update.metadata {
        check_metadata(metadata)?;
    }
    Ok(svc.catalog.update_draft(&draft, update).await?)
}

/// Sends the open draft for review: a steward publishes it or sends it back.
pub async fn submit(
    svc: &Services,
    principal: &Principal,
    surface: Surface,
    name: &str,
) -> Result<dataset_version::Model, ServiceError> {
    let draft = authorize(svc, principal, name, Which::Draft, Action::Edit).await?.version;
    Ok(svc.catalog.submit_for_review(&draft, surface.actor(principal)).await?)
}

/// Sends a version in review back to draft with what the editors should change (a steward's).
pub async fn return_to_draft(
    svc: &Services,
    principal: &Principal,
    surface: Surface,
    name: &str,
    comment: &str,
) -> Result<dataset_version::Model, ServiceError> {
    let version = authorize(svc, principal, name, Which::Draft, Action::Publish).await?.version;
    Ok(svc.catalog.return_to_draft(&version, comment, surface.actor(principal)).await?)
}

/// Publishes the open draft (a steward's); a conflict while an ingest job of it still runs.
pub async fn publish(
    svc: &Services,
    principal: &Principal,
    name: &str,
) -> Result<dataset_version::Model, ServiceError> {
    let target = authorize(svc, principal, name, Which::Draft, Action::Publish).await?;
    // What stream tables acknowledged so far is committed and frozen with the version; later
    // appends belong to the next one.
    let pins = crate::streams::pins_for_publish(svc, target.dataset.id).await?;
    Ok(svc.catalog.publish_pinned(&target.version, &pins).await?)
}

/// Withdraws a published version (a steward's): its PID still resolves to a tombstone page
/// giving `reason`, its data answer Gone on every surface.
pub async fn deaccession(
    svc: &Services,
    principal: &Principal,
    surface: Surface,
    name: &str,
    version: &str,
    reason: &str,
) -> Result<dataset_version::Model, ServiceError> {
    let target = authorize(svc, principal, name, Which::Version(version), Action::Publish).await?;
    Ok(svc.catalog.deaccession(&target.version, reason, surface.actor(principal)).await?)
}
