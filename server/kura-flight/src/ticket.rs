//! Tickets: opaque to clients, signed with HMAC-SHA256 under a key kept in
//! `DATA_DIR/keys/flight-tickets.key`, valid for [`TICKET_SECONDS`] and bound to the principal
//! that asked for them. Layout: `kura1.<base64url JSON>.<base64url MAC>`.
//!
//! Refusals are precise: a ticket that is malformed or whose MAC does not match is
//! UNAUTHENTICATED (it proves nothing), an expired one is UNAUTHENTICATED too (like an expired
//! token: ask for a new one), and a valid ticket presented by another principal is
//! PERMISSION_DENIED (the caller is known, the ticket is not theirs).

use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use kura_auth::MacKey;
use kura_core::ErrorCode;
use serde::{Deserialize, Serialize};

use crate::error::FlightError;

/// How long a ticket may be used after GetFlightInfo handed it out.
pub const TICKET_SECONDS: i64 = 300;
/// Every ticket starts with this, so DoGet tells Kura's tickets from Flight SQL commands.
pub const PREFIX: &[u8] = b"kura1.";

/// What a ticket lets its holder read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Work {
    /// Row groups `[first, end)` of one table, projected and filtered.
    Table {
        dataset: String,
        version: i32,
        table: String,
        columns: Option<Vec<String>>,
        filter: Option<String>,
        limit: Option<u64>,
        row_groups: (usize, usize),
    },
    /// One SQL query (statements and prepared statements).
    Sql { query: String },
    /// A stream table's rows at `snapshot` (after `since`), or with `follow` every commit after
    /// `since` as it lands.
    Stream {
        dataset: String,
        version: Option<String>,
        table: String,
        snapshot: Option<i64>,
        since: Option<i64>,
        follow: bool,
    },
}

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    /// The principal's actor (`user:<id>`, `token:<id>`, `anonymous`).
    actor: String,
    /// Unix seconds.
    expires: i64,
    work: Work,
}

/// Signs and checks tickets.
#[derive(Clone, Debug)]
pub struct TicketKey {
    key: MacKey,
}

impl TicketKey {
    /// A key from raw bytes (tests).
    pub fn from_bytes(key: [u8; 32]) -> Self {
        TicketKey { key: MacKey::from_bytes(key) }
    }

    /// The node's key (Flight tickets), created on first start.
    pub fn load_or_create(path: &Path) -> std::io::Result<Self> {
        Ok(TicketKey { key: MacKey::load_or_create(path)? })
    }

    /// A ticket for `work`, bound to `actor`, valid until `now + TICKET_SECONDS`.
    pub fn sign(&self, actor: &str, work: Work, now: i64) -> Vec<u8> {
        let claims = Claims { actor: actor.to_owned(), expires: now + TICKET_SECONDS, work };
        let payload = B64.encode(serde_json::to_vec(&claims).expect("claims serialize"));
        let tag = B64.encode(self.key.tag(payload.as_bytes()));
        [PREFIX, payload.as_bytes(), b".", tag.as_bytes()].concat()
    }

    /// The work of a ticket presented by `actor` at `now`.
    pub fn open(&self, ticket: &[u8], actor: &str, now: i64) -> Result<Work, FlightError> {
        let bad = || FlightError::unauthenticated("invalid ticket");
        let rest = ticket.strip_prefix(PREFIX).ok_or_else(bad)?;
        let text = std::str::from_utf8(rest).map_err(|_| bad())?;
        let (payload, tag) = text.split_once('.').ok_or_else(bad)?;
        let tag = B64.decode(tag).map_err(|_| bad())?;
        if !self.key.verifies(payload.as_bytes(), &tag) {
            return Err(bad());
        }
        let claims: Claims = serde_json::from_slice(&B64.decode(payload).map_err(|_| bad())?).map_err(|_| bad())?;
        if now > claims.expires {
            return Err(FlightError::unauthenticated("ticket expired: call GetFlightInfo again"));
        }
        if claims.actor != actor {
            return Err(FlightError::new(ErrorCode::Forbidden, "this ticket was issued to someone else"));
        }
        Ok(claims.work)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn work() -> Work {
        Work::Sql { query: "select 1".into() }
    }

    #[test]
    fn tickets_round_trip_and_refuse_misuse_precisely() {
        let key = TicketKey::from_bytes([7; 32]);
        let t = key.sign("user:a", work(), 1000);
        assert_eq!(key.open(&t, "user:a", 1000).unwrap(), work());
        assert_eq!(key.open(&t, "user:a", 1000 + TICKET_SECONDS).unwrap(), work());

        let other = key.open(&t, "user:b", 1000).unwrap_err();
        assert_eq!(other.code, ErrorCode::Forbidden);
        let expired = key.open(&t, "user:a", 1001 + TICKET_SECONDS).unwrap_err();
        assert_eq!(expired.code, ErrorCode::Unauthenticated);
        assert!(expired.message.contains("expired"));

        // Any changed byte breaks the MAC.
        for i in PREFIX.len()..t.len() {
            let mut altered = t.clone();
            altered[i] ^= 0x01;
            let e = key.open(&altered, "user:a", 1000).unwrap_err();
            assert_eq!(e.code, ErrorCode::Unauthenticated, "byte {i}");
        }
        // Another node's key, garbage, and Flight SQL commands are refused.
        assert!(TicketKey::from_bytes([8; 32]).open(&t, "user:a", 1000).is_err());
        assert!(key.open(b"kura1.", "user:a", 1000).is_err());
        assert!(key.open(b"select", "user:a", 1000).is_err());
    }

    #[test]
    fn the_key_file_is_created_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys/flight-tickets.key");
        let a = TicketKey::load_or_create(&path).unwrap();
        let b = TicketKey::load_or_create(&path).unwrap();
        assert_eq!(a.key, b.key);
    }
}
