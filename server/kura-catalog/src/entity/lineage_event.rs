//! Row of `lineage_events`: one OpenLineage run event of a compute job, kept for good.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "lineage_events")]
pub struct Model {
    /// Time-ordered (UUIDv7): a job's events list in the order they happened.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub job_id: Uuid,
    /// The attempt of the job the event belongs to (a job taken over runs again).
    pub attempt: i32,
    /// `START`, `COMPLETE`, `FAIL` or `ABORT`.
    pub event_type: String,
    pub event_time: DateTimeUtc,
    /// The OpenLineage `RunEvent` as served and sent.
    pub event: Json,
    /// When the configured OpenLineage endpoint accepted it; empty until then.
    pub delivered_at: Option<DateTimeUtc>,
    pub delivery_attempts: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
