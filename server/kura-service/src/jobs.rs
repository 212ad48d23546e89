//! A dataset's ingest jobs, for those who may change the dataset: listing, one job's progress
//! and report, and cancelling one that has not ended. A job the principal may not see answers
//! 404, as if it did not exist. And, once at start, what a previous process left of them.

use kura_catalog::entity::ingest_job;
use kura_catalog::{Page, PageRequest};
use kura_core::Principal;
use uuid::Uuid;

use crate::access::{editable_dataset, editable_job};
use crate::{ServiceError, Services};

/// The ingest jobs of dataset `name`, a page at a time.
pub async fn list(
    svc: &Services,
    principal: &Principal,
    name: &str,
    page: PageRequest,
) -> Result<Page<ingest_job::Model>, ServiceError> {
    let dataset = editable_dataset(svc, principal, name).await?;
    Ok(svc.catalog.jobs_page(dataset.id, page.capped(svc.config.max_page_size)).await?)
}

/// One ingest job of dataset `name`.
pub async fn get(
    svc: &Services,
    principal: &Principal,
    name: &str,
    job: Uuid,
) -> Result<ingest_job::Model, ServiceError> {
    editable_job(svc, principal, name, job).await
}

/// Cancels a job that has not ended: a queued job never runs, a running one stops at its next
/// file or batch and commits nothing. A conflict when it has already ended.
pub async fn cancel(
    svc: &Services,
    principal: &Principal,
    name: &str,
    job: Uuid,
) -> Result<ingest_job::Model, ServiceError> {
    crate::access::require_write(principal)?;
    let job = editable_job(svc, principal, name, job).await?;
    Ok(svc.jobs.cancel(&job).await?)
}

/// Run once at start: fails the jobs whose workers stopped during their last allowed attempt
/// (their results were never committed), then, in a process with the `worker` role, starts
/// claiming jobs (the queued ones, and those whose worker stopped once their lease passes).
pub async fn start(svc: &Services) -> Result<(), ServiceError> {
    let recovered = svc.jobs.recover().await?;
    if recovered.failed > 0 || recovered.queued > 0 {
        tracing::warn!(failed = recovered.failed, queued = recovered.queued, "ingest jobs a previous stop left");
    }
    if svc.config.has_role(kura_core::Role::Worker) {
        svc.jobs.start_worker();
    }
    Ok(())
}
