//! Review: an editor submits a draft (`draft` → `in_review`); a steward publishes it
//! (`Catalog::publish`) or sends it back (`in_review` → `draft`) with a comment. Both steps are
//! audited. Who may do which is decided by the caller through `kura_core::access::decide`.

use kura_core::VersionState;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::json;
use uuid::Uuid;

use crate::audit::{Actor, AuditRecord, record};
use crate::entity::{dataset, dataset_version};
use crate::{Catalog, CatalogError, outbox};

/// Longest review comment kept.
const MAX_COMMENT: usize = 4000;

impl Catalog {
    /// Submits a draft for review; the steward's previous comment, if any, is cleared.
    pub async fn submit_for_review(
        &self,
        version: &dataset_version::Model,
        actor: Actor<'_>,
    ) -> Result<dataset_version::Model, CatalogError> {
        self.move_review(version, VersionState::Draft, VersionState::InReview, None, "version.submit", actor).await
    }

    /// Sends a version in review back to draft with the steward's comment.
    pub async fn return_to_draft(
        &self,
        version: &dataset_version::Model,
        comment: &str,
        actor: Actor<'_>,
    ) -> Result<dataset_version::Model, CatalogError> {
        let comment = comment.trim();
        if comment.is_empty() || comment.chars().count() > MAX_COMMENT {
            return Err(CatalogError::Invalid(format!(
                "sending back needs a comment of 1 to {MAX_COMMENT} characters"
            )));
        }
        self.move_review(version, VersionState::InReview, VersionState::Draft, Some(comment), "version.return", actor)
            .await
    }

    async fn move_review(
        &self,
        version: &dataset_version::Model,
        from: VersionState,
        to: VersionState,
        comment: Option<&str>,
        action: &str,
        actor: Actor<'_>,
    ) -> Result<dataset_version::Model, CatalogError> {
        if version.state != from {
            return Err(CatalogError::Conflict(format!(
                "version {} is {}, not {}",
                version.number,
                version.state,
                from.as_str()
            )));
        }
        let txn = self.begin_write().await?;
        // The state check is repeated in the UPDATE so that concurrent moves cannot both win.
        let result = dataset_version::Entity::update_many()
            .col_expr(dataset_version::Column::State, to.into())
            .col_expr(dataset_version::Column::ReviewComment, comment.map(str::to_owned).into())
            .filter(dataset_version::Column::Id.eq(version.id))
            .filter(dataset_version::Column::State.eq(from))
            .exec(&txn)
            .await?;
        if result.rows_affected != 1 {
            return Err(CatalogError::Conflict("the version changed meanwhile".into()));
        }
        let mut details = json!({"version": version.number});
        if let Some(c) = comment {
            details["comment"] = json!(c);
        }
        record(
            &txn,
            AuditRecord {
                actor: actor.who,
                action,
                surface: actor.surface,
                dataset_id: Some(version.dataset_id),
                target: Some(version.number.to_string()),
                details,
            },
        )
        .await?;
        outbox::append(&txn, "version.updated", Some(version.dataset_id), json!({"version": version.number})).await?;
        txn.commit().await?;
        dataset_version::Entity::find_by_id(version.id)
            .one(self.connection())
            .await?
            .ok_or_else(|| CatalogError::not_found("version"))
    }

    /// Versions waiting for review in datasets owned by `groups`, oldest first, with their dataset.
    pub async fn review_queue(
        &self,
        groups: &[Uuid],
    ) -> Result<Vec<(dataset::Model, dataset_version::Model)>, CatalogError> {
        if groups.is_empty() {
            return Ok(Vec::new());
        }
        let datasets = self.datasets_of_groups(groups).await?;
        let ids: Vec<Uuid> = datasets.iter().map(|d| d.id).collect();
        let versions = dataset_version::Entity::find()
            .filter(dataset_version::Column::DatasetId.is_in(ids))
            .filter(dataset_version::Column::State.eq(VersionState::InReview))
            .order_by_asc(dataset_version::Column::CreatedAt)
            .all(self.connection())
            .await?;
        Ok(versions
            .into_iter()
            .filter_map(|v| datasets.iter().find(|d| d.id == v.dataset_id).map(|d| (d.clone(), v)))
            .collect())
    }

    /// The datasets owned by any of `groups`, newest first.
    pub async fn datasets_of_groups(&self, groups: &[Uuid]) -> Result<Vec<dataset::Model>, CatalogError> {
        if groups.is_empty() {
            return Ok(Vec::new());
        }
        Ok(dataset::Entity::find()
            .filter(dataset::Column::GroupId.is_in(groups.to_vec()))
            .order_by_desc(dataset::Column::CreatedAt)
            .all(self.connection())
            .await?)
    }
}
