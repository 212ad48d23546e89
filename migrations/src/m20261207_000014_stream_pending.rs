//! Acknowledged stream appends wait for their commit in the catalog and the object store
//! instead of one process's local log, so any Kura process may take an append and any may
//! commit it: an acknowledged batch survives the loss of the process (and disk) that took it.
//! One process at a time commits a stream, under a lease; the schema appends are admitted
//! against (widened by appends not yet committed) is kept with the table.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::helpers::{drop_all, fk, index};

fn tables() -> Vec<TableCreateStatement> {
    vec![
        Table::create()
            .table("stream_pending")
            .col(pk_uuid("id"))
            .col(uuid("stream_id"))
            .col(string("writer_id"))
            .col(big_integer("sequence"))
            // The batch as an Arrow IPC stream, an object of the store.
            .col(string("sha256"))
            .col(big_integer("size"))
            .col(big_integer("row_count"))
            .col(json_binary("provenance"))
            .col(string("appended_by"))
            .col(string("surface"))
            .col(timestamp_with_time_zone("received_at"))
            .foreign_key(&mut fk(("stream_pending", "stream_id"), ("stream_tables", "id")))
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
            .create_index(index("stream_pending_key", "stream_pending", &["stream_id", "writer_id", "sequence"], true))
            .await?;
        // One column per statement: SQLite's ALTER TABLE adds one column at a time.
        let add = |column: ColumnDef| Table::alter().table("stream_tables").add_column(column).to_owned();
        manager.alter_table(add(text_null("pending_schema"))).await?;
        manager.alter_table(add(string_null("committer"))).await?;
        manager.alter_table(add(timestamp_with_time_zone_null("commit_lease_until"))).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let drop = |column: &'static str| Table::alter().table("stream_tables").drop_column(column).to_owned();
        manager.alter_table(drop("commit_lease_until")).await?;
        manager.alter_table(drop("committer")).await?;
        manager.alter_table(drop("pending_schema")).await?;
        drop_all(manager, tables()).await
    }
}
