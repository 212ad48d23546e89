//! Consortium coordinators: the stewards of one group manage a consortium (members, agreement
//! versions, who accepted) from the portal, without a platform administrator's token. A plain
//! nullable column: SQLite cannot add a foreign key to an existing table, and the catalog checks
//! the group exists when it sets one.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(Table::alter().table("consortia").add_column(uuid_null("coordinator_group_id")).to_owned())
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.alter_table(Table::alter().table("consortia").drop_column("coordinator_group_id").to_owned()).await
    }
}
