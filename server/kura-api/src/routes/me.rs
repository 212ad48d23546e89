//! The caller's own things: who they are, their access requests and API tokens.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use kura_catalog::entity::{access_request, api_token};
use kura_catalog::{Page, PageRequest};
use kura_service::{directory, grants};
use serde::Serialize;
use uuid::Uuid;

use crate::auth::Caller;
use crate::error::ApiError;
use crate::state::AppState;

/// Who the caller is, as the server sees it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Me {
    pub actor: String,
    pub user_id: Option<Uuid>,
    pub admin: bool,
    pub can_write: bool,
    /// Groups and the role in each.
    pub groups: Vec<(Uuid, kura_core::access::Role)>,
    /// Consortia whose current agreement the caller accepted.
    pub consortia: Vec<Uuid>,
}

#[utoipa::path(get, path = "/api/v1/me", tag = "me", responses((status = 200, body = Me)))]
pub async fn me(caller: Caller) -> Json<Me> {
    let p = caller.0;
    Json(Me {
        actor: p.actor,
        user_id: p.user_id,
        admin: p.subject.admin,
        can_write: p.can_write,
        groups: p.subject.groups,
        consortia: p.subject.consortia,
    })
}

#[utoipa::path(get, path = "/api/v1/me/access-requests", tag = "me", responses((status = 200, body = Page<access_request::Model>)), security(("token" = [])))]
pub async fn my_requests(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Page<access_request::Model>>, ApiError> {
    let page = PageRequest { offset: 0, limit: state.config.max_page_size };
    Ok(Json(grants::my_requests(&state, &caller, page).await?))
}

#[utoipa::path(get, path = "/api/v1/me/tokens", tag = "me", responses((status = 200, body = Vec<api_token::Model>)), security(("token" = [])))]
pub async fn my_tokens(State(state): State<AppState>, caller: Caller) -> Result<Json<Vec<api_token::Model>>, ApiError> {
    Ok(Json(directory::my_tokens(&state, &caller).await?))
}

#[utoipa::path(delete, path = "/api/v1/me/tokens/{id}", tag = "me", params(("id" = Uuid, Path)), responses((status = 204), (status = 404)), security(("token" = [])))]
pub async fn revoke_my_token(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    directory::revoke_my_token(&state, &caller, crate::routes::parse_id(&id, "token")?).await?;
    Ok(StatusCode::NO_CONTENT)
}
