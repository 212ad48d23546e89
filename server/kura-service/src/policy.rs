//! Access policies: reading one as the principal may see it, and changing it.

use kura_catalog::policies::Policy;
use kura_core::Principal;
use kura_core::access::Action;

use crate::access::{Which, authorize};
use crate::{ServiceError, Services, Surface};

/// The policy of dataset `name` as `principal` may see it: the masked columns are listed only
/// for those who see them, so others learn nothing of them.
pub async fn policy(svc: &Services, principal: &Principal, name: &str) -> Result<Policy, ServiceError> {
    let target = authorize(svc, principal, name, Which::Version("latest"), Action::ReadMetadata).await?;
    Ok(target.disclosure(principal).policy(target.policy.clone()))
}

/// Changes the access policy of dataset `name` (a steward of its owner group, or an admin), and
/// answers only once search and SPARQL show the change: a dataset closed a moment ago is not
/// found there by anyone outside its group after this returns (the projections would otherwise
/// follow within their polling interval).
pub async fn change_policy(
    svc: &Services,
    principal: &Principal,
    surface: Surface,
    name: &str,
    policy: &Policy,
) -> Result<Policy, ServiceError> {
    let target = authorize(svc, principal, name, Which::Version("latest"), Action::ManageAccess).await?;
    // A compute job's output only tightens: loosening it is an airlock release.
    if let Some((job, floor)) = crate::compute::inherited_floor(svc, target.dataset.id).await?
        && !kura_core::access::inherit::at_least_as_strict(&policy.level, &floor, chrono::Utc::now())
    {
        return Err(ServiceError::forbidden(format!(
            "this dataset is the output of compute job {job} and inherited the level {} from its inputs: \
             its policy may only be tightened; loosening it is an airlock release, approved by a steward \
             of every input's owning group",
            floor.name()
        )));
    }
    svc.catalog.set_policy(target.dataset.id, policy, surface.actor(principal)).await?;
    svc.catch_up_projections().await?;
    Ok(svc.catalog.policy(target.dataset.id).await?)
}
