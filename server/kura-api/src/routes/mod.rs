//! HTTP routes under `/api/v1`. Handlers extract, authorize through `crate::access`, call the
//! catalog or the ingestor, and map the result.

pub mod access_admin;
pub mod consortia;
pub mod datasets;
pub mod fair;
pub mod files;
pub mod health;
pub mod jobs;
pub mod me;
pub mod oai;
pub mod portal;
pub mod rows;
pub mod search;
pub mod sparql;
pub mod tables;
pub mod versions;
