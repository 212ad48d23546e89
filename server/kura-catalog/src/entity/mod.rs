//! sea-orm entities, one file per catalog table.
//!
//! States, levels, scopes, roles and kinds are `kura_core` enums stored as their strings (the
//! `string_enum!` table in `kura_core::domain`); code compares the enums, never the strings.

pub mod access_grant;
pub mod access_policy;
pub mod access_request;
pub mod agreement;
pub mod agreement_acceptance;
pub mod airlock_release;
pub mod api_token;
pub mod audit_event;
pub mod compute_job;
pub mod consortium;
pub mod consortium_member;
pub mod data_table;
pub mod dataset;
pub mod dataset_version;
pub mod federation_assertion;
pub mod file;
pub mod group;
pub mod ingest_job;
pub mod lineage_event;
pub mod membership;
pub mod organization;
pub mod outbox;
pub mod peer;
pub mod policy_consortium;
pub mod session;
pub mod sign_in_failure;
pub mod stream_batch;
pub mod stream_file;
pub mod stream_pending;
pub mod stream_pin;
pub mod stream_snapshot;
pub mod stream_table;
pub mod table_column;
pub mod user;

#[cfg(test)]
mod tests;
