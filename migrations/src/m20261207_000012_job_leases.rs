//! Ingest jobs claimed by workers: several Kura processes share one catalog, so a job records
//! which worker runs it and until when its claim holds (renewed while it runs). A worker that
//! dies stops renewing; once the lease has passed another worker takes the job over, and the
//! attempt number fences the first one's late commit out.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite's ALTER TABLE adds one column at a time.
        let add = |column: ColumnDef| Table::alter().table("ingest_jobs").add_column(column).to_owned();
        manager.alter_table(add(string_null("worker"))).await?;
        manager.alter_table(add(timestamp_with_time_zone_null("lease_until"))).await?;
        manager.alter_table(add(integer("attempts").default(0).take())).await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_ingest_jobs_state_created")
                    .table("ingest_jobs")
                    .col("state")
                    .col("created_at")
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_index(Index::drop().name("idx_ingest_jobs_state_created").table("ingest_jobs").to_owned()).await?;
        let drop = |column: &'static str| Table::alter().table("ingest_jobs").drop_column(column).to_owned();
        manager.alter_table(drop("attempts")).await?;
        manager.alter_table(drop("lease_until")).await?;
        manager.alter_table(drop("worker")).await
    }
}
