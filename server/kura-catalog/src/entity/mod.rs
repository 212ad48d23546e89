//! sea-orm entities, one file per catalog table.

pub mod api_token;
pub mod data_table;
pub mod dataset;
pub mod dataset_version;
pub mod file;
pub mod group;
pub mod ingest_job;
pub mod membership;
pub mod organization;
pub mod outbox;
pub mod table_column;
pub mod user;
