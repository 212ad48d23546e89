//! The web portal: server-rendered pages for data stewards and researchers, in English and
//! Japanese. A thin HTML transport: every page extracts, calls `kura_service` (which decides
//! access and changes the catalog), and renders an askama template from
//! `web/templates/portal/`; the shared page chrome is `routes::html`. Forms work without JavaScript; `web/static/portal.js` only enhances.
//! Errors become HTML pages in the reader's language; what the caller may not see is a 404
//! page exactly like a dataset that never existed.

mod audit;
mod consortia;
mod edit;
mod home;
mod jobs;
mod me;
mod read;
mod search;
mod signin;
mod steward;
mod upload;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

// The pages' shared chrome, under the names the page modules use.
pub use super::html::{Ctx, Nav, day, form, html_errors, see_other, state_label, text, visible_name};

use crate::state::AppState;

/// The portal's routes (at the site root, beside the landing pages).
pub fn router(upload_limit: DefaultBodyLimit) -> Router<AppState> {
    Router::new()
        .route("/", get(home::home))
        .route("/search", get(search::search))
        .route("/signin", get(signin::form).post(signin::sign_in))
        .route("/signout", post(signin::sign_out))
        .route("/me", get(me::page))
        .route("/me/tokens", post(me::create_token))
        .route("/me/delta-sharing-profile", post(me::sharing_profile))
        .route("/me/tokens/{id}/revoke", post(me::revoke_token))
        .route("/new", get(upload::form).post(upload::create).layer(upload_limit))
        .route("/edit/{name}", get(edit::page).post(edit::save))
        .route("/edit/{name}/files", post(upload::add_files).layer(upload_limit))
        .route("/edit/{name}/draft", post(edit::open_draft))
        .route("/edit/{name}/submit", post(edit::submit))
        .route("/edit/{name}/jobs/{job}", get(upload::job))
        .route("/edit/{name}/jobs/{job}/cancel", post(upload::cancel_job))
        .route("/edit/{name}/files/{file}", get(read::page))
        .route("/edit/{name}/files/{file}/preview", post(read::preview))
        .route("/edit/{name}/files/{file}/read", post(read::read))
        .route("/access/{name}", post(steward::request_access))
        .route("/jobs", get(jobs::list).post(jobs::submit))
        .route("/jobs/{id}", get(jobs::page))
        .route("/jobs/{id}/cancel", post(jobs::cancel))
        .route("/airlock/{id}/approve", post(steward::approve_release))
        .route("/steward", get(steward::desk))
        .route("/steward/{name}", get(steward::dataset))
        .route("/steward/{name}/policy", post(steward::set_policy))
        .route("/steward/{name}/publish", post(steward::publish))
        .route("/steward/{name}/return", post(steward::send_back))
        .route("/steward/{name}/requests/{id}", post(steward::answer))
        .route("/audit", get(audit::log))
        .route("/consortia", get(consortia::list).post(consortia::create))
        .route("/consortia/{id}", get(consortia::page))
        .route("/consortia/{id}/members", post(consortia::add_member))
        .route("/consortia/{id}/agreement", post(consortia::new_agreement))
        .route("/consortia/{id}/accept", post(consortia::accept))
        .route("/static/portal.css", get(|| static_file("text/css; charset=utf-8", PORTAL_CSS)))
        .route("/static/portal.js", get(|| static_file("text/javascript; charset=utf-8", PORTAL_JS)))
        .layer(axum::middleware::from_fn(html_errors))
}

const PORTAL_CSS: &str = include_str!("../../../../../web/static/portal.css");
const PORTAL_JS: &str = include_str!("../../../../../web/static/portal.js");

async fn static_file(media_type: &'static str, body: &'static str) -> Response {
    ([(header::CONTENT_TYPE, media_type), (header::CACHE_CONTROL, "public, max-age=3600")], body).into_response()
}
