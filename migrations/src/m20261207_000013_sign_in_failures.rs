//! Failed sign-ins kept in the catalog, so that every Kura process behind a load balancer
//! limits password guessing by the same count (the rule is `kura_auth::login_limit`).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("sign_in_failures")
                    .col(uuid("id").primary_key())
                    .col(string("account"))
                    .col(string_null("address"))
                    .col(timestamp_with_time_zone("at"))
                    .col(boolean("cleared").default(false))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_sign_in_failures_account")
                    .table("sign_in_failures")
                    .col("account")
                    .col("address")
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_sign_in_failures_address_at")
                    .table("sign_in_failures")
                    .col("address")
                    .col("at")
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table("sign_in_failures").to_owned()).await
    }
}
