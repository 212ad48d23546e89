//! Administration of who may do what: organizations, groups and roles, users and their tokens,
//! consortia and agreements, dataset policies, access requests and grants, the audit log.

use crate::routes::parse_id;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use kura_catalog::audit::AuditFilter;
use kura_catalog::entity::{access_grant, access_request, audit_event, group, organization, user};
use kura_catalog::policies::Policy;
use kura_catalog::requests::Answer;
use kura_catalog::{Page, PageRequest};
use kura_core::access::Role;
use kura_service::Surface::Rest;
use kura_service::directory::NewAccount;
use kura_service::{audit, directory, grants, policy};
use serde::{Deserialize, Serialize};

use crate::auth::Caller;
use crate::error::ApiError;
use crate::state::AppState;

/// Body of `POST /api/v1/organizations`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewOrganization {
    pub name: String,
    pub ror_id: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/organizations", tag = "access", request_body = NewOrganization,
    responses((status = 201, body = organization::Model)), security(("token" = [])))]
pub async fn create_organization(
    State(state): State<AppState>,
    caller: Caller,
    Json(body): Json<NewOrganization>,
) -> Result<(StatusCode, Json<organization::Model>), ApiError> {
    let organization = directory::create_organization(&state, &caller, &body.name, body.ror_id.as_deref()).await?;
    Ok((StatusCode::CREATED, Json(organization)))
}

/// Body of `POST /api/v1/organizations/{id}/groups`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewGroup {
    pub name: String,
}

#[utoipa::path(post, path = "/api/v1/organizations/{id}/groups", tag = "access", params(("id" = Uuid, Path)), request_body = NewGroup,
    responses((status = 201, body = group::Model)), security(("token" = [])))]
pub async fn create_group(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Json(body): Json<NewGroup>,
) -> Result<(StatusCode, Json<group::Model>), ApiError> {
    let group = directory::create_group(&state, &caller, parse_id(&id, "organization")?, &body.name).await?;
    Ok((StatusCode::CREATED, Json(group)))
}

/// Body of `PUT /api/v1/groups/{id}/members/{user}`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetRole {
    pub role: Role,
}

#[utoipa::path(put, path = "/api/v1/groups/{id}/members/{user}", tag = "access", params(("id" = Uuid, Path), ("user" = Uuid, Path)),
    request_body = SetRole, responses((status = 204)), security(("token" = [])))]
pub async fn set_member(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, user)): Path<(String, String)>,
    Json(body): Json<SetRole>,
) -> Result<StatusCode, ApiError> {
    let (group, user) = (parse_id(&id, "group")?, parse_id(&user, "user")?);
    directory::set_membership(&state, &caller, Rest, group, user, body.role).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Body of `POST /api/v1/users`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUser {
    /// Login name for a local account.
    pub username: String,
    pub display_name: Option<String>,
    pub email: Option<String>,
    pub orcid: Option<String>,
    /// `person` (default) or `service` (a service account).
    #[serde(default)]
    pub kind: String,
    /// Password for signing in to the portal (at least 12 characters); none for token-only users.
    pub password: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/users", tag = "access", request_body = CreateUser,
    responses((status = 201, body = user::Model)), security(("token" = [])))]
pub async fn create_user(
    State(state): State<AppState>,
    caller: Caller,
    Json(body): Json<CreateUser>,
) -> Result<(StatusCode, Json<user::Model>), ApiError> {
    let account = NewAccount {
        username: body.username,
        display_name: body.display_name,
        email: body.email,
        orcid: body.orcid,
        kind: body.kind,
        password: body.password,
    };
    Ok((StatusCode::CREATED, Json(directory::create_user(&state, &caller, account).await?)))
}

/// Body of token creation.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateToken {
    pub name: String,
    /// read, append, write or admin.
    pub scope: String,
    /// For scope `append` (a robot's token): the stream tables it may append to, as
    /// `dataset/table`; it does nothing else.
    #[serde(default)]
    pub streams: Option<Vec<String>>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub expires_at: Option<DateTime<Utc>>,
}

/// A new token: the secret is shown this once.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct NewToken {
    pub token: kura_catalog::entity::api_token::Model,
    pub secret: String,
}

#[utoipa::path(post, path = "/api/v1/users/{id}/tokens", tag = "access", params(("id" = Uuid, Path)), request_body = CreateToken,
    responses((status = 201, body = NewToken)), security(("token" = [])))]
pub async fn create_user_token(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Json(body): Json<CreateToken>,
) -> Result<(StatusCode, Json<NewToken>), ApiError> {
    let user = parse_id(&id, "user")?;
    let (token, secret) = match body.streams {
        Some(streams) if body.scope.parse() == Ok(kura_core::Scope::Append) => {
            directory::create_robot_token(&state, &caller, user, &body.name, streams, body.expires_at).await?
        }
        Some(_) => return Err(ApiError::new(kura_core::ErrorCode::BadRequest, "only an append token names streams")),
        None => directory::create_user_token(&state, &caller, user, &body.name, &body.scope, body.expires_at).await?,
    };
    Ok((StatusCode::CREATED, Json(NewToken { token, secret })))
}

#[utoipa::path(post, path = "/api/v1/users/{id}/disable", tag = "access", params(("id" = Uuid, Path)),
    responses((status = 204)), security(("token" = [])))]
