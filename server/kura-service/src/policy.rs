//! Access policies: reading one as the principal may see it, and changing it.

use kura_catalog::audit::Actor;
use kura_catalog::policies::Policy;

use crate::{ServiceError, Services, Target};

/// Changes a dataset's access policy, and answers only once search and SPARQL show the change:
/// a dataset closed a moment ago is not found there by anyone outside its group after this
/// returns (the projections would otherwise follow within their polling interval).
pub async fn change_policy(
    svc: &Services,
    target: &Target,
    policy: &Policy,
    actor: Actor<'_>,
) -> Result<Policy, ServiceError> {
    svc.catalog.set_policy(target.dataset.id, policy, actor).await?;
    svc.catch_up_projections().await?;
    Ok(svc.catalog.policy(target.dataset.id).await?)
}
