//! `GET/POST /signin` and `POST /signout`: a portal session from a local account's password
//! (the same check, limits and cookies as `POST /api/v1/session`).

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use kura_core::ErrorCode;

use super::form::{FormData, parse};
use super::text::Text;
use super::{Ctx, Nav, see_other};
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

/// Where to go after signing in: a path of this site only (never `//host`).
fn local(next: &str) -> String {
    if next.starts_with('/') && !next.starts_with("//") && !next.contains('\\') && !next.starts_with("/signin") {
        next.to_owned()
    } else {
        "/me".to_owned()
    }
}

pub async fn form(ctx: Ctx, uri: axum::http::Uri) -> Result<Response, ApiError> {
    let query = FormData(parse(uri.query().unwrap_or("")));
    let page = SignInPage {
        t: ctx.t,
        nav: ctx.nav.clone(),
        next: local(query.get("next")),
        username: String::new(),
        error: None,
    };
    ctx.render(&page)
}

pub async fn sign_in(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    ctx: Ctx,
    form: FormData,
) -> Result<Response, ApiError> {
    let credentials = Credentials {
        username: form.get("username").to_owned(),
        password: form.0.iter().find(|(k, _)| k == "password").map(|(_, v)| v.clone()).unwrap_or_default(),
    };
    let next = local(form.get("next"));
    match check_password(&state, &credentials, Some(peer.ip())).await {
        Ok(user_id) => {
            let session = state.catalog.create_session(user_id).await?;
            let mut response = see_other(&next);
            for value in session_cookies(&state, &session)? {
                response.headers_mut().append(header::SET_COOKIE, value);
            }
            ctx.decorate(&mut response);
            Ok(response)
        }
        Err(e) if matches!(e.code(), ErrorCode::Unauthenticated | ErrorCode::ResourceExhausted) => {
            let (status, error) = if e.code() == ErrorCode::ResourceExhausted {
                (StatusCode::TOO_MANY_REQUESTS, ctx.t.too_many_attempts)
            } else {
                (StatusCode::UNAUTHORIZED, ctx.t.wrong_credentials)
            };
            let page =
                SignInPage { t: ctx.t, nav: ctx.nav.clone(), next, username: credentials.username, error: Some(error) };
            ctx.render_status(status, &page)
        }
        Err(e) => Err(e),
    }
}

pub async fn sign_out(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, ApiError> {
    let mut response = see_other("/");
    for value in end_session(&state, &headers).await? {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    Ok(response)
}