pub async fn disable_user(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    directory::disable_user(&state, &caller, Rest, parse_id(&id, "user")?).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/v1/datasets/{name}/policy", tag = "access", params(("name" = String, Path)),
    responses((status = 200, body = Policy, description = "the policy; `masked_columns` is empty for callers who may not see masked columns"), (status = 404)))]
pub async fn get_policy(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
) -> Result<Json<Policy>, ApiError> {
    Ok(Json(policy::policy(&state, &caller, &name).await?))
}

#[utoipa::path(put, path = "/api/v1/datasets/{name}/policy", tag = "access", params(("name" = String, Path)), request_body = Policy,
    responses((status = 200, body = Policy), (status = 403), (status = 404)), security(("token" = [])))]
pub async fn set_policy(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
    Json(body): Json<Policy>,
) -> Result<Json<Policy>, ApiError> {
    Ok(Json(policy::change_policy(&state, &caller, Rest, &name, &body).await?))
}

/// Body of an access request.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RequestAccess {
    pub reason: String,
}

#[utoipa::path(post, path = "/api/v1/datasets/{name}/access-requests", tag = "access", params(("name" = String, Path)), request_body = RequestAccess,
    responses((status = 201, body = access_request::Model), (status = 404)), security(("token" = [])))]
pub async fn request_access(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
    Json(body): Json<RequestAccess>,
) -> Result<(StatusCode, Json<access_request::Model>), ApiError> {
    Ok((StatusCode::CREATED, Json(grants::request_access(&state, &caller, &name, &body.reason).await?)))
}

/// Filter of the request list.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct RequestFilter {
    /// pending, approved, denied.
    pub state: Option<String>,
    #[serde(flatten)]
    #[param(inline)]
    pub page: PageRequestParams,
}

/// Paging parameters (inlined in filters).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct PageRequestParams {
    #[serde(default)]
    pub offset: u64,
    #[serde(default)]
    pub limit: Option<u64>,
}

impl PageRequestParams {
    fn request(&self, max: u64) -> PageRequest {
        PageRequest { offset: self.offset, limit: self.limit.unwrap_or(50) }.capped(max)
    }
}

#[utoipa::path(get, path = "/api/v1/datasets/{name}/access-requests", tag = "access", params(("name" = String, Path), RequestFilter),
    responses((status = 200, body = Page<access_request::Model>, description = "all requests for stewards; the caller's own otherwise")), security(("token" = [])))]
pub async fn list_requests(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
    Query(filter): Query<RequestFilter>,
) -> Result<Json<Page<access_request::Model>>, ApiError> {
    let page = filter.page.request(state.config.max_page_size);
    Ok(Json(grants::requests(&state, &caller, &name, filter.state.as_deref(), page).await?))
}

/// A steward's decision on a request.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(tag = "decision", rename_all = "snake_case", deny_unknown_fields)]
pub enum Decide {
    Approve {
        #[schema(value_type = String, format = DateTime)]
        expires_at: DateTime<Utc>,
    },
    Deny {
        reason: String,
    },
}

#[utoipa::path(post, path = "/api/v1/datasets/{name}/access-requests/{id}", tag = "access", params(("name" = String, Path), ("id" = Uuid, Path)),
    request_body = Decide, responses((status = 200, body = access_request::Model), (status = 403), (status = 409)), security(("token" = [])))]
pub async fn answer_request(
    State(state): State<AppState>,
    caller: Caller,
    Path((name, id)): Path<(String, String)>,
    Json(body): Json<Decide>,
) -> Result<Json<access_request::Model>, ApiError> {
    let request = parse_id(&id, "access request")?;
    let answer = match body {
        Decide::Approve { expires_at } => Answer::Approve { expires_at },
        Decide::Deny { reason } => Answer::Deny { reason },
    };
    Ok(Json(grants::answer_request(&state, &caller, Rest, &name, request, answer).await?))
}

#[utoipa::path(get, path = "/api/v1/datasets/{name}/grants", tag = "access", params(("name" = String, Path)),
    responses((status = 200, body = Vec<access_grant::Model>)), security(("token" = [])))]
pub async fn list_grants(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
) -> Result<Json<Vec<access_grant::Model>>, ApiError> {
    Ok(Json(grants::grants(&state, &caller, &name).await?))
}

#[utoipa::path(delete, path = "/api/v1/datasets/{name}/grants/{id}", tag = "access", params(("name" = String, Path), ("id" = Uuid, Path)),
    responses((status = 204), (status = 404)), security(("token" = [])))]
pub async fn revoke_grant(
    State(state): State<AppState>,
    caller: Caller,
    Path((name, id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    grants::revoke_grant(&state, &caller, Rest, &name, parse_id(&id, "grant")?).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/v1/audit", tag = "access", params(AuditFilter, PageRequest),
    responses((status = 200, body = Page<audit_event::Model>)), security(("token" = [])))]
pub async fn audit_log(
    State(state): State<AppState>,
    caller: Caller,
    Query(filter): Query<AuditFilter>,
    Query(page): Query<PageRequest>,
) -> Result<Json<Page<audit_event::Model>>, ApiError> {
    Ok(Json(audit::audit_log(&state, &caller, filter, page.capped(state.config.max_page_size)).await?))
}
