//! Federated Flight SQL: a partner's tables the caller may read, in the caller's session as
//! `<node>.<dataset>.<table>`. Each trusted peer with a Flight endpoint becomes a catalog named
//! by its node id; its schemas and tables are what the peer's own Flight SQL shows the caller
//! (asked with the token the peer gave them, [`kura_federation::Federation::token_for`]), so
//! access is decided at the owning node and masked columns never leave it. A scan sends the
//! projection, the filters and the limit to the owning node ([`scan`]).
//!
//! Discovery is bounded by the federation deadline; a peer that fails is left out of the
//! session with a warning and named by [`Peers::unavailable`], so a query of its tables is told
//! that the peer did not answer rather than that the table does not exist. A partner's user is
//! never passed on (their session has no peer catalogs), and what this node sends a peer names
//! only the peer's own catalog, so no request travels further than one hop.

pub mod discover;
pub mod pushdown;
pub mod scan;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use arrow::datatypes::SchemaRef;
use datafusion::catalog::{CatalogProvider, MemoryCatalogProvider, MemorySchemaProvider, SchemaProvider};
use kura_core::Principal;

use crate::FlightContext;
use crate::error::FlightError;
use crate::sql::CATALOG;

/// Which peers a session asks.
#[derive(Debug, Clone)]
pub enum Wanted {
    /// None (a query naming only this node's tables).
    None,
    /// Every trusted peer (listing tables, schemas and catalogs).
    All,
    /// The peers of these catalog names (a query naming them).
    Named(BTreeSet<String>),
}

/// A table of a partner as listed in the caller's session.
#[derive(Debug, Clone)]
pub struct Listed {
    pub peer: String,
    pub dataset: String,
    pub table: String,
    pub schema: SchemaRef,
}

/// The peers of one session: their catalogs, their tables, and those that did not answer.
#[derive(Debug, Default)]
pub struct Peers {
    pub catalogs: Vec<(String, Arc<dyn CatalogProvider>)>,
    pub tables: Vec<Listed>,
    /// Peer id → why it is not in the session.
    pub unavailable: BTreeMap<String, String>,
}

/// The catalogs of the `wanted` peers as `principal` sees them. Never fails: a peer that does
/// not answer is reported in [`Peers::unavailable`].
pub async fn peers(ctx: &FlightContext, principal: &Principal, wanted: &Wanted) -> Result<Peers, FlightError> {
    let mut out = Peers::default();
    let Some(federation) = &ctx.federation else { return Ok(out) };
    if matches!(wanted, Wanted::None) || principal.home_node.is_some() {
        return Ok(out);
    }
    let trusted = kura_service::federation::trusted_peers(ctx).await?;
    let asked: Vec<_> = trusted
        .into_iter()
        .filter(|p| match wanted {
            Wanted::None => false,
            Wanted::All => p.flight_url.is_some(),
            Wanted::Named(names) => names.contains(&p.id),
        })
        .filter(|p| {
            // A peer named like this node's catalog would hide it.
            let hides = p.id == CATALOG;
            if hides {
                tracing::warn!(peer = %p.id, "a peer's id is this node's SQL catalog name: left out of Flight SQL");
            }
            !hides
        })
        .collect();
    let config = &ctx.services.config;
    let timeout = Duration::from_millis(config.federation_timeout_ms);
    let max_bytes = config.federation_max_response_bytes;
    let asks = asked.iter().map(|peer| async move {
        if peer.flight_url.is_none() {
            return (peer.id.clone(), Err(kura_federation::NodeFailure::Error("it offers no Flight endpoint".into())));
        }
        let found = discover::discover(federation, &ctx.discoveries, principal, peer, timeout, max_bytes).await;
        (peer.id.clone(), found)
    });
    for (peer, answer) in futures::future::join_all(asks).await {
        match answer {
            Ok(found) => {
                let catalog = MemoryCatalogProvider::new();
                let mut schemas: BTreeMap<String, Arc<MemorySchemaProvider>> = BTreeMap::new();
                for t in found.tables {
                    let schema = schemas.entry(t.dataset.clone()).or_default();
                    let provider = scan::RemoteTableProvider::new(
                        found.remote.clone(),
                        t.dataset.clone(),
                        t.table.clone(),
                        t.schema.clone(),
                    );
                    schema.register_table(t.table.clone(), Arc::new(provider))?;
                    out.tables.push(Listed {
                        peer: peer.clone(),
                        dataset: t.dataset,
                        table: t.table,
                        schema: t.schema,
                    });
                }
                for (name, schema) in schemas {
                    catalog.register_schema(&name, schema)?;
                }
                out.catalogs.push((peer, Arc::new(catalog)));
            }
            Err(failure) => {
                tracing::warn!(peer = %peer, reason = %failure, "peer left out of the Flight SQL session");
                out.unavailable.insert(peer, failure.to_string());
            }
        }
    }
    Ok(out)
}
