//! HTTP routes under `/api/v1`. Handlers extract, call one use case of `kura_service` (which
//! decides access and changes the catalog), and map the result.

pub mod access_admin;
pub mod compute;
pub mod consortia;
pub mod datasets;
pub mod delta_sharing;
pub mod fair;
pub mod federation;
pub mod files;
pub mod health;
pub mod html;
pub mod jobs;
pub mod me;
pub mod oai;
pub mod ops;
pub mod portal;
pub mod rows;
pub mod search;
pub mod sparql;
pub mod streams;
pub mod tables;
pub mod tes;
pub mod versions;

/// An id taken from a path: text that is not an id names nothing, so it answers 404 for `what`.
pub(crate) fn parse_id(text: &str, what: &str) -> Result<uuid::Uuid, crate::error::ApiError> {
    text.parse().map_err(|_| crate::error::ApiError::not_found(what))
}
