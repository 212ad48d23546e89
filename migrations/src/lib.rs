//! The catalog schema, one migration set for SQLite and PostgreSQL.

pub use sea_orm_migration::prelude::*;

mod helpers;
mod m20261124_000001_catalog;
mod m20261124_000002_access;
mod m20261125_000003_units;
mod m20261125_000004_deaccession;
mod m20261205_000005_review;
mod m20261205_000006_coordinator;
mod m20261207_000007_dataset_names;
mod m20261207_000008_file_uploader;
mod m20261207_000009_job_runner;
mod m20261207_000010_federation;
mod m20261207_000011_streams;
mod m20261207_000012_job_leases;
mod m20261207_000013_sign_in_failures;
mod m20261207_000014_stream_pending;
mod m20261207_000015_compute_jobs;
mod m20261207_000016_lineage_events;

/// Applies Kura's catalog migrations in order.
#[derive(Debug)]
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261124_000001_catalog::Migration),
            Box::new(m20261124_000002_access::Migration),
            Box::new(m20261125_000003_units::Migration),
            Box::new(m20261125_000004_deaccession::Migration),
            Box::new(m20261205_000005_review::Migration),
            Box::new(m20261205_000006_coordinator::Migration),
            Box::new(m20261207_000007_dataset_names::Migration),
            Box::new(m20261207_000008_file_uploader::Migration),
            Box::new(m20261207_000009_job_runner::Migration),
            Box::new(m20261207_000010_federation::Migration),
            Box::new(m20261207_000011_streams::Migration),
            Box::new(m20261207_000012_job_leases::Migration),
            Box::new(m20261207_000013_sign_in_failures::Migration),
            Box::new(m20261207_000014_stream_pending::Migration),
            Box::new(m20261207_000015_compute_jobs::Migration),
            Box::new(m20261207_000016_lineage_events::Migration),
        ]
    }
}
