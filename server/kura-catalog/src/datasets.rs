//! Datasets: creation (with their first draft) and listing.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use kura_core::VersionState;
use sea_orm::sea_query::{Query, SelectStatement};
use sea_orm::{ColumnTrait, Condition, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Select, Set};
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
    pub state: VersionState,
    pub title: String,
    pub published_at: Option<DateTime<Utc>>,
}

impl From<&dataset_version::Model> for VersionBrief {
    fn from(v: &dataset_version::Model) -> Self {
        VersionBrief { number: v.number, state: v.state, title: v.title.clone(), published_at: v.published_at }
    }
}

/// Checks a dataset name: it appears in URLs and file names, so it stays a plain slug.
pub fn validate_name(name: &str) -> Result<(), CatalogError> {
    // A name that reads as an id would make `/datasets/{id}` ambiguous.
    let ok = !name.is_empty()
        && name.len() <= 128
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
        && name.as_bytes()[0].is_ascii_alphanumeric()
        && Uuid::parse_str(name).is_err();
    if ok {
        Ok(())
    } else {
        Err(CatalogError::Invalid(format!(
            "invalid dataset name {name:?}: use 1 to 128 letters, digits, '-', '_' or '.', starting with a letter or digit, not shaped like an id"
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
            .and_where(dataset_version::Column::State.is_in(kura_core::access::PUBLIC_STATES))
            .to_owned(),
    );
    let not_closed = dataset::Column::Id.not_in_subquery(closed_datasets());
    let public = Condition::all().add(published).add(not_closed);
    let mut visible = Condition::any().add(public);
    if !vis.groups.is_empty() {
        visible = visible.add(dataset::Column::GroupId.is_in(vis.groups.clone()));
    }
    select.filter(visible)
}

/// The ids of datasets whose metadata are for the owner group only, whatever the state
/// (`kura_core::access::OWNER_ONLY_LEVELS`).
pub(crate) fn closed_datasets() -> SelectStatement {
    Query::select()
        .column(access_policy::Column::DatasetId)
        .from(access_policy::Entity)
        .and_where(access_policy::Column::Level.is_in(kura_core::access::OWNER_ONLY_LEVELS))
        .to_owned()
}

/// Which of several visible datasets sharing a name the name stands for: one owned by a group
/// of the caller first, then the oldest (then the smallest id). REST, the portal, Flight and
/// Flight SQL all resolve names by this rule.
pub fn preferred(candidates: impl IntoIterator<Item = dataset::Model>, vis: &Visibility) -> Option<dataset::Model> {
    candidates.into_iter().min_by_key(|d| (!d.group_id.is_some_and(|g| vis.groups.contains(&g)), d.created_at, d.id))
}

fn already_exists(name: &str) -> CatalogError {
    CatalogError::Conflict(format!("dataset {name:?} already exists"))
}

impl Catalog {
    /// Creates a dataset and its first draft version in one transaction. Its name must be free
    /// in its owner group (or among group-less datasets); another group's name is no conflict.
    pub async fn create_dataset(
        &self,
        new: NewDataset,
    ) -> Result<(dataset::Model, dataset_version::Model), CatalogError> {
        validate_name(&new.name)?;
        let now = Utc::now();
        let txn = self.begin_write().await?;
        let ds = dataset::ActiveModel {
            id: Set(Uuid::now_v7()),
            name: Set(new.name.clone()),
            group_id: Set(new.group_id),
            created_at: Set(now),
        };
        let ds =
            dataset::Entity::insert(ds).exec_with_returning(&txn).await.map_err(|e| match CatalogError::from(e) {
                CatalogError::Conflict(_) => already_exists(&new.name),
                other => other,
            })?;
        let version = dataset_version::ActiveModel {
            id: Set(Uuid::now_v7()),
            dataset_id: Set(ds.id),
            number: Set(1),
            state: Set(VersionState::Draft),
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

    /// The dataset `handle` stands for among those `vis` lets the caller see: the one with that
    /// id, else the [`preferred`] one of those with that name (names are unique per owner group
    /// only, so the caller may see several). Hidden datasets never take part.
    pub async fn dataset_by_name(&self, handle: &str, vis: &Visibility) -> Result<dataset::Model, CatalogError> {
        let id = Uuid::parse_str(handle).ok();
        let mut matching = Condition::any().add(dataset::Column::Name.eq(handle));
        if let Some(id) = id {
            matching = matching.add(dataset::Column::Id.eq(id));
        }
        let candidates = visible_datasets(dataset::Entity::find().filter(matching), vis).all(self.connection()).await?;
        let by_id = candidates.iter().position(|d| Some(d.id) == id);
        let found = match by_id {
            Some(i) => Some(candidates.into_iter().nth(i).expect("position is in range")),
            None => preferred(candidates, vis),
        };
        // The message never repeats the name: "not found" reads the same for every caller.
        found.ok_or_else(|| CatalogError::not_found("dataset"))
    }

    /// How a caller who sees `vis` names `dataset` in URLs and Flight paths: its name when the
    /// name stands for it (see [`preferred`]), else its id.
    pub async fn handle(&self, dataset: &dataset::Model, vis: &Visibility) -> Result<String, CatalogError> {
        let named = visible_datasets(dataset::Entity::find().filter(dataset::Column::Name.eq(&dataset.name)), vis)
            .all(self.connection())
            .await?;
        Ok(match preferred(named, vis) {
            Some(d) if d.id == dataset.id => d.name,
            _ => dataset.id.to_string(),
        })
    }

    /// Creates a dataset for a caller who sees `vis`: refused (conflict) when a dataset the caller
    /// can see already has the name, so names stay unambiguous as far as the caller can tell,
    /// while a name only hidden datasets have is as free as any other.
    pub async fn create_dataset_visible_to(
        &self,
        new: NewDataset,
        vis: &Visibility,
    ) -> Result<(dataset::Model, dataset_version::Model), CatalogError> {
        let seen = visible_datasets(dataset::Entity::find().filter(dataset::Column::Name.eq(&new.name)), vis)
            .count(self.connection())
            .await?;
        if seen > 0 {
            return Err(already_exists(&new.name));
        }
        self.create_dataset(new).await
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

#[cfg(test)]
pub(crate) mod tests;
