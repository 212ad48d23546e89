//! The one credential resolver of every surface.

use std::net::IpAddr;
use std::sync::Arc;

use chrono::Utc;
use kura_core::{Principal, Scope};
use uuid::Uuid;

use super::{Authorization, CredentialStore, StoredUser};
use crate::login_limit::password_matches;
use crate::{AuthError, Authority};

/// Lifetime of the JWTs [`CredentialResolver::exchange`] mints (REST `POST /api/v1/auth/token`,
/// Flight Handshake).
pub const EXCHANGED_TOKEN_MINUTES: i64 = 15;

/// Turns credentials into principals, for every surface: Kura's keys and trusted issuers, and
/// the store of users, tokens, sessions and sign-in failures.
#[derive(Debug)]
pub struct CredentialResolver {
    authority: Authority,
    store: Arc<dyn CredentialStore>,
}

/// The caller behind a portal session, and the CSRF token its state-changing requests echo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionCaller {
    pub principal: Principal,
    pub csrf_token: String,
}

impl CredentialResolver {
    /// A resolver over `store`.
    pub fn new(authority: Authority, store: Arc<dyn CredentialStore>) -> Self {
        CredentialResolver { authority, store }
    }

    /// Kura's signing keys and the issuers it trusts (for publishing the JWKS).
    pub fn authority(&self) -> &Authority {
        &self.authority
    }

    /// A bearer secret: a JWT (three dot-separated parts) or else an API token.
    pub async fn bearer(&self, secret: &str) -> Result<Principal, AuthError> {
        if secret.matches('.').count() == 2 { self.jwt(secret).await } else { self.api_token(secret).await }
    }

    /// A JWT. Kura's own name a Kura user and carry a scope; a trusted identity provider's name
    /// a person Kura may not know yet, who is recorded on first use and acts with full rights.
    pub async fn jwt(&self, token: &str) -> Result<Principal, AuthError> {
        let identity = self.authority.verify(token).map_err(|e| AuthError::RefusedJwt(Box::new(e)))?;
        // Anything but a known wider scope reads only.
        let can_write = identity.scope >= Scope::Write;
        if let Some(fed) = identity.federated {
            let user = identity.subject.parse::<Uuid>().map_err(|_| AuthError::SubjectNotAUser)?;
            self.federated_user(user, fed).await
        } else if identity.kura_issued {
            let user = identity.subject.parse::<Uuid>().map_err(|_| AuthError::SubjectNotAUser)?;
            let principal = self.principal_of(user, can_write).await?;
            // Only an append token carries streams (the verifier reads them for no other scope).
            Ok(Principal { append_streams: identity.streams, ..principal })
        } else {
            let user = self.store.external_user(&identity.issuer, &identity.subject).await?;
            self.user_principal(user, can_write).await
        }
    }

    /// An API token: the platform admin for admin tokens that belong to no user, otherwise the
    /// token's user, writing only when the token's scope allows it.
    pub async fn api_token(&self, secret: &str) -> Result<Principal, AuthError> {
        let token = self.store.api_token(secret).await?.ok_or(AuthError::InvalidApiToken)?;
        match token.user_id {
            None if token.scope == Scope::Admin => Ok(Principal::admin(format!("token:{}", token.id))),
            None => Err(AuthError::InvalidApiToken),
            Some(user) => {
                let principal = self.principal_of(user, token.scope >= Scope::Write).await?;
                // Only an append token carries streams; any other scope ignores them.
                let append_streams = if token.scope == Scope::Append { token.streams } else { Vec::new() };
                Ok(Principal { append_streams, ..principal })
            }
        }
    }

    /// A portal session cookie's secret; `None` when the session is unknown or expired (which
    /// reads as signed out). The CSRF check is the transport's, with the token returned here.
    pub async fn session(&self, secret: &str) -> Result<Option<SessionCaller>, AuthError> {
        let Some(session) = self.store.live_session(secret).await? else { return Ok(None) };
        let principal = self.principal_of(session.user_id, true).await?;
        Ok(Some(SessionCaller { principal, csrf_token: session.csrf_token }))
    }

