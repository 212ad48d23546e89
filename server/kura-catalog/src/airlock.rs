//! Airlock releases of compute jobs' outputs: asked for, approved group by group, and recorded
//! in the output's table provenance once in force. Who may ask and approve is the service's.

use chrono::Utc;
use kura_core::RequestState;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::entity::{airlock_release, data_table, dataset_version};
use crate::{Catalog, CatalogError};

/// A release as asked for.
#[derive(Debug, Clone)]
pub struct NewRelease {
    pub dataset_id: Uuid,
    pub job_id: Uuid,
    pub requested_by: String,
    pub reason: String,
    pub policy: Value,
    pub needed: Vec<Uuid>,
}

impl Catalog {
    /// Records a pending release.
    pub async fn create_release(&self, new: NewRelease) -> Result<airlock_release::Model, CatalogError> {
        let row = airlock_release::ActiveModel {
            id: Set(Uuid::now_v7()),
            dataset_id: Set(new.dataset_id),
            job_id: Set(new.job_id),
            requested_by: Set(new.requested_by),
            reason: Set(new.reason),
            policy: Set(new.policy),
            needed: Set(json!(new.needed)),
            approvals: Set(json!([])),
            state: Set(RequestState::Pending),
            created_at: Set(Utc::now()),
            decided_at: Set(None),
        };
        Ok(airlock_release::Entity::insert(row).exec_with_returning(self.connection()).await?)
    }

    /// One release.
    pub async fn release(&self, id: Uuid) -> Result<airlock_release::Model, CatalogError> {
        airlock_release::Entity::find_by_id(id)
            .one(self.connection())
            .await?
            .ok_or_else(|| CatalogError::not_found("airlock release"))
    }

    /// Releases still waiting for approvals, oldest first.
    pub async fn pending_releases(&self) -> Result<Vec<airlock_release::Model>, CatalogError> {
        Ok(airlock_release::Entity::find()
            .filter(airlock_release::Column::State.eq(RequestState::Pending))
            .order_by_asc(airlock_release::Column::CreatedAt)
            .all(self.connection())
            .await?)
    }

    /// Replaces a pending release's approvals; with `done`, the release is in force from now.
    pub async fn record_approvals(&self, id: Uuid, approvals: Value, done: bool) -> Result<(), CatalogError> {
        let mut update = airlock_release::Entity::update_many()
            .col_expr(airlock_release::Column::Approvals, Expr::value(approvals))
            .filter(airlock_release::Column::Id.eq(id))
            .filter(airlock_release::Column::State.eq(RequestState::Pending));
        if done {
            update = update
                .col_expr(airlock_release::Column::State, Expr::value(RequestState::Approved))
                .col_expr(airlock_release::Column::DecidedAt, Expr::value(Utc::now()));
        }
        if update.exec(self.connection()).await?.rows_affected != 1 {
            return Err(CatalogError::Conflict("the release was decided meanwhile".into()));
        }
        Ok(())
    }

    /// Adds `release` to the provenance of every table of the dataset's versions, under
    /// `airlock_releases`: whoever reads a table sees who loosened what, when and why.
    pub async fn record_release_provenance(&self, dataset: Uuid, release: Value) -> Result<(), CatalogError> {
        let versions: Vec<Uuid> = dataset_version::Entity::find()
            .filter(dataset_version::Column::DatasetId.eq(dataset))
            .all(self.connection())
            .await?
            .into_iter()
            .map(|v| v.id)
            .collect();
        let tables = data_table::Entity::find()
            .filter(data_table::Column::VersionId.is_in(versions))
            .all(self.connection())
            .await?;
        for table in tables {
            let mut provenance = table.provenance.clone();
            if !provenance["airlock_releases"].is_array() {
                provenance["airlock_releases"] = json!([]);
            }
            if let Some(list) = provenance["airlock_releases"].as_array_mut() {
                list.push(release.clone());
            }
            data_table::Entity::update_many()
                .col_expr(data_table::Column::Provenance, Expr::value(provenance))
                .filter(data_table::Column::Id.eq(table.id))
                .exec(self.connection())
                .await?;
        }
        Ok(())
    }
}
