//! What every HTML page shares — the portal's pages and the landing pages alike: the request as
//! a page sees it ([`Ctx`]: caller, language, navigation), the translations ([`text`]), form
//! reading ([`form`]), the interface language ([`lang`]), and errors as pages in the reader's
//! language. Neither the portal nor the FAIR routes import each other: both import this.

pub mod form;
pub mod lang;
pub mod text;

use axum::body::Body;
use axum::extract::{FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use kura_core::ErrorCode;
use kura_core::HasErrorCode;

use crate::auth::{Caller, RefusedCredentials, SessionCsrf};
use crate::error::ApiError;
use crate::state::AppState;
use text::Text;

/// What the navigation bar shows; every portal template has one.
#[derive(Debug, Clone)]
pub struct Nav {
    pub signed_in: bool,
    pub user: String,
    /// The session's CSRF token, rendered into every form (empty when signed out).
    pub csrf: String,
    pub steward: bool,
    /// This page in the other language.
    pub lang_url: String,
    /// This page's path and query, for coming back after signing in.
    pub here: String,
}

/// The request as a page sees it: the caller, the language, the navigation.
#[derive(Debug, Clone)]
pub struct Ctx {
    pub t: &'static Text,
    pub caller: Caller,
    pub nav: Nav,
    /// `?lang=` when given: remembered in a cookie.
    chosen: Option<&'static str>,
}

impl FromRequestParts<AppState> for Ctx {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let caller = Caller::from_request_parts(parts, state).await?;
        let mut ctx = Ctx::from_parts(parts, caller.clone());
        if let Some(user) = caller.0.user_id {
            let u = state.catalog.user(user).await?;
            ctx.nav.user = u.display_name.unwrap_or(u.subject);
        }
        Ok(ctx)
    }
}

impl Ctx {
    fn from_parts(parts: &Parts, caller: Caller) -> Ctx {
        let query = parts.uri.query().unwrap_or("");
        let query_lang = form::parse(query).into_iter().find(|(k, _)| k == "lang").map(|(_, v)| v);
        let lang = lang::choose(query_lang.as_deref(), &parts.headers);
        let t = text::text(lang);
        let chosen = query_lang.as_deref().filter(|l| *l == lang).map(|_| lang);
        let others = form::parse(query);
        let others = others.iter().filter(|(k, _)| k != "lang").map(|(k, v)| (k.as_str(), v.as_str()));
        let lang_url = format!("{}?{}", parts.uri.path(), form::query(others.chain([("lang", t.other_lang)])));
        let here = match parts.uri.query() {
            Some(q) => format!("{}?{q}", parts.uri.path()),
            None => parts.uri.path().to_owned(),
        };
        let nav = Nav {
            signed_in: caller.0.user_id.is_some(),
            user: String::new(),
            csrf: parts.extensions.get::<SessionCsrf>().map(|c| c.0.clone()).unwrap_or_default(),
            steward: !kura_core::access::stewarded_groups(&caller.0.subject).is_empty(),
            lang_url,
            here,
        };
        Ctx { t, caller, nav, chosen }
    }

    /// Renders a template as the page's answer (200).
    pub fn render(&self, page: &impl askama::Template) -> Result<Response, ApiError> {
        self.render_status(StatusCode::OK, page)
    }

