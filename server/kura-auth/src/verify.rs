//! Issuing Kura's JWTs and verifying any bearer JWT against the issuer it claims: Kura's own keys
//! for Kura's issuer, a configured identity provider's JWKS for theirs, nothing else. Every
//! check is explicit: algorithm allow-list per issuer (never HMAC, never `none`), `kid` required,
//! `exp`/`iss`/`aud`/`sub` required, `nbf` and `iat` honoured, clock leeway at most 30 s.

use chrono::{DateTime, Utc};
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::jwk::{JwkSet, KeyAlgorithm, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey, Header, Validation, decode, encode};
use kura_core::Scope;
use serde::{Deserialize, Serialize};

use crate::{AuthError, KeyStore};

mod claims;
mod unverified;

pub use unverified::claims as unverified_claims;

/// Largest clock leeway allowed, whatever the configuration says.
pub const MAX_LEEWAY_SECONDS: u64 = 30;

/// Claims of the tokens Kura issues. Registered claims keep their RFC 7519 names; `scope` is
/// a [`Scope`]'s name, a single word (RFC 8693 `scope` syntax) that caps what the token may do
/// of what its user may do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KuraClaims {
    /// Kura's issuer (its base URL).
    pub iss: String,
    /// The user id.
    pub sub: String,
    /// Kura's audience.
    pub aud: String,
    /// Expiry, seconds since the epoch.
    pub exp: i64,
    /// Issued at, seconds since the epoch.
    pub iat: i64,
    /// Not before, seconds since the epoch (equal to `iat`).
    pub nbf: i64,
    /// Unique id of this token (a UUID), for audit and revocation lists.
    pub jti: String,
    /// `read`, `write` or `admin`.
    pub scope: String,
    /// Set in tokens this node gave a user of a partner node (token exchange).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fed: Option<FederatedClaim>,
    /// The stream tables (`dataset/table`) an `append` token may append to.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub streams: Vec<String>,
}

/// Who a token given to a federated user speaks for: a user of a partner node, with what this
/// node accepted about them when it gave the token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FederatedClaim {
    /// The home node's id.
    pub node: String,
    /// This node's consortia whose data the user may read as a member who accepted the current
    /// agreement (decided by this node at the exchange).
    pub consortia: Vec<uuid::Uuid>,
}

/// A trusted external identity provider (or partner node): tokens claiming its issuer are
/// verified with its keys only.
#[derive(Debug, Clone)]
pub struct ExternalIssuer {
    /// The `iss` of its tokens.
    pub issuer: String,
    /// The audience its tokens must carry for this Kura node.
    pub audience: String,
    /// Its public keys, read from a file the operator keeps current (this crate fetches nothing).
    pub jwks: JwkSet,
    /// Algorithms accepted from it (e.g. RS256, ES256, EdDSA). HMAC ones are refused anyway.
    pub algorithms: Vec<Algorithm>,
}

impl ExternalIssuer {
    /// Parses a JWK Set (`{"keys": [...]}`) as an identity provider publishes it.
    pub fn jwks_from_json(text: &str) -> Result<JwkSet, AuthError> {
        serde_json::from_str(text).map_err(|e| AuthError::KeyStore(format!("jwks: {e}")))
    }

    /// Reads a JWK Set from a file the operator keeps current.
    pub fn jwks_from_file(path: &std::path::Path) -> Result<JwkSet, AuthError> {
        let text =
            std::fs::read_to_string(path).map_err(|e| AuthError::KeyStore(format!("{}: {e}", path.display())))?;
        Self::jwks_from_json(&text)
    }
}

/// Who a verified token says the caller is; the server turns it into a `kura_core::Principal`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub issuer: String,
    pub subject: String,
    /// The `scope` claim of Kura's own tokens; external tokens act with their user's full
    /// rights (`Write`).
    pub scope: Scope,
    /// Kura's own token (subject is a Kura user id) or an external provider's.
    pub kura_issued: bool,
    /// Kura's token for a user of a partner node.
    pub federated: Option<FederatedClaim>,
    /// The streams a Kura `append` token names (empty for any other token).
    pub streams: Vec<String>,
}

