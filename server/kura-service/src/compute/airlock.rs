//! The airlock: a compute job's output keeps at least the level it inherited from its inputs,
//! and only a release loosens it. Its owner (a steward of the output's group) asks with a
//! reason; a steward of every input's owning group approves; once all have, the policy asked
//! for is in force, and the release (who asked, who approved, when, why) is in the audit log and
//! in the provenance of the output's tables.

use chrono::Utc;
use kura_catalog::Visibility;
use kura_catalog::airlock::NewRelease;
use kura_catalog::audit::AuditRecord;
use kura_catalog::entity::airlock_release;
use kura_catalog::policies::Policy;
use kura_compute::InputRef;
use kura_core::access::{Action, inherit, stewarded_groups};
use kura_core::{ErrorCode, Principal, RequestState};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::access::{Which, authorize, require_write};
use crate::{ServiceError, Services, Surface};

/// What the owner asks for: the looser policy, and why.
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReleaseRequest {
    #[schema(value_type = Object)]
    pub policy: Policy,
    pub reason: String,
}

/// Asks for a release of the output dataset `name` to `request.policy`.
pub async fn request(
    svc: &Services,
    principal: &Principal,
    surface: Surface,
    name: &str,
    request: ReleaseRequest,
) -> Result<airlock_release::Model, ServiceError> {
    let target = authorize(svc, principal, name, Which::Version("latest"), Action::ManageAccess).await?;
    let Some((job_id, floor)) = super::inherited_floor(svc, target.dataset.id).await? else {
        return Err(ServiceError::invalid(
            "only a compute job's output is released through the airlock: change this dataset's policy directly",
        ));
    };
    if request.reason.trim().is_empty() {
        return Err(ServiceError::invalid("a release needs a reason"));
    }
    if inherit::at_least_as_strict(&request.policy.level, &floor, Utc::now()) {
        return Err(ServiceError::invalid(format!(
            "this policy is not looser than the inherited level {}: set it directly",
            floor.name()
        )));
    }
    let job = svc.catalog.compute_job(job_id).await?;
    let inputs: Vec<InputRef> =
        serde_json::from_value(job.inputs).map_err(|e| ServiceError::internal(format!("stored inputs: {e}")))?;
    let mut needed = Vec::new();
    for input in &inputs {
        let dataset = svc.catalog.dataset_by_name(&input.dataset, &Visibility::everything()).await?;
        // A dataset without a group has no steward: only a platform administrator's group (none) fits.
        needed.push(dataset.group_id.unwrap_or(Uuid::nil()));
    }
    needed.sort();
    needed.dedup();
    let policy = serde_json::to_value(&request.policy).map_err(|e| ServiceError::internal(e.to_string()))?;
    let release = svc
        .catalog
        .create_release(NewRelease {
            dataset_id: target.dataset.id,
            job_id,
            requested_by: principal.actor.clone(),
            reason: request.reason.clone(),
            policy: policy.clone(),
            needed,
        })
        .await?;
    let details = json!({"release": release.id, "job": job_id, "reason": request.reason, "policy": policy});
    audit(svc, principal, surface, "airlock.requested", target.dataset.id, details).await?;
    Ok(release)
}

/// The releases the principal may act on or follow: those waiting for a group it stewards, and
/// its own requests (a platform administrator: all pending ones).
pub async fn pending(svc: &Services, principal: &Principal) -> Result<Vec<airlock_release::Model>, ServiceError> {
    let all = svc.catalog.pending_releases().await?;
    Ok(all.into_iter().filter(|r| principal.is_admin() || concerns(principal, r)).collect())
}

fn needed_of(release: &airlock_release::Model) -> Vec<Uuid> {
    serde_json::from_value(release.needed.clone()).unwrap_or_default()
}

fn approved_groups(release: &airlock_release::Model) -> Vec<Uuid> {
    release
        .approvals
        .as_array()
        .map(|a| a.iter().filter_map(|x| x["group"].as_str()?.parse().ok()).collect())
        .unwrap_or_default()
}