    /// Renders a template with a status (422 for a form with errors).
    pub fn render_status(&self, status: StatusCode, page: &impl askama::Template) -> Result<Response, ApiError> {
        let body = page.render().map_err(|e| ApiError::new(ErrorCode::Internal, format!("page template: {e}")))?;
        let mut response = (status, [(header::CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response();
        self.decorate(&mut response);
        Ok(response)
    }

    /// Language headers, and the language cookie when `?lang=` chose one.
    pub fn decorate(&self, response: &mut Response) {
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_LANGUAGE, HeaderValue::from_static(self.t.lang));
        headers.insert(header::VARY, HeaderValue::from_static("Accept-Language, Cookie"));
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-cache"));
        if let Some(lang) = self.chosen {
            crate::cookies::set(headers, &lang::lang_cookie(lang));
        }
    }

    /// The signed-in user, or 401 (which the error layer turns into the sign-in page).
    pub fn user(&self) -> Result<uuid::Uuid, ApiError> {
        self.caller.0.user_id.ok_or_else(|| ApiError::new(ErrorCode::Unauthenticated, "sign in to see this page"))
    }
}

/// A 303 See Other to a path of this site (after a form).
pub fn see_other(location: &str) -> Response {
    (StatusCode::SEE_OTHER, [(header::LOCATION, location.to_owned())]).into_response()
}

#[derive(askama::Template)]
#[template(path = "portal/error.html")]
struct ErrorPage {
    t: &'static Text,
    nav: Nav,
    status: u16,
    message: String,
}

/// Turns the JSON errors of portal handlers into HTML pages in the reader's language, and a 401
/// on a page into the sign-in form that comes back to it.
pub async fn html_errors(request: Request, next: Next) -> Response {
    let caller = request.extensions().get::<kura_core::Principal>().cloned().map(Caller);
    let (parts, body) = request.into_parts();
    let ctx = Ctx::from_parts(&parts, caller.unwrap_or_else(|| Caller(kura_core::Principal::anonymous())));
    // Only a browser's page view goes to the sign-in form; other clients get the 401 page.
    let is_get = parts.method == axum::http::Method::GET && wants_html(&parts.headers);
    let response = next.run(Request::from_parts(parts, body)).await;
    html_error_page(&ctx, is_get, response).await
}

/// Like [`html_errors`], for pages that also answer machines (landing pages): only when the
/// client asked for HTML.
pub async fn html_errors_for_browsers(request: Request, next: Next) -> Response {
    if wants_html(request.headers()) { html_errors(request, next).await } else { next.run(request).await }
}

/// Around the whole site: credentials refused before any route ran (marked
/// [`RefusedCredentials`] by the auth layer inside this one, such as a form posted with a wrong
/// CSRF token) become the portal's error page when a browser asked for HTML; other answers,
/// and every answer to other clients, pass unchanged.
pub async fn refusals_as_pages(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    let Some(RefusedCredentials(parts)) = response.extensions().get::<RefusedCredentials>().cloned() else {
        return response;
    };
    if !wants_html(&parts.headers) {
        return response;
    }
    let ctx = Ctx::from_parts(&parts, Caller(kura_core::Principal::anonymous()));
    html_error_page(&ctx, false, response).await
}

/// Whether the client prefers an HTML page to the JSON error: browsers name `text/html`; a client
/// that sends no `Accept`, `*/*` or `text/html;q=0` gets JSON.
fn wants_html(headers: &HeaderMap) -> bool {
    let accept = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok());
    kura_core::negotiate::negotiate(accept, &[("application/json", false), ("text/html", true)]).unwrap_or(false)
}

async fn html_error_page(ctx: &Ctx, is_get: bool, response: Response) -> Response {
    let status = response.status();
    let json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|c| c.starts_with("application/json"));
    if !(status.is_client_error() || status.is_server_error()) || !json {
        return response;
    }
    if status == StatusCode::UNAUTHORIZED && is_get {
        return see_other(&format!("/signin?{}", form::query([("next", ctx.nav.here.as_str())])));
    }
    let bytes = axum::body::to_bytes(response.into_body(), 64 * 1024).await.unwrap_or_default();
    let detail: serde_json::Value = serde_json::from_slice(&bytes).unwrap_or_default();
    let message = match status {
        StatusCode::NOT_FOUND => ctx.t.error_not_found.to_owned(),
        StatusCode::FORBIDDEN => match detail["error"]["message"].as_str() {
            Some(m) => format!("{} ({m})", ctx.t.error_forbidden),
            None => ctx.t.error_forbidden.to_owned(),
        },
        _ => detail["error"]["message"].as_str().unwrap_or(ctx.t.error_title).to_owned(),
    };
    // The page does not repeat the path it was asked for: a 404 reads the same for every name.
    let nav = Nav { lang_url: format!("?lang={}", ctx.t.other_lang), here: "/".to_owned(), ..ctx.nav.clone() };
    let page = ErrorPage { t: ctx.t, nav, status: status.as_u16(), message };
    match ctx.render_status(status, &page) {
        Ok(r) => r,
        Err(_) => (status, Body::from(status.to_string())).into_response(),
    }
}

/// A version state, job state or request state in the reader's language.
pub fn state_label(t: &Text, state: &str) -> String {
    let label = t.state(state);
    if label.is_empty() { state.to_owned() } else { label.to_owned() }
}

/// How the caller names a dataset given by id (its name, or its id when the name means another
/// dataset they see), when the caller may know it exists (else `None`).
pub async fn visible_name(state: &AppState, caller: &Caller, id: uuid::Uuid) -> Result<Option<String>, ApiError> {
    let vis = caller.visibility();
    match state.catalog.dataset_by_name(&id.to_string(), &vis).await {
        Ok(d) => Ok(Some(state.catalog.handle(&d, &vis).await?)),
        Err(e) if e.code() == ErrorCode::NotFound => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// A date for tables.
pub fn day(at: &chrono::DateTime<chrono::Utc>) -> String {
    at.format("%Y-%m-%d %H:%M").to_string()
}
