//! Federation: the partner nodes this node trusts, and the ids of the signed assertions it has
//! accepted from them (an assertion is accepted once: a replay is refused).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::helpers::{drop_all, index};

fn tables() -> Vec<TableCreateStatement> {
    vec![
        Table::create()
            .table("peers")
            .col(string("id").primary_key())
            .col(string("base_url"))
            .col(string("jwks_url"))
            .col(string_null("flight_url"))
            // The organizations (names or ROR ids) the peer speaks for, as a JSON array.
            .col(json_binary("organizations"))
            .col(timestamp_with_time_zone("created_at"))
            .to_owned(),
        Table::create()
            .table("federation_assertions")
            .col(string("jti").primary_key())
            .col(string("peer_id"))
            .col(timestamp_with_time_zone("expires_at"))
            .to_owned(),
    ]
}

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in tables() {
            manager.create_table(table).await?;
        }
        manager
            .create_index(index("federation_assertions_expiry", "federation_assertions", &["expires_at"], false))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_all(manager, tables()).await
    }
}
