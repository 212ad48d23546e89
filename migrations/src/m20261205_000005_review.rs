//! Review: a draft is submitted (`in_review`) and a steward publishes it or sends it back to
//! draft with a comment, which the version keeps until it is submitted again.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(Table::alter().table("dataset_versions").add_column(text_null("review_comment")).to_owned())
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.alter_table(Table::alter().table("dataset_versions").drop_column("review_comment").to_owned()).await
    }
}
