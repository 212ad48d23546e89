//! The catalog: Kura's source of truth, in sea-orm over SQLite or PostgreSQL.
//!
//! Every change that makes something visible (a version, its files and tables, the outbox events
//! that feed the projections) is one transaction, so readers never see half of it.

mod db;
pub mod entity;
mod error;
mod page;

pub mod datasets;
pub mod files;
pub mod jobs;
pub mod organizations;
pub mod outbox;
pub mod tables;
pub mod tokens;
pub mod versions;

pub use db::{Catalog, StatementHook};
pub use error::CatalogError;
pub use page::{Page, PageRequest};

/// What part of the catalog a caller may read. The access-control work replaces this with the
/// decision function; until then published versions are public and admins see everything.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Visibility {
    /// Published (and deaccessioned, as tombstones) versions only.
    Published,
    /// Drafts and everything else too.
    Everything,
}

impl Visibility {
    /// The visibility a principal gets.
    pub fn of(principal: &kura_core::Principal) -> Self {
        if principal.is_admin() { Visibility::Everything } else { Visibility::Published }
    }
}