/// Issuer settings of this node.
#[derive(Debug, Clone)]
pub struct AuthConfig {
    /// Kura's issuer (its base URL).
    pub issuer: String,
    /// Audience of Kura's tokens.
    pub audience: String,
    /// Clock leeway in seconds, for `exp`, `nbf` and `iat`; capped at [`MAX_LEEWAY_SECONDS`].
    pub leeway: u64,
    pub external: Vec<ExternalIssuer>,
}

/// Issues and verifies tokens with a node's keys and trusted issuers.
#[derive(Debug, Clone)]
pub struct Authority {
    pub keys: KeyStore,
    pub config: AuthConfig,
}

/// Keys and rules for the issuer a token claims.
struct Trust {
    key: DecodingKey,
    audience: String,
    kura_issued: bool,
}

fn map_error(e: jsonwebtoken::errors::Error) -> AuthError {
    match e.kind() {
        ErrorKind::InvalidSignature => AuthError::BadSignature,
        ErrorKind::InvalidAlgorithm => AuthError::AlgorithmNotAllowed("not the key's algorithm".into()),
        // The payload was already read as a JSON object; what is left is the header's shape.
        _ => AuthError::Malformed,
    }
}

fn is_hmac(alg: Algorithm) -> bool {
    matches!(alg, Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512)
}

impl Authority {
    /// Signs a token for `user` with `scope`, valid for `ttl` from `now`.
    pub fn issue(
        &self,
        user: &str,
        scope: Scope,
        ttl: chrono::Duration,
        now: DateTime<Utc>,
    ) -> Result<String, AuthError> {
        self.sign_claims(self.claims(user, scope, ttl, now))
    }

    /// Signs an `append` token for `user` that may append to `streams` (`dataset/table`) only:
    /// what a robot's API token becomes in a Flight Handshake.
    pub fn issue_append(
        &self,
        user: &str,
        streams: &[String],
        ttl: chrono::Duration,
        now: DateTime<Utc>,
    ) -> Result<String, AuthError> {
        let claims = KuraClaims { streams: streams.to_vec(), ..self.claims(user, Scope::Append, ttl, now) };
        self.sign_claims(claims)
    }

    /// Signs a read-only token for `user`, a user of the partner node `fed.node`.
    pub fn issue_federated(
        &self,
        user: &str,
        fed: FederatedClaim,
        ttl: chrono::Duration,
        now: DateTime<Utc>,
    ) -> Result<String, AuthError> {
        let claims = KuraClaims { fed: Some(fed), ..self.claims(user, Scope::Read, ttl, now) };
        self.sign_claims(claims)
    }

    fn claims(&self, user: &str, scope: Scope, ttl: chrono::Duration, now: DateTime<Utc>) -> KuraClaims {
        KuraClaims {
            iss: self.config.issuer.clone(),
            sub: user.to_owned(),
            aud: self.config.audience.clone(),
            exp: (now + ttl).timestamp(),
            iat: now.timestamp(),
            nbf: now.timestamp(),
            jti: uuid::Uuid::new_v4().to_string(),
            scope: scope.as_str().to_owned(),
            fed: None,
            streams: Vec::new(),
        }
    }

    fn sign_claims(&self, claims: KuraClaims) -> Result<String, AuthError> {
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(self.keys.kid());
        encode(&header, &claims, &self.keys.encoding_key()?).map_err(|e| AuthError::KeyStore(e.to_string()))
    }

    /// Verifies a bearer JWT against the issuer it claims, as of the system clock.
    pub fn verify(&self, token: &str) -> Result<Identity, AuthError> {
        self.verify_at(token, Utc::now())
    }

