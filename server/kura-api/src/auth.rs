//! Authentication: a tower middleware that turns credentials into a `Principal` — a JWT (Kura's
//! own or a trusted identity provider's), a personal or admin API token, or a portal session
//! cookie. Authorization happens in the services, never here. Every refusal is a 401 whose reason
//! is logged.

use axum::extract::{FromRequestParts, Request, State};
use axum::http::Method;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use kura_auth::{AuthConfig, Authority, ExternalIssuer, KeyStore};
use kura_core::{Config, ErrorCode, Principal};
use subtle::ConstantTimeEq;
use uuid::Uuid;

use crate::error::ApiError;
use crate::state::AppState;

/// Name of the session cookie (HttpOnly).
pub const SESSION_COOKIE: &str = "kura_session";
/// Name of the cookie carrying the CSRF token that state-changing requests echo in `x-csrf-token`.
pub const CSRF_COOKIE: &str = "kura_csrf";
/// Header in which cookie-authenticated state-changing requests echo the CSRF token.
pub const CSRF_HEADER: &str = "x-csrf-token";
/// Form field in which HTML forms echo the CSRF token instead of the header. In a multipart
/// form it must be the first part, so that the upload behind it can stream.
pub const CSRF_FIELD: &str = "csrf_token";
/// Largest urlencoded form read to find the CSRF field.
const MAX_FORM_BYTES: usize = 1 << 20;
/// How far into a multipart body the CSRF part must have ended.
const MAX_CSRF_PREFIX: usize = 16 * 1024;

/// The session's CSRF token, put beside the `Principal` for pages that render forms.
#[derive(Debug, Clone)]
pub struct SessionCsrf(pub String);

/// Marks the answer to credentials refused before any route ran (a wrong token, a form posted
/// with a wrong CSRF token) and carries the refused request's head, so that the layer answering
/// browsers around this one (`portal::refusals_as_pages`) can show it as a page in the reader's
/// language; the answer itself stays the JSON error.
#[derive(Debug, Clone)]
pub struct RefusedCredentials(pub std::sync::Arc<axum::http::request::Parts>);

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

fn refused(reason: &str) -> ApiError {
    ApiError::new(ErrorCode::Unauthenticated, reason)
}

/// Resolves the caller's credentials into a `Principal` extension.
pub async fn authenticate(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let authorization = request.headers().get(AUTHORIZATION).cloned();
    let resolved = match authorization {
        Some(value) => match value.to_str().ok().and_then(|v| v.strip_prefix("Bearer ")).map(str::trim) {
            Some(secret) if secret.matches('.').count() == 2 => principal_for_jwt(&state, secret).await,
            Some(secret) => principal_for_token(&state, secret).await,
            None => Err(refused("authorization header must be 'Bearer <token>'")),
        },
        None => match crate::cookies::get(request.headers(), SESSION_COOKIE) {
            // An unknown or expired session reads as signed out.
            Some(secret) => match state.catalog.session(&secret).await {
                Ok(Some(session)) => {
                    let (checked, csrf) = check_csrf(request, &session.csrf_token).await;
                    request = checked;
                    match csrf {
                        Ok(()) => {
                            request.extensions_mut().insert(SessionCsrf(session.csrf_token.clone()));
                            principal_for_user(&state, session.user_id, true).await
                        }
                        Err(e) => Err(e),
                    }
                }
                Ok(None) => Ok(Principal::anonymous()),
                Err(e) => Err(e.into()),
            },
            None => Ok(Principal::anonymous()),
        },
    };
    match resolved {
        Ok(principal) => {
            request.extensions_mut().insert(principal);
            next.run(request).await
        }
        Err(e) => {
            tracing::warn!(reason = ?e, path = %request.uri().path(), "credentials refused");
            let (parts, _) = request.into_parts();
            let mut response = e.into_response();
            response.extensions_mut().insert(RefusedCredentials(std::sync::Arc::new(parts)));
            response
        }
    }
}

