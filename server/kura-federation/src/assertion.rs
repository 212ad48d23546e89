//! The signed assertion a home node gives a peer about one of its users: who they are, their home
//! organization, their consortium memberships with the agreement versions they accepted. It is a
//! JWT of its own type (`kura-assertion+jwt`), signed with the home node's key (published in its
//! JWKS), addressed to one peer (`aud`), living two minutes and accepted once (`jti`).

use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use kura_catalog::entity::peer;
use kura_core::Principal;
use kura_service::federation::{self, HomeClaims};
use serde::{Deserialize, Serialize};

use crate::Federation;
use crate::exchange::ExchangeError;

/// The JWT `typ` of assertions: a user's token is never accepted as one, nor one as a token.
pub const ASSERTION_TYPE: &str = "kura-assertion+jwt";

/// How long an assertion this node signs lives.
pub const ASSERTION_SECONDS: i64 = 120;

/// The longest life an accepted assertion may claim (`exp - iat`).
pub const MAX_ASSERTION_SECONDS: i64 = 300;

/// Clock skew allowed between nodes.
const LEEWAY_SECONDS: u64 = 30;

/// The claims of an assertion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssertionClaims {
    /// The home node's id.
    pub iss: String,
    /// The user's id at the home node.
    pub sub: String,
    /// The peer it is for.
    pub aud: String,
    pub iat: i64,
    pub nbf: i64,
    pub exp: i64,
    /// Unique: a peer accepts it once.
    pub jti: String,
    #[serde(flatten)]
    pub home: HomeClaims,
    /// Visas the peer gave this user earlier (see [`crate::visa`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub visas: Vec<String>,
}

impl Federation {
    /// Signs an assertion about `principal` for `peer`, as of `now`.
    pub async fn assert_user(
        &self,
        principal: &Principal,
        peer: &str,
        visas: Vec<String>,
        now: DateTime<Utc>,
    ) -> Result<String, kura_service::ServiceError> {
        let user = principal.user_id.ok_or_else(|| kura_service::ServiceError::invalid("nobody to assert"))?;
        let home = federation::home_claims(self.services(), principal).await?;
        let claims = AssertionClaims {
            iss: self.node_id().to_owned(),
            sub: user.to_string(),
            aud: peer.to_owned(),
            iat: now.timestamp(),
            nbf: now.timestamp(),
            exp: now.timestamp() + ASSERTION_SECONDS,
            jti: uuid::Uuid::new_v4().to_string(),
            home,
            visas,
        };
        self.sign_assertion(&claims)
    }

    /// Signs `claims` as an assertion of this node (tests sign altered ones with it).
    pub fn sign_assertion(&self, claims: &AssertionClaims) -> Result<String, kura_service::ServiceError> {
        self.credentials
            .authority()
            .keys
            .sign_typed(ASSERTION_TYPE, claims)
            .map_err(|e| kura_service::ServiceError::internal(e.to_string()))
    }

    /// Verifies a peer's assertion addressed to this node: a listed peer's key, this node as
    /// audience, alive, not too long-lived, and never seen before. Returns the claims and the peer.
    pub async fn verify_assertion(
        &self,
        token: &str,
        now: DateTime<Utc>,
    ) -> Result<(AssertionClaims, peer::Model), ExchangeError> {
        let header =
            jsonwebtoken::decode_header(token).map_err(|_| ExchangeError::grant("the assertion is not a JWT"))?;
        if header.typ.as_deref() != Some(ASSERTION_TYPE) {
            return Err(ExchangeError::grant(format!("the assertion's typ must be {ASSERTION_TYPE}")));
        }
        if header.alg != Algorithm::EdDSA {
            return Err(ExchangeError::grant("assertions are signed with EdDSA"));
        }
        let kid = header.kid.ok_or_else(|| ExchangeError::grant("the assertion names no key (kid)"))?;
        let issuer = unverified_issuer(token)?;
        let peer = federation::trusted_peer(self.services(), &issuer)
            .await
            .map_err(ExchangeError::server)?
            .ok_or_else(|| ExchangeError::grant(format!("node {issuer:?} is not a trusted peer")))?;
        let timeout = std::time::Duration::from_millis(self.services().config.federation_timeout_ms);
        let keys = self
            .peer_keys
            .for_kid(&self.http, &peer.id, &peer.jwks_url, &kid, timeout)
            .await
            .map_err(|e| ExchangeError::grant(format!("the keys of node {:?} cannot be read: {e}", peer.id)))?;
        let jwk = keys.find(&kid).ok_or_else(|| ExchangeError::grant("no key of the peer signed this assertion"))?;
        let key = DecodingKey::from_jwk(jwk).map_err(|_| ExchangeError::grant("the peer's key is not usable"))?;
        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.set_audience(&[self.node_id()]);
        validation.set_issuer(&[&peer.id]);
        validation.set_required_spec_claims(&["exp", "iat", "nbf", "aud", "iss", "sub"]);
        validation.validate_nbf = true;
        validation.leeway = LEEWAY_SECONDS;
        let data = jsonwebtoken::decode::<AssertionClaims>(token, &key, &validation).map_err(refusal)?;
        let claims = data.claims;
        let leeway = LEEWAY_SECONDS as i64;
        let now = now.timestamp();
        if now >= claims.exp + leeway {
            return Err(ExchangeError::grant("the assertion has expired"));
        }
        if claims.nbf > now + leeway || claims.iat > now + leeway {
            return Err(ExchangeError::grant("the assertion is not valid yet"));
        }
        if claims.exp - claims.iat > MAX_ASSERTION_SECONDS {
            return Err(ExchangeError::grant(format!("an assertion may live at most {MAX_ASSERTION_SECONDS} s")));
        }
        if claims.jti.is_empty() || claims.jti.len() > 128 {
            return Err(ExchangeError::grant("the assertion's jti is missing or too long"));
        }
        let expires = DateTime::from_timestamp(claims.exp, 0).unwrap_or(DateTime::<Utc>::MAX_UTC);
        federation::accept_assertion(self.services(), &peer.id, &claims.jti, expires)
            .await
            .map_err(|e| ExchangeError::grant(e.message))?;
        Ok((claims, peer))
    }
}

/// The `iss` of a token before its signature is checked: which peer's keys to try.
fn unverified_issuer(token: &str) -> Result<String, ExchangeError> {
    let claims = kura_auth::unverified_claims(token).map_err(|_| ExchangeError::grant("the assertion is not a JWT"))?;
    claims
        .get("iss")
        .and_then(|i| i.as_str())
        .map(str::to_owned)
        .ok_or_else(|| ExchangeError::grant("the assertion names no issuer"))
}

/// What a failed check tells the caller: the kind of failure, never more.
fn refusal(e: jsonwebtoken::errors::Error) -> ExchangeError {
    use jsonwebtoken::errors::ErrorKind;
    let why = match e.kind() {
        ErrorKind::InvalidSignature => "the assertion's signature does not verify",
        ErrorKind::ExpiredSignature => "the assertion has expired",
        ErrorKind::ImmatureSignature => "the assertion is not valid yet",
        ErrorKind::InvalidAudience => "the assertion is not addressed to this node",
        ErrorKind::InvalidIssuer => "the assertion's issuer is not the peer whose key signed it",
        ErrorKind::MissingRequiredClaim(_) => "the assertion lacks a required claim",
        _ => "the assertion is malformed",
    };
    ExchangeError::grant(why)
}
