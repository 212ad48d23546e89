//! Compute jobs, the use cases every job surface (REST `/api/v1/jobs`, GA4GH TES, the CLI)
//! calls: submit, get, list, cancel, log. A job is its submitter's: others get 404 as if it
//! did not exist (platform administrators see every job, but only the submitter its log).
//! Access to the inputs is decided at submission ([`inputs::resolve`]) and again when a worker
//! starts the job ([`worker`]); the output is a new draft dataset of the submitter's group at a
//! level at least as strict as every input's (`kura_core::access::inherit`).

pub mod airlock;
pub mod derivation;
pub mod inputs;
pub mod lineage;
mod view;
pub mod worker;

use kura_catalog::compute::NewComputeJob;
use kura_catalog::{Page, PageRequest};
use kura_compute::{ComputeError, JobRequest};
use kura_core::{ErrorCode, Principal};
use uuid::Uuid;

use crate::access::{require_write, signed_in};
use crate::{ServiceError, Services};

pub use view::ComputeJob;
pub use worker::Compute;

/// Queues a job after deciding every input for the submitter; returns it `QUEUED`.
pub async fn submit(svc: &Services, principal: &Principal, request: JobRequest) -> Result<ComputeJob, ServiceError> {
    let submitter = signed_in(principal, "sign in to submit a compute job")?;
    require_write(principal)?;
    request.validate()?;
    if !svc.compute.runs(request.kind) {
        return Err(ComputeError::NotEnabled(format!(
            "{} jobs are not enabled on this node (no runner for them is configured)",
            request.kind.as_str()
        ))
        .into());
    }
    let group = owner_group(svc, principal, request.group.as_deref()).await?;
    let resolved = inputs::resolve(svc, principal, &request.inputs).await?;
    let pinned: Vec<_> = resolved.into_iter().map(|r| r.pinned).collect();
    let job = svc
        .catalog
        .create_compute_job(NewComputeJob {
            submitter,
            actor: principal.actor.clone(),
            group_id: group,
            name: request.name.clone().unwrap_or_else(|| "job".into()),
            kind: request.kind.as_str().into(),
            code: request.code.clone(),
            inputs: serde_json::json!(pinned),
            outputs: serde_json::json!(request.output_names()),
            tags: serde_json::json!(request.tags),
        })
        .await?;
    svc.compute.wake();
    ComputeJob::of(job)
}

/// The group that will own the output: the one named (by name or id), which the submitter
/// must belong to, or the submitter's only group.
async fn owner_group(svc: &Services, principal: &Principal, named: Option<&str>) -> Result<Uuid, ServiceError> {
    let mine: Vec<Uuid> = principal.subject.groups.iter().map(|(g, _)| *g).collect();
    let Some(named) = named else {
        return match mine.as_slice() {
            [one] => Ok(*one),
            [] => Err(ServiceError::forbidden("a job's output belongs to one of your groups, and you are in none")),
            more => Err(ServiceError::invalid(format!(
                "you belong to {} groups: name the one that owns the output in `group`",
                more.len()
            ))),
        };
    };
    let groups = svc.catalog.groups_with_organizations().await?;
    let found = groups.iter().find(|(g, _)| g.id.to_string() == named || g.name == named).map(|(g, _)| g.id);
    match found {
        Some(g) if mine.contains(&g) => Ok(g),
        _ => Err(ServiceError::forbidden(format!("you are not a member of a group {named:?}"))),
    }
}

/// The level the output `dataset` of a compute job inherited, below which its policy may not
/// go (`None` for a dataset no job wrote).
pub async fn inherited_floor(
    svc: &Services,
    dataset: Uuid,
) -> Result<Option<(Uuid, kura_core::access::AccessLevel)>, ServiceError> {
    let Some(job) = svc.catalog.compute_job_of_output(dataset).await? else { return Ok(None) };
    let Some(level) = job.inherited_level else { return Ok(None) };
    let level = serde_json::from_value(level)
        .map_err(|e| ServiceError::internal(format!("job {}: inherited level: {e}", job.id)))?;
    Ok(Some((job.id, level)))
}

/// Where an output's restrictions come from: the job that wrote it, the level it inherited,
/// and each input's level now, as one who may see the output is told before publishing.
#[derive(Debug, Clone)]
pub struct Inheritance {
    pub job: Uuid,
    pub level: kura_core::access::AccessLevel,
    pub inputs: Vec<InheritedFrom>,
}

