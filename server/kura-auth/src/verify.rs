//! Issuing Kura's JWTs and verifying any bearer JWT against the issuer it claims: Kura's own keys
//! for Kura's issuer, a configured identity provider's JWKS for theirs, nothing else. Every
//! check is explicit: algorithm allow-list per issuer, `kid` required, `exp`/`iss`/`aud`/`sub`
//! required, `nbf` honoured, clock leeway at most 30 s.

use std::collections::HashSet;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use chrono::{DateTime, Utc};
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Header, Validation, decode, decode_header, encode};
use serde::{Deserialize, Serialize};

use crate::{AuthError, KeyStore};

/// Longest token accepted: real JWTs are a few kilobytes.
const MAX_TOKEN_BYTES: usize = 16 * 1024;
/// Largest clock leeway allowed.
const MAX_LEEWAY: u64 = 30;

/// Claims of the tokens Kura issues.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KuraClaims {
    pub iss: String,
    /// The user id.
    pub sub: String,
    pub aud: String,
    pub exp: i64,
    pub iat: i64,
    pub nbf: i64,
    pub jti: String,
    /// `read`, `write` or `admin`: what the token may do of what its user may do.
    pub scope: String,
}

/// A trusted external identity provider.
#[derive(Debug, Clone)]
pub struct ExternalIssuer {
    pub issuer: String,
    /// The audience its tokens must carry for this Kura node.
    pub audience: String,
    pub jwks: JwkSet,
    /// Algorithms accepted from it (e.g. RS256, ES256, EdDSA). Never HS*.
    pub algorithms: Vec<Algorithm>,
}

/// Who a verified token says the caller is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub issuer: String,
    pub subject: String,
    /// Scope for Kura's own tokens; external tokens act with their user's full rights (`write`).
    pub scope: String,
    /// Kura's own token (subject is a Kura user id) or an external provider's.
    pub kura_issued: bool,
}

/// Issuer settings of this node.
#[derive(Debug, Clone)]
pub struct AuthConfig {
    /// Kura's issuer (its base URL).
    pub issuer: String,
    /// Audience of Kura's tokens.
    pub audience: String,
    /// Clock leeway in seconds (capped at 30).
    pub leeway: u64,
    pub external: Vec<ExternalIssuer>,
}

/// Issues and verifies tokens with a node's keys and trusted issuers.
#[derive(Debug, Clone)]
pub struct Authority {
    pub keys: KeyStore,
    pub config: AuthConfig,
}

#[derive(Deserialize)]
struct UnverifiedIssuer {
    iss: Option<serde_json::Value>,
}

/// Reads `iss` from the payload without trusting it: only to choose which keys may verify.
fn claimed_issuer(token: &str) -> Result<String, AuthError> {
    let payload = token.split('.').nth(1).ok_or(AuthError::Malformed)?;
    let bytes = B64.decode(payload).map_err(|_| AuthError::Malformed)?;
    let claims: UnverifiedIssuer = serde_json::from_slice(&bytes).map_err(|_| AuthError::Malformed)?;
    match claims.iss {
        Some(serde_json::Value::String(iss)) => Ok(iss),
        Some(_) => Err(AuthError::InvalidClaims("iss is not a string".into())),
        None => Err(AuthError::MissingClaim("iss".into())),
    }
}

fn map_error(e: jsonwebtoken::errors::Error) -> AuthError {
    match e.kind() {
        ErrorKind::InvalidSignature => AuthError::BadSignature,
        ErrorKind::ExpiredSignature => AuthError::Expired,
        ErrorKind::ImmatureSignature => AuthError::NotYetValid,
        ErrorKind::InvalidIssuer => AuthError::WrongIssuer,
        ErrorKind::InvalidAudience => AuthError::WrongAudience,
        ErrorKind::MissingRequiredClaim(c) => AuthError::MissingClaim(c.clone()),
        ErrorKind::InvalidClaimFormat(c) => AuthError::InvalidClaims(c.clone()),
        ErrorKind::InvalidAlgorithm => AuthError::AlgorithmNotAllowed("mismatch".into()),
        ErrorKind::Json(e) => AuthError::InvalidClaims(e.to_string()),
        _ => AuthError::Malformed,
    }
}

