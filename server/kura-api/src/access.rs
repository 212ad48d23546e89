//! Every route reaches datasets through here: the dataset and version are looked up within what
//! the caller may know exists, then `kura_core::access::decide` rules on the action. Something the
//! caller may not see answers exactly as if it did not exist.

use chrono::Utc;
use kura_catalog::audit::AuditRecord;
use kura_catalog::disclosure::Disclosure;
use kura_catalog::entity::{dataset, dataset_version};
use kura_catalog::policies::Policy;
use kura_catalog::versions::VersionSelector;
use kura_core::access::{Action, Decision, Facts, decide};
use kura_core::{ErrorCode, VersionState};

use crate::auth::Caller;
use crate::error::ApiError;
use crate::state::AppState;

/// A dataset version the caller may act on, with what was decided about it.
#[derive(Debug, Clone)]
pub struct Target {
    pub dataset: dataset::Model,
    pub version: dataset_version::Model,
    pub facts: Facts,
    pub policy: Policy,
}

impl Target {
    /// What of this version's tables and files the caller may be shown (masked columns,
    /// statistics, files holding a masked column): every data path asks this.
    pub fn disclosure(&self, caller: &Caller) -> Disclosure {
        Disclosure::of(&caller.0.subject, &self.facts, &self.policy, Utc::now())
    }
}

/// Which version of the dataset an operation is about.
#[derive(Debug, Clone, Copy)]
pub enum Which<'a> {
    /// A version number or `latest` from the URL.
    Version(&'a str),
    /// The open draft (404 when there is none).
    Draft,
    /// The open draft, created from the latest version when there is none.
    OpenDraft,
}

fn refuse(decision: Decision, action: Action) -> ApiError {
    match decision {
        Decision::NotFound => ApiError::not_found("dataset"),
        _ => ApiError::new(
            ErrorCode::Forbidden,
            match action {
                Action::ReadData => "you may not read this dataset's data: see its access conditions",
                Action::Edit => "you may not change this dataset",
                Action::Publish => "publishing needs a steward of the owner group",
                Action::ManageAccess => "managing access needs a steward of the owner group",
                Action::Delete => "deleting needs an admin of the owner group",
                Action::ReadMetadata => "you may not see this dataset",
            },
        ),
    }
}

/// Looks up `name` and the version `which`, and decides `action` for the caller.
pub async fn authorize(
    state: &AppState,
    caller: &Caller,
    name: &str,
    which: Which<'_>,
    action: Action,
) -> Result<Target, ApiError> {
    let changes = !matches!(action, Action::ReadMetadata | Action::ReadData);
    if changes && !caller.0.can_write && !caller.0.is_anonymous() {
        return Err(ApiError::new(ErrorCode::Forbidden, "this token is read-only"));
    }
    let vis = caller.visibility();
    let dataset = state.catalog.dataset_by_name(name, &vis).await?;
    let version = match which {
        Which::Version(v) => {
            let selector: VersionSelector = v.parse()?;
            state.catalog.version(dataset.id, selector, &vis).await?
        }
        Which::Draft | Which::OpenDraft => {
            check_editable(state, caller, &dataset).await?;
            if matches!(which, Which::OpenDraft) {
                state.catalog.open_draft(dataset.id).await?
            } else {
                state.catalog.existing_draft(dataset.id).await?
            }
        }
    };
    let (facts, policy) = state.catalog.facts(&dataset, &version).await?;
    let decision = decide(&caller.0.subject, action, &facts, Utc::now());
    if decision != Decision::Allow {
        if decision == Decision::Forbidden && changes && caller.0.is_anonymous() {
            return Err(unauthenticated());
        }
        if decision == Decision::Forbidden && action == Action::ReadData && version.state == VersionState::Deaccessioned
        {
            return Err(ApiError::new(
                ErrorCode::Gone,
                "this version was deaccessioned: its data are no longer available",
            ));
        }
        return Err(refuse(decision, action));
    }
    Ok(Target { dataset, version, facts, policy })
}

/// Whether the caller may change the dataset at all (work on drafts, see its jobs): decided on
/// the latest version the caller can see, as if it were a draft, so outsiders learn nothing
/// about drafts they cannot see.
async fn check_editable(state: &AppState, caller: &Caller, dataset: &dataset::Model) -> Result<(), ApiError> {
    let latest = state.catalog.version(dataset.id, VersionSelector::Latest, &caller.visibility()).await?;
    let (facts, _) = state.catalog.facts(dataset, &latest).await?;
    let now = Utc::now();
    let seen = decide(&caller.0.subject, Action::ReadMetadata, &facts, now);
    if seen != Decision::Allow {
        return Err(refuse(seen, Action::ReadMetadata));
    }
    let as_draft = Facts { state: kura_core::VersionState::Draft, ..facts };
    match decide(&caller.0.subject, Action::Edit, &as_draft, now) {
        Decision::Allow => Ok(()),
        _ if caller.0.is_anonymous() => Err(unauthenticated()),
        _ => Err(refuse(Decision::Forbidden, Action::Edit)),
    }
}

/// The dataset `name`, when the caller may change it.
pub async fn editable_dataset(state: &AppState, caller: &Caller, name: &str) -> Result<dataset::Model, ApiError> {
    let dataset = state.catalog.dataset_by_name(name, &caller.visibility()).await?;
    check_editable(state, caller, &dataset).await?;
    Ok(dataset)
}

/// A job of a dataset the caller may edit (its page, its JSON, cancelling it); 404 for a job
/// they may not see, as if it did not exist.
pub async fn editable_job(
    state: &AppState,
    caller: &Caller,
    name: &str,
    job_id: &str,
) -> Result<kura_catalog::entity::ingest_job::Model, ApiError> {
    let job_id = crate::routes::parse_id(job_id, "job")?;
    let dataset = editable_dataset(state, caller, name).await?;
    Ok(state.catalog.job(dataset.id, job_id).await?)
}

fn unauthenticated() -> ApiError {
    ApiError::new(ErrorCode::Unauthenticated, "sign in or present an API token to do this")
}

/// Records a data read in the audit log.
pub async fn audit_read(
    state: &AppState,
    caller: &Caller,
    target: &Target,
    action: &str,
    what: &str,
    details: serde_json::Value,
) -> Result<(), ApiError> {
    let mut details = details;
    details["version"] = serde_json::json!(target.version.number);
    state
        .catalog
        .audit(AuditRecord {
            actor: &caller.0.actor,
            action,
            surface: "rest",
            dataset_id: Some(target.dataset.id),
            target: Some(what.to_owned()),
            details,
        })
        .await?;
    Ok(())
}

/// Changes a dataset's access policy, and answers only once search and SPARQL show the change:
/// a dataset closed a moment ago is not found there by anyone outside its group after this
/// returns (the projections would otherwise follow within their polling interval).
pub async fn change_policy(
    state: &AppState,
    target: &Target,
    policy: &Policy,
    actor: kura_catalog::audit::Actor<'_>,
) -> Result<Policy, ApiError> {
    state.catalog.set_policy(target.dataset.id, policy, actor).await?;
    if let Some(search) = &state.search {
        search.catch_up().await.map_err(|e| ApiError::new(ErrorCode::Internal, e.to_string()))?;
    }
    if let Some(rdf) = &state.rdf {
        rdf.catch_up().await.map_err(|e| ApiError::new(ErrorCode::Internal, e.to_string()))?;
    }
    Ok(state.catalog.policy(target.dataset.id).await?)
}
