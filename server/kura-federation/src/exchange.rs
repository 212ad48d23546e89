//! Token exchange in the shape of RFC 8693. The home node POSTs its signed assertion about a user
//! (`subject_token`, in the body: large claim sets never go in a header) to the peer's
//! `/api/v1/federation/token`; the peer verifies it, decides with its own catalog which of the
//! asserted consortia it accepts, records the user (issuer `kura-node:<home>`), and answers a
//! read-only token of its own that lives minutes. Refusals are RFC 6749 §5.2 error objects.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use chrono::Utc;
use kura_auth::FederatedClaim;
use kura_catalog::entity::peer;
use kura_core::Principal;
use kura_service::{ServiceError, Surface, federation};
use serde::{Deserialize, Serialize};
use tokio::sync::Mutex;

use crate::Federation;
use crate::client::{self, NodeFailure};

/// RFC 8693 §2.1 `grant_type`.
pub const GRANT_TYPE: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
/// RFC 8693 §3: the assertion is a JWT.
pub const JWT_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:jwt";
/// RFC 8693 §3: what is issued.
pub const ACCESS_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:access_token";

/// How long a token given to a federated user lives.
pub const FEDERATED_TOKEN_MINUTES: i64 = 10;

/// Largest token answer read from a peer.
const MAX_TOKEN_ANSWER_BYTES: u64 = 64 << 10;

/// A token exchange request (RFC 8693 §2.1), as a form.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
pub struct TokenRequest {
    pub grant_type: String,
    /// The home node's signed assertion.
    pub subject_token: String,
    pub subject_token_type: String,
    /// This node's base URL (optional).
    pub resource: Option<String>,
    /// This node's id (optional; the assertion's `aud` must name it anyway).
    pub audience: Option<String>,
    pub requested_token_type: Option<String>,
}

/// A successful exchange (RFC 8693 §2.2.1).
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TokenResponse {
    pub access_token: String,
    pub issued_token_type: String,
    pub token_type: String,
    pub expires_in: i64,
    /// Signed visas for the grants this node gave the user (an additional response parameter,
    /// RFC 8693 §2.2.1): the home node carries them in its later assertions.
    #[serde(default)]
    pub visas: Vec<String>,
}

/// A refused exchange (RFC 6749 §5.2, RFC 8693 §2.2.2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema, thiserror::Error)]
#[error("{error}: {error_description}")]
pub struct ExchangeError {
    /// `invalid_request`, `invalid_grant`, `invalid_target`, `unsupported_grant_type` or
    /// `server_error`.
    pub error: String,
    pub error_description: String,
}

impl ExchangeError {
    fn new(error: &str, description: impl Into<String>) -> Self {
        ExchangeError { error: error.to_owned(), error_description: description.into() }
    }

    /// The assertion was refused (forged, expired, replayed, addressed elsewhere…).
    pub fn grant(description: impl Into<String>) -> Self {
        Self::new("invalid_grant", description)
    }

    /// The request is not a token exchange this node does.
    pub fn request(description: impl Into<String>) -> Self {
        Self::new("invalid_request", description)
    }

    /// This node failed.
    pub fn server(e: ServiceError) -> Self {
        tracing::error!(error = %e, "token exchange failed");
        Self::new("server_error", "the exchange failed on this node")
    }

    /// Whether it is this node's own failure (HTTP 500) rather than the caller's (400).
    pub fn is_server_error(&self) -> bool {
        self.error == "server_error"
    }
}

impl Federation {
    /// Answers a peer's token exchange request (the target side).
    pub async fn exchange(&self, request: TokenRequest) -> Result<TokenResponse, ExchangeError> {
        if request.grant_type != GRANT_TYPE {
            return Err(ExchangeError::new("unsupported_grant_type", format!("grant_type must be {GRANT_TYPE}")));
        }
        if request.subject_token_type != JWT_TOKEN_TYPE {
            return Err(ExchangeError::request(format!("subject_token_type must be {JWT_TOKEN_TYPE}")));
        }
        if request.requested_token_type.as_deref().is_some_and(|t| t != ACCESS_TOKEN_TYPE) {
            return Err(ExchangeError::request(format!("only {ACCESS_TOKEN_TYPE} is issued")));
        }
        if request.audience.as_deref().is_some_and(|a| a != self.node_id()) {
            return Err(ExchangeError::new("invalid_target", "the audience is not this node"));
        }
        let now = Utc::now();
        let (claims, peer) = self.verify_assertion(&request.subject_token, now).await?;
        let (user, consortia) =
            federation::admit_user(self.services(), &peer, &claims.sub, &claims.home).await.map_err(|e| {
                if e.code == kura_core::ErrorCode::Unauthenticated {
                    ExchangeError::grant(e.message)
                } else {
                    ExchangeError::server(e)
                }
            })?;
        let fed = FederatedClaim { node: peer.id.clone(), consortia: consortia.clone() };
        let ttl = chrono::Duration::minutes(FEDERATED_TOKEN_MINUTES);
        let token = self
            .credentials
            .authority()
            .issue_federated(&user.to_string(), fed, ttl, now)
            .map_err(|e| ExchangeError::server(ServiceError::internal(e.to_string())))?;
        let presented = self.count_visas(&claims.visas, user, &peer.id, &claims.sub).await;
        let visas = self.visas_for(user, &peer.id, &claims.sub).await;
        let actor = Principal { actor: Principal::federated_actor(user, &peer.id), ..Principal::anonymous() };
        let details = serde_json::json!({
            "home_node": peer.id, "home_subject": claims.sub, "organization": claims.home.org,
            "consortia_accepted": consortia, "visas_presented": presented, "visas_given": visas.len(),
        });
        federation::audit(
            self.services(),
            &actor,
            Surface::Federation,
            "federation.token_exchange",
            &user.to_string(),
            details,
        )
        .await
        .map_err(ExchangeError::server)?;
        Ok(TokenResponse {
            access_token: token,
            issued_token_type: ACCESS_TOKEN_TYPE.to_owned(),
            token_type: "Bearer".to_owned(),
            expires_in: ttl.num_seconds(),
            visas,
        })
    }

