//! The one way every use case reaches a dataset: the dataset and version are looked up within what
//! the principal may know exists, then `kura_core::access::decide` rules on the action. Something
//! the principal may not see answers exactly as if it did not exist; data of a deaccessioned
//! version answers Gone on every surface.

use chrono::Utc;
use kura_catalog::Visibility;
use kura_catalog::audit::AuditRecord;
use kura_catalog::disclosure::Disclosure;
use kura_catalog::entity::{dataset, dataset_version, ingest_job};
use kura_catalog::policies::Policy;
use kura_catalog::versions::VersionSelector;
use kura_core::access::{Action, Decision, Facts, Governance, decide, decide_governance};
use kura_core::{ErrorCode, Principal, VersionState};
use uuid::Uuid;

use crate::{ServiceError, Services, Surface};

/// A dataset version the principal may act on, with what was decided about it.
#[derive(Debug, Clone)]
pub struct Target {
    pub dataset: dataset::Model,
    pub version: dataset_version::Model,
    pub facts: Facts,
    pub policy: Policy,
}

impl Target {
    /// What of this version's tables and files the principal may be shown (masked columns,
    /// statistics, files holding a masked column): every data path asks this.
    pub fn disclosure(&self, principal: &Principal) -> Disclosure {
        Disclosure::of(&principal.subject, &self.facts, &self.policy, Utc::now())
    }

    /// Whether `principal` may do `action` here as well (a page showing what else one may do).
    pub fn allows(&self, principal: &Principal, action: Action) -> bool {
        (principal.can_write || !action.changes())
            && decide(&principal.subject, action, &self.facts, Utc::now()) == Decision::Allow
    }

    /// Whether `principal` may edit this dataset's drafts (decided as if this version were one).
    pub fn allows_editing(&self, principal: &Principal) -> bool {
        principal.can_write
            && decide(&principal.subject, Action::Edit, &self.facts.as_draft(), Utc::now()) == Decision::Allow
    }
}

/// Which version of the dataset an operation is about.
#[derive(Debug, Clone, Copy)]
pub enum Which<'a> {
    /// A version number or `latest`, as a caller wrote it.
    Version(&'a str),
    /// The open draft (404 when there is none).
    Draft,
    /// The open draft, created from the latest version when there is none.
    OpenDraft,
}

fn refuse(decision: Decision, action: Action) -> ServiceError {
    match decision {
        Decision::NotFound => ServiceError::not_found("dataset"),
        _ => ServiceError::forbidden(match action {
            Action::ReadData => "you may not read this dataset's data: see its access conditions",
            Action::Edit => "you may not change this dataset",
            Action::Publish => "publishing needs a steward of the owner group",
            Action::ManageAccess => "managing access needs a steward of the owner group",
            Action::Delete => "deleting needs an admin of the owner group",
            Action::ReadMetadata => "you may not see this dataset",
        }),
    }
}

fn unauthenticated() -> ServiceError {
    ServiceError::unauthenticated("sign in or present an API token to do this")
}

/// Changes need credentials that may write (not a read-only token).
pub fn require_write(principal: &Principal) -> Result<(), ServiceError> {
    if principal.can_write || principal.is_anonymous() {
        Ok(())
    } else {
        Err(ServiceError::forbidden("this token is read-only"))
    }
}

/// What a refusal of a platform administrator's operation says.
pub const NEEDS_ADMIN: &str = "this operation needs an admin API token";

/// Decides a governance `action` (the directory, a group's roles, an account's tokens, a
/// consortium, the audit log) for `principal` by `kura_core::access::decide_governance`; `needs`
/// says on refusal who may do it. What is governed is public, so a refusal is 403 (401 without
/// credentials), never "not found".
pub fn govern(principal: &Principal, action: Governance, needs: &str) -> Result<(), ServiceError> {
    match decide_governance(&principal.subject, action) {
        Decision::Allow => Ok(()),
        _ if principal.is_anonymous() => Err(ServiceError::unauthenticated(needs)),
        _ => Err(ServiceError::forbidden(needs)),
    }
}

/// Decides a governance change: allowed by [`govern`], with credentials that may write.
pub fn govern_change(principal: &Principal, action: Governance, needs: &str) -> Result<(), ServiceError> {
    govern(principal, action, needs)?;
    require_write(principal)
}

/// The signed-in user acting; `needs` says what for when nobody is.
pub fn signed_in(principal: &Principal, needs: &str) -> Result<Uuid, ServiceError> {
    principal.user_id.ok_or_else(|| ServiceError::unauthenticated(needs))
}