    /// A local account's username and password (signing in). The attempt is counted in the
    /// store, so every surface and every process count the same failures (see
    /// [`crate::login_limit`]); Argon2 runs on the blocking pool.
    pub async fn password(
        &self,
        username: &str,
        password: &str,
        address: Option<IpAddr>,
    ) -> Result<Principal, AuthError> {
        let attempt =
            self.store.begin_sign_in(username, address, Utc::now()).await?.map_err(AuthError::TooManyAttempts)?;
        let user = self.store.local_user(username).await?;
        let stored = user.as_ref().filter(|u| !u.disabled).and_then(|u| u.password_hash.clone());
        let password = password.to_owned();
        let matches = tokio::task::spawn_blocking(move || password_matches(&password, stored.as_deref()))
            .await
            .map_err(|e| AuthError::PasswordCheck(e.to_string()))?;
        match user {
            Some(user) if matches => {
                self.store.sign_in_succeeded(attempt).await?;
                self.user_principal(user, true).await
            }
            _ => {
                tracing::warn!(account = %username, "sign-in failed");
                Err(AuthError::WrongPassword)
            }
        }
    }

    /// The credential of a Flight Handshake: basic credentials (a password sign-in) or a bearer
    /// secret.
    pub async fn handshake(
        &self,
        credential: &Authorization<'_>,
        address: Option<IpAddr>,
    ) -> Result<Principal, AuthError> {
        match credential {
            Authorization::Basic { username, password } => self.password(username, password, address).await,
            Authorization::Bearer(secret) => self.bearer(secret).await,
        }
    }

    /// A user's principal as of now, reading only: for what this node signed itself and that
    /// names its user without a secret (a Delta Sharing file URL), decided again when used.
    pub async fn read_only_user(&self, user: Uuid) -> Result<Principal, AuthError> {
        self.principal_of(user, false).await
    }

    /// A Kura JWT for `principal`'s user, valid for [`EXCHANGED_TOKEN_MINUTES`], with the
    /// principal's own reach: a read-only principal gets a read-only token, never a wider one.
    pub fn exchange(&self, principal: &Principal) -> Result<String, AuthError> {
        let user = principal.user_id.ok_or(AuthError::NotAUser)?;
        if principal.home_node.is_some() {
            return Err(AuthError::FederatedExchange);
        }
        let ttl = chrono::Duration::minutes(EXCHANGED_TOKEN_MINUTES);
        // A robot's token stays a robot's: the same streams, nothing more.
        if principal.scope() == Scope::Append {
            return self.authority.issue_append(&user.to_string(), &principal.append_streams, ttl, Utc::now());
        }
        let scope = if principal.can_write { Scope::Write } else { Scope::Read };
        debug_assert!(principal.scope().may_mint(scope));
        self.authority.issue(&user.to_string(), scope, ttl, Utc::now())
    }

    /// A partner node's user, with the token this node gave them: read-only, with the consortia
    /// this node accepted for them at the exchange and the grants this node gave them; refused
    /// as soon as the node is no longer a trusted peer.
    pub async fn federated_user(&self, user: Uuid, fed: crate::FederatedClaim) -> Result<Principal, AuthError> {
        if !self.store.peer_trusted(&fed.node).await? {
            return Err(AuthError::PeerNotTrusted(fed.node));
        }
        let mut principal = self.principal_of(user, false).await?;
        for consortium in fed.consortia {
            if !principal.subject.consortia.contains(&consortium) {
                principal.subject.consortia.push(consortium);
            }
        }
        principal.actor = Principal::federated_actor(user, &fed.node);
        principal.home_node = Some(fed.node);
        Ok(principal)
    }

    /// A user's principal as of now, by id.
    async fn principal_of(&self, user_id: Uuid, can_write: bool) -> Result<Principal, AuthError> {
        let user = self.store.user_by_id(user_id).await?.ok_or(AuthError::UnknownUser)?;
        self.user_principal(user, can_write).await
    }

    /// A user's principal as of now; disabled users are refused.
    async fn user_principal(&self, user: StoredUser, can_write: bool) -> Result<Principal, AuthError> {
        if user.disabled {
            return Err(AuthError::Disabled);
        }
        let subject = self.store.subject(user.id, Utc::now()).await?;
        Ok(Principal {
            actor: format!("user:{}", user.id),
            user_id: Some(user.id),
            can_write,
            subject,
            home_node: None,
            append_streams: Vec::new(),
        })
    }
}
