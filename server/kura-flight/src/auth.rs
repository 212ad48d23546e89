//! Authentication for Flight, exactly as the REST API does it: `authorization: Bearer <JWT or
//! API token>` on every call (no header: anonymous), and a Handshake that exchanges a local
//! account's username and password (HTTP Basic in the `authorization` header) or an API token for
//! a short-lived Kura JWT. Every refusal is UNAUTHENTICATED with the reason logged.

use std::net::IpAddr;

use base64::Engine;
use kura_core::{ErrorCode, Principal, Scope, UserKind};
use tonic::metadata::MetadataMap;
use uuid::Uuid;

use crate::FlightContext;
use crate::error::FlightError;

/// Lifetime of the JWTs Handshake hands out (as `POST /api/v1/auth/token`).
pub const TOKEN_MINUTES: i64 = 15;

fn refused(reason: &str) -> FlightError {
    FlightError::unauthenticated(reason)
}

/// The credentials of a call's `authorization` header.
enum Credential<'a> {
    None,
    Bearer(&'a str),
    Basic { username: String, password: String },
}

fn credential(metadata: &MetadataMap) -> Result<Credential<'_>, FlightError> {
    let Some(value) = metadata.get("authorization") else { return Ok(Credential::None) };
    let value = value.to_str().map_err(|_| refused("authorization header is not text"))?;
    if let Some(secret) = value.strip_prefix("Bearer ").map(str::trim) {
        return Ok(Credential::Bearer(secret));
    }
    if let Some(encoded) = value.strip_prefix("Basic ").map(str::trim) {
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .ok_or_else(|| refused("malformed basic credentials"))?;
        let (username, password) = decoded.split_once(':').ok_or_else(|| refused("malformed basic credentials"))?;
        return Ok(Credential::Basic { username: username.to_owned(), password: password.to_owned() });
    }
    Err(refused("authorization header must be 'Bearer <token>'"))
}

/// The caller of a call other than Handshake.
pub async fn principal(ctx: &FlightContext, metadata: &MetadataMap) -> Result<Principal, FlightError> {
    let resolved = match credential(metadata)? {
        Credential::None => Ok(Principal::anonymous()),
        Credential::Bearer(secret) => principal_for_bearer(ctx, secret).await,
        Credential::Basic { .. } => Err(refused("basic credentials are for Handshake: use the token it returns")),
    };
    if let Err(e) = &resolved {
        tracing::warn!(reason = %e, surface = "flight", "credentials refused");
    }
    resolved
}

async fn principal_for_bearer(ctx: &FlightContext, secret: &str) -> Result<Principal, FlightError> {
    if secret.matches('.').count() == 2 {
        principal_for_jwt(ctx, secret).await
    } else {
        principal_for_token(ctx, secret).await
    }
}

/// A user's principal as of now; disabled users are refused.
async fn principal_for_user(ctx: &FlightContext, user_id: Uuid, can_write: bool) -> Result<Principal, FlightError> {
    let user = ctx.catalog.user(user_id).await.map_err(|_| refused("unknown user"))?;
    if user.disabled_at.is_some() {
        return Err(refused("this account is disabled"));
    }
    let subject = ctx.catalog.subject_for(user_id, chrono::Utc::now()).await?;
    Ok(Principal { actor: format!("user:{user_id}"), user_id: Some(user_id), can_write, subject })
}

async fn principal_for_token(ctx: &FlightContext, secret: &str) -> Result<Principal, FlightError> {
    let token =
        ctx.catalog.token_by_secret(secret).await?.ok_or_else(|| refused("invalid, expired or revoked token"))?;
    match token.user_id {
        None if token.scope == Scope::Admin => Ok(Principal::admin(format!("token:{}", token.id))),
        None => Err(refused("invalid, expired or revoked token")),
        Some(user) => principal_for_user(ctx, user, token.scope != Scope::Read).await,
    }
}

async fn principal_for_jwt(ctx: &FlightContext, token: &str) -> Result<Principal, FlightError> {
    // Which check failed is logged, not told (as over REST).
    let identity = ctx.auth.verify(token).map_err(|e| {
        tracing::info!(reason = %e, "token refused");
        refused("invalid or expired token")
    })?;
    let can_write = identity.scope != Scope::Read;
    let user_id = if identity.kura_issued {
        identity.subject.parse::<Uuid>().map_err(|_| refused("invalid token: subject is not a user id"))?
    } else {
        match ctx.catalog.user_by_identity(&identity.issuer, &identity.subject).await? {
            Some(user) => user.id,
            None => {
                let new = kura_catalog::users::NewUser {
                    issuer: identity.issuer.clone(),
                    subject: identity.subject.clone(),
                    kind: UserKind::Person,
                    ..Default::default()
                };
                ctx.catalog.create_user(new).await?.id
            }
        }
    };
    principal_for_user(ctx, user_id, can_write).await
}

/// Handshake: basic credentials or a user's API token (in the `authorization` header, or an API
/// token as the handshake payload) in exchange for a Kura JWT valid for [`TOKEN_MINUTES`].
pub async fn handshake(
    ctx: &FlightContext,
    metadata: &MetadataMap,
    payload: &[u8],
    address: Option<IpAddr>,
) -> Result<String, FlightError> {
    let (user_id, scope) = match credential(metadata)? {
        Credential::Basic { username, password } => {
            (check_password(ctx, &username, &password, address).await?, Scope::Write)
        }
        Credential::Bearer(secret) => user_of(principal_for_bearer(ctx, secret).await?)?,
        Credential::None => {
            let secret = std::str::from_utf8(payload).map(str::trim).unwrap_or("");
            if secret.is_empty() {
                return Err(refused("send basic credentials or an API token to sign in"));
            }
            user_of(principal_for_bearer(ctx, secret).await?)?
        }
    };
    ctx.auth
        .issue(&user_id.to_string(), scope, chrono::Duration::minutes(TOKEN_MINUTES), chrono::Utc::now())
        .map_err(|e| FlightError::internal(e.to_string()))
}

fn user_of(p: Principal) -> Result<(Uuid, Scope), FlightError> {
    let user = p.user_id.ok_or_else(|| refused("only a user's credentials can be exchanged for a token"))?;
    Ok((user, if p.can_write { Scope::Write } else { Scope::Read }))
}

/// Checks a password against the shared sign-in limiter and the catalog, as REST does.
async fn check_password(
    ctx: &FlightContext,
    username: &str,
    password: &str,
    address: Option<IpAddr>,
) -> Result<Uuid, FlightError> {
    use kura_auth::login_limit::{SignInRefused, check_sign_in};
    let user = ctx.catalog.user_by_identity(kura_catalog::users::LOCAL_ISSUER, username).await?;
    let stored = user.as_ref().filter(|u| u.disabled_at.is_none()).and_then(|u| u.password_hash.clone());
    let (limiter, account, password) = (ctx.login_limiter.clone(), username.to_owned(), password.to_owned());
    let checked =
        tokio::task::spawn_blocking(move || check_sign_in(&limiter, &account, address, &password, stored.as_deref()))
            .await
            .map_err(|e| FlightError::internal(e.to_string()))?;
    match (checked, user) {
        (Ok(()), Some(u)) => Ok(u.id),
        (Err(SignInRefused::Wait(wait)), _) => Err(FlightError::new(
            ErrorCode::ResourceExhausted,
            format!("too many failed sign-ins: try again in {} s", wait.as_secs().max(1)),
        )),
        _ => {
            tracing::warn!(account = %username, surface = "flight", "sign-in failed");
            Err(refused("wrong username or password"))
        }
    }
}
