//! SPARQL queries over exactly the named graphs the principal may see (`kura_rdf::sparql` asks
//! `decide` per graph), within the node's limits; `SERVICE` only as `remote` allows (the allow-list
//! and the caller's tokens at peers come from kura-federation).

use kura_core::{ErrorCode, Principal};
use kura_rdf::service::Remote;
use kura_rdf::sparql::{self, Limits, ParsedQuery, ResultFormat};

use crate::{ServiceError, Services};

/// Evaluates `query` for `principal` and serializes the results as `format`; SERVICE calls go
/// to the endpoints `remote` allows, within the same limits.
pub async fn query(
    svc: &Services,
    principal: &Principal,
    query: ParsedQuery,
    format: ResultFormat,
    remote: Remote,
) -> Result<Vec<u8>, ServiceError> {
    let rdf = svc
        .rdf
        .as_ref()
        .ok_or_else(|| ServiceError::new(ErrorCode::Unavailable, "the SPARQL store is not running on this node"))?;
    let limits = Limits {
        timeout: std::time::Duration::from_millis(svc.config.sparql_timeout_ms),
        max_results: svc.config.sparql_max_results,
    };
    Ok(sparql::run(rdf.store().clone(), principal.subject.clone(), query, format, limits, remote).await?)
}
