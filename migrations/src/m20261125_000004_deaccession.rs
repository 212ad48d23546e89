//! Deaccession: a published version withdrawn keeps its metadata (a tombstone) and says when
//! and why, for landing pages, OAI-PMH deleted records and HTTP 410 on its data.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite's ALTER TABLE adds one column at a time.
        manager
            .alter_table(
                Table::alter()
                    .table("dataset_versions")
                    .add_column(timestamp_with_time_zone_null("deaccessioned_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter().table("dataset_versions").add_column(text_null("deaccession_reason")).to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in ["deaccession_reason", "deaccessioned_at"] {
            manager.alter_table(Table::alter().table("dataset_versions").drop_column(column).to_owned()).await?;
        }
        Ok(())
    }
}