    /// Verifies a bearer JWT against the issuer it claims, as of `now`.
    pub fn verify_at(&self, token: &str, now: DateTime<Utc>) -> Result<Identity, AuthError> {
        let header = unverified::header(token)?;
        let issuer = unverified::issuer(token)?;
        let trust = self.trust(&issuer, &header.kid, header.alg)?;
        // Signature and algorithm only: the claims are checked below, against `now`.
        let mut validation = Validation::new(header.alg);
        validation.algorithms = vec![header.alg];
        validation.required_spec_claims.clear();
        validation.validate_exp = false;
        validation.validate_nbf = false;
        validation.validate_aud = false;
        let data =
            decode::<serde_json::Map<String, serde_json::Value>>(token, &trust.key, &validation).map_err(map_error)?;
        let leeway = self.config.leeway.min(MAX_LEEWAY_SECONDS) as i64;
        let checked = claims::check(&data.claims, &issuer, &trust.audience, now.timestamp(), leeway)?;
        // A Kura token without a scope may only read; an external one acts with its user's rights.
        let scope = match data.claims.get("scope") {
            _ if !trust.kura_issued => Scope::Write,
            None => Scope::Read,
            Some(serde_json::Value::String(s)) => {
                s.parse().map_err(|_| AuthError::InvalidClaims(format!("unknown scope {s:?}")))?
            }
            Some(other) => return Err(AuthError::InvalidClaims(format!("unknown scope {other}"))),
        };
        let federated = match data.claims.get("fed") {
            Some(fed) if trust.kura_issued => {
                Some(serde_json::from_value(fed.clone()).map_err(|e| AuthError::InvalidClaims(format!("fed: {e}")))?)
            }
            _ => None,
        };
        let streams = match data.claims.get("streams") {
            Some(streams) if trust.kura_issued && scope == Scope::Append => serde_json::from_value(streams.clone())
                .map_err(|e| AuthError::InvalidClaims(format!("streams: {e}")))?,
            _ => Vec::new(),
        };
        Ok(Identity { issuer, subject: checked.subject, scope, kura_issued: trust.kura_issued, federated, streams })
    }

    /// The key that may verify a token of `issuer` with `kid` and `alg`: the issuer decides which
    /// key set is searched, so one issuer's key never vouches for another.
    fn trust(&self, issuer: &str, kid: &str, alg: Algorithm) -> Result<Trust, AuthError> {
        let not_allowed = || AuthError::AlgorithmNotAllowed(format!("{alg:?}"));
        if issuer == self.config.issuer {
            if alg != Algorithm::EdDSA {
                return Err(not_allowed());
            }
            let key = self.keys.decoding_key(kid).ok_or_else(|| self.unknown_kid(kid))?;
            return Ok(Trust { key, audience: self.config.audience.clone(), kura_issued: true });
        }
        let external = self
            .config
            .external
            .iter()
            .find(|e| e.issuer == issuer)
            .ok_or_else(|| AuthError::UnknownIssuer(issuer.to_owned()))?;
        if is_hmac(alg) || !external.algorithms.contains(&alg) {
            return Err(not_allowed());
        }
        let jwk = external.jwks.find(kid).ok_or_else(|| self.unknown_kid(kid))?;
        if jwk.common.public_key_use.as_ref().is_some_and(|u| *u != PublicKeyUse::Signature) {
            return Err(AuthError::UnknownKid(kid.to_owned()));
        }
        if jwk.common.key_algorithm.is_some_and(|a| a != KeyAlgorithm::from(alg)) {
            return Err(not_allowed());
        }
        let key = DecodingKey::from_jwk(jwk).map_err(|_| AuthError::UnknownKid(kid.to_owned()))?;
        // An RSA algorithm with an EC key and the like: refused here rather than by the library.
        if key.family() != alg.family() {
            return Err(not_allowed());
        }
        Ok(Trust { key, audience: external.audience.clone(), kura_issued: false })
    }

    /// The refusal for a `kid` the claimed issuer does not have: named apart when another trusted
    /// issuer has it, which is an attempt to pass one issuer's token off as another's.
    fn unknown_kid(&self, kid: &str) -> AuthError {
        let ours = self.keys.decoding_key(kid).is_some();
        if ours || self.config.external.iter().any(|e| e.jwks.find(kid).is_some()) {
            AuthError::KeyOfAnotherIssuer(kid.to_owned())
        } else {
            AuthError::UnknownKid(kid.to_owned())
        }
    }
}

#[cfg(test)]
mod fixtures;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_external;
