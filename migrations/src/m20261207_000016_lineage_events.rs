//! OpenLineage run events of compute jobs, every one kept (not only a job's latest run): START
//! when an attempt begins to run, COMPLETE, FAIL or ABORT when it ends. Each is served at
//! `/api/v1/jobs/{id}/lineage` and, when an OpenLineage endpoint is configured, POSTed there;
//! `delivered_at` stays empty until it was, so a failed delivery is retried later.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::helpers::{create_all, drop_all, fk, index};

fn tables() -> Vec<TableCreateStatement> {
    vec![
        Table::create()
            .table("lineage_events")
            .col(pk_uuid("id"))
            .col(uuid("job_id"))
            .col(integer("attempt"))
            .col(string("event_type"))
            .col(timestamp_with_time_zone("event_time"))
            // The OpenLineage `RunEvent` as sent.
            .col(json_binary("event"))
            .col(timestamp_with_time_zone_null("delivered_at"))
            .col(integer("delivery_attempts").default(0))
            .foreign_key(&mut fk(("lineage_events", "job_id"), ("compute_jobs", "id")))
            .to_owned(),
    ]
}

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let indexes = vec![
            index("idx_lineage_events_job", "lineage_events", &["job_id", "event_time"], false),
            index("idx_lineage_events_delivered", "lineage_events", &["delivered_at"], false),
        ];
        create_all(manager, tables(), indexes).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_all(manager, tables()).await
    }
}
