//! File URLs of Delta Sharing queries: signed by this node with HMAC-SHA256 under a key kept in
//! `DATA_DIR/keys/delta-sharing-urls.key` (as Flight keys its tickets), valid until their
//! `expirationTimestamp`, and bound to the caller, the table and the Parquet object. Sharing
//! clients fetch them without credentials, so the URL names whom it was given to; the download
//! decides again, as that caller, when it is used. Layout: `kds1.<base64url JSON>.<base64url MAC>`.

use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use kura_auth::MacKey;
use kura_core::ErrorCode;
use kura_service::ServiceError;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

const PREFIX: &str = "kds1.";

/// What a file URL lets its holder read, and as whom.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileClaims {
    /// The caller's actor (`user:<id>`, `token:<id>` for admin tokens, `anonymous`).
    pub actor: String,
    /// The caller's user, when there is one (read again, read-only, at download).
    pub user: Option<Uuid>,
    /// Whether the caller is the platform's administrator without a user (an admin token).
    #[serde(default)]
    pub admin: bool,
    /// The dataset, version number and table the file is of.
    pub dataset: Uuid,
    pub version: i32,
    pub table: String,
    /// The stored Parquet object (its SHA-256): a newer object is not this URL's to serve.
    pub object: String,
    /// Unix milliseconds after which the URL is refused.
    pub expires_ms: i64,
    /// A partner node's user: their home node and the consortia this node accepted for them at
    /// the token exchange (the download refuses them once the node is no longer a peer).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fed: Option<kura_auth::FederatedClaim>,
}

/// Signs and checks file URLs.
#[derive(Clone, Debug)]
pub struct UrlKey {
    key: MacKey,
}

impl UrlKey {
    /// A key from raw bytes (tests).
    pub fn from_bytes(key: [u8; 32]) -> Self {
        UrlKey { key: MacKey::from_bytes(key) }
    }

    /// The node's key (Delta Sharing file URLs), created on first start.
    pub fn load_or_create(path: &Path) -> std::io::Result<Self> {
        Ok(UrlKey { key: MacKey::load_or_create(path)? })
    }

    /// The signed path segment for `claims`.
    pub fn sign(&self, claims: &FileClaims) -> String {
        let payload = B64.encode(serde_json::to_vec(claims).expect("claims serialize"));
        let tag = B64.encode(self.key.tag(payload.as_bytes()));
        format!("{PREFIX}{payload}.{tag}")
    }

    /// The claims of a signed segment at `now_ms`: an altered or unknown one is refused, and so
    /// is an expired one (both 403, saying which).
    pub fn open(&self, signed: &str, now_ms: i64) -> Result<FileClaims, ServiceError> {
        let bad = || {
            ServiceError::new(ErrorCode::Forbidden, "invalid file URL: it was not signed by this node or was altered")
        };
        let rest = signed.strip_prefix(PREFIX).ok_or_else(bad)?;
        let (payload, tag) = rest.split_once('.').ok_or_else(bad)?;
        let tag = B64.decode(tag).map_err(|_| bad())?;
        if !self.key.verifies(payload.as_bytes(), &tag) {
            return Err(bad());
        }
        let claims: FileClaims = serde_json::from_slice(&B64.decode(payload).map_err(|_| bad())?).map_err(|_| bad())?;
        if now_ms > claims.expires_ms {
            return Err(ServiceError::new(
                ErrorCode::Forbidden,
                "file URL expired: query the table again for fresh URLs",
            ));
        }
        Ok(claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims() -> FileClaims {
        FileClaims {
            actor: "user:a".into(),
            user: Some(Uuid::nil()),
            admin: false,
            dataset: Uuid::nil(),
            version: 1,
            table: "t".into(),
            object: "ab".repeat(32),
            expires_ms: 10_000,
            fed: None,
        }
    }

    #[test]
    fn urls_round_trip_and_refuse_altered_or_expired_ones() {
        let key = UrlKey::from_bytes([3; 32]);
        let signed = key.sign(&claims());
        assert!(signed.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b)), "a path segment");
        assert_eq!(key.open(&signed, 10_000).unwrap(), claims());
        let expired = key.open(&signed, 10_001).unwrap_err();
        assert_eq!(expired.code, ErrorCode::Forbidden);
        assert!(expired.message.contains("expired"));
        for i in PREFIX.len()..signed.len() {
            let mut altered = signed.clone().into_bytes();
            altered[i] = if altered[i] == b'A' { b'B' } else { b'A' };
            let altered = String::from_utf8(altered).unwrap();
            if altered != signed {
                assert!(key.open(&altered, 0).unwrap_err().message.contains("invalid"), "byte {i}");
            }
        }
        assert!(UrlKey::from_bytes([4; 32]).open(&signed, 0).is_err(), "another node's key");
    }
}
