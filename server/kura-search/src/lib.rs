//! Search: a tantivy index kept as a projection of the catalog. Every document carries the
//! visibility tokens of the callers who may know it exists, and every query carries the caller's
//! tokens as a filter inside the index query, so hits, totals, facet counts, snippets and
//! suggestions only ever reflect what the caller may see.

mod document;
mod error;
mod index;
pub mod inventory;
pub mod projection;
mod query;
mod schema;

pub use document::SearchDoc;
pub use error::SearchError;
pub use index::SearchIndex;
pub use inventory::IndexedDoc;
pub use projection::Projector;
pub use query::{Facet, FacetBucket, Hit, SearchRequest, SearchResults, Sort, Viewer, parse_filters};