/// One input of the job behind an output.
#[derive(Debug, Clone)]
pub enum InheritedFrom {
    /// An input the principal may know exists: `dataset/version/table`, the dataset's handle,
    /// and its level now.
    Seen { reference: String, dataset: String, level: kura_core::access::AccessLevel },
    /// An input the principal may not know of: only that there is one.
    Hidden,
}

/// The inheritance of the output `dataset` (which `principal` may see), or `None` when no
/// job wrote it. Each input is decided for `principal`: what it may not see stays unnamed.
pub async fn inheritance(
    svc: &Services,
    principal: &Principal,
    dataset: Uuid,
) -> Result<Option<Inheritance>, ServiceError> {
    let Some((job, level)) = inherited_floor(svc, dataset).await? else { return Ok(None) };
    let row = svc.catalog.compute_job(job).await?;
    let declared: Vec<kura_compute::InputRef> = serde_json::from_value(row.inputs)
        .map_err(|e| ServiceError::internal(format!("job {job}: stored inputs: {e}")))?;
    let mut inputs = Vec::with_capacity(declared.len());
    for input in declared {
        let which = crate::access::Which::Version(&input.version);
        let action = kura_core::access::Action::ReadMetadata;
        inputs.push(match crate::access::authorize(svc, principal, &input.dataset, which, action).await {
            Ok(target) => InheritedFrom::Seen {
                reference: input.reference(),
                dataset: target.dataset.name,
                level: target.policy.level,
            },
            Err(e) if e.code == ErrorCode::NotFound => InheritedFrom::Hidden,
            Err(e) => return Err(e),
        });
    }
    Ok(Some(Inheritance { job, level, inputs }))
}

/// A job the principal may see: its submitter's, or any for a platform administrator.
async fn visible(
    svc: &Services,
    principal: &Principal,
    id: Uuid,
) -> Result<kura_catalog::entity::compute_job::Model, ServiceError> {
    let job = svc.catalog.compute_job(id).await?;
    if principal.is_admin() || principal.user_id == Some(job.submitter) {
        Ok(job)
    } else {
        Err(ServiceError::not_found("job"))
    }
}

/// One job.
pub async fn get(svc: &Services, principal: &Principal, id: Uuid) -> Result<ComputeJob, ServiceError> {
    ComputeJob::of(visible(svc, principal, id).await?)
}

/// The principal's jobs, newest first; a platform administrator's list has everyone's.
pub async fn list(svc: &Services, principal: &Principal, page: PageRequest) -> Result<Page<ComputeJob>, ServiceError> {
    let page = page.capped(svc.config.max_page_size);
    let jobs = if principal.is_admin() {
        svc.catalog.compute_jobs_page(None, page).await?
    } else {
        let user = signed_in(principal, "sign in to see your compute jobs")?;
        svc.catalog.compute_jobs_page(Some(user), page).await?
    };
    let items = jobs.items.into_iter().map(ComputeJob::of).collect::<Result<_, _>>()?;
    Ok(Page { items, total: jobs.total, offset: jobs.offset, limit: jobs.limit })
}

/// Cancels a job that has not ended: a queued job never starts, a running one stops and commits
/// nothing. A conflict when it has already ended.
pub async fn cancel(svc: &Services, principal: &Principal, id: Uuid) -> Result<ComputeJob, ServiceError> {
    require_write(principal)?;
    let job = visible(svc, principal, id).await?;
    if !svc.catalog.cancel_compute_job(job.id).await? {
        let ended = svc.catalog.compute_job(job.id).await?;
        return Err(ServiceError::new(ErrorCode::Conflict, format!("the job has already ended ({})", ended.state)));
    }
    svc.compute.stop(job.id);
    let canceled = svc.catalog.compute_job(job.id).await?;
    lineage::record(svc, &canceled, lineage::RunTransition::Abort, None).await;
    ComputeJob::of(canceled)
}

/// A job's log, for its submitter only (not even administrators read it: it may quote data).
pub async fn log(svc: &Services, principal: &Principal, id: Uuid) -> Result<String, ServiceError> {
    let job = visible(svc, principal, id).await?;
    if principal.user_id != Some(job.submitter) {
        return Err(ServiceError::forbidden("a job's log is shown to its submitter only"));
    }
    Ok(job.log)
}
