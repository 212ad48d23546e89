//! Signing in: portal sessions (cookie + CSRF token), short-lived JWTs in exchange for a password
//! or an API token, and the JWKS that lets others verify Kura's tokens.

use std::net::SocketAddr;

use axum::Json;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use cookie::{Cookie, SameSite};
use kura_core::ErrorCode;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::auth::{Caller, SESSION_COOKIE};
use crate::csrf::CSRF_COOKIE;
use crate::error::ApiError;
use crate::state::AppState;

/// Username and password of a local account.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Credentials {
    pub username: String,
    pub password: String,
}

/// A signed-in session: the CSRF token to echo in `x-csrf-token` on state-changing requests.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SignedIn {
    pub user_id: uuid::Uuid,
    pub csrf_token: String,
}

/// A short-lived JWT.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct IssuedToken {
    pub access_token: String,
    pub token_type: &'static str,
    pub expires_in: i64,
}

#[utoipa::path(get, path = "/.well-known/jwks.json", tag = "auth", responses((status = 200, description = "Kura's public signing keys (JWK Set)")))]
pub async fn jwks(State(state): State<AppState>) -> Json<Value> {
    Json(state.credentials.authority().keys.jwks())
}

/// The user a local account's password signs in (counted by the sign-in limiter).
pub(crate) async fn check_password(
    state: &AppState,
    credentials: &Credentials,
    address: Option<std::net::IpAddr>,
) -> Result<uuid::Uuid, ApiError> {
    let principal = state.credentials.password(&credentials.username, &credentials.password, address).await?;
    principal.user_id.ok_or_else(|| kura_auth::AuthError::NotAUser.into())
}

#[utoipa::path(post, path = "/api/v1/session", tag = "auth", request_body = Credentials,
    responses((status = 200, body = SignedIn, description = "sets the session cookie (HttpOnly, SameSite=Lax) and the CSRF cookie"),
        (status = 401), (status = 429, description = "too many failed attempts for this account or address")))]
pub async fn sign_in(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Json(credentials): Json<Credentials>,
) -> Result<Response, ApiError> {
    let user_id = check_password(&state, &credentials, Some(peer.ip())).await?;
    let session = kura_service::sessions::open(&state, user_id).await?;
    let cookies = session_cookies(&state, &session);
    let mut response = Json(SignedIn { user_id, csrf_token: session.csrf_token }).into_response();
    for cookie in &cookies {
        crate::cookies::set(response.headers_mut(), cookie);
    }
    Ok(response)
}

/// The cookies of a new session: the HttpOnly session cookie and the CSRF cookie (readable by
/// the page, which echoes it; `Strict` so no other site's request carries it).
pub(crate) fn session_cookies(state: &AppState, session: &kura_catalog::sessions::NewSession) -> [Cookie<'static>; 2] {
    let max_age = kura_catalog::sessions::SESSION_HOURS * 3600;
    let https = crate::cookies::https(state);
    let mut session_cookie =
        crate::cookies::new(SESSION_COOKIE, session.secret.clone(), "/", SameSite::Lax, max_age, https);
    session_cookie.set_http_only(true);
    let csrf_cookie =
        crate::cookies::new(CSRF_COOKIE, session.csrf_token.clone(), "/", SameSite::Strict, max_age, https);
    [session_cookie, csrf_cookie]
}

/// Ends the session named by the request's cookie, if any; the cookies that clear both.
pub(crate) async fn end_session(state: &AppState, headers: &HeaderMap) -> Result<[Cookie<'static>; 2], ApiError> {
    if let Some(secret) = crate::cookies::get(headers, SESSION_COOKIE) {
        kura_service::sessions::close(state, &secret).await?;
    }
    Ok([SESSION_COOKIE, CSRF_COOKIE].map(|name| crate::cookies::removal(name, "/")))
}

#[utoipa::path(delete, path = "/api/v1/session", tag = "auth", responses((status = 204, description = "the session is ended and its cookies cleared")))]
pub async fn sign_out(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, ApiError> {
    let cleared = end_session(&state, &headers).await?;
    let mut response = StatusCode::NO_CONTENT.into_response();
    for cookie in &cleared {
        crate::cookies::set(response.headers_mut(), cookie);
    }
    Ok(response)
}

#[utoipa::path(post, path = "/api/v1/auth/token", tag = "auth", request_body(content = Option<Credentials>, description = "a local account's credentials; or no body with an API token or session as the caller"),
    responses((status = 200, body = IssuedToken), (status = 401)))]
pub async fn token(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    caller: Caller,
    body: Option<Json<Credentials>>,
) -> Result<Json<IssuedToken>, ApiError> {
    let principal = match body {
        Some(Json(credentials)) => {
            state.credentials.password(&credentials.username, &credentials.password, Some(peer.ip())).await?
        }
        None if caller.0.user_id.is_none() => {
            return Err(ApiError::new(
                ErrorCode::Unauthenticated,
                "send credentials, or call with a user's API token or session",
            ));
        }
        None => caller.0,
    };
    // With the caller's own reach: a read-only credential gets a read-only token.
    let access_token = state.credentials.exchange(&principal)?;
    let expires_in = kura_auth::credentials::EXCHANGED_TOKEN_MINUTES * 60;
    Ok(Json(IssuedToken { access_token, token_type: "Bearer", expires_in }))
}
