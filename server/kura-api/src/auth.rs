//! Authentication: a tower middleware that asks `kura_auth::CredentialResolver` for the
//! `Principal` behind the caller's credentials — a JWT (Kura's own or a trusted identity
//! provider's), a personal or admin API token, or a portal session cookie — and puts it in the
//! request. Authorization happens in the services; the CSRF check of session requests is its own
//! layer ([`crate::csrf`]). Every refusal is a 401 whose reason is logged.

use std::sync::Arc;

use axum::extract::{FromRequestParts, Request, State};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use kura_auth::credentials::Authorization;
use kura_auth::{AuthConfig, AuthError, Authority, ExternalIssuer, KeyStore};
use kura_core::{Config, ErrorCode, Principal};
use uuid::Uuid;

use crate::error::ApiError;
use crate::state::AppState;

/// Name of the session cookie (HttpOnly).
pub const SESSION_COOKIE: &str = "kura_session";

/// The session's CSRF token, put beside the `Principal` of a request authenticated by the
/// session cookie: the CSRF layer checks state-changing requests against it, pages render it
/// into their forms.
#[derive(Debug, Clone)]
pub struct SessionCsrf(pub String);

/// Marks the answer to credentials refused before any route ran (a wrong token, a form posted
/// with a wrong CSRF token) and carries the refused request's head, so that the layer answering
/// browsers around this one (`routes::html::refusals_as_pages`) can show it as a page in the reader's
/// language; the answer itself stays the JSON error.
#[derive(Debug, Clone)]
pub struct RefusedCredentials(pub Arc<axum::http::request::Parts>);

impl RefusedCredentials {
    /// The answer to `request`, refused with `error` before any route ran.
    pub(crate) fn answer(request: Request, error: ApiError) -> Response {
        let (parts, _) = request.into_parts();
        let mut response = error.into_response();
        response.extensions_mut().insert(RefusedCredentials(Arc::new(parts)));
        response
    }
}

/// Builds the node's token authority: its keys (created on first start) and trusted issuers.
pub fn authority(config: &Config) -> Result<Authority, ApiError> {
    let fault = |e: String| ApiError::new(ErrorCode::Internal, e);
    let keys = KeyStore::load_or_create(&config.data_dir.join("keys").join("jwt-ed25519.pem"))
        .map_err(|e| fault(e.to_string()))?;
    let mut external = Vec::new();
    for idp in &config.identity_providers {
        let text =
            std::fs::read_to_string(&idp.jwks_file).map_err(|e| fault(format!("jwks of {}: {e}", idp.issuer)))?;
        let jwks = serde_json::from_str(&text).map_err(|e| fault(format!("jwks of {}: {e}", idp.issuer)))?;
        let algorithms = idp
            .algorithms
            .iter()
            .map(|a| a.parse::<jsonwebtoken::Algorithm>().map_err(|_| fault(format!("unknown algorithm {a:?}"))))
            .collect::<Result<_, _>>()?;
        external.push(ExternalIssuer { issuer: idp.issuer.clone(), audience: idp.audience.clone(), jwks, algorithms });
    }
    let config =
        AuthConfig { issuer: config.jwt_issuer(), audience: config.jwt_audience.clone(), leeway: 30, external };
    Ok(Authority { keys, config })
}

/// Resolves the caller's credentials into a `Principal` extension (anonymous without any).
pub async fn authenticate(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    match resolve(&state, &mut request).await {
        Ok(principal) => {
            request.extensions_mut().insert(principal);
            next.run(request).await
        }
        // Which check failed is logged, not told: the caller learns only that it was refused.
        Err(e) => {
            tracing::warn!(reason = ?e, path = %request.uri().path(), "credentials refused");
            RefusedCredentials::answer(request, e.into())
        }
    }
}

/// The bearer credential of the `authorization` header, else the session cookie (whose CSRF
/// token is put beside the principal for the CSRF layer).
async fn resolve(state: &AppState, request: &mut Request) -> Result<Principal, AuthError> {
    if let Some(value) = request.headers().get(AUTHORIZATION) {
        return match Authorization::parse(value.as_bytes()) {
            Ok(Authorization::Bearer(secret)) => state.credentials.bearer(secret).await,
            // Basic credentials are for Flight's Handshake only.
            _ => Err(AuthError::NotBearer),
        };
    }
    let Some(secret) = crate::cookies::get(request.headers(), SESSION_COOKIE) else {
        return Ok(Principal::anonymous());
    };
    // An unknown or expired session reads as signed out.
    match state.credentials.session(&secret).await? {
        Some(session) => {
            request.extensions_mut().insert(SessionCsrf(session.csrf_token));
            Ok(session.principal)
        }
        None => Ok(Principal::anonymous()),
    }
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

/// Service functions take the principal: a `&Caller` is one.
impl std::ops::Deref for Caller {
    type Target = Principal;
    fn deref(&self) -> &Principal {
        &self.0
    }
}

impl Caller {
    /// Changes need credentials that may write (not a read-only token).
    pub fn require_write(&self) -> Result<(), ApiError> {
        if self.0.can_write || self.0.is_anonymous() {
            Ok(())
        } else {
            Err(ApiError::new(ErrorCode::Forbidden, "this token is read-only"))
        }
    }

    /// Creating a dataset for `group` needs membership in it (any role), or platform admin.
    pub fn require_member_of(&self, group: Option<Uuid>) -> Result<(), ApiError> {
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