    /// A token of `peer` for `principal` (the home side): `None` for anonymous callers, who are
    /// anonymous there too; cached until shortly before it expires, and asked for again when
    /// what this node asserts about the user changed.
    pub async fn token_for(&self, principal: &Principal, peer: &peer::Model) -> Result<Option<String>, NodeFailure> {
        if principal.home_node.is_some() {
            return Err(NodeFailure::Refused("a partner node's user is not passed on to other nodes".into()));
        }
        if principal.user_id.is_none() {
            return Ok(None);
        }
        let home = federation::home_claims(self.services(), principal)
            .await
            .map_err(|e| NodeFailure::Error(format!("this node could not describe the user: {e}")))?;
        let key = (principal.actor.clone(), peer.id.clone(), serde_json::to_string(&home).unwrap_or_default());
        if let Some(token) = self.tokens.get(&key).await {
            return Ok(Some(token));
        }
        let visas = self.tokens.visas(&principal.actor, &peer.id).await;
        let assertion = self
            .assert_user(principal, &peer.id, visas, Utc::now())
            .await
            .map_err(|e| NodeFailure::Error(format!("this node could not sign the assertion: {e}")))?;
        let form = form_urlencoded::Serializer::new(String::new())
            .append_pair("grant_type", GRANT_TYPE)
            .append_pair("subject_token", &assertion)
            .append_pair("subject_token_type", JWT_TOKEN_TYPE)
            .append_pair("requested_token_type", ACCESS_TOKEN_TYPE)
            .append_pair("audience", &peer.id)
            .append_pair("resource", &peer.base_url)
            .finish();
        let url = format!("{}/api/v1/federation/token", peer.base_url);
        let timeout = Duration::from_millis(self.services().config.federation_timeout_ms);
        let answer =
            client::post_form(&self.http, &url, form, timeout, MAX_TOKEN_ANSWER_BYTES).await.map_err(|e| match e {
                // RFC 6749 answers a refused grant with 400: the peer refused the user.
                NodeFailure::Error(m) if m.starts_with("400") => NodeFailure::Refused(m),
                other => other,
            })?;
        let response: TokenResponse = serde_json::from_slice(&answer.bytes)
            .map_err(|e| NodeFailure::Error(format!("the peer's token answer does not parse: {e}")))?;
        let lifetime = Duration::from_secs(u64::try_from(response.expires_in).unwrap_or(0));
        self.tokens.keep_visas(&principal.actor, &peer.id, response.visas).await;
        self.tokens.put(key, response.access_token.clone(), lifetime).await;
        Ok(Some(response.access_token))
    }
}

/// Tokens this node's users hold at peers, by (actor, peer, what was asserted), and the visas
/// peers gave them, by (actor, peer).
#[derive(Debug, Default)]
pub(crate) struct TokenCache {
    tokens: Mutex<HashMap<TokenKey, (String, Instant)>>,
    visas: Mutex<HashMap<(String, String), Vec<String>>>,
}

/// Whose token at which peer, given what was asserted: (actor, peer, the home claims as JSON).
type TokenKey = (String, String, String);

/// A cached token is used until this long before it expires.
const RENEW_BEFORE: Duration = Duration::from_secs(60);

impl TokenCache {
    async fn get(&self, key: &TokenKey) -> Option<String> {
        let tokens = self.tokens.lock().await;
        tokens.get(key).filter(|(_, until)| Instant::now() + RENEW_BEFORE < *until).map(|(t, _)| t.clone())
    }

    /// The visas `peer` last gave `actor`'s user (the peer itself judges whether they still hold).
    async fn visas(&self, actor: &str, peer: &str) -> Vec<String> {
        self.visas.lock().await.get(&(actor.to_owned(), peer.to_owned())).cloned().unwrap_or_default()
    }

    async fn keep_visas(&self, actor: &str, peer: &str, visas: Vec<String>) {
        let mut kept = self.visas.lock().await;
        if visas.is_empty() {
            kept.remove(&(actor.to_owned(), peer.to_owned()));
        } else {
            kept.insert((actor.to_owned(), peer.to_owned()), visas);
        }
    }

    async fn put(&self, key: TokenKey, token: String, lifetime: Duration) {
        let mut tokens = self.tokens.lock().await;
        let now = Instant::now();
        tokens.retain(|_, (_, until)| *until > now);
        tokens.insert(key, (token, now + lifetime));
    }
}
