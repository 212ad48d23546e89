//! Sharing profiles: the file a Delta Sharing client is given (endpoint and bearer token). The
//! token is a Kura API token of the signed-in caller, always of scope `read` and with an expiry,
//! listed and revocable like any of their tokens.

use chrono::{Duration, SecondsFormat, Utc};
use kura_core::Principal;
use kura_service::{ServiceError, Services, directory};
use serde::Serialize;

use super::PREFIX;

/// Days a profile's token lives when the caller names none, and at most.
pub const DEFAULT_DAYS: i64 = 30;
pub const MAX_DAYS: i64 = 365;

/// A Delta Sharing profile file (`shareCredentialsVersion` 1).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Profile {
    pub share_credentials_version: u32,
    /// The sharing server: `{base}/delta-sharing`.
    pub endpoint: String,
    /// A read-only API token of the caller (shown this once).
    pub bearer_token: String,
    /// When the token expires (RFC 3339).
    pub expiration_time: String,
}

/// A new profile for the caller, whose token expires in `days` (default 30, at most 365), for
/// the server at `base` (the node's public base URL).
pub async fn create(
    svc: &Services,
    principal: &Principal,
    days: Option<i64>,
    base: &str,
) -> Result<Profile, ServiceError> {
    let days = days.unwrap_or(DEFAULT_DAYS);
    if !(1..=MAX_DAYS).contains(&days) {
        return Err(ServiceError::invalid(format!("expires_in_days must be between 1 and {MAX_DAYS}, not {days}")));
    }
    let user = principal.user_id.ok_or_else(|| ServiceError::unauthenticated(directory::NEEDS_ACCOUNT))?;
    let expires = Utc::now() + Duration::days(days);
    let name = format!("Delta Sharing profile until {}", expires.format("%Y-%m-%d"));
    let (_, secret) = directory::create_user_token(svc, principal, user, &name, "read", Some(expires)).await?;
    Ok(Profile {
        share_credentials_version: 1,
        endpoint: format!("{base}{PREFIX}"),
        bearer_token: secret,
        expiration_time: expires.to_rfc3339_opts(SecondsFormat::Secs, true),
    })
}

impl crate::Federation {
    /// A profile for reading the peer `peer`'s shares as `principal`: the peer's endpoint and
    /// the short-lived, read-only token the peer gave this user by token exchange (the peer
    /// decides with its own rules and refuses the token once this node is no longer its peer).
    pub async fn peer_profile(&self, principal: &Principal, peer: &str) -> Result<Profile, ServiceError> {
        let user_needed = || ServiceError::unauthenticated(directory::NEEDS_ACCOUNT);
        principal.user_id.ok_or_else(user_needed)?;
        let peer = kura_service::federation::trusted_peer(self.services(), peer)
            .await?
            .ok_or_else(|| ServiceError::not_found("peer"))?;
        let refused = |e: crate::NodeFailure| {
            ServiceError::new(kura_core::ErrorCode::Unavailable, format!("node {:?} gave no token: {e}", peer.id))
        };
        let token = self.token_for(principal, &peer).await.map_err(refused)?.ok_or_else(user_needed)?;
        Ok(Profile {
            share_credentials_version: 1,
            endpoint: format!("{}{PREFIX}", peer.base_url),
            expiration_time: token_expiry(&token).to_rfc3339_opts(SecondsFormat::Secs, true),
            bearer_token: token,
        })
    }
}

/// When a token of a peer expires, read from its `exp` (the peer alone checks it; an unreadable
/// one is given the shortest life).
fn token_expiry(token: &str) -> chrono::DateTime<Utc> {
    let exp = kura_auth::unverified_claims(token).ok().and_then(|c| c.get("exp").and_then(|e| e.as_i64()));
    exp.and_then(|e| chrono::DateTime::from_timestamp(e, 0)).unwrap_or_else(Utc::now)
}
