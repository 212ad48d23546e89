//! Consortia over REST: create one, read it, add members, publish agreement versions, accept the
//! current agreement, each one call of [`kura_service::consortia`] (which the portal's pages
//! call too).

use crate::routes::parse_id;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use kura_catalog::consortia::{ConsortiumDetail, Member};
use kura_catalog::entity::{agreement, consortium};
use kura_service::Surface::Rest;
use kura_service::consortia::{self, NewConsortium};
use serde::Deserialize;
use uuid::Uuid;

use crate::auth::Caller;
use crate::error::ApiError;
use crate::state::AppState;

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
    let new = NewConsortium {
        name: &body.name,
        description: &body.description,
        terms: &body.terms,
        terms_url: body.terms_url.as_deref(),
        coordinator: body.coordinator_group,
    };
    Ok((StatusCode::CREATED, Json(consortia::create_consortium(&state, &caller, Rest, new).await?)))
}

#[utoipa::path(get, path = "/api/v1/consortia/{id}", tag = "consortia", params(("id" = Uuid, Path)),
    responses((status = 200, body = ConsortiumDetail), (status = 404)))]
pub async fn get_consortium(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<ConsortiumDetail>, ApiError> {
    Ok(Json(consortia::consortium(&state, &caller, parse_id(&id, "consortium")?).await?.detail))
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
    consortia::add_member(&state, &caller, Rest, parse_id(&id, "consortium")?, body.member()?).await?;
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
    let id = parse_id(&id, "consortium")?;
    let agreement =
        consortia::new_agreement_version(&state, &caller, Rest, id, &body.terms, body.url.as_deref()).await?;
    Ok((StatusCode::CREATED, Json(agreement)))
}

#[utoipa::path(post, path = "/api/v1/consortia/{id}/accept", tag = "consortia", params(("id" = Uuid, Path)),
    responses((status = 200, body = agreement::Model, description = "the agreement version accepted")), security(("token" = [])))]
pub async fn accept_agreement(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<agreement::Model>, ApiError> {
    Ok(Json(consortia::accept_agreement(&state, &caller, Rest, parse_id(&id, "consortium")?).await?))
}
