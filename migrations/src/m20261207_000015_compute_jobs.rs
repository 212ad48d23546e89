//! Compute jobs (GA4GH TES tasks over Kura tables): who submitted them for which group, the
//! code (SQL text or a command), the declared inputs, the output dataset once it exists, the
//! state with the time of each step, a size-limited log, and the worker's claim (worker, lease,
//! attempts) as ingest jobs keep it, so that every job reaches a final state after a restart.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::helpers::{create_all, drop_all, fk, index};

fn tables() -> Vec<TableCreateStatement> {
    vec![
        Table::create()
            .table("compute_jobs")
            .col(pk_uuid("id"))
            .col(uuid("submitter"))
            // How the audit log names the submitter when the job reads its inputs.
            .col(string("actor"))
            .col(uuid("group_id"))
            .col(string("name"))
            .col(string("kind"))
            .col(text("code"))
            // [{"name", "dataset", "version", "table", "columns"}] as submitted.
            .col(json_binary("inputs"))
            // Names of the tables the job writes into its output dataset.
            .col(json_binary("outputs"))
            .col(json_binary("tags"))
            .col(uuid_null("output_dataset_id"))
            // The access level the output inherited from the inputs: its policy may only be
            // tightened from there (loosening is an airlock release).
            .col(json_binary_null("inherited_level"))
            .col(string("state"))
            .col(text_null("message"))
            .col(text("log"))
            .col(timestamp_with_time_zone("created_at"))
            .col(timestamp_with_time_zone_null("initializing_at"))
            .col(timestamp_with_time_zone_null("running_at"))
            .col(timestamp_with_time_zone_null("finished_at"))
            .col(timestamp_with_time_zone("updated_at"))
            .col(string_null("worker"))
            .col(timestamp_with_time_zone_null("lease_until"))
            .col(integer("attempts").default(0))
            .foreign_key(&mut fk(("compute_jobs", "submitter"), ("users", "id")))
            .foreign_key(&mut fk(("compute_jobs", "group_id"), ("groups", "id")))
            .to_owned(),
        // Airlock releases: the owner of a job's output asks, with a reason, for a policy looser
        // than the inherited one; a steward of every input's owning group approves.
        Table::create()
            .table("airlock_releases")
            .col(pk_uuid("id"))
            .col(uuid("dataset_id"))
            .col(uuid("job_id"))
            .col(string("requested_by"))
            .col(text("reason"))
            // The policy asked for (a `Policy` as JSON).
            .col(json_binary("policy"))
            // Groups whose steward must approve, and the approvals given: [{group, by, at}].
            .col(json_binary("needed"))
            .col(json_binary("approvals"))
            .col(string("state"))
            .col(timestamp_with_time_zone("created_at"))
            .col(timestamp_with_time_zone_null("decided_at"))
            .foreign_key(&mut fk(("airlock_releases", "dataset_id"), ("datasets", "id")))
            .foreign_key(&mut fk(("airlock_releases", "job_id"), ("compute_jobs", "id")))
            .to_owned(),
    ]
}

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let indexes = vec![
            index("idx_compute_jobs_state_created", "compute_jobs", &["state", "created_at"], false),
            index("idx_compute_jobs_submitter", "compute_jobs", &["submitter", "created_at"], false),
        ];
        create_all(manager, tables(), indexes).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_all(manager, tables()).await
    }
}
