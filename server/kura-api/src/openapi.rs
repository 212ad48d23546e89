//! The OpenAPI 3.1 description, generated from the handlers and committed at
//! `schema/openapi.json` (a test fails when the committed copy is stale).

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::routes;

struct TokenAuth;

impl Modify for TokenAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "token",
            SecurityScheme::Http(
                HttpBuilder::new().scheme(HttpAuthScheme::Bearer).description(Some("a Kura API token")).build(),
            ),
        );
    }
}

/// Kura's REST API.
#[derive(OpenApi)]
#[openapi(
    info(title = "Kura", description = "FAIR research-data platform and consortium catalog"),
    modifiers(&TokenAuth),
    paths(
        routes::health::health,
        routes::ops::livez,
        routes::ops::readyz,
        routes::ops::metrics,
        routes::datasets::list,
        routes::datasets::create,
        routes::datasets::get,
        routes::versions::list,
        routes::versions::get,
        routes::versions::draft,
        routes::versions::update,
        routes::versions::publish,
        routes::versions::submit,
        routes::versions::send_back,
        routes::versions::deaccession,
        routes::files::upload,
        routes::files::list,
        routes::files::download,
        routes::jobs::start,
        routes::jobs::get,
        routes::jobs::list,
        routes::jobs::cancel,
        routes::compute::submit,
        routes::compute::list,
        routes::compute::get,
        routes::compute::cancel,
        routes::compute::log,
        routes::compute::lineage,
        routes::compute::request_release,
        routes::compute::pending_releases,
        routes::compute::approve_release,
        routes::tables::list,
        routes::tables::get,
        routes::tables::parquet,
        routes::rows::rows,
        routes::streams::create,
        routes::streams::list,
        routes::streams::get,
        routes::streams::append,
        routes::streams::rows,
        routes::streams::version_rows,
        routes::streams::batches,
        routes::search::search,
        routes::search::suggest,
        routes::me::me,
        crate::session::jwks,
        crate::session::token,
        crate::session::sign_in,
        crate::session::sign_out,
        routes::me::my_requests,
        routes::me::my_tokens,
        routes::me::revoke_my_token,
        routes::delta_sharing::profile,
        routes::access_admin::create_organization,
        routes::access_admin::create_group,
        routes::access_admin::set_member,
        routes::access_admin::create_user,
        routes::access_admin::create_user_token,
        routes::access_admin::disable_user,
        routes::consortia::create_consortium,
        routes::consortia::get_consortium,
        routes::consortia::add_consortium_member,
        routes::consortia::new_agreement,
        routes::consortia::accept_agreement,
        routes::access_admin::get_policy,
        routes::access_admin::set_policy,
        routes::access_admin::request_access,
        routes::access_admin::list_requests,
        routes::access_admin::answer_request,
        routes::access_admin::list_grants,
        routes::access_admin::revoke_grant,
        routes::access_admin::audit_log,
        routes::federation::node,
        routes::federation::token,
        routes::federation::search,
        routes::federation::list_peers,
        routes::federation::put_peer,
        routes::federation::remove_peer,
        routes::federation::check_peer,
        routes::federation::peer_sharing_profile,
    )
)]
pub struct ApiDoc;

/// The OpenAPI document as pretty JSON, as committed.
pub fn openapi_json() -> String {
    let mut text = ApiDoc::openapi().to_pretty_json().unwrap_or_default();
    text.push('\n');
    text
}
