//! Access policies: level, embargo date, consortia, masked columns and licence per dataset.
//! A dataset without a policy row is open (documented in the README).

use chrono::Utc;
use kura_core::access::{AccessLevel, Facts, LevelKind};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, Set};
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

use crate::audit::{Actor, AuditRecord, record};
use crate::entity::{access_policy, consortium, dataset, dataset_version, policy_consortium};
use crate::{Catalog, CatalogError, outbox};

/// A dataset's policy as the API shows and takes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Policy {
    #[serde(flatten)]
    pub level: AccessLevel,
    /// Columns only the owner group may see, on every data path.
    #[serde(default)]
    pub masked_columns: Vec<String>,
    /// SPDX licence id.
    #[serde(default)]
    pub license: Option<String>,
    #[serde(default)]
    pub terms: Option<String>,
}

impl Default for Policy {
    fn default() -> Self {
        Policy { level: AccessLevel::Open, masked_columns: Vec::new(), license: None, terms: None }
    }
}

impl Catalog {
    /// The dataset's policy (open when none was set).
    pub async fn policy(&self, dataset_id: Uuid) -> Result<Policy, CatalogError> {
        let Some(row) = access_policy::Entity::find_by_id(dataset_id).one(self.connection()).await? else {
            return Ok(Policy::default());
        };
        let consortia = if row.level == LevelKind::Consortium {
            policy_consortium::Entity::find()
                .filter(policy_consortium::Column::DatasetId.eq(dataset_id))
                .all(self.connection())
                .await?
                .into_iter()
                .map(|p| p.consortium_id)
                .collect()
        } else {
            Vec::new()
        };
        let level = row
            .level
            .with(row.embargo_until, consortia)
            .ok_or_else(|| CatalogError::Invalid("embargo without a date".into()))?;
        let masked_columns = serde_json::from_value(row.masked_columns).unwrap_or_default();
        Ok(Policy { level, masked_columns, license: row.license, terms: row.terms })
    }

    /// The facts `decide` needs about one version of a dataset.
    pub async fn facts(
        &self,
        ds: &dataset::Model,
        version: &dataset_version::Model,
    ) -> Result<(Facts, Policy), CatalogError> {
        let policy = self.policy(ds.id).await?;
        let facts = Facts {
            dataset: ds.id,
            version: version.number,
            // A dataset without an owner group is owned by nobody but admins.
            owner_group: ds.group_id.unwrap_or(Uuid::nil()),
            level: policy.level.clone(),
            state: version.state,
        };
        Ok((facts, policy))
    }

    /// Replaces a dataset's policy, audited and announced in the outbox, in one transaction.
    pub async fn set_policy(&self, dataset_id: Uuid, policy: &Policy, actor: Actor<'_>) -> Result<(), CatalogError> {
        let txn = self.begin_write().await?;
        let mut consortia = Vec::new();
        if let AccessLevel::Consortium { consortia: ids } = &policy.level {
            if ids.is_empty() {
                return Err(CatalogError::Invalid("a consortium level needs at least one consortium".into()));
            }
            let found = consortium::Entity::find().filter(consortium::Column::Id.is_in(ids.clone())).all(&txn).await?;
            if found.len() != ids.len() {
                return Err(CatalogError::Invalid("unknown consortium in the policy".into()));
            }
            consortia = ids.clone();
        }
        access_policy::Entity::delete_by_id(dataset_id).exec(&txn).await?;
        policy_consortium::Entity::delete_many()
            .filter(policy_consortium::Column::DatasetId.eq(dataset_id))
            .exec(&txn)
            .await?;
        let row = access_policy::ActiveModel {
            dataset_id: Set(dataset_id),
            level: Set(policy.level.kind()),
            embargo_until: Set(match &policy.level {
                AccessLevel::Embargoed { until } => Some(*until),
                _ => None,
            }),
            license: Set(policy.license.clone()),
            terms: Set(policy.terms.clone()),
            masked_columns: Set(json!(policy.masked_columns)),
            updated_at: Set(Utc::now()),
        };
        access_policy::Entity::insert(row).exec(&txn).await?;
        if !consortia.is_empty() {
            let rows = consortia
                .iter()
                .map(|c| policy_consortium::ActiveModel { dataset_id: Set(dataset_id), consortium_id: Set(*c) });
            policy_consortium::Entity::insert_many(rows).exec(&txn).await?;
        }
        let details = serde_json::to_value(policy).unwrap_or_default();
        record(
            &txn,
            AuditRecord {
                actor: actor.who,
                action: "policy.change",
                surface: actor.surface,
                dataset_id: Some(dataset_id),
                target: None,
                details: details.clone(),
            },
        )
        .await?;
        outbox::append(&txn, "policy.changed", Some(dataset_id), details).await?;
        txn.commit().await?;
        Ok(())
    }
}