#[derive(Deserialize)]
struct AnyClaims {
    #[serde(default)]
    sub: Option<serde_json::Value>,
    #[serde(default)]
    scope: Option<String>,
}

impl Authority {
    /// Signs a token for `user` with `scope`, valid for `ttl` from `now`.
    pub fn issue(
        &self,
        user: &str,
        scope: &str,
        ttl: chrono::Duration,
        now: DateTime<Utc>,
    ) -> Result<String, AuthError> {
        let claims = KuraClaims {
            iss: self.config.issuer.clone(),
            sub: user.to_owned(),
            aud: self.config.audience.clone(),
            exp: (now + ttl).timestamp(),
            iat: now.timestamp(),
            nbf: now.timestamp(),
            jti: uuid::Uuid::new_v4().to_string(),
            scope: scope.to_owned(),
        };
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(self.keys.kid());
        encode(&header, &claims, &self.keys.encoding_key()).map_err(|e| AuthError::KeyStore(e.to_string()))
    }

    /// Verifies a bearer JWT against the issuer it claims.
    pub fn verify(&self, token: &str) -> Result<Identity, AuthError> {
        if token.len() > MAX_TOKEN_BYTES {
            return Err(AuthError::TooLarge);
        }
        if token.split('.').count() != 3 {
            return Err(AuthError::Malformed);
        }
        let header = decode_header(token).map_err(|e| match e.kind() {
            ErrorKind::InvalidAlgorithmName | ErrorKind::UnsupportedAlgorithm => {
                AuthError::AlgorithmNotAllowed("unknown".into())
            }
            _ => AuthError::Malformed,
        })?;
        let kid = header.kid.clone().ok_or(AuthError::MissingKid)?;
        let issuer = claimed_issuer(token)?;
        let (key, algorithms, audience, kura_issued) = if issuer == self.config.issuer {
            let key = self.keys.decoding_key(&kid).ok_or_else(|| AuthError::UnknownKid(kid.clone()))?;
            (key, vec![Algorithm::EdDSA], self.config.audience.clone(), true)
        } else if let Some(external) = self.config.external.iter().find(|e| e.issuer == issuer) {
            let jwk = external.jwks.find(&kid).ok_or_else(|| AuthError::UnknownKid(kid.clone()))?;
            let key = DecodingKey::from_jwk(jwk).map_err(|_| AuthError::UnknownKid(kid.clone()))?;
            (key, external.algorithms.clone(), external.audience.clone(), false)
        } else {
            return Err(AuthError::UnknownIssuer(issuer));
        };
        if !algorithms.contains(&header.alg)
            || matches!(header.alg, Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512)
        {
            return Err(AuthError::AlgorithmNotAllowed(format!("{:?}", header.alg)));
        }
        let mut validation = Validation::new(header.alg);
        validation.algorithms = vec![header.alg];
        validation.leeway = self.config.leeway.min(MAX_LEEWAY);
        validation.validate_exp = true;
        validation.validate_nbf = true;
        validation.required_spec_claims =
            HashSet::from(["exp".to_owned(), "iss".to_owned(), "aud".to_owned(), "sub".to_owned()]);
        validation.set_issuer(&[issuer.as_str()]);
        validation.set_audience(&[audience.as_str()]);
        let data = decode::<AnyClaims>(token, &key, &validation).map_err(map_error)?;
        let subject = match data.claims.sub {
            Some(serde_json::Value::String(s)) if !s.is_empty() => s,
            None => return Err(AuthError::MissingClaim("sub".into())),
            Some(_) => return Err(AuthError::InvalidClaims("sub is not a non-empty string".into())),
        };
        let scope = if kura_issued { data.claims.scope.unwrap_or_else(|| "read".into()) } else { "write".into() };
        if !["read", "write", "admin"].contains(&scope.as_str()) {
            return Err(AuthError::InvalidClaims(format!("unknown scope {scope:?}")));
        }
        Ok(Identity { issuer, subject, scope, kura_issued })
    }
}

#[cfg(test)]
mod tests;
