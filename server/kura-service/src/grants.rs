//! Access requests and grants: a reader asks for the data of a dataset they can see, a steward of
//! its owner group answers (a grant until a date, or a reason to deny), lists and revokes grants.

use chrono::Utc;
use kura_catalog::entity::{access_grant, access_request};
use kura_catalog::requests::Answer;
use kura_catalog::{Page, PageRequest};
use kura_core::Principal;
use kura_core::access::{Action, Decision, decide};
use uuid::Uuid;

use crate::access::{Target, Which, authorize, require_write, signed_in};
use crate::{ServiceError, Services, Surface};

/// The latest version of `name`, when the principal manages its access.
async fn managed(svc: &Services, principal: &Principal, name: &str) -> Result<Target, ServiceError> {
    authorize(svc, principal, name, Which::Version("latest"), Action::ManageAccess).await
}

/// Asks for access to the data of dataset `name`, giving a reason. Existence comes first: a
/// dataset the principal may not see is absent, signed in or not.
pub async fn request_access(
    svc: &Services,
    principal: &Principal,
    name: &str,
    reason: &str,
) -> Result<access_request::Model, ServiceError> {
    let target = authorize(svc, principal, name, Which::Version("latest"), Action::ReadMetadata).await?;
    let user = signed_in(principal, "sign in to request access")?;
    require_write(principal)?;
    Ok(svc.catalog.request_access(target.dataset.id, user, reason).await?)
}

/// The access requests of dataset `name` (in `state`, when given): all of them for those who
/// manage its access, the principal's own otherwise.
pub async fn requests(
    svc: &Services,
    principal: &Principal,
    name: &str,
    state: Option<&str>,
    page: PageRequest,
) -> Result<Page<access_request::Model>, ServiceError> {
    let target = authorize(svc, principal, name, Which::Version("latest"), Action::ReadMetadata).await?;
    // Reading requests changes nothing: a steward's read-only token sees them all too.
    let steward = decide(&principal.subject, Action::ManageAccess, &target.facts, Utc::now()) == Decision::Allow;
    let own = if steward { None } else { Some(signed_in(principal, "sign in to see your requests")?) };
    let state = state.map(str::parse).transpose().map_err(ServiceError::invalid)?;
    Ok(svc.catalog.requests_page(Some(target.dataset.id), own, state, page).await?)
}

/// The principal's own access requests, of every dataset.
pub async fn my_requests(
    svc: &Services,
    principal: &Principal,
    page: PageRequest,
) -> Result<Page<access_request::Model>, ServiceError> {
    let user = signed_in(principal, crate::directory::NEEDS_ACCOUNT)?;
    Ok(svc.catalog.requests_page(None, Some(user), None, page).await?)
}

/// Answers access request `request` of dataset `name`: approved until a date (a grant), or
/// denied with a reason. A request already answered is a conflict.
pub async fn answer_request(
    svc: &Services,
    principal: &Principal,
    surface: Surface,
    name: &str,
    request: Uuid,
    answer: Answer,
) -> Result<access_request::Model, ServiceError> {
    let target = managed(svc, principal, name).await?;
    let request = svc.catalog.access_request(target.dataset.id, request).await?;
    Ok(svc.catalog.answer_request(&request, answer, principal.user_id, surface.actor(principal)).await?)
}

/// The grants of dataset `name`, newest first, for those who manage its access.
pub async fn grants(
    svc: &Services,
    principal: &Principal,
    name: &str,
) -> Result<Vec<access_grant::Model>, ServiceError> {
    let target = managed(svc, principal, name).await?;
    Ok(svc.catalog.grants(target.dataset.id).await?)
}

/// Revokes grant `grant` of dataset `name` at once.
pub async fn revoke_grant(
    svc: &Services,
    principal: &Principal,
    surface: Surface,
    name: &str,
    grant: Uuid,
) -> Result<(), ServiceError> {
    let target = managed(svc, principal, name).await?;
    Ok(svc.catalog.revoke_grant(target.dataset.id, grant, surface.actor(principal)).await?)
}

/// What a steward's page of one dataset shows about its access: the dataset, every request and
/// every grant.
#[derive(Debug, Clone)]
pub struct AccessDesk {
    pub target: Target,
    pub requests: Vec<access_request::Model>,
    pub grants: Vec<access_grant::Model>,
}

/// How many requests a steward's pages list per dataset.
const DESK_REQUESTS: u64 = 200;

/// The access desk of dataset `name`, for those who manage its access.
pub async fn access_desk(svc: &Services, principal: &Principal, name: &str) -> Result<AccessDesk, ServiceError> {
    let target = managed(svc, principal, name).await?;
    let page = PageRequest { offset: 0, limit: DESK_REQUESTS };
    let requests = svc.catalog.requests_page(Some(target.dataset.id), None, None, page).await?.items;
    let grants = svc.catalog.grants(target.dataset.id).await?;
    Ok(AccessDesk { target, requests, grants })
}

/// Every dataset of the groups the principal stewards whose access they manage, with its
/// pending requests.
pub async fn managed_datasets(
    svc: &Services,
    principal: &Principal,
) -> Result<Vec<(Target, Vec<access_request::Model>)>, ServiceError> {
    let groups = kura_core::access::stewarded_groups(&principal.subject);
    let mut out = Vec::new();
    for d in svc.catalog.datasets_of_groups(&groups).await? {
        // The one decision, once more, for each dataset.
        let Ok(target) = managed(svc, principal, &d.name).await else { continue };
        let page = PageRequest { offset: 0, limit: DESK_REQUESTS };
        let pending =
            svc.catalog.requests_page(Some(d.id), None, Some(kura_core::RequestState::Pending), page).await?.items;
        out.push((target, pending));
    }
    Ok(out)
}