/// The groups for which `principal` may approve `release` now: input-owning groups it
/// stewards that have not approved yet (none: it may only follow the release).
pub fn approvable_by(principal: &Principal, release: &airlock_release::Model) -> Vec<Uuid> {
    let (needed, approved) = (needed_of(release), approved_groups(release));
    stewarded_groups(&principal.subject).into_iter().filter(|g| needed.contains(g) && !approved.contains(g)).collect()
}

/// The input tables of the job whose output `release` would loosen that `principal` may know
/// exist, as `dataset/version/table` (what a steward weighs before approving).
pub async fn inputs_seen_by(
    svc: &Services,
    principal: &Principal,
    release: &airlock_release::Model,
) -> Result<Vec<String>, ServiceError> {
    let job = svc.catalog.compute_job(release.job_id).await?;
    let inputs: Vec<InputRef> =
        serde_json::from_value(job.inputs).map_err(|e| ServiceError::internal(format!("stored inputs: {e}")))?;
    let mut seen = Vec::new();
    for input in inputs {
        let found =
            authorize(svc, principal, &input.dataset, Which::Version(&input.version), Action::ReadMetadata).await;
        match found {
            Ok(_) => seen.push(input.reference()),
            Err(e) if e.code == ErrorCode::NotFound => {}
            Err(e) => return Err(e),
        }
    }
    Ok(seen)
}

fn concerns(principal: &Principal, release: &airlock_release::Model) -> bool {
    let mine = stewarded_groups(&principal.subject);
    release.requested_by == principal.actor || needed_of(release).iter().any(|g| mine.contains(g))
}

/// Approves a release for every input-owning group the principal stewards that has not yet;
/// once every group has, the policy is in force.
pub async fn approve(
    svc: &Services,
    principal: &Principal,
    surface: Surface,
    id: Uuid,
) -> Result<airlock_release::Model, ServiceError> {
    require_write(principal)?;
    let release = svc.catalog.release(id).await?;
    if !(principal.is_admin() || concerns(principal, &release)) {
        return Err(ServiceError::not_found("airlock release"));
    }
    if release.state != RequestState::Pending {
        return Err(ServiceError::new(ErrorCode::Conflict, format!("the release is already {}", release.state)));
    }
    let needed = needed_of(&release);
    let mut approved = approved_groups(&release);
    let mine = approvable_by(principal, &release);
    if mine.is_empty() {
        return Err(ServiceError::forbidden(
            "approving needs a steward of a group that owns an input and has not approved yet",
        ));
    }
    let mut approvals = release.approvals.as_array().cloned().unwrap_or_default();
    for group in &mine {
        approvals.push(json!({"group": group, "by": principal.actor, "at": Utc::now()}));
        approved.push(*group);
    }
    let done = needed.iter().all(|g| approved.contains(g));
    svc.catalog.record_approvals(id, Value::Array(approvals.clone()), done).await?;
    let details = json!({"release": id, "groups": mine});
    audit(svc, principal, surface, "airlock.approved", release.dataset_id, details).await?;
    if done {
        let policy: Policy = serde_json::from_value(release.policy.clone())
            .map_err(|e| ServiceError::internal(format!("stored policy: {e}")))?;
        svc.catalog.set_policy(release.dataset_id, &policy, surface.actor(principal)).await?;
        let record = json!({
            "release": id, "job": release.job_id, "requested_by": release.requested_by,
            "reason": release.reason, "level": policy.level.name(), "approvals": approvals, "at": Utc::now(),
        });
        svc.catalog.record_release_provenance(release.dataset_id, record.clone()).await?;
        audit(svc, principal, surface, "airlock.released", release.dataset_id, record).await?;
        svc.catch_up_projections().await?;
    }
    Ok(svc.catalog.release(id).await?)
}

async fn audit(
    svc: &Services,
    principal: &Principal,
    surface: Surface,
    action: &str,
    dataset: Uuid,
    details: Value,
) -> Result<(), ServiceError> {
    let record = AuditRecord {
        actor: &principal.actor,
        action,
        surface: surface.as_str(),
        dataset_id: Some(dataset),
        target: None,
        details,
    };
    Ok(svc.catalog.audit(record).await?)
}
