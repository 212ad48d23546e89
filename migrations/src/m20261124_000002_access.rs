//! The access model: policies per dataset, consortia with versioned agreements and their
//! acceptance, access requests and grants, sessions, and the audit log.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::helpers::{drop_all, fk, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

fn tables() -> Vec<TableCreateStatement> {
    vec![
        Table::create()
            .table("access_policies")
            .col(uuid("dataset_id").primary_key())
            .col(string("level"))
            .col(timestamp_with_time_zone_null("embargo_until"))
            .col(string_null("license"))
            .col(text_null("terms"))
            .col(json_binary("masked_columns"))
            .col(timestamp_with_time_zone("updated_at"))
            .foreign_key(&mut fk(("access_policies", "dataset_id"), ("datasets", "id")))
            .to_owned(),
        Table::create()
            .table("consortia")
            .col(pk_uuid("id"))
            .col(string_uniq("name"))
            .col(text("description"))
            .col(timestamp_with_time_zone("created_at"))
            .to_owned(),
        Table::create()
            .table("policy_consortia")
            .col(uuid("dataset_id"))
            .col(uuid("consortium_id"))
            .primary_key(Index::create().col("dataset_id").col("consortium_id"))
            .foreign_key(&mut fk(("policy_consortia", "dataset_id"), ("datasets", "id")))
            .foreign_key(&mut fk(("policy_consortia", "consortium_id"), ("consortia", "id")))
            .to_owned(),
        Table::create()
            .table("consortium_members")
            .col(pk_uuid("id"))
            .col(uuid("consortium_id"))
            .col(uuid_null("organization_id"))
            .col(uuid_null("group_id"))
            .col(timestamp_with_time_zone("created_at"))
            .foreign_key(&mut fk(("consortium_members", "consortium_id"), ("consortia", "id")))
            .to_owned(),
        Table::create()
            .table("agreements")
            .col(pk_uuid("id"))
            .col(uuid("consortium_id"))
            .col(integer("version"))
            .col(text("terms"))
            .col(string_null("url"))
            .col(timestamp_with_time_zone("created_at"))
            .foreign_key(&mut fk(("agreements", "consortium_id"), ("consortia", "id")))
            .to_owned(),
        Table::create()
            .table("agreement_acceptances")
            .col(pk_uuid("id"))
            .col(uuid("agreement_id"))
            .col(uuid("user_id"))
            .col(timestamp_with_time_zone("accepted_at"))
            .foreign_key(&mut fk(("agreement_acceptances", "agreement_id"), ("agreements", "id")))
            .foreign_key(&mut fk(("agreement_acceptances", "user_id"), ("users", "id")))
            .to_owned(),
        Table::create()
            .table("access_requests")
            .col(pk_uuid("id"))
            .col(uuid("dataset_id"))
            .col(uuid("user_id"))
            .col(text("reason"))
            .col(string("state"))
            .col(uuid_null("decided_by"))
            .col(timestamp_with_time_zone_null("decided_at"))
            .col(text_null("decision_reason"))
            .col(timestamp_with_time_zone("created_at"))
            .foreign_key(&mut fk(("access_requests", "dataset_id"), ("datasets", "id")))
            .foreign_key(&mut fk(("access_requests", "user_id"), ("users", "id")))
            .to_owned(),
        Table::create()
            .table("access_grants")
            .col(pk_uuid("id"))
            .col(uuid("dataset_id"))
            .col(uuid("user_id"))
            .col(uuid_null("request_id"))
            .col(uuid_null("granted_by"))
            .col(timestamp_with_time_zone("expires_at"))
            .col(timestamp_with_time_zone_null("revoked_at"))
            .col(timestamp_with_time_zone("created_at"))
            .foreign_key(&mut fk(("access_grants", "dataset_id"), ("datasets", "id")))
            .foreign_key(&mut fk(("access_grants", "user_id"), ("users", "id")))
            .to_owned(),
        Table::create()
            .table("sessions")
            .col(string("id_hash").primary_key())
            .col(uuid("user_id"))
            .col(string("csrf_token"))
            .col(timestamp_with_time_zone("created_at"))
            .col(timestamp_with_time_zone("expires_at"))
            .foreign_key(&mut fk(("sessions", "user_id"), ("users", "id")))
            .to_owned(),
        Table::create()
            .table("audit_events")
            .col(big_pk_auto("id"))
            .col(timestamp_with_time_zone("at"))
            .col(string("actor"))
            .col(string("action"))
            .col(string("surface"))
            .col(uuid_null("dataset_id"))
            .col(string_null("target"))
            .col(json_binary("details"))
            .to_owned(),
    ]
}

fn indexes() -> Vec<IndexCreateStatement> {
    vec![
        index("ux_agreements_version", "agreements", &["consortium_id", "version"], true),
        index("ux_acceptances", "agreement_acceptances", &["agreement_id", "user_id"], true),
        index("ix_members_consortium", "consortium_members", &["consortium_id"], false),
        index("ix_requests_dataset", "access_requests", &["dataset_id", "state"], false),
        index("ix_grants_user", "access_grants", &["user_id", "dataset_id"], false),
        index("ix_audit_at", "audit_events", &["at"], false),
        index("ix_audit_dataset", "audit_events", &["dataset_id", "at"], false),
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
        // Users gain local accounts and can be disabled; service accounts are users of kind service.
        manager.alter_table(Table::alter().table("users").add_column(string_null("password_hash")).to_owned()).await?;
        manager
            .alter_table(
                Table::alter().table("users").add_column(timestamp_with_time_zone_null("disabled_at")).to_owned(),
            )
            .await?;
        manager
            .alter_table(Table::alter().table("users").add_column(string("kind").default("person")).to_owned())
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in ["kind", "disabled_at", "password_hash"] {
            manager.alter_table(Table::alter().table("users").drop_column(column).to_owned()).await?;
        }
        drop_all(manager, tables()).await
    }
}
