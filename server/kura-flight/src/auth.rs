//! Authentication for Flight, through the credential resolver the REST API uses:
//! `authorization: Bearer <JWT or API token>` on every call (no header: anonymous), and a
//! Handshake that exchanges a local account's username and password (HTTP Basic in the
//! `authorization` header) or an API token for a short-lived Kura JWT. Every refusal is
//! UNAUTHENTICATED with the reason logged.

use std::net::IpAddr;

use kura_auth::AuthError;
use kura_auth::credentials::Authorization;
use kura_core::Principal;
use tonic::metadata::MetadataMap;

use crate::FlightContext;
use crate::error::FlightError;

/// The credential of a call's `authorization` header, if it has one.
fn authorization(metadata: &MetadataMap) -> Result<Option<Authorization<'_>>, AuthError> {
    metadata.get("authorization").map(|value| Authorization::parse(value.as_bytes())).transpose()
}

/// The caller of a call other than Handshake.
pub async fn principal(ctx: &FlightContext, metadata: &MetadataMap) -> Result<Principal, FlightError> {
    let resolved = match authorization(metadata) {
        Ok(None) => return Ok(Principal::anonymous()),
        Ok(Some(Authorization::Bearer(secret))) => ctx.credentials.bearer(secret).await,
        Ok(Some(Authorization::Basic { .. })) => {
            tracing::warn!(reason = "basic credentials outside Handshake", surface = "flight", "credentials refused");
            return Err(FlightError::unauthenticated("basic credentials are for Handshake: use the token it returns"));
        }
        Err(e) => Err(e),
    };
    // Which check failed is logged, not told (as over REST).
    resolved.map_err(|e| {
        tracing::warn!(reason = ?e, surface = "flight", "credentials refused");
        e.into()
    })
}

/// Handshake: basic credentials or a user's API token (in the `authorization` header, or an API
/// token as the handshake payload) in exchange for a Kura JWT valid for
/// [`kura_auth::credentials::EXCHANGED_TOKEN_MINUTES`], with the credential's own scope.
pub async fn handshake(
    ctx: &FlightContext,
    metadata: &MetadataMap,
    payload: &[u8],
    address: Option<IpAddr>,
) -> Result<String, FlightError> {
    let principal = match authorization(metadata)? {
        Some(credential) => ctx.credentials.handshake(&credential, address).await?,
        None => {
            let secret = std::str::from_utf8(payload).map(str::trim).unwrap_or("");
            if secret.is_empty() {
                return Err(FlightError::unauthenticated("send basic credentials or an API token to sign in"));
            }
            ctx.credentials.bearer(secret).await?
        }
    };
    Ok(ctx.credentials.exchange(&principal)?)
}
