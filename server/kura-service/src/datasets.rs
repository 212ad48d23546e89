//! Datasets: listing those the principal may see, one with its versions, and creating one with
//! its first draft.

use kura_catalog::datasets::{DatasetSummary, NewDataset};
use kura_catalog::entity::{dataset, dataset_version};
use kura_catalog::{Page, PageRequest, Visibility};
use kura_core::access::Action;
use kura_core::{ErrorCode, Principal};
use uuid::Uuid;

use crate::access::{Target, decide_on};
use crate::{ServiceError, Services};

/// A dataset with the versions the principal may see, oldest first.
#[derive(Debug, Clone)]
pub struct DatasetVersions {
    pub dataset: dataset::Model,
    pub versions: Vec<dataset_version::Model>,
}

/// The datasets the principal may see, a page at a time (the page capped by `max_page_size`).
pub async fn list(
    svc: &Services,
    principal: &Principal,
    page: PageRequest,
) -> Result<Page<DatasetSummary>, ServiceError> {
    let page = page.capped(svc.config.max_page_size);
    Ok(svc.reader(principal).list_datasets(&Visibility::of(principal), page).await?)
}

/// The dataset `name` (a name or an id) with its versions the principal may see.
pub async fn get(svc: &Services, principal: &Principal, name: &str) -> Result<DatasetVersions, ServiceError> {
    let vis = Visibility::of(principal);
    let dataset = svc.reader(principal).dataset_by_name(name, &vis).await?;
    let versions = svc.reader(principal).versions(dataset.id, &vis).await?;
    Ok(DatasetVersions { dataset, versions })
}

/// Creates a dataset and its first draft, owned by `new.group_id`, and returns the draft as one
/// the principal may edit. Needs membership in the group (or platform admin) and metadata that
/// keeps the profile's draft rules. The name is taken (409) only when a dataset the principal can
/// see has it: a hidden dataset's name is as free as any.
pub async fn create(svc: &Services, principal: &Principal, new: NewDataset) -> Result<Target, ServiceError> {
    require_member_of(principal, new.group_id)?;
    crate::versions::check_metadata(&new.metadata)?;
    let (dataset, draft) = svc.catalog.create_dataset_visible_to(new, &Visibility::of(principal)).await?;
    decide_on(svc, principal, dataset, draft, Action::Edit).await
}

/// Creating a dataset for `group` needs membership in it (any role), or platform admin.
fn require_member_of(principal: &Principal, group: Option<Uuid>) -> Result<(), ServiceError> {
    if principal.is_admin() {
        return Ok(());
    }
    if principal.is_anonymous() {
        return Err(ServiceError::unauthenticated("sign in or present an API token to do this"));
    }
    crate::access::require_write(principal)?;
    match group {
        None => Err(ServiceError::invalid("name the owner group of the dataset (\"group\")")),
        Some(g) if principal.subject.groups.iter().any(|(id, _)| *id == g) => Ok(()),
        Some(_) => Err(ServiceError::new(ErrorCode::Forbidden, "you are not a member of that group")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn creating_needs_membership_of_the_owner_group() {
        let group = Uuid::from_u128(7);
        let mut member = Principal { user_id: Some(Uuid::from_u128(1)), can_write: true, ..Principal::anonymous() };
        member.subject.groups.push((group, kura_core::access::Role::Member));
        assert!(require_member_of(&member, Some(group)).is_ok());
        assert_eq!(require_member_of(&member, Some(Uuid::from_u128(8))).unwrap_err().code, ErrorCode::Forbidden);
        assert_eq!(require_member_of(&member, None).unwrap_err().code, ErrorCode::BadRequest);
        let read_only = Principal { can_write: false, ..member };
        assert_eq!(require_member_of(&read_only, Some(group)).unwrap_err().message, "this token is read-only");
        assert_eq!(
            require_member_of(&Principal::anonymous(), Some(group)).unwrap_err().code,
            ErrorCode::Unauthenticated
        );
        assert!(require_member_of(&Principal::admin("cli"), None).is_ok());
    }
}
