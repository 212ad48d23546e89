//! Datasets: creation (with their first draft) and listing.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use kura_core::VersionState;
use sea_orm::sea_query::Query;
use sea_orm::{
    ColumnTrait, Condition, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Select, Set,
    TransactionTrait,
};
use serde::Serialize;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::entity::{access_policy, dataset, dataset_version};
use crate::{Catalog, CatalogError, Page, PageRequest, Visibility, outbox};

/// What a caller supplies to create a dataset.
#[derive(Debug, Clone, Default)]
pub struct NewDataset {
    pub name: String,
    pub title: String,
    pub description: String,
    pub metadata: Value,
    pub group_id: Option<Uuid>,
}

/// A dataset with its newest version the caller may see.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DatasetSummary {
    pub id: Uuid,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub latest_version: Option<VersionBrief>,
}

/// The headline facts of one version.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct VersionBrief {
    pub number: i32,
    pub state: String,
    pub title: String,
    pub published_at: Option<DateTime<Utc>>,
}

impl From<&dataset_version::Model> for VersionBrief {
    fn from(v: &dataset_version::Model) -> Self {
        VersionBrief { number: v.number, state: v.state.clone(), title: v.title.clone(), published_at: v.published_at }
    }
}

/// Checks a dataset name: it appears in URLs and file names, so it stays a plain slug.
pub fn validate_name(name: &str) -> Result<(), CatalogError> {
    let ok = !name.is_empty()
        && name.len() <= 128
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
        && name.as_bytes()[0].is_ascii_alphanumeric();
    if ok {
        Ok(())
    } else {
        Err(CatalogError::Invalid(format!(
            "invalid dataset name {name:?}: use 1 to 128 letters, digits, '-', '_' or '.', starting with a letter or digit"
        )))
    }
}

/// Restricts a dataset query to the datasets `vis` allows.
pub(crate) fn visible_datasets(select: Select<dataset::Entity>, vis: &Visibility) -> Select<dataset::Entity> {
    if vis.everything {
        return select;
    }
    let published = dataset::Column::Id.in_subquery(
        Query::select()
            .column(dataset_version::Column::DatasetId)
            .from(dataset_version::Entity)
            .and_where(dataset_version::Column::State.is_in(PUBLIC_STATES))
            .to_owned(),
    );
    let not_closed = dataset::Column::Id.not_in_subquery(
        Query::select()
            .column(access_policy::Column::DatasetId)
            .from(access_policy::Entity)
            .and_where(access_policy::Column::Level.eq("closed"))
            .to_owned(),
    );
    let public = Condition::all().add(published).add(not_closed);
    let mut visible = Condition::any().add(public);
    if !vis.groups.is_empty() {
        visible = visible.add(dataset::Column::GroupId.is_in(vis.groups.clone()));
    }
    select.filter(visible)
}

/// Version states whose metadata outsiders may see.
pub(crate) const PUBLIC_STATES: [&str; 2] = ["published", "deaccessioned"];

impl Catalog {
    /// Creates a dataset and its first draft version in one transaction.
    pub async fn create_dataset(
        &self,
        new: NewDataset,
    ) -> Result<(dataset::Model, dataset_version::Model), CatalogError> {
        validate_name(&new.name)?;
        let now = Utc::now();
        let txn = self.connection().begin().await?;
        let ds = dataset::ActiveModel {
            id: Set(Uuid::now_v7()),
            name: Set(new.name.clone()),
            group_id: Set(new.group_id),
            created_at: Set(now),
        };
        let ds =
            dataset::Entity::insert(ds).exec_with_returning(&txn).await.map_err(|e| match CatalogError::from(e) {
                CatalogError::Conflict(_) => CatalogError::Conflict(format!("dataset {:?} already exists", new.name)),
                other => other,
            })?;
        let version = dataset_version::ActiveModel {
            id: Set(Uuid::now_v7()),
            dataset_id: Set(ds.id),
            number: Set(1),
            state: Set(VersionState::Draft.as_str().into()),
            title: Set(if new.title.is_empty() { new.name.clone() } else { new.title }),
            description: Set(new.description),
            metadata: Set(if new.metadata.is_null() { json!({}) } else { new.metadata }),
            created_at: Set(now),
            published_at: Set(None),
            deaccessioned_at: Set(None),
            deaccession_reason: Set(None),
            review_comment: Set(None),
        };
        let version = dataset_version::Entity::insert(version).exec_with_returning(&txn).await?;
        outbox::append(&txn, "dataset.created", Some(ds.id), json!({"name": ds.name})).await?;
        txn.commit().await?;
        Ok((ds, version))
    }

    /// The dataset called `name`, if `vis` lets the caller see it.
    pub async fn dataset_by_name(&self, name: &str, vis: &Visibility) -> Result<dataset::Model, CatalogError> {
        visible_datasets(dataset::Entity::find().filter(dataset::Column::Name.eq(name)), vis)
            .one(self.connection())
            .await?
            // The message never repeats the name: "not found" reads the same for every caller.
            .ok_or_else(|| CatalogError::not_found("dataset"))
    }

    /// A dataset by id, whatever its state (for projections, which decide visibility themselves).
    pub async fn dataset_by_id(&self, id: Uuid) -> Result<dataset::Model, CatalogError> {
        dataset::Entity::find_by_id(id).one(self.connection()).await?.ok_or_else(|| CatalogError::not_found("dataset"))
    }

    /// Ids of every dataset, oldest first (for rebuilding projections).
    pub async fn all_dataset_ids(&self) -> Result<Vec<Uuid>, CatalogError> {
        Ok(dataset::Entity::find()
            .select_only()
            .column(dataset::Column::Id)
            .order_by_asc(dataset::Column::CreatedAt)
            .into_tuple()
            .all(self.connection())
            .await?)
    }

    /// One page of the datasets the caller may see, newest first. Three statements whatever
    /// the page size: the page, the total, and the versions of the page's datasets.
    pub async fn list_datasets(
        &self,
        vis: &Visibility,
        page: PageRequest,
    ) -> Result<Page<DatasetSummary>, CatalogError> {
        let query = visible_datasets(dataset::Entity::find(), vis);
        let total = query.clone().count(self.connection()).await?;
        let rows = query
            .order_by_desc(dataset::Column::CreatedAt)
            .order_by_desc(dataset::Column::Id)
            .offset(page.offset)
            .limit(page.limit)
            .all(self.connection())
            .await?;
        let ids: Vec<Uuid> = rows.iter().map(|d| d.id).collect();
        let mut latest: HashMap<Uuid, dataset_version::Model> = HashMap::new();
        if !ids.is_empty() {
            let versions = crate::versions::visible_versions(
                dataset_version::Entity::find().filter(dataset_version::Column::DatasetId.is_in(ids)),
                vis,
            )
            .all(self.connection())
            .await?;
            for v in versions {
                match latest.get(&v.dataset_id) {
                    Some(current) if current.number >= v.number => {}
                    _ => {
                        latest.insert(v.dataset_id, v);
                    }
                }
            }
        }
        let items = rows
            .into_iter()
            .map(|d| DatasetSummary {
                latest_version: latest.get(&d.id).map(VersionBrief::from),
                id: d.id,
                name: d.name,
                created_at: d.created_at,
            })
            .collect();
        Ok(Page::new(items, total, page))
    }
}