/// Looks up `name` and the version `which`, and decides `action` for `principal`.
pub async fn authorize(
    svc: &Services,
    principal: &Principal,
    name: &str,
    which: Which<'_>,
    action: Action,
) -> Result<Target, ServiceError> {
    if action.changes() {
        require_write(principal)?;
    }
    let vis = Visibility::of(principal);
    let dataset = svc.catalog.dataset_by_name(name, &vis).await?;
    let version = match which {
        Which::Version(v) => {
            let selector: VersionSelector = v.parse()?;
            svc.catalog.version(dataset.id, selector, &vis).await?
        }
        Which::Draft | Which::OpenDraft => {
            check_editable(svc, principal, &dataset).await?;
            if matches!(which, Which::OpenDraft) {
                svc.catalog.open_draft(dataset.id).await?
            } else {
                svc.catalog.existing_draft(dataset.id).await?
            }
        }
    };
    decide_on(svc, principal, dataset, version, action).await
}

/// Decides `action` on a version already found within the principal's visibility.
pub async fn decide_on(
    svc: &Services,
    principal: &Principal,
    dataset: dataset::Model,
    version: dataset_version::Model,
    action: Action,
) -> Result<Target, ServiceError> {
    let (facts, policy) = svc.catalog.facts(&dataset, &version).await?;
    let decision = decide(&principal.subject, action, &facts, Utc::now());
    if decision == Decision::Allow {
        return Ok(Target { dataset, version, facts, policy });
    }
    if decision == Decision::Forbidden && action.changes() && principal.is_anonymous() {
        return Err(unauthenticated());
    }
    if decision == Decision::Forbidden && action == Action::ReadData && facts.state == VersionState::Deaccessioned {
        return Err(ServiceError::new(
            ErrorCode::Gone,
            "this version was deaccessioned: its data are no longer available",
        ));
    }
    Err(refuse(decision, action))
}

/// Whether the principal may change the dataset at all (work on drafts, see its jobs): decided on
/// the latest version the principal can see, as if it were a draft, so outsiders learn nothing
/// about drafts they cannot see.
async fn check_editable(svc: &Services, principal: &Principal, dataset: &dataset::Model) -> Result<(), ServiceError> {
    let latest = svc.catalog.version(dataset.id, VersionSelector::Latest, &Visibility::of(principal)).await?;
    let (facts, _) = svc.catalog.facts(dataset, &latest).await?;
    let now = Utc::now();
    let seen = decide(&principal.subject, Action::ReadMetadata, &facts, now);
    if seen != Decision::Allow {
        return Err(refuse(seen, Action::ReadMetadata));
    }
    match decide(&principal.subject, Action::Edit, &facts.as_draft(), now) {
        Decision::Allow => Ok(()),
        _ if principal.is_anonymous() => Err(unauthenticated()),
        _ => Err(refuse(Decision::Forbidden, Action::Edit)),
    }
}

/// The dataset `name`, when the principal may change it.
pub async fn editable_dataset(
    svc: &Services,
    principal: &Principal,
    name: &str,
) -> Result<dataset::Model, ServiceError> {
    let dataset = svc.catalog.dataset_by_name(name, &Visibility::of(principal)).await?;
    check_editable(svc, principal, &dataset).await?;
    Ok(dataset)
}

/// A job of a dataset the principal may edit (its page, its JSON, cancelling it); 404 for a job
/// they may not see, as if it did not exist.
pub async fn editable_job(
    svc: &Services,
    principal: &Principal,
    name: &str,
    job_id: Uuid,
) -> Result<ingest_job::Model, ServiceError> {
    let dataset = editable_dataset(svc, principal, name).await?;
    Ok(svc.catalog.job(dataset.id, job_id).await?)
}

/// Records a data read in the audit log.
pub async fn audit_read(
    svc: &Services,
    principal: &Principal,
    surface: Surface,
    target: &Target,
    action: &str,
    what: &str,
    details: serde_json::Value,
) -> Result<(), ServiceError> {
    let read = Read { dataset: target.dataset.id, version: target.version.number, what: Some(what.to_owned()) };
    record_read(svc, principal, surface, action, read, details).await
}

/// What was read, for the audit log.
pub(crate) struct Read {
    pub dataset: Uuid,
    pub version: i32,
    /// The file, table or document read; `None` for several at once.
    pub what: Option<String>,
}

/// The one writer of read records: every data path's audit goes through here.
pub(crate) async fn record_read(
    svc: &Services,
    principal: &Principal,
    surface: Surface,
    action: &str,
    read: Read,
    mut details: serde_json::Value,
) -> Result<(), ServiceError> {
    details["version"] = serde_json::json!(read.version);
    svc.catalog
        .audit(AuditRecord {
            actor: &principal.actor,
            action,
            surface: surface.as_str(),
            dataset_id: Some(read.dataset),
            target: read.what,
            details,
        })
        .await?;
    Ok(())
}
