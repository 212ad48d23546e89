//! The registered claims of a token whose signature has verified, checked against an explicit
//! `now` so that every boundary is testable without sleeping.

use serde_json::{Map, Value};

use crate::AuthError;

/// What the checks establish.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Checked {
    pub subject: String,
}

/// A NumericDate (RFC 7519 §2): a JSON number of seconds, fractions allowed; nothing else.
fn numeric_date(claims: &Map<String, Value>, name: &str) -> Result<Option<i64>, AuthError> {
    match claims.get(name) {
        None => Ok(None),
        // `as` saturates: absurdly large dates stay absurdly large instead of wrapping.
        Some(Value::Number(n)) => match n.as_i64() {
            Some(seconds) => Ok(Some(seconds)),
            None => n
                .as_f64()
                .filter(|f| f.is_finite())
                .map(|f| Some(f.floor() as i64))
                .ok_or_else(|| AuthError::InvalidClaims(format!("{name} is not a numeric date"))),
        },
        Some(_) => Err(AuthError::InvalidClaims(format!("{name} is not a numeric date"))),
    }
}

/// Whether `aud` (a string or an array of strings, RFC 7519 §4.1.3) names `audience`.
fn audience_matches(claims: &Map<String, Value>, audience: &str) -> Result<bool, AuthError> {
    let invalid = || AuthError::InvalidClaims("aud is not a string or an array of strings".into());
    match claims.get("aud") {
        None => Err(AuthError::MissingClaim("aud".into())),
        Some(Value::String(aud)) => Ok(aud == audience),
        Some(Value::Array(auds)) => {
            let auds: Vec<&str> = auds.iter().map(Value::as_str).collect::<Option<_>>().ok_or_else(invalid)?;
            Ok(auds.contains(&audience))
        }
        Some(_) => Err(invalid()),
    }
}

/// Checks `iss`, `exp` (required), `nbf` and `iat` (if present; neither may lie in the future),
/// `aud` (required, must name `audience`) and `sub` (required, a non-empty string), with
/// `leeway` seconds of clock skew on every time.
pub(super) fn check(
    claims: &Map<String, Value>,
    issuer: &str,
    audience: &str,
    now: i64,
    leeway: i64,
) -> Result<Checked, AuthError> {
    // The key was chosen by this very claim before verification; the same bytes cannot differ.
    if claims.get("iss").and_then(Value::as_str) != Some(issuer) {
        return Err(AuthError::Malformed);
    }
    let exp = numeric_date(claims, "exp")?.ok_or_else(|| AuthError::MissingClaim("exp".into()))?;
    let nbf = numeric_date(claims, "nbf")?;
    let iat = numeric_date(claims, "iat")?;
    // RFC 7519 §4.1.4: the current time must be before `exp`.
    if now >= exp.saturating_add(leeway) {
        return Err(AuthError::Expired);
    }
    if [nbf, iat].into_iter().flatten().any(|t| t > now.saturating_add(leeway)) {
        return Err(AuthError::NotYetValid);
    }
    if !audience_matches(claims, audience)? {
        return Err(AuthError::WrongAudience);
    }
    match claims.get("sub") {
        Some(Value::String(sub)) if !sub.is_empty() => Ok(Checked { subject: sub.clone() }),
        None => Err(AuthError::MissingClaim("sub".into())),
        Some(_) => Err(AuthError::InvalidClaims("sub is not a non-empty string".into())),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const NOW: i64 = 1_800_000_000;

    fn run(patch: Value) -> Result<Checked, AuthError> {
        let mut claims = json!({"iss": "i", "aud": "a", "sub": "s", "exp": NOW + 60, "nbf": NOW, "iat": NOW});
        for (k, v) in patch.as_object().unwrap() {
            if v.is_null() {
                claims.as_object_mut().unwrap().remove(k);
            } else {
                claims[k] = v.clone();
            }
        }
        check(claims.as_object().unwrap(), "i", "a", NOW, 30)
    }

    #[test]
    fn claim_checks_table() {
        let ok = Ok(Checked { subject: "s".into() });
        let invalid = |m: &str| Err(AuthError::InvalidClaims(m.into()));
        let cases = [
            (json!({}), ok.clone()),
            (json!({"exp": NOW - 29}), ok.clone()),
            (json!({"exp": NOW - 30}), Err(AuthError::Expired)),
            (json!({"exp": NOW - 31}), Err(AuthError::Expired)),
            (json!({"exp": NOW as f64 + 0.5}), ok.clone()),
            (json!({"exp": null}), Err(AuthError::MissingClaim("exp".into()))),
            (json!({"exp": (NOW + 60).to_string()}), invalid("exp is not a numeric date")),
            (json!({"exp": true}), invalid("exp is not a numeric date")),
            (json!({"exp": u64::MAX}), ok.clone()),
            (json!({"exp": 1e300}), ok.clone()),
            (json!({"exp": i64::MIN}), Err(AuthError::Expired)),
            (json!({"nbf": NOW + 30}), ok.clone()),
            (json!({"nbf": NOW + 31}), Err(AuthError::NotYetValid)),
            (json!({"nbf": null, "iat": null}), ok.clone()),
            (json!({"nbf": "soon"}), invalid("nbf is not a numeric date")),
            (json!({"iat": NOW + 3600}), Err(AuthError::NotYetValid)),
            (json!({"aud": "b"}), Err(AuthError::WrongAudience)),
            (json!({"aud": ["b", "a"]}), ok.clone()),
            (json!({"aud": ["b"]}), Err(AuthError::WrongAudience)),
            (json!({"aud": []}), Err(AuthError::WrongAudience)),
            (json!({"aud": ["a", 1]}), invalid("aud is not a string or an array of strings")),
            (json!({"aud": null}), Err(AuthError::MissingClaim("aud".into()))),
            (json!({"sub": null}), Err(AuthError::MissingClaim("sub".into()))),
            (json!({"sub": ""}), invalid("sub is not a non-empty string")),
            (json!({"sub": 42}), invalid("sub is not a non-empty string")),
            (json!({"iss": "other"}), Err(AuthError::Malformed)),
        ];
        for (patch, expected) in cases {
            assert_eq!(run(patch.clone()), expected, "{patch}");
        }
    }
}
