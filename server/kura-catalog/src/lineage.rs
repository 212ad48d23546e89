//! OpenLineage run events of compute jobs: recorded at each transition of a run, listed per
//! job, and handed to the delivery to an OpenLineage endpoint until it accepted them.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set};
use serde_json::Value;
use uuid::Uuid;

use crate::entity::lineage_event::{self, Column};
use crate::{Catalog, CatalogError};

/// An event to record.
#[derive(Debug, Clone)]
pub struct NewLineageEvent {
    pub job_id: Uuid,
    pub attempt: i32,
    pub event_type: String,
    pub event_time: DateTime<Utc>,
    pub event: Value,
}

impl Catalog {
    /// Keeps one run event.
    pub async fn record_lineage_event(&self, new: NewLineageEvent) -> Result<lineage_event::Model, CatalogError> {
        let row = lineage_event::ActiveModel {
            id: Set(Uuid::now_v7()),
            job_id: Set(new.job_id),
            attempt: Set(new.attempt),
            event_type: Set(new.event_type),
            event_time: Set(new.event_time),
            event: Set(new.event),
            delivered_at: Set(None),
            delivery_attempts: Set(0),
        };
        Ok(lineage_event::Entity::insert(row).exec_with_returning(self.connection()).await?)
    }

    /// Every event of a job, in the order they happened (all attempts).
    pub async fn lineage_events(&self, job: Uuid) -> Result<Vec<lineage_event::Model>, CatalogError> {
        Ok(lineage_event::Entity::find()
            .filter(Column::JobId.eq(job))
            .order_by_asc(Column::Id)
            .all(self.connection())
            .await?)
    }

    /// The oldest `limit` events no endpoint has accepted yet.
    pub async fn undelivered_lineage_events(&self, limit: u64) -> Result<Vec<lineage_event::Model>, CatalogError> {
        Ok(lineage_event::Entity::find()
            .filter(Column::DeliveredAt.is_null())
            .order_by_asc(Column::Id)
            .limit(limit)
            .all(self.connection())
            .await?)
    }

    /// Records the outcome of one delivery of event `id`: accepted (`delivered`) or not.
    pub async fn lineage_delivery(&self, id: Uuid, delivered: bool) -> Result<(), CatalogError> {
        let mut update = lineage_event::Entity::update_many()
            .col_expr(Column::DeliveryAttempts, Expr::col(Column::DeliveryAttempts).add(1))
            .filter(Column::Id.eq(id));
        if delivered {
            update = update.col_expr(Column::DeliveredAt, Expr::value(Utc::now()));
        }
        update.exec(self.connection()).await?;
        Ok(())
    }
}
