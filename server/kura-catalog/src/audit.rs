//! The audit log: every data read and every policy, role, grant or consortium change, written in
//! the same transaction as the change where there is one.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::NotSet, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use serde::Deserialize;
use serde_json::Value;
use uuid::Uuid;

use crate::entity::audit_event;
use crate::{Catalog, CatalogError, Page, PageRequest};

/// Who acts, and through which surface (`rest`, `web`, `cli`, `flight`…), for the audit log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Actor<'a> {
    /// `user:<id>`, `token:<id>`, `cli`.
    pub who: &'a str,
    pub surface: &'a str,
}

impl<'a> Actor<'a> {
    /// Someone acting through the REST API.
    pub fn rest(who: &'a str) -> Self {
        Actor { who, surface: "rest" }
    }
}

/// One thing to record.
#[derive(Debug, Clone)]
pub struct AuditRecord<'a> {
    pub actor: &'a str,
    pub action: &'a str,
    pub surface: &'a str,
    pub dataset_id: Option<Uuid>,
    pub target: Option<String>,
    pub details: Value,
}

/// Filters for reading the log; all optional, combined with AND.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
pub struct AuditFilter {
    pub actor: Option<String>,
    /// Exact action, or a prefix ending in `.` (`data.`).
    pub action: Option<String>,
    pub surface: Option<String>,
    pub dataset_id: Option<Uuid>,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    /// Only events of datasets these groups own (set by the server for stewards, never by callers).
    #[serde(skip)]
    #[param(ignore)]
    pub owner_groups: Option<Vec<Uuid>>,
}

/// Appends a record using `conn` (the transaction of the change, when there is one).
pub async fn record(conn: &impl ConnectionTrait, entry: AuditRecord<'_>) -> Result<(), CatalogError> {
    let row = audit_event::ActiveModel {
        id: NotSet,
        at: Set(Utc::now()),
        actor: Set(entry.actor.to_owned()),
        action: Set(entry.action.to_owned()),
        surface: Set(entry.surface.to_owned()),
        dataset_id: Set(entry.dataset_id),
        target: Set(entry.target),
        details: Set(entry.details),
    };
    audit_event::Entity::insert(row).exec(conn).await?;
    Ok(())
}

impl Catalog {
    /// Records an event on its own (data reads, which change nothing else).
    pub async fn audit(&self, entry: AuditRecord<'_>) -> Result<(), CatalogError> {
        record(self.connection(), entry).await
    }

    /// One page of the log, newest first.
    pub async fn audit_page(
        &self,
        filter: &AuditFilter,
        page: PageRequest,
    ) -> Result<Page<audit_event::Model>, CatalogError> {
        let mut query = audit_event::Entity::find();
        if let Some(actor) = &filter.actor {
            query = query.filter(audit_event::Column::Actor.eq(actor.clone()));
        }
        if let Some(action) = &filter.action {
            query = if action.ends_with('.') {
                query.filter(audit_event::Column::Action.starts_with(action.clone()))
            } else {
                query.filter(audit_event::Column::Action.eq(action.clone()))
            };
        }
        if let Some(surface) = &filter.surface {
            query = query.filter(audit_event::Column::Surface.eq(surface.clone()));
        }
        if let Some(dataset) = filter.dataset_id {
            query = query.filter(audit_event::Column::DatasetId.eq(dataset));
        }
        if let Some(since) = filter.since {
            query = query.filter(audit_event::Column::At.gte(since));
        }
        if let Some(until) = filter.until {
            query = query.filter(audit_event::Column::At.lt(until));
        }
        if let Some(groups) = &filter.owner_groups {
            query = query.filter(
                audit_event::Column::DatasetId.in_subquery(
                    sea_orm::sea_query::Query::select()
                        .column(crate::entity::dataset::Column::Id)
                        .from(crate::entity::dataset::Entity)
                        .and_where(crate::entity::dataset::Column::GroupId.is_in(groups.clone()))
                        .to_owned(),
                ),
            );
        }
        let total = query.clone().count(self.connection()).await?;
        let items = query
            .order_by_desc(audit_event::Column::Id)
            .offset(page.offset)
            .limit(page.limit)
            .all(self.connection())
            .await?;
        Ok(Page::new(items, total, page))
    }
}
