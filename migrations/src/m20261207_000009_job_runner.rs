//! What the job runner needs to keep across a restart: the read parameters a job was started
//! with (so a job still queued when the server stopped runs as asked at the next start), and
//! when it left the queue (so users see how long it waited).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite's ALTER TABLE adds one column at a time.
        let add = |column: ColumnDef| Table::alter().table("ingest_jobs").add_column(column).to_owned();
        manager.alter_table(add(json_binary_null("read_options"))).await?;
        manager.alter_table(add(timestamp_with_time_zone_null("started_at"))).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let drop = |column: &'static str| Table::alter().table("ingest_jobs").drop_column(column).to_owned();
        manager.alter_table(drop("started_at")).await?;
        manager.alter_table(drop("read_options")).await
    }
}
