//! Dataset versions: drafts, publication, and which versions a caller may see.

use std::collections::HashMap;

use chrono::Utc;
use kura_core::{JobState, VersionState};
use sea_orm::sea_query::Query;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Select, Set,
};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::entity::{data_table, dataset, dataset_version, file, ingest_job, table_column};
use crate::{Catalog, CatalogError, Visibility, outbox};

/// Which version of a dataset a caller means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VersionSelector {
    Number(i32),
    /// The highest-numbered version the caller may see.
    Latest,
}

impl std::str::FromStr for VersionSelector {
    type Err = CatalogError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s == "latest" {
            return Ok(VersionSelector::Latest);
        }
        s.parse::<i32>()
            .ok()
            .filter(|n| *n > 0)
            .map(VersionSelector::Number)
            .ok_or_else(|| CatalogError::Invalid(format!("invalid version {s:?}: use a positive number or \"latest\"")))
    }
}

/// Changes to a draft's descriptive fields; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct DraftUpdate {
    pub title: Option<String>,
    pub description: Option<String>,
    pub metadata: Option<Value>,
}

/// Restricts a version query to the versions `vis` allows.
pub(crate) fn visible_versions(
    select: Select<dataset_version::Entity>,
    vis: &Visibility,
) -> Select<dataset_version::Entity> {
    if vis.everything {
        return select;
    }
    // Like `decide`: a public state, and not a closed dataset's.
    let public = Condition::all()
        .add(dataset_version::Column::State.is_in(kura_core::access::PUBLIC_STATES))
        .add(dataset_version::Column::DatasetId.not_in_subquery(crate::datasets::closed_datasets()));
    let mut visible = Condition::any().add(public);
    if !vis.groups.is_empty() {
        visible = visible.add(
            dataset_version::Column::DatasetId.in_subquery(
                Query::select()
                    .column(dataset::Column::Id)
                    .from(dataset::Entity)
                    .and_where(dataset::Column::GroupId.is_in(vis.groups.clone()))
                    .to_owned(),
            ),
        );
    }
    select.filter(visible)
}

impl Catalog {
    /// The versions of a dataset the caller may see, oldest first.
    pub async fn versions(
        &self,
        dataset_id: Uuid,
        vis: &Visibility,
    ) -> Result<Vec<dataset_version::Model>, CatalogError> {
        Ok(visible_versions(
            dataset_version::Entity::find().filter(dataset_version::Column::DatasetId.eq(dataset_id)),
            vis,
        )
        .order_by_asc(dataset_version::Column::Number)
        .all(self.connection())
        .await?)
    }

    /// One version of a dataset, if the caller may see it.
    pub async fn version(
        &self,
        dataset_id: Uuid,
        selector: VersionSelector,
        vis: &Visibility,
    ) -> Result<dataset_version::Model, CatalogError> {
        let query = visible_versions(
            dataset_version::Entity::find().filter(dataset_version::Column::DatasetId.eq(dataset_id)),
            vis,
        );
        let query = match selector {
            VersionSelector::Number(n) => query.filter(dataset_version::Column::Number.eq(n)),
            VersionSelector::Latest => query.order_by_desc(dataset_version::Column::Number),
        };
        query.one(self.connection()).await?.ok_or_else(|| CatalogError::not_found("version"))
    }

    /// The dataset's open draft; when there is none, a new draft carrying the files and tables of
    /// the latest version, so that a new version starts from the previous one.
    pub async fn open_draft(&self, dataset_id: Uuid) -> Result<dataset_version::Model, CatalogError> {
        let txn = self.begin_write().await?;
        let latest = dataset_version::Entity::find()
            .filter(dataset_version::Column::DatasetId.eq(dataset_id))
            .order_by_desc(dataset_version::Column::Number)
            .one(&txn)
            .await?
            .ok_or_else(|| CatalogError::not_found("dataset"))?;
        if !latest.state.is_frozen() {
            return Ok(latest);
        }
        let draft = dataset_version::ActiveModel {
            id: Set(Uuid::now_v7()),
            dataset_id: Set(dataset_id),
            number: Set(latest.number + 1),
            state: Set(VersionState::Draft),
            title: Set(latest.title.clone()),
            description: Set(latest.description.clone()),
            metadata: Set(latest.metadata.clone()),
            created_at: Set(Utc::now()),
            published_at: Set(None),
            deaccessioned_at: Set(None),
            deaccession_reason: Set(None),
            review_comment: Set(None),
        };
        let draft = dataset_version::Entity::insert(draft).exec_with_returning(&txn).await?;
        copy_contents(&txn, latest.id, draft.id).await?;
        outbox::append(&txn, "version.created", Some(dataset_id), json!({"version": draft.number})).await?;
        txn.commit().await?;
        Ok(draft)
    }

