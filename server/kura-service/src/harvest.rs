//! What harvesters and crawlers are given (OAI-PMH, the DCAT catalog, the sitemap): the versions
//! whose metadata everyone may see, and the names of the sets they belong to. Harvesting is
//! anonymous: the listing is the same for every caller, read from the replica when there is one.

use kura_catalog::harvest::{HarvestItem, NamedSet};
use uuid::Uuid;

use crate::{ServiceError, Services};

/// Every harvestable version, oldest datestamp first (stable paging while nothing changes).
pub async fn listing(svc: &Services) -> Result<Vec<HarvestItem>, ServiceError> {
    Ok(svc.replica.harvestable().await?)
}

/// The names of the owner groups `ids` (sets of records).
pub async fn group_sets(svc: &Services, ids: &[Uuid]) -> Result<Vec<NamedSet>, ServiceError> {
    Ok(svc.replica.group_names(ids).await?)
}

/// The names of the consortia `ids` (sets of records).
pub async fn consortium_sets(svc: &Services, ids: &[Uuid]) -> Result<Vec<NamedSet>, ServiceError> {
    Ok(svc.replica.consortium_names(ids).await?)
}
