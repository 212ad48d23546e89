//! Consortia over REST: create one, read it, add members, publish agreement versions, accept the
//! current agreement. A consortium is managed by platform administrators and by the stewards of
//! its coordinating group ([`kura_core::access::coordinates`]); the portal's pages use the same
//! rule through [`coordinated`].

use crate::routes::parse_id;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use kura_catalog::audit::Actor;
use kura_catalog::consortia::{ConsortiumDetail, Member};
use kura_catalog::entity::{agreement, consortium};
use kura_core::ErrorCode;
use kura_core::access::coordinates;
use serde::Deserialize;
use uuid::Uuid;

use crate::auth::Caller;
use crate::error::ApiError;
use crate::state::AppState;

fn refused(caller: &Caller, what: &str) -> ApiError {
    let code = if caller.0.is_anonymous() { ErrorCode::Unauthenticated } else { ErrorCode::Forbidden };
    ApiError::new(code, format!("{what} needs a platform administrator or a steward of the coordinating group"))
}

/// The consortium `id` if the caller manages it; consortia are public, so a caller who does not
/// is told so (403, or 401 without credentials) rather than "not found".
pub async fn coordinated(
    state: &AppState,
    caller: &Caller,
    id: Uuid,
    what: &str,
) -> Result<consortium::Model, ApiError> {
    let consortium = state.catalog.consortium(id).await?.consortium;
    if !coordinates(&caller.0.subject, consortium.coordinator_group_id) {
        return Err(refused(caller, what));
    }
    caller.require_write()?;
    Ok(consortium)
}

/// Checks that the caller may start a consortium coordinated by `coordinator`: administrators
/// may start any (or one without a coordinator), stewards one coordinated by a group they steward.
pub fn may_create(caller: &Caller, coordinator: Option<Uuid>) -> Result<(), ApiError> {
    if !coordinates(&caller.0.subject, coordinator) {
        return Err(refused(caller, "creating a consortium"));
    }
    caller.require_write()
}

/// Body of `POST /api/v1/consortia`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateConsortium {
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// The data-sharing agreement's terms (version 1).
    pub terms: String,
    pub terms_url: Option<String>,
    /// The group whose stewards manage the consortium; it becomes the first member. Required
    /// unless the caller is a platform administrator.
    pub coordinator_group: Option<Uuid>,
}

#[utoipa::path(post, path = "/api/v1/consortia", tag = "consortia", request_body = CreateConsortium,
    responses((status = 201, body = consortium::Model), (status = 403)), security(("token" = [])))]
pub async fn create_consortium(
    State(state): State<AppState>,
    caller: Caller,
    Json(body): Json<CreateConsortium>,
) -> Result<(StatusCode, Json<consortium::Model>), ApiError> {
    may_create(&caller, body.coordinator_group)?;
    let c = state
        .catalog
        .create_consortium(
            &body.name,
            &body.description,
            &body.terms,
            body.terms_url.as_deref(),
            body.coordinator_group,
            Actor::rest(&caller.0.actor),
        )
        .await?;
    Ok((StatusCode::CREATED, Json(c)))
}

#[utoipa::path(get, path = "/api/v1/consortia/{id}", tag = "consortia", params(("id" = Uuid, Path)),
    responses((status = 200, body = ConsortiumDetail), (status = 404)))]
pub async fn get_consortium(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<ConsortiumDetail>, ApiError> {
    let mut detail = state.catalog.consortium(parse_id(&id, "consortium")?).await?;
    if !coordinates(&caller.0.subject, detail.consortium.coordinator_group_id) {
        // Who accepted is about people: only those who manage the consortium see it.
        detail.accepted_by.clear();
    }
    Ok(Json(detail))
}

/// Body of `POST /api/v1/consortia/{id}/members`: exactly one of the two.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddMember {
    pub organization: Option<Uuid>,
    pub group: Option<Uuid>,
}

impl AddMember {
    pub fn member(&self) -> Result<Member, ApiError> {
        match (self.organization, self.group) {
            (Some(o), None) => Ok(Member::Organization(o)),
            (None, Some(g)) => Ok(Member::Group(g)),
            _ => Err(ApiError::bad_request("give exactly one of organization or group")),
        }
    }
}

#[utoipa::path(post, path = "/api/v1/consortia/{id}/members", tag = "consortia", params(("id" = Uuid, Path)), request_body = AddMember,
    responses((status = 204), (status = 403), (status = 409)), security(("token" = [])))]
pub async fn add_consortium_member(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Json(body): Json<AddMember>,
) -> Result<StatusCode, ApiError> {
    let consortium = coordinated(&state, &caller, parse_id(&id, "consortium")?, "adding a member").await?;
    state.catalog.add_consortium_member(consortium.id, body.member()?, Actor::rest(&caller.0.actor)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Body of `POST /api/v1/consortia/{id}/agreement`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAgreement {
    pub terms: String,
    pub url: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/consortia/{id}/agreement", tag = "consortia", params(("id" = Uuid, Path)), request_body = NewAgreement,
    responses((status = 201, body = agreement::Model), (status = 403)), security(("token" = [])))]
pub async fn new_agreement(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Json(body): Json<NewAgreement>,
) -> Result<(StatusCode, Json<agreement::Model>), ApiError> {
    let consortium = coordinated(&state, &caller, parse_id(&id, "consortium")?, "a new agreement version").await?;
    let a = state
        .catalog
        .new_agreement_version(consortium.id, &body.terms, body.url.as_deref(), Actor::rest(&caller.0.actor))
        .await?;
    Ok((StatusCode::CREATED, Json(a)))
}

#[utoipa::path(post, path = "/api/v1/consortia/{id}/accept", tag = "consortia", params(("id" = Uuid, Path)),
    responses((status = 200, body = agreement::Model, description = "the agreement version accepted")), security(("token" = [])))]
pub async fn accept_agreement(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<agreement::Model>, ApiError> {
    let user =
        caller.0.user_id.ok_or_else(|| ApiError::new(ErrorCode::Unauthenticated, "sign in to accept an agreement"))?;
    caller.require_write()?;
    Ok(Json(state.catalog.accept_agreement(parse_id(&id, "consortium")?, user, Actor::rest(&caller.0.actor)).await?))
}
