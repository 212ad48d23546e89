//! What a token says about itself before anything is trusted: read only to choose the key set
//! and algorithm, and to refuse early what can never verify.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use jsonwebtoken::Algorithm;
use serde_json::{Map, Value};

use crate::AuthError;

/// Longest token accepted: real JWTs are a few kilobytes.
pub(crate) const MAX_TOKEN_BYTES: usize = 16 * 1024;

/// The header fields verification depends on.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct UnverifiedHeader {
    pub alg: Algorithm,
    pub kid: String,
}

/// The JSON object in segment `index` of a compact JWS with exactly three segments.
fn segment(token: &str, index: usize) -> Result<Map<String, Value>, AuthError> {
    if token.len() > MAX_TOKEN_BYTES {
        return Err(AuthError::TooLarge);
    }
    any_segment(token, index)
}

/// [`segment`] whatever the token's length (the caller bounds it: a form body, say).
fn any_segment(token: &str, index: usize) -> Result<Map<String, Value>, AuthError> {
    let mut parts = token.split('.');
    let (Some(header), Some(payload), Some(_), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
        return Err(AuthError::Malformed);
    };
    let text = if index == 0 { header } else { payload };
    let bytes = B64.decode(text).map_err(|_| AuthError::Malformed)?;
    serde_json::from_slice(&bytes).map_err(|_| AuthError::Malformed)
}

/// The algorithm and key id the header names. Algorithms outside JWA's signature algorithms
/// (`none` first of all) are refused here; whether the issuer allows it is decided later.
pub(super) fn header(token: &str) -> Result<UnverifiedHeader, AuthError> {
    let header = segment(token, 0)?;
    let Some(Value::String(alg)) = header.get("alg") else {
        return Err(AuthError::Malformed);
    };
    let alg = alg.parse::<Algorithm>().map_err(|_| AuthError::AlgorithmNotAllowed(alg.chars().take(20).collect()))?;
    // RFC 7515 §4.1.11: extensions marked critical must be understood, and Kura knows none.
    if header.contains_key("crit") {
        return Err(AuthError::CriticalHeader);
    }
    match header.get("kid") {
        None => Err(AuthError::MissingKid),
        Some(Value::String(kid)) if kid.is_empty() => Err(AuthError::MissingKid),
        Some(Value::String(kid)) => Ok(UnverifiedHeader { alg, kid: kid.clone() }),
        Some(_) => Err(AuthError::Malformed),
    }
}

/// The payload's claims, unverified and of any length: for reading what a token says of itself
/// where the reader does not verify it (a peer's token handed on, an assertion choosing its
/// keys; an assertion carries visas and may outgrow a bearer token's limit, its body is bounded).
pub fn claims(token: &str) -> Result<Map<String, Value>, AuthError> {
    any_segment(token, 1)
}

/// The issuer the payload claims, which decides the only key set that may verify it.
pub(super) fn issuer(token: &str) -> Result<String, AuthError> {
    match segment(token, 1)?.remove("iss") {
        Some(Value::String(iss)) => Ok(iss),
        Some(_) => Err(AuthError::InvalidClaims("iss is not a string".into())),
        None => Err(AuthError::MissingClaim("iss".into())),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn token(header: Value, payload: Value) -> String {
        format!("{}.{}.c2ln", B64.encode(header.to_string()), B64.encode(payload.to_string()))
    }

    #[test]
    fn the_header_must_name_a_signature_algorithm_and_a_key() {
        let iss = json!({"iss": "k"});
        let cases = [
            (json!({"alg": "EdDSA", "kid": "k1"}), Ok(UnverifiedHeader { alg: Algorithm::EdDSA, kid: "k1".into() })),
            (json!({"alg": "none", "kid": "k1"}), Err(AuthError::AlgorithmNotAllowed("none".into()))),
            (json!({"alg": "EdDSA"}), Err(AuthError::MissingKid)),
            (json!({"alg": "EdDSA", "kid": ""}), Err(AuthError::MissingKid)),
            (json!({"alg": "EdDSA", "kid": 7}), Err(AuthError::Malformed)),
            (json!({"kid": "k1"}), Err(AuthError::Malformed)),
            (json!({"alg": "EdDSA", "kid": "k1", "crit": ["exp"]}), Err(AuthError::CriticalHeader)),
            (json!(["EdDSA"]), Err(AuthError::Malformed)),
        ];
        for (h, expected) in cases {
            assert_eq!(header(&token(h.clone(), iss.clone())), expected, "{h}");
        }
    }

    #[test]
    fn the_issuer_is_read_but_must_be_a_string() {
        let h = json!({"alg": "EdDSA", "kid": "k1"});
        assert_eq!(issuer(&token(h.clone(), json!({"iss": "a"}))), Ok("a".into()));
        assert_eq!(issuer(&token(h.clone(), json!({}))), Err(AuthError::MissingClaim("iss".into())));
        assert!(matches!(issuer(&token(h, json!({"iss": ["a"]}))), Err(AuthError::InvalidClaims(_))));
    }

    #[test]
    fn only_three_segments_of_base64url_json_are_read() {
        for t in ["", ".", "..", "...", "a.b", "a.b.c", "a.b.c.d", "e30.e30", "e30=.e30.", "not a token at all"] {
            assert_eq!(header(t), Err(AuthError::Malformed), "{t:?}");
        }
        assert_eq!(header(&"a".repeat(MAX_TOKEN_BYTES + 1)), Err(AuthError::TooLarge));
    }
}