/// A user's principal as of now; disabled users are refused.
pub(crate) async fn principal_for_user(
    state: &AppState,
    user_id: Uuid,
    can_write: bool,
) -> Result<Principal, ApiError> {
    let user = state.catalog.user(user_id).await.map_err(|_| refused("unknown user"))?;
    if user.disabled_at.is_some() {
        return Err(refused("this account is disabled"));
    }
    let subject = state.catalog.subject_for(user_id, chrono::Utc::now()).await?;
    Ok(Principal { actor: format!("user:{user_id}"), user_id: Some(user_id), can_write, subject })
}

/// The principal behind an API token: a platform admin for admin tokens that belong to no user,
/// otherwise the token's user with their groups, consortia and grants as of now.
async fn principal_for_token(state: &AppState, secret: &str) -> Result<Principal, ApiError> {
    let token =
        state.catalog.token_by_secret(secret).await?.ok_or_else(|| refused("invalid, expired or revoked token"))?;
    match token.user_id {
        None if token.scope == "admin" => Ok(Principal::admin(format!("token:{}", token.id))),
        None => Err(refused("invalid, expired or revoked token")),
        Some(user) => principal_for_user(state, user, token.scope != "read").await,
    }
}

/// The principal behind a JWT. Kura's own tokens name a Kura user; a trusted identity provider's
/// name a person Kura may not know yet, who is then recorded on first use.
async fn principal_for_jwt(state: &AppState, token: &str) -> Result<Principal, ApiError> {
    // Which check failed is logged, not told: the caller learns only that the token was refused.
    let identity = state.auth.verify(token).map_err(|e| {
        tracing::info!(reason = %e, "token refused");
        refused("invalid or expired token")
    })?;
    let can_write = identity.scope != "read";
    let user_id = if identity.kura_issued {
        identity.subject.parse::<Uuid>().map_err(|_| refused("invalid token: subject is not a user id"))?
    } else {
        match state.catalog.user_by_identity(&identity.issuer, &identity.subject).await? {
            Some(user) => user.id,
            None => {
                let new = kura_catalog::users::NewUser {
                    issuer: identity.issuer.clone(),
                    subject: identity.subject.clone(),
                    kind: "person".into(),
                    ..Default::default()
                };
                state.catalog.create_user(new).await?.id
            }
        }
    };
    principal_for_user(state, user_id, can_write).await
}

