//! `GET/POST /signin` and `POST /signout`: a portal session from a local account's password
//! (the same check, limits and cookies as `POST /api/v1/session`).

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use cookie::SameSite;
use kura_core::ErrorCode;

use super::form::{FormData, parse};
use super::text::Text;
use super::{Ctx, Nav, see_other};
use crate::cookies;
use crate::csrf::{CSRF_FIELD, same_secret};
use crate::error::ApiError;
use crate::session::{Credentials, check_password, end_session, session_cookies};
use crate::state::AppState;

#[derive(askama::Template)]
#[template(path = "portal/signin.html")]
struct SignInPage {
    t: &'static Text,
    nav: Nav,
    next: String,
    username: String,
    error: Option<&'static str>,
}

/// Where to go after signing in: a path of this site only. Anything that is not a plain
/// absolute path — another origin (`//host`, `/\host`), a control character or space that a
/// browser would strip (`/\t/host` reads as `//host`), a scheme — falls back to `/me`.
fn local(next: &str) -> String {
    let plain = next.starts_with('/')
        && !next.starts_with("//")
        && !next.starts_with("/signin")
        && next.bytes().all(|b| b.is_ascii_graphic() && b != b'\\')
        && next.parse::<axum::http::uri::PathAndQuery>().is_ok_and(|p| p.as_str() == next);
    if plain { next.to_owned() } else { "/me".to_owned() }
}

/// Cookie holding the sign-in form's CSRF token before there is a session (double submit: a
/// cross-site page can post the form but can neither read nor set this cookie).
const LOGIN_CSRF_COOKIE: &str = "kura_login_csrf";

pub async fn form(State(state): State<AppState>, ctx: Ctx, uri: axum::http::Uri) -> Result<Response, ApiError> {
    let query = FormData(parse(uri.query().unwrap_or("")));
    signin_page(&state, &ctx, StatusCode::OK, local(query.get("next")), String::new(), None)
}

/// The sign-in form. Signed out, it carries a fresh login CSRF token in its form and cookie;
/// signed in, the session's token (which the auth layer checks).
fn signin_page(
    state: &AppState,
    ctx: &Ctx,
    status: StatusCode,
    next: String,
    username: String,
    error: Option<&'static str>,
) -> Result<Response, ApiError> {
    let mut nav = ctx.nav.clone();
    let fresh = nav.csrf.is_empty().then(|| format!("login_{}", uuid::Uuid::new_v4().simple()));
    if let Some(token) = &fresh {
        nav.csrf = token.clone();
    }
    let mut response = ctx.render_status(status, &SignInPage { t: ctx.t, nav, next, username, error })?;
    if let Some(token) = fresh {
        let https = cookies::https(state);
        let mut cookie = cookies::new(LOGIN_CSRF_COOKIE, token, "/signin", SameSite::Strict, 3600, https);
        cookie.set_http_only(true);
        cookies::set(response.headers_mut(), &cookie);
    }
    Ok(response)
}

/// Login CSRF: a form posted from another site must not sign the browser in (into the
/// attacker's account). With a session, the auth layer has checked the session's token; without
/// one, the form must echo the login cookie's token, and a browser's `Origin`, when sent, must be
/// this site.
fn check_login_csrf(state: &AppState, ctx: &Ctx, headers: &HeaderMap, form: &FormData) -> Result<(), ApiError> {
    let refused = || ApiError::new(ErrorCode::Forbidden, "missing or wrong CSRF token: reload the sign-in page");
    let origin = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok());
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    if let Some(origin) = origin {
        let same = state.config.base_url().trim_end_matches('/') == origin
            || host.is_some_and(|h| origin.split_once("://").is_some_and(|(_, rest)| rest == h));
        if !same {
            return Err(refused());
        }
    }
    if !ctx.nav.csrf.is_empty() {
        return Ok(());
    }
    let echoed = form.0.iter().find(|(k, _)| k == CSRF_FIELD).map(|(_, v)| v.as_str());
    match (cookies::get(headers, LOGIN_CSRF_COOKIE), echoed) {
        (Some(expected), Some(echoed)) if same_secret(expected.as_bytes(), echoed.as_bytes()) => Ok(()),
        _ => Err(refused()),
    }
}

pub async fn sign_in(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    ctx: Ctx,
    headers: HeaderMap,
    form: FormData,
) -> Result<Response, ApiError> {
    check_login_csrf(&state, &ctx, &headers, &form)?;
    let credentials = Credentials {
        username: form.get("username").to_owned(),
        password: form.0.iter().find(|(k, _)| k == "password").map(|(_, v)| v.clone()).unwrap_or_default(),
    };
    let next = local(form.get("next"));
    match check_password(&state, &credentials, Some(peer.ip())).await {
        Ok(user_id) => {
            let session = kura_service::sessions::open(&state, user_id).await?;
            let mut response = see_other(&next);
            for cookie in &session_cookies(&state, &session) {
                cookies::set(response.headers_mut(), cookie);
            }
            // The login token has done its work.
            cookies::set(response.headers_mut(), &cookies::removal(LOGIN_CSRF_COOKIE, "/signin"));
            ctx.decorate(&mut response);
            Ok(response)
        }
        Err(e) if matches!(e.code(), ErrorCode::Unauthenticated | ErrorCode::ResourceExhausted) => {
            let (status, error) = if e.code() == ErrorCode::ResourceExhausted {
                (StatusCode::TOO_MANY_REQUESTS, ctx.t.too_many_attempts)
            } else {
                (StatusCode::UNAUTHORIZED, ctx.t.wrong_credentials)
            };
            signin_page(&state, &ctx, status, next, credentials.username, Some(error))
        }
        Err(e) => Err(e),
    }
}

pub async fn sign_out(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, ApiError> {
    let mut response = see_other("/");
    for cookie in &end_session(&state, &headers).await? {
        cookies::set(response.headers_mut(), cookie);
    }
    Ok(response)
}
