//! Stream tables: append-only tables machines write to (Flight DoPut, REST append). A stream
//! belongs to a dataset; each commit of buffered appends is a snapshot (numbered 1, 2, … per
//! stream) adding one Parquet file; compaction replaces files without changing snapshots.
//! Every acknowledged batch is recorded with its idempotency key (writer id, sequence number),
//! unique per stream, so a retried append is applied once. A published version pins each
//! stream of its dataset at a snapshot. Robot API tokens name the streams they may append to.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::helpers::{drop_all, fk, index};

fn tables() -> Vec<TableCreateStatement> {
    vec![
        Table::create()
            .table("stream_tables")
            .col(pk_uuid("id"))
            .col(uuid("dataset_id"))
            .col(string("name"))
            // The Arrow schema as of the latest snapshot (an IPC schema message, base64); null
            // until the first commit.
            .col(text_null("arrow_schema"))
            .col(big_integer("latest_snapshot").default(0))
            .col(big_integer("row_count").default(0))
            .col(timestamp_with_time_zone("created_at"))
            .foreign_key(&mut fk(("stream_tables", "dataset_id"), ("datasets", "id")))
            .to_owned(),
        Table::create()
            .table("stream_snapshots")
            .col(pk_uuid("id"))
            .col(uuid("stream_id"))
            .col(big_integer("snapshot"))
            .col(big_integer("rows_added"))
            .col(big_integer("row_count"))
            // The schema rows of this snapshot are read with (widening adds columns later).
            .col(text("arrow_schema"))
            .col(timestamp_with_time_zone("committed_at"))
            .foreign_key(&mut fk(("stream_snapshots", "stream_id"), ("stream_tables", "id")))
            .to_owned(),
        Table::create()
            .table("stream_files")
            .col(pk_uuid("id"))
            .col(uuid("stream_id"))
            .col(string("sha256"))
            .col(big_integer("size"))
            .col(big_integer("row_count"))
            // The snapshots whose rows the file holds (a commit's file: one; a compacted file: a run).
            .col(big_integer("min_snapshot"))
            .col(big_integer("max_snapshot"))
            .col(timestamp_with_time_zone("created_at"))
            .foreign_key(&mut fk(("stream_files", "stream_id"), ("stream_tables", "id")))
            .to_owned(),
        Table::create()
            .table("stream_batches")
            .col(pk_uuid("id"))
            .col(uuid("stream_id"))
            .col(string("writer_id"))
            .col(big_integer("sequence"))
            .col(big_integer("snapshot"))
            .col(big_integer("row_count"))
            // Instrument or robot, run id, protocol, sample ids, start and end times.
            .col(json_binary("provenance"))
            .col(string("appended_by"))
            .col(timestamp_with_time_zone("received_at"))
            .foreign_key(&mut fk(("stream_batches", "stream_id"), ("stream_tables", "id")))
            .to_owned(),
        Table::create()
            .table("stream_pins")
            .col(pk_uuid("id"))
            .col(uuid("version_id"))
            .col(uuid("stream_id"))
            .col(big_integer("snapshot"))
            .foreign_key(&mut fk(("stream_pins", "version_id"), ("dataset_versions", "id")))
            .foreign_key(&mut fk(("stream_pins", "stream_id"), ("stream_tables", "id")))
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
        let indexes = [
            index("stream_tables_name", "stream_tables", &["dataset_id", "name"], true),
            index("stream_snapshots_number", "stream_snapshots", &["stream_id", "snapshot"], true),
            index("stream_files_range", "stream_files", &["stream_id", "min_snapshot"], false),
            index("stream_batches_key", "stream_batches", &["stream_id", "writer_id", "sequence"], true),
            index("stream_batches_snapshot", "stream_batches", &["stream_id", "snapshot"], false),
            index("stream_pins_version", "stream_pins", &["version_id", "stream_id"], true),
        ];
        for index in indexes {
            manager.create_index(index).await?;
        }
        // A robot token appends to the streams it names (`dataset/table`, a JSON array) and
        // does nothing else; null for every other token.
        manager.alter_table(Table::alter().table("api_tokens").add_column(json_binary_null("streams")).to_owned()).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.alter_table(Table::alter().table("api_tokens").drop_column("streams").to_owned()).await?;
        drop_all(manager, tables()).await
    }
}