    /// The dataset's open (draft or in-review) version; not found when every version is frozen.
    pub async fn existing_draft(&self, dataset_id: Uuid) -> Result<dataset_version::Model, CatalogError> {
        let latest = dataset_version::Entity::find()
            .filter(dataset_version::Column::DatasetId.eq(dataset_id))
            .order_by_desc(dataset_version::Column::Number)
            .one(self.connection())
            .await?
            .ok_or_else(|| CatalogError::not_found("dataset"))?;
        if latest.state.is_frozen() {
            return Err(CatalogError::not_found("open draft"));
        }
        Ok(latest)
    }

    /// Updates a draft's title, description or metadata.
    pub async fn update_draft(
        &self,
        version: &dataset_version::Model,
        update: DraftUpdate,
    ) -> Result<dataset_version::Model, CatalogError> {
        if version.state.is_frozen() {
            return Err(CatalogError::Conflict(format!(
                "version {} is {} and cannot change",
                version.number, version.state
            )));
        }
        let txn = self.begin_write().await?;
        let updated = apply_update(&txn, version, update).await?;
        outbox::append(&txn, "version.updated", Some(version.dataset_id), json!({"version": version.number})).await?;
        txn.commit().await?;
        Ok(updated)
    }

    /// Publishes a draft (or in-review) version: from now on it is immutable and public.
    /// Refused while an ingest job is still writing into it.
    pub async fn publish(&self, version: &dataset_version::Model) -> Result<dataset_version::Model, CatalogError> {
        self.publish_pinned(version, &[]).await
    }

    /// Publishes `version` and, in the same transaction, freezes each stream table of the
    /// dataset at its snapshot in `pins` (stream id, snapshot): what the version's stream rows
    /// are, whatever is appended later. Without pins no stream table is touched (so publishing
    /// works on catalogs migrated before stream tables existed, as the migration tests do).
    pub async fn publish_pinned(
        &self,
        version: &dataset_version::Model,
        pins: &[(uuid::Uuid, i64)],
    ) -> Result<dataset_version::Model, CatalogError> {
        if version.state.is_frozen() {
            return Err(CatalogError::Conflict(format!("version {} is already {}", version.number, version.state)));
        }
        let txn = self.begin_write().await?;
        // Counts ids only: the check reads no column a later migration added (the migration
        // tests publish on older schemas).
        let running = ingest_job::Entity::find()
            .select_only()
            .column(ingest_job::Column::Id)
            .filter(ingest_job::Column::VersionId.eq(version.id))
            .filter(ingest_job::Column::State.is_in([JobState::Queued, JobState::Running]))
            .count(&txn)
            .await?;
        if running > 0 {
            return Err(CatalogError::Conflict("an ingest job is still running on this version".into()));
        }
        let mut active: dataset_version::ActiveModel = version.clone().into();
        active.state = Set(VersionState::Published);
        active.published_at = Set(Some(Utc::now()));
        // The state check is repeated in the UPDATE so two concurrent publishes cannot both win.
        let result = dataset_version::Entity::update_many()
            .set(active)
            .filter(dataset_version::Column::Id.eq(version.id))
            .filter(dataset_version::Column::State.eq(version.state))
            .exec(&txn)
            .await?;
        if result.rows_affected != 1 {
            return Err(CatalogError::Conflict("the version changed meanwhile".into()));
        }
        crate::streams::insert_pins(&txn, version.id, pins).await?;
        outbox::append(&txn, "version.published", Some(version.dataset_id), json!({"version": version.number})).await?;
        txn.commit().await?;
        dataset_version::Entity::find_by_id(version.id)
            .one(self.connection())
            .await?
            .ok_or_else(|| CatalogError::not_found("version"))
    }

