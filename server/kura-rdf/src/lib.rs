//! Kura's linked-data side: what the catalog says about a dataset version, described with
//! `kura-metadata`'s views (`describe`), for every FAIR surface — landing pages, content
//! negotiation, the DCAT catalog, OAI-PMH, RO-Crate, and the SPARQL store.

pub mod derivation;
pub mod describe;
pub mod service;
pub mod signposting;
pub mod sparql;
pub mod store;
pub mod urls;

pub use describe::Describer;
pub use store::{RdfProjector, RdfStore};
