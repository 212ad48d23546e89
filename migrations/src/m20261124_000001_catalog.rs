//! Organizations, groups, users, datasets and their versions, files, tables, columns, ingest jobs,
//! API tokens and the outbox.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::helpers::{drop_all, fk, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

fn created_at() -> ColumnDef {
    timestamp_with_time_zone("created_at")
}

fn tables() -> Vec<TableCreateStatement> {
    vec![
        Table::create()
            .table("organizations")
            .col(pk_uuid("id"))
            .col(string_uniq("name"))
            .col(string_null("ror_id"))
            .col(created_at())
            .to_owned(),
        Table::create()
            .table("groups")
            .col(pk_uuid("id"))
            .col(uuid("organization_id"))
            .col(string("name"))
            .col(created_at())
            .foreign_key(&mut fk(("groups", "organization_id"), ("organizations", "id")))
            .to_owned(),
        Table::create()
            .table("users")
            .col(pk_uuid("id"))
            .col(string("issuer"))
            .col(string("subject"))
            .col(string_null("display_name"))
            .col(string_null("email"))
            .col(string_null("orcid"))
            .col(created_at())
            .to_owned(),
        Table::create()
            .table("memberships")
            .col(pk_uuid("id"))
            .col(uuid("group_id"))
            .col(uuid("user_id"))
            .col(string("role"))
            .col(created_at())
            .foreign_key(&mut fk(("memberships", "group_id"), ("groups", "id")))
            .foreign_key(&mut fk(("memberships", "user_id"), ("users", "id")))
            .to_owned(),
        Table::create()
            .table("api_tokens")
            .col(pk_uuid("id"))
            .col(string_uniq("token_hash"))
            .col(string("name"))
            .col(string("scope"))
            .col(uuid_null("user_id"))
            .col(created_at())
            .col(timestamp_with_time_zone_null("expires_at"))
            .col(timestamp_with_time_zone_null("revoked_at"))
            .col(timestamp_with_time_zone_null("last_used_at"))
            .to_owned(),
        Table::create()
            .table("datasets")
            .col(pk_uuid("id"))
            .col(string_uniq("name"))
            .col(uuid_null("group_id"))
            .col(created_at())
            .foreign_key(&mut fk(("datasets", "group_id"), ("groups", "id")))
            .to_owned(),
        Table::create()
            .table("dataset_versions")
            .col(pk_uuid("id"))
            .col(uuid("dataset_id"))
            .col(integer("number"))
            .col(string("state"))
            .col(string("title"))
            .col(text("description"))
            .col(json_binary("metadata"))
            .col(created_at())
            .col(timestamp_with_time_zone_null("published_at"))
            .foreign_key(&mut fk(("dataset_versions", "dataset_id"), ("datasets", "id")))
            .to_owned(),
        Table::create()
            .table("files")
            .col(pk_uuid("id"))
            .col(uuid("version_id"))
            .col(string("path"))
            .col(string("role"))
            .col(string("sha256"))
            .col(big_integer("size"))
            .col(string("media_type"))
            .col(string_null("format"))
            .col(uuid_null("source_file_id"))
            .col(created_at())
            .foreign_key(&mut fk(("files", "version_id"), ("dataset_versions", "id")))
            .to_owned(),
        Table::create()
            .table("data_tables")
            .col(pk_uuid("id"))
            .col(uuid("version_id"))
            .col(uuid("file_id"))
            .col(uuid("source_file_id"))
            .col(string("name"))
            .col(big_integer("row_count"))
            .col(json_binary("metadata"))
            .col(json_binary("provenance"))
            .col(created_at())
            .foreign_key(&mut fk(("data_tables", "version_id"), ("dataset_versions", "id")))
            .foreign_key(&mut fk(("data_tables", "file_id"), ("files", "id")))
            .to_owned(),
        Table::create()
            .table("table_columns")
            .col(pk_uuid("id"))
            .col(uuid("table_id"))
            .col(integer("position"))
            .col(string("name"))
            .col(string("original_label"))
            .col(string("arrow_type"))
            .col(string_null("unit"))
            .col(string_null("ucum"))
            .col(text_null("description"))
            .col(json_binary("statistics"))
            .foreign_key(&mut fk(("table_columns", "table_id"), ("data_tables", "id")))
            .to_owned(),
        Table::create()
            .table("ingest_jobs")
            .col(pk_uuid("id"))
            .col(uuid("dataset_id"))
            .col(uuid("version_id"))
            .col(string("state"))
            .col(integer("files_total"))
            .col(integer("files_done"))
            .col(big_integer("bytes_total"))
            .col(big_integer("bytes_done"))
            .col(json_binary("errors"))
            .col(text_null("message"))
            .col(created_at())
            .col(timestamp_with_time_zone("updated_at"))
            .col(timestamp_with_time_zone_null("finished_at"))
            .foreign_key(&mut fk(("ingest_jobs", "version_id"), ("dataset_versions", "id")))
            .to_owned(),
        Table::create()
            .table("outbox")
            .col(big_pk_auto("id"))
            .col(string("topic"))
            .col(uuid_null("dataset_id"))
            .col(json_binary("payload"))
            .col(created_at())
            .to_owned(),
    ]
}

fn indexes() -> Vec<IndexCreateStatement> {
    let unique = |name: &str, table: &'static str, cols: &[&'static str]| index(name, table, cols, true);
    let plain = |name: &str, table: &'static str, cols: &[&'static str]| index(name, table, cols, false);
    vec![
        unique("ux_groups_org_name", "groups", &["organization_id", "name"]),
        unique("ux_users_issuer_subject", "users", &["issuer", "subject"]),
        unique("ux_memberships_group_user", "memberships", &["group_id", "user_id"]),
        unique("ux_versions_dataset_number", "dataset_versions", &["dataset_id", "number"]),
        plain("ix_versions_state", "dataset_versions", &["state", "dataset_id"]),
        unique("ux_files_version_path", "files", &["version_id", "path"]),
        plain("ix_files_sha256", "files", &["sha256"]),
        unique("ux_tables_version_name", "data_tables", &["version_id", "name"]),
        unique("ux_columns_table_position", "table_columns", &["table_id", "position"]),
        plain("ix_jobs_dataset", "ingest_jobs", &["dataset_id"]),
    ]
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in tables() {
            manager.create_table(table).await?;
        }
        for index in indexes() {
            manager.create_index(index).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_all(manager, tables()).await
    }
}
