//! What harvesters may see: every published or deaccessioned version of every dataset whose
//! metadata are public (not closed), with what sets it belongs to. OAI-PMH, the DCAT catalog and
//! the sitemap read this and nothing else, so a closed or draft dataset can never reach them.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use kura_core::access::LevelKind;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use crate::entity::{access_policy, consortium, dataset, dataset_version, group, policy_consortium};
use crate::{Catalog, CatalogError};

/// One harvestable dataset version.
#[derive(Debug, Clone)]
pub struct HarvestItem {
    pub dataset: dataset::Model,
    pub version: dataset_version::Model,
    /// The access level (never `Closed`), its data beside it.
    pub level: LevelKind,
    pub embargo_until: Option<DateTime<Utc>>,
    pub license: Option<String>,
    pub consortia: Vec<Uuid>,
}

impl HarvestItem {
    /// When harvesters should consider the record last changed: its deaccession, else its
    /// publication.
    pub fn datestamp(&self) -> DateTime<Utc> {
        self.version.deaccessioned_at.or(self.version.published_at).unwrap_or(self.version.created_at)
    }

    /// Withdrawn: harvesters see a deleted record.
    pub fn deleted(&self) -> bool {
        self.version.deaccessioned_at.is_some()
    }
}

/// A named set of records (an owner group, a consortium).
#[derive(Debug, Clone)]
pub struct NamedSet {
    pub id: Uuid,
    pub name: String,
}

impl Catalog {
    /// Every harvestable version, oldest datestamp first (ties by version id), so that paging
    /// by position is stable while nothing changes.
    pub async fn harvestable(&self) -> Result<Vec<HarvestItem>, CatalogError> {
        let conn = self.connection();
        let versions = dataset_version::Entity::find()
            .filter(dataset_version::Column::State.is_in(kura_core::access::PUBLIC_STATES))
            .order_by_asc(dataset_version::Column::Id)
            .all(conn)
            .await?;
        if versions.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<Uuid> = versions.iter().map(|v| v.dataset_id).collect();
        let datasets: HashMap<Uuid, dataset::Model> = dataset::Entity::find()
            .filter(dataset::Column::Id.is_in(ids.clone()))
            .all(conn)
            .await?
            .into_iter()
            .map(|d| (d.id, d))
            .collect();
        let policies: HashMap<Uuid, access_policy::Model> = access_policy::Entity::find()
            .filter(access_policy::Column::DatasetId.is_in(ids.clone()))
            .all(conn)
            .await?
            .into_iter()
            .map(|p| (p.dataset_id, p))
            .collect();
        let mut consortia: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
        for row in
            policy_consortium::Entity::find().filter(policy_consortium::Column::DatasetId.is_in(ids)).all(conn).await?
        {
            consortia.entry(row.dataset_id).or_default().push(row.consortium_id);
        }
        let mut items: Vec<HarvestItem> = versions
            .into_iter()
            .filter_map(|version| {
                let dataset = datasets.get(&version.dataset_id)?.clone();
                let policy = policies.get(&dataset.id);
                let level = policy.map_or(LevelKind::Open, |p| p.level);
                if !kura_core::access::metadata_public(version.state, level) {
                    return None;
                }
                Some(HarvestItem {
                    consortia: if level == LevelKind::Consortium {
                        consortia.get(&dataset.id).cloned().unwrap_or_default()
                    } else {
                        Vec::new()
                    },
                    embargo_until: policy.and_then(|p| p.embargo_until),
                    license: policy.and_then(|p| p.license.clone()),
                    level,
                    dataset,
                    version,
                })
            })
            .collect();
        items.sort_by(|a, b| a.datestamp().cmp(&b.datestamp()).then(a.version.id.cmp(&b.version.id)));
        Ok(items)
    }

    /// Names of the given groups, for set listings.
    pub async fn group_names(&self, ids: &[Uuid]) -> Result<Vec<NamedSet>, CatalogError> {
        Ok(group::Entity::find()
            .filter(group::Column::Id.is_in(ids.to_vec()))
            .order_by_asc(group::Column::Name)
            .all(self.connection())
            .await?
            .into_iter()
            .map(|g| NamedSet { id: g.id, name: g.name })
            .collect())
    }

    /// Names of the given consortia, for set listings.
    pub async fn consortium_names(&self, ids: &[Uuid]) -> Result<Vec<NamedSet>, CatalogError> {
        Ok(consortium::Entity::find()
            .filter(consortium::Column::Id.is_in(ids.to_vec()))
            .order_by_asc(consortium::Column::Name)
            .all(self.connection())
            .await?
            .into_iter()
            .map(|c| NamedSet { id: c.id, name: c.name })
            .collect())
    }
}
