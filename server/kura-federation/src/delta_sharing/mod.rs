//! Delta Sharing (protocol version 1, `responseformat=parquet`): the open protocol pandas and
//! Spark read shared tables with. Shares are groups and consortia, schemas are datasets, and
//! tables are the tables of a dataset's newest version the caller may read, masked columns
//! removed (see [`listing`]). A query answers short-lived file URLs signed by this node
//! ([`signed`]); downloading one decides again, as the caller it was given to, and is audited.
//!
//! Every answer is decided by `kura_service` (the tables listing Flight uses, the audit of
//! table reads); the HTTP routes in `kura-api` parse, call one method here, and render.

pub mod download;
mod files;
pub mod listing;
pub mod profile;
pub mod protocol;
mod query;
pub mod range;
pub mod schema;
pub mod signed;

use std::collections::BTreeSet;
use std::sync::Arc;

use kura_auth::CredentialResolver;
use kura_core::Principal;
use kura_service::{ServiceError, Services};

pub use download::Download;
pub use listing::PageArgs;
pub use profile::Profile;
pub use protocol::{Listing, QueryRequest, Schema, Share, ShareAnswer, Table, TableAnswer};

/// Where the protocol is served, below the site root.
pub const PREFIX: &str = "/delta-sharing";

/// Memory kept for recent Parquet rewrites (tables served without hidden columns).
const REWRITE_BUDGET: usize = 256 << 20;

/// A table as the caller names it in the protocol.
#[derive(Debug, Clone, Copy)]
pub struct TableName<'a> {
    pub share: &'a str,
    pub schema: &'a str,
    pub table: &'a str,
}

/// The Delta Sharing server of one node: its services (catalog and store; links take the public
/// base URL from the caller, which the server settles after opening them), the credential resolver (a download
/// acts again as the caller its URL names), the key that signs file URLs, and recent rewrites.
#[derive(Clone, Debug)]
pub struct DeltaSharing {
    services: Services,
    credentials: Arc<CredentialResolver>,
    key: Arc<signed::UrlKey>,
    rewrites: Arc<files::Rewrites>,
}

impl DeltaSharing {
    /// Delta Sharing over `services`; the URL key is created in `data_dir/keys/` on first start.
    pub fn open(services: Services, credentials: Arc<CredentialResolver>) -> Result<Self, ServiceError> {
        let path = services.config.data_dir.join("keys").join("delta-sharing-urls.key");
        let key = signed::UrlKey::load_or_create(&path)
            .map_err(|e| ServiceError::internal(format!("Delta Sharing URL key: {e}")))?;
        Ok(DeltaSharing {
            services,
            credentials,
            key: Arc::new(key),
            rewrites: Arc::new(files::Rewrites::new(REWRITE_BUDGET)),
        })
    }

    /// A sharing profile for the signed-in caller, for the server at `base` (see [`profile`]).
    pub async fn profile(&self, principal: &Principal, days: Option<i64>, base: &str) -> Result<Profile, ServiceError> {
        profile::create(&self.services, principal, days, base).await
    }

    /// The shares holding a table the caller may read.
    pub async fn shares(&self, principal: &Principal, page: &PageArgs) -> Result<Listing<Share>, ServiceError> {
        let tables = listing::shared_tables(&self.services, principal, None).await?;
        let names: BTreeSet<String> = tables.into_iter().flat_map(|t| t.shares).collect();
        page.page(names.into_iter().map(|name| Share { name }).collect())
    }

    /// One share (404 unless it holds a table the caller may read).
    pub async fn share(&self, principal: &Principal, share: &str) -> Result<ShareAnswer, ServiceError> {
        let tables = listing::shared_tables(&self.services, principal, None).await?;
        if !tables.iter().any(|t| t.shares.contains(share)) {
            return Err(ServiceError::not_found("share"));
        }
        Ok(ShareAnswer { share: Share { name: share.to_owned() } })
    }

    /// The schemas (datasets) of a share.
    pub async fn schemas(
        &self,
        principal: &Principal,
        share: &str,
        page: &PageArgs,
    ) -> Result<Listing<Schema>, ServiceError> {
        let tables = self.in_share(principal, share, None).await?;
        let names: BTreeSet<String> = tables.iter().map(|t| t.schema().to_owned()).collect();
        page.page(names.into_iter().map(|name| Schema { name, share: share.to_owned() }).collect())
    }

    /// The tables of one schema of a share.
    pub async fn tables(
        &self,
        principal: &Principal,
        share: &str,
        schema: &str,
        page: &PageArgs,
    ) -> Result<Listing<Table>, ServiceError> {
        let tables = self.in_share(principal, share, Some(schema)).await?;
        if tables.is_empty() {
            return Err(ServiceError::not_found("schema"));
        }
        page.page(tables.iter().map(|t| table_of(share, t)).collect())
    }

    /// Every table of a share.
    pub async fn all_tables(
        &self,
        principal: &Principal,
        share: &str,
        page: &PageArgs,
    ) -> Result<Listing<Table>, ServiceError> {
        let tables = self.in_share(principal, share, None).await?;
        page.page(tables.iter().map(|t| table_of(share, t)).collect())
    }

    /// The share's tables the caller may read (of dataset `schema` only, when given: only that
    /// dataset is looked at, and a share without it answers as if absent); a share without any
    /// is not found.
    async fn in_share(
        &self,
        principal: &Principal,
        share: &str,
        schema: Option<&str>,
    ) -> Result<Vec<listing::Shared>, ServiceError> {
        let tables = listing::shared_tables(&self.services, principal, schema).await?;
        let tables: Vec<_> = tables.into_iter().filter(|t| t.shares.contains(share)).collect();
        if tables.is_empty() && schema.is_none() {
            return Err(ServiceError::not_found("share"));
        }
        Ok(tables)
    }
}

fn table_of(share: &str, shared: &listing::Shared) -> Table {
    Table {
        name: shared.readable.table.name.clone(),
        schema: shared.schema().to_owned(),
        share: share.to_owned(),
        id: shared.readable.table.id.to_string(),
    }
}
