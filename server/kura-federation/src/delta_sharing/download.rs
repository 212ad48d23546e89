//! Downloading a file URL: its signature and expiry checked, its caller read again (read-only)
//! and decided for again by `kura_service`, the table's object still the one signed, and every
//! read of data audited (`Surface::DeltaSharing`).

use bytes::Bytes;
use futures::StreamExt;
use kura_core::{ErrorCode, Principal};
use kura_service::files::ByteStream;
use kura_service::readable::{Readable, audit_table_read, readable_tables};
use kura_service::{ServiceError, Surface};
use object_store::ObjectStoreExt as _;

use super::DeltaSharing;
use super::files::{ServedFile, served};
use super::range::{Wanted, wanted};
use super::signed::FileClaims;

/// What a download sends.
pub struct Download {
    /// The whole file's size.
    pub size: u64,
    /// The part asked for.
    pub wanted: Wanted,
    /// The bytes of that part (nothing for HEAD or an unsatisfiable range).
    pub body: Body,
    /// A file name for the table.
    pub name: String,
}

impl std::fmt::Debug for Download {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Download").field("size", &self.size).field("wanted", &self.wanted).finish_non_exhaustive()
    }
}

/// The bytes of a download.
pub enum Body {
    Empty,
    Bytes(Bytes),
    Stream(ByteStream),
}

impl DeltaSharing {
    /// The file a signed URL names, for a GET (`head` false: the bytes, audited) or a HEAD
    /// (its size only), with the `Range` header's part.
    pub async fn download(&self, signed: &str, range: Option<&str>, head: bool) -> Result<Download, ServiceError> {
        let claims = self.key.open(signed, chrono::Utc::now().timestamp_millis())?;
        let principal = self.caller_of(&claims).await?;
        let readable = self.readable_of(&principal, &claims).await?;
        let served = served(&self.services, &readable, &self.rewrites).await?.file;
        let size = served.size();
        let wanted = wanted(range, size);
        let name = format!("{}.parquet", readable.table.name);
        if head || wanted == Wanted::Unsatisfiable {
            return Ok(Download { size, wanted, body: Body::Empty, name });
        }
        let details = match wanted {
            Wanted::Part { start, end } => serde_json::json!({"bytes": [start, end]}),
            _ => serde_json::json!({}),
        };
        audit_table_read(&self.services, &principal, Surface::DeltaSharing, &readable, "data.parquet", details).await?;
        let body = match (served, wanted) {
            (ServedFile::Rewritten { bytes, .. }, Wanted::Part { start, end }) => {
                Body::Bytes(bytes.slice(start as usize..end as usize))
            }
            (ServedFile::Rewritten { bytes, .. }, _) => Body::Bytes(bytes),
            (ServedFile::Stored { sha256, .. }, Wanted::Part { start, end }) => {
                let path = kura_storage::ObjectStore::path_of(&sha256)?;
                let bytes = self
                    .services
                    .store
                    .backend()
                    .get_range(&path, start..end)
                    .await
                    .map_err(|e| ServiceError::from(kura_storage::StorageError::from(e)))?;
                Body::Bytes(bytes)
            }
            (ServedFile::Stored { sha256, .. }, _) => {
                Body::Stream(self.services.store.get_stream(&sha256).await?.boxed())
            }
        };
        Ok(Download { size, wanted, body, name })
    }

    /// The caller a URL was given to, as they are now, reading only.
    async fn caller_of(&self, claims: &FileClaims) -> Result<Principal, ServiceError> {
        let refused = |e: kura_auth::AuthError| {
            ServiceError::new(ErrorCode::Forbidden, format!("the caller of this file URL is refused now: {e}"))
        };
        match (claims.user, &claims.fed) {
            (Some(user), Some(fed)) => self.credentials.federated_user(user, fed.clone()).await.map_err(refused),
            (Some(user), None) => self.credentials.read_only_user(user).await.map_err(refused),
            (None, _) if claims.admin => Ok(Principal::admin(claims.actor.clone())),
            (None, _) => Ok(Principal::anonymous()),
        }
    }

    /// The table the URL names, when its caller may still read it and its object is unchanged.
    async fn readable_of(&self, principal: &Principal, claims: &FileClaims) -> Result<Readable, ServiceError> {
        let tables = readable_tables(&self.services, principal, Some(&claims.dataset.to_string()), true).await?;
        let readable = tables
            .into_iter()
            .map(|(r, _)| r)
            .find(|r| r.version.number == claims.version && r.table.name == claims.table)
            .ok_or_else(|| ServiceError::not_found("table"))?;
        if readable.sha256 != claims.object {
            return Err(ServiceError::not_found("file"));
        }
        Ok(readable)
    }
}
