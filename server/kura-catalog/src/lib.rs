//! The catalog: Kura's source of truth, in sea-orm over SQLite or PostgreSQL.
//!
//! Every change that makes something visible (a version, its files and tables, the outbox events
//! that feed the projections) is one transaction, so readers never see half of it.

mod db;
pub mod entity;
mod error;
mod page;

pub mod airlock;
pub mod audit;
pub mod compute;
pub mod consortia;
mod credentials;
pub mod datasets;
pub mod disclosure;
pub mod files;
pub mod harvest;
pub mod jobs;
pub mod lineage;
pub mod ops;
pub mod organizations;
pub mod outbox;
pub mod peers;
pub mod policies;
pub mod requests;
pub mod review;
pub mod sessions;
mod sign_ins;
pub mod stream_appends;
pub mod streams;
pub mod tables;
pub mod tokens;
pub mod usage;
pub mod users;
pub mod versions;

#[cfg(test)]
mod testing;

pub use db::{Catalog, SchemaStatus, StatementHook};
pub use error::CatalogError;
pub use page::{Page, PageRequest};

/// What part of the catalog a caller may know exists, as SQL filters: the query-side mirror of
/// `kura_core::access::decide` for reading metadata, so that lists and counts are filtered in
/// the database and never by dropping rows afterwards.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Visibility {
    /// Admins see everything.
    pub everything: bool,
    /// Groups whose datasets (drafts and closed ones included) the caller sees.
    pub groups: Vec<uuid::Uuid>,
}

impl Visibility {
    /// Everything: admins and the command line on the data directory.
    pub fn everything() -> Self {
        Visibility { everything: true, groups: Vec::new() }
    }

    /// The visibility a principal gets.
    pub fn of(principal: &kura_core::Principal) -> Self {
        Visibility {
            everything: principal.is_admin(),
            groups: principal.subject.groups.iter().map(|(g, _)| *g).collect(),
        }
    }
}