/// Checks that a state-changing request made with a session cookie echoes the session's CSRF
/// token — in `x-csrf-token`, or, for HTML forms, in the `csrf_token` field (the first part of
/// a multipart form). A cross-site page can send the cookie but cannot read the token. Returns
/// the request with its body intact.
async fn check_csrf(request: Request, expected: &str) -> (Request, Result<(), ApiError>) {
    let refused = || Err(ApiError::new(ErrorCode::Forbidden, "missing or wrong CSRF token"));
    if matches!(*request.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return (request, Ok(()));
    }
    if let Some(echoed) = request.headers().get(CSRF_HEADER) {
        let ok = same_secret(echoed.as_bytes(), expected.as_bytes());
        return (request, if ok { Ok(()) } else { refused() });
    }
    // The boundary is case-sensitive; the media type is not.
    let content_type =
        request.headers().get(axum::http::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    let media_type = content_type.to_ascii_lowercase();
    let (request, echoed) = if media_type.starts_with("application/x-www-form-urlencoded") {
        form_field(request).await
    } else if media_type.starts_with("multipart/form-data") {
        match boundary_of(&content_type) {
            Some(boundary) => first_multipart_field(request, &boundary).await,
            None => (request, None),
        }
    } else {
        (request, None)
    };
    match echoed {
        Some(token) if same_secret(token.as_bytes(), expected.as_bytes()) => (request, Ok(())),
        _ => (request, refused()),
    }
}

/// Reads an urlencoded body (bounded), returns the request with the same body and the CSRF field.
async fn form_field(request: Request) -> (Request, Option<String>) {
    let (parts, body) = request.into_parts();
    match axum::body::to_bytes(body, MAX_FORM_BYTES).await {
        Ok(bytes) => {
            let token = form_urlencoded::parse(&bytes).find(|(k, _)| k == CSRF_FIELD).map(|(_, v)| v.into_owned());
            (Request::from_parts(parts, axum::body::Body::from(bytes)), token)
        }
        Err(_) => (Request::from_parts(parts, axum::body::Body::empty()), None),
    }
}

fn boundary_of(content_type: &str) -> Option<String> {
    content_type
        .split(';')
        .filter_map(|p| {
            let p = p.trim();
            p.get(..9).filter(|k| k.eq_ignore_ascii_case("boundary=")).map(|_| &p[9..])
        })
        .map(|b| b.trim_matches('"').to_owned())
        .next()
        .filter(|b| !b.is_empty())
}

/// Reads the start of a multipart body until its first part has ended (at most
/// `MAX_CSRF_PREFIX` bytes), returns the request with the whole body still to stream and that
/// part's value when it is the CSRF field.
async fn first_multipart_field(request: Request, boundary: &str) -> (Request, Option<String>) {
    use futures::StreamExt;
    let (parts, body) = request.into_parts();
    let mut stream = body.into_data_stream();
    let mut prefix = Vec::new();
    let mut failed = None;
    let delimiter = format!("\r\n--{boundary}");
    let token = loop {
        if let Some(token) = csrf_part(&prefix, boundary, &delimiter) {
            break token;
        }
        if prefix.len() > MAX_CSRF_PREFIX {
            break None;
        }
        match stream.next().await {
            Some(Ok(chunk)) => prefix.extend_from_slice(&chunk),
            Some(Err(e)) => {
                failed = Some(e);
                break None;
            }
            None => break None,
        }
    };
    let head = futures::stream::iter([Ok::<bytes::Bytes, axum::Error>(bytes::Bytes::from(prefix))]);
    let tail = futures::stream::iter(failed.map(Err));
    let body = axum::body::Body::from_stream(head.chain(tail).chain(stream));
    (Request::from_parts(parts, body), token)
}

/// `Some(Some(value))` when the buffered prefix holds a complete first part named
/// `csrf_token`, `Some(None)` when it holds a complete first part of another name, `None`
/// while more bytes are needed.
fn csrf_part(prefix: &[u8], boundary: &str, delimiter: &str) -> Option<Option<String>> {
    let text = std::str::from_utf8(prefix).ok().or_else(|| {
        // A chunk may end inside a multi-byte character: decide on the valid start.
        std::str::from_utf8(&prefix[..prefix.len().saturating_sub(3)]).ok()
    })?;
    let start = format!("--{boundary}\r\n");
    let rest = text.strip_prefix(&start).or_else(|| text.strip_prefix(&format!("\r\n{start}")))?;
    let (headers, value) = rest.split_once("\r\n\r\n")?;
    let end = value.find(delimiter)?;
    let named = headers.lines().any(|l| {
        let l = l.to_ascii_lowercase();
        l.starts_with("content-disposition:") && l.contains(&format!("name=\"{CSRF_FIELD}\""))
    });
    Some(named.then(|| value[..end].to_owned()))
}

/// Compares secrets in time independent of where they differ (only their lengths may leak).
pub(crate) fn same_secret(a: &[u8], b: &[u8]) -> bool {
    a.ct_eq(b).into()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_boundary_keeps_its_case() {
        assert_eq!(
            boundary_of("multipart/form-data; Boundary=----WebKitFormBoundaryAbC").as_deref(),
            Some("----WebKitFormBoundaryAbC")
        );
        assert_eq!(boundary_of("multipart/form-data; boundary=\"x y\"").as_deref(), Some("x y"));
        assert_eq!(boundary_of("multipart/form-data"), None);
    }

    #[test]
    fn only_a_complete_first_part_named_csrf_token_counts() {
        let delimiter = "\r\n--B";
        let body = "--B\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\nkura_abc\r\n--B\r\n";
        assert_eq!(csrf_part(body.as_bytes(), "B", delimiter), Some(Some("kura_abc".to_owned())));
        // Not there yet: more bytes are needed.
        assert_eq!(csrf_part(&body.as_bytes()[..40], "B", delimiter), None);
        // Another field first: no token, whatever comes later.
        let other = "--B\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\nx\r\n--B\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\nkura_abc\r\n--B--";
        assert_eq!(csrf_part(other.as_bytes(), "B", delimiter), Some(None));
    }
}
