//! Authentication: a tower middleware that turns the `Authorization` header into a `Principal`.
//! Authorization happens in the service calls, never here.

use axum::extract::{FromRequestParts, Request, State};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use kura_core::{ErrorCode, Principal};

use crate::error::ApiError;
use crate::state::AppState;

/// Resolves the bearer token, if any. A token that is present but unknown, revoked or expired
/// is refused outright rather than treated as anonymous, so clients notice.
pub async fn authenticate(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let principal = match request.headers().get(AUTHORIZATION) {
        None => Principal::anonymous(),
        Some(value) => {
            let Some(secret) = value.to_str().ok().and_then(|v| v.strip_prefix("Bearer ")).map(str::trim) else {
                return ApiError::new(ErrorCode::Unauthenticated, "authorization header must be 'Bearer <token>'")
                    .into_response();
            };
            match principal_for_token(&state, secret).await {
                Ok(principal) => principal,
                Err(e) => {
                    tracing::info!(reason = ?e, "credentials refused");
                    return e.into_response();
                }
            }
        }
    };
    request.extensions_mut().insert(principal);
    next.run(request).await
}

/// The principal behind an API token: a platform admin for admin tokens that belong to no user,
/// otherwise the token's user with their groups, consortia and grants as of now.
async fn principal_for_token(state: &AppState, secret: &str) -> Result<Principal, ApiError> {
    let refused = || ApiError::new(ErrorCode::Unauthenticated, "invalid, expired or revoked token");
    let token = state.catalog.token_by_secret(secret).await?.ok_or_else(refused)?;
    let Some(user_id) = token.user_id else {
        return if token.scope == "admin" {
            Ok(Principal::admin(format!("token:{}", token.id)))
        } else {
            Err(refused())
        };
    };
    let user = state.catalog.user(user_id).await.map_err(|_| refused())?;
    if user.disabled_at.is_some() {
        return Err(ApiError::new(ErrorCode::Unauthenticated, "this account is disabled"));
    }
    let subject = state.catalog.subject_for(user_id, chrono::Utc::now()).await?;
    Ok(Principal {
        actor: format!("user:{user_id}"),
        user_id: Some(user_id),
        can_write: token.scope != "read",
        subject,
    })
}

/// Extractor for the caller established by [`authenticate`].
#[derive(Debug, Clone)]
pub struct Caller(pub Principal);

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Caller(parts.extensions.get::<Principal>().cloned().unwrap_or_else(Principal::anonymous)))
    }
}

impl Caller {
    /// Writes need an admin token until the access-control model lands.
    pub fn require_admin(&self) -> Result<(), ApiError> {
        if self.0.is_admin() {
            Ok(())
        } else if self.0.is_anonymous() {
            Err(ApiError::new(ErrorCode::Unauthenticated, "this operation needs an admin API token"))
        } else {
            Err(ApiError::new(ErrorCode::Forbidden, "this operation needs an admin API token"))
        }
    }

    /// Creating a dataset for `group` needs membership in it (any role), or platform admin.
    pub fn require_member_of(&self, group: Option<uuid::Uuid>) -> Result<(), ApiError> {
        if self.0.is_admin() {
            return Ok(());
        }
        if self.0.is_anonymous() {
            return Err(ApiError::new(ErrorCode::Unauthenticated, "sign in or present an API token to do this"));
        }
        if !self.0.can_write {
            return Err(ApiError::new(ErrorCode::Forbidden, "this token is read-only"));
        }
        match group {
            None => Err(ApiError::bad_request("name the owner group of the dataset (\"group\")")),
            Some(g) if self.0.subject.groups.iter().any(|(id, _)| *id == g) => Ok(()),
            Some(_) => Err(ApiError::new(ErrorCode::Forbidden, "you are not a member of that group")),
        }
    }

    pub fn visibility(&self) -> kura_catalog::Visibility {
        kura_catalog::Visibility::of(&self.0)
    }
}