    /// Withdraws a published version: its metadata stay as a tombstone (the PID keeps
    /// resolving, harvesters see a deleted record), its data are gone for everyone outside the
    /// owner group. Not reversible: publish a new version instead.
    pub async fn deaccession(
        &self,
        version: &dataset_version::Model,
        reason: &str,
        actor: crate::audit::Actor<'_>,
    ) -> Result<dataset_version::Model, CatalogError> {
        if version.state != VersionState::Published {
            return Err(CatalogError::Conflict(format!(
                "only a published version can be deaccessioned; version {} is {}",
                version.number, version.state
            )));
        }
        let reason = reason.trim();
        if reason.is_empty() || reason.len() > 4000 {
            return Err(CatalogError::Invalid("a deaccession needs a reason of 1 to 4000 characters".into()));
        }
        let txn = self.begin_write().await?;
        let result = dataset_version::Entity::update_many()
            .col_expr(dataset_version::Column::State, VersionState::Deaccessioned.into())
            .col_expr(dataset_version::Column::DeaccessionedAt, Some(Utc::now()).into())
            .col_expr(dataset_version::Column::DeaccessionReason, Some(reason.to_string()).into())
            .filter(dataset_version::Column::Id.eq(version.id))
            .filter(dataset_version::Column::State.eq(VersionState::Published))
            .exec(&txn)
            .await?;
        if result.rows_affected != 1 {
            return Err(CatalogError::Conflict("the version changed meanwhile".into()));
        }
        crate::audit::record(
            &txn,
            crate::audit::AuditRecord {
                actor: actor.who,
                action: "version.deaccession",
                surface: actor.surface,
                dataset_id: Some(version.dataset_id),
                target: Some(version.number.to_string()),
                details: json!({"version": version.number, "reason": reason}),
            },
        )
        .await?;
        outbox::append(&txn, "version.deaccessioned", Some(version.dataset_id), json!({"version": version.number}))
            .await?;
        txn.commit().await?;
        dataset_version::Entity::find_by_id(version.id)
            .one(self.connection())
            .await?
            .ok_or_else(|| CatalogError::not_found("version"))
    }
}

/// Writes a draft update (the caller checked the version is not frozen and appends the event).
pub(crate) async fn apply_update(
    conn: &impl ConnectionTrait,
    version: &dataset_version::Model,
    update: DraftUpdate,
) -> Result<dataset_version::Model, CatalogError> {
    let mut active: dataset_version::ActiveModel = version.clone().into();
    if let Some(title) = update.title {
        active.title = Set(title);
    }
    if let Some(description) = update.description {
        active.description = Set(description);
    }
    if let Some(metadata) = update.metadata {
        active.metadata = Set(metadata);
    }
    Ok(dataset_version::Entity::update(active).exec(conn).await?)
}

/// Copies the file, table and column rows of one version into another (objects are shared:
/// they are content-addressed).
async fn copy_contents(conn: &impl ConnectionTrait, from: Uuid, to: Uuid) -> Result<(), CatalogError> {
    let files = file::Entity::find().filter(file::Column::VersionId.eq(from)).all(conn).await?;
    let ids: HashMap<Uuid, Uuid> = files.iter().map(|f| (f.id, Uuid::now_v7())).collect();
    let new_id = |old: Uuid| ids.get(&old).copied().unwrap_or(old);
    if !files.is_empty() {
        let rows = files.iter().map(|f| {
            let mut row: file::ActiveModel = f.clone().into();
            row.id = Set(new_id(f.id));
            row.version_id = Set(to);
            row.source_file_id = Set(f.source_file_id.map(new_id));
            row.reset_all()
        });
        file::Entity::insert_many(rows).exec(conn).await?;
    }
    let tables = data_table::Entity::find().filter(data_table::Column::VersionId.eq(from)).all(conn).await?;
    if tables.is_empty() {
        return Ok(());
    }
    let table_ids: HashMap<Uuid, Uuid> = tables.iter().map(|t| (t.id, Uuid::now_v7())).collect();
    let columns = table_column::Entity::find()
        .filter(table_column::Column::TableId.is_in(table_ids.keys().copied()))
        .all(conn)
        .await?;
    let rows = tables.iter().map(|t| {
        let mut row: data_table::ActiveModel = t.clone().into();
        row.id = Set(table_ids[&t.id]);
        row.version_id = Set(to);
        row.file_id = Set(new_id(t.file_id));
        row.source_file_id = Set(new_id(t.source_file_id));
        row.reset_all()
    });
    data_table::Entity::insert_many(rows).exec(conn).await?;
    if !columns.is_empty() {
        let rows = columns.iter().map(|c| {
            let mut row: table_column::ActiveModel = c.clone().into();
            row.id = Set(Uuid::now_v7());
            row.table_id = Set(table_ids[&c.table_id]);
            row.reset_all()
        });
        table_column::Entity::insert_many(rows).exec(conn).await?;
    }
    Ok(())
}
