//! The JWT negative suite for Kura's own tokens: every way a token can be wrong is refused with
//! its own reason, and nothing panics.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use chrono::{DateTime, Duration, Utc};
use jsonwebtoken::{EncodingKey, encode};
use serde_json::{Value, json};

use super::*;

pub(super) const KURA: &str = "https://kura.test";
pub(super) const IDP: &str = "https://idp.example.ac.jp";

pub(super) struct Fixture {
    pub authority: Authority,
    pub idp_keys: KeyStore,
    pub now: DateTime<Utc>,
}

pub(super) fn fixture() -> Fixture {
    let idp_keys = KeyStore::generate();
    let jwks = ExternalIssuer::jwks_from_json(&idp_keys.jwks().to_string()).unwrap();
    let external =
        ExternalIssuer { issuer: IDP.into(), audience: "kura-node-1".into(), jwks, algorithms: vec![Algorithm::EdDSA] };
    let config = AuthConfig { issuer: KURA.into(), audience: "kura".into(), leeway: 30, external: vec![external] };
    Fixture { authority: Authority { keys: KeyStore::generate(), config }, idp_keys, now: Utc::now() }
}

impl Fixture {
    pub fn verify(&self, token: &str) -> Result<Identity, AuthError> {
        self.authority.verify_at(token, self.now)
    }

    pub fn claims(&self, iss: &str, aud: &str) -> Value {
        let now = self.now.timestamp();
        json!({"iss": iss, "sub": "u-1", "aud": aud, "exp": now + 300, "iat": now, "nbf": now, "scope": "write"})
    }

    fn kura_claims(&self) -> Value {
        self.claims(KURA, "kura")
    }

    fn kura_token(&self, claims: &Value) -> String {
        self.authority.keys.sign(claims).unwrap()
    }
}

pub(super) fn sign_with(alg: Algorithm, kid: Option<&str>, key: &EncodingKey, claims: &Value) -> String {
    let mut header = Header::new(alg);
    header.kid = kid.map(str::to_owned);
    encode(&header, claims, key).unwrap()
}

pub(super) fn with(mut base: Value, key: &str, value: Value) -> Value {
    if value.is_null() {
        base.as_object_mut().unwrap().remove(key);
    } else {
        base[key] = value;
    }
    base
}

fn segments(token: &str) -> Vec<String> {
    token.split('.').map(str::to_owned).collect()
}

#[test]
fn kura_tokens_round_trip() {
    let f = fixture();
    let token = f.authority.issue("user-7", Scope::Read, Duration::minutes(5), f.now).unwrap();
    assert_eq!(
        f.verify(&token),
        Ok(Identity {
            issuer: KURA.into(),
            subject: "user-7".into(),
            scope: Scope::Read,
            kura_issued: true,
            federated: None,
            streams: Vec::new()
        })
    );
    assert!(f.authority.verify(&token).is_ok(), "and against the system clock");
    let header: Value = serde_json::from_slice(&B64.decode(segments(&token)[0].as_bytes()).unwrap()).unwrap();
    assert_eq!((header["alg"].as_str(), header["kid"].as_str()), (Some("EdDSA"), Some(&*f.authority.keys.kid())));
    let claims: KuraClaims = serde_json::from_slice(&B64.decode(segments(&token)[1].as_bytes()).unwrap()).unwrap();
    assert_eq!((claims.exp - claims.iat, claims.nbf, claims.aud.as_str()), (300, claims.iat, "kura"));
    assert!(uuid::Uuid::parse_str(&claims.jti).is_ok());
}

#[test]
fn a_kura_token_without_a_scope_may_only_read() {
    let f = fixture();
    let identity = f.verify(&f.kura_token(&with(f.kura_claims(), "scope", Value::Null))).unwrap();
    assert_eq!(identity.scope, Scope::Read);
}

/// One row per way a Kura-issued token can be wrong, each with the reason it must be refused for.
#[test]
fn the_negative_suite() {
    let f = fixture();
    let keys = &f.authority.keys;
    let kid = keys.kid();
    let now = f.now.timestamp();
    let c = f.kura_claims();
    let good = segments(&f.kura_token(&c));
    let public = B64.decode(keys.jwks()["keys"][0]["x"].as_str().unwrap()).unwrap();
    let none_header = B64.encode(json!({"alg": "none", "typ": "JWT", "kid": kid}).to_string());
    let forged_payload = B64.encode(with(c.clone(), "sub", json!("admin")).to_string());
    let mut flipped = B64.decode(&good[2]).unwrap();
    flipped[0] ^= 1;
    let idp_kid = f.idp_keys.kid();
    let idp_claims = f.claims(IDP, "kura-node-1");
    let kura_key = keys.encoding_key().unwrap();

    let cases: Vec<(&str, String, AuthError)> = vec![
        ("alg none", format!("{none_header}.{}.", good[1]), AuthError::AlgorithmNotAllowed("none".into())),
        ("alg none without a signature segment", format!("{none_header}.{}", good[1]), AuthError::Malformed),
        (
            "hs256 keyed with the public key bytes",
            sign_with(Algorithm::HS256, Some(&kid), &EncodingKey::from_secret(&public), &c),
            AuthError::AlgorithmNotAllowed("HS256".into()),
        ),
        (
            "hs256 keyed with the published jwks text",
            sign_with(Algorithm::HS256, Some(&kid), &EncodingKey::from_secret(keys.jwks().to_string().as_bytes()), &c),
            AuthError::AlgorithmNotAllowed("HS256".into()),
        ),
        (
            "rs256 for kura's issuer",
            sign_with(Algorithm::RS256, Some(&kid), &super::fixtures::rsa_key(), &c),
            AuthError::AlgorithmNotAllowed("RS256".into()),
        ),
        ("missing kid", sign_with(Algorithm::EdDSA, None, &kura_key, &c), AuthError::MissingKid),
        ("unknown kid", sign_with(Algorithm::EdDSA, Some("nope"), &kura_key, &c), AuthError::UnknownKid("nope".into())),
        (
            "another ed25519 key presenting kura's kid",
            sign_with(Algorithm::EdDSA, Some(&kid), &KeyStore::generate().encoding_key().unwrap(), &c),
            AuthError::BadSignature,
        ),
        (
            "untrusted issuer",
            f.kura_token(&with(c.clone(), "iss", json!("https://evil.example"))),
            AuthError::UnknownIssuer("https://evil.example".into()),
        ),
        ("issuer missing", f.kura_token(&with(c.clone(), "iss", Value::Null)), AuthError::MissingClaim("iss".into())),
        (
            "the identity provider's issuer signed with kura's key",
            sign_with(Algorithm::EdDSA, Some(&kid), &kura_key, &idp_claims),
            AuthError::KeyOfAnotherIssuer(kid.clone()),
        ),
        (
            "the identity provider's issuer and kid signed with kura's key",
            sign_with(Algorithm::EdDSA, Some(&idp_kid), &kura_key, &idp_claims),
            AuthError::BadSignature,
        ),
        ("kura's issuer signed with the identity provider's key", f.idp_keys.sign(&c).unwrap(), {
            AuthError::KeyOfAnotherIssuer(idp_kid.clone())
        }),
        ("wrong audience", f.kura_token(&with(c.clone(), "aud", json!("kura-node-1"))), AuthError::WrongAudience),
        ("audience missing", f.kura_token(&with(c.clone(), "aud", Value::Null)), AuthError::MissingClaim("aud".into())),
        ("expired beyond the leeway", f.kura_token(&with(c.clone(), "exp", json!(now - 31))), AuthError::Expired),
        (
            "not valid for another minute",
            f.kura_token(&with(c.clone(), "nbf", json!(now + 60))),
            AuthError::NotYetValid,
        ),
        ("issued in the future", f.kura_token(&with(c.clone(), "iat", json!(now + 3600))), AuthError::NotYetValid),
        (
            "exp as a string",
            f.kura_token(&with(c.clone(), "exp", json!((now + 300).to_string()))),
            AuthError::InvalidClaims("exp is not a numeric date".into()),
        ),
        ("exp missing", f.kura_token(&with(c.clone(), "exp", Value::Null)), AuthError::MissingClaim("exp".into())),
        ("sub missing", f.kura_token(&with(c.clone(), "sub", Value::Null)), AuthError::MissingClaim("sub".into())),
        (
            "sub a number",
            f.kura_token(&with(c.clone(), "sub", json!(42))),
            AuthError::InvalidClaims("sub is not a non-empty string".into()),
        ),
        (
            "unknown scope",
            f.kura_token(&with(c.clone(), "scope", json!("root"))),
            AuthError::InvalidClaims("unknown scope \"root\"".into()),
        ),
        ("tampered payload", format!("{}.{forged_payload}.{}", good[0], good[2]), AuthError::BadSignature),
        ("tampered signature", format!("{}.{}.{}", good[0], good[1], B64.encode(&flipped)), AuthError::BadSignature),
        ("signature removed", format!("{}.{}.", good[0], good[1]), AuthError::BadSignature),
        ("signature not base64url", format!("{}.{}.!!", good[0], good[1]), AuthError::Malformed),
    ];
    for (name, token, expected) in &cases {
        assert_eq!(f.verify(token).as_ref(), Err(expected), "{name}");
    }
    assert!(f.verify(&format!("{}.{}.{}", good[0], good[1], good[2])).is_ok(), "the untouched token verifies");
}

#[test]
fn time_claims_have_thirty_seconds_of_leeway_and_no_more() {
    let f = fixture();
    let now = f.now.timestamp();
    let c = f.kura_claims();
    assert!(f.verify(&f.kura_token(&with(c.clone(), "exp", json!(now - 29)))).is_ok(), "expired within leeway");
    assert_eq!(f.verify(&f.kura_token(&with(c.clone(), "exp", json!(now - 31)))), Err(AuthError::Expired));
    assert!(f.verify(&f.kura_token(&with(c.clone(), "nbf", json!(now + 29)))).is_ok(), "early within leeway");
    assert_eq!(f.verify(&f.kura_token(&with(c.clone(), "nbf", json!(now + 31)))), Err(AuthError::NotYetValid));
    let issued = f.authority.issue("u", Scope::Read, Duration::minutes(5), f.now).unwrap();
    assert!(f.authority.verify_at(&issued, f.now + Duration::seconds(329)).is_ok());
    assert_eq!(f.authority.verify_at(&issued, f.now + Duration::seconds(331)), Err(AuthError::Expired));

    let mut lax = fixture();
    lax.authority.config.leeway = 3600;
    let expired = lax.kura_token(&with(lax.kura_claims(), "exp", json!(lax.now.timestamp() - 60)));
    assert_eq!(lax.verify(&expired), Err(AuthError::Expired), "a configured leeway is capped at 30 s");
}

#[test]
fn garbage_is_refused_without_panicking() {
    let f = fixture();
    for token in ["", ".", "..", "...", "a.b.c", "e30.e30.", "not a token at all", "Bearer x.y.z"] {
        assert_eq!(f.verify(token), Err(AuthError::Malformed), "{token:?}");
    }
    assert_eq!(f.verify("eyJhbGciOiJFZERTQSJ9.e30."), Err(AuthError::MissingKid), "{{\"alg\":\"EdDSA\"}}.{{}}.");
    let valid = f.kura_token(&f.kura_claims());
    assert_eq!(f.verify(&"a".repeat(1 << 20)), Err(AuthError::TooLarge));
    assert_eq!(f.verify(&format!("{valid}{}", "A".repeat(1 << 20))), Err(AuthError::TooLarge));
    let bytes: Vec<char> = "\u{0}\u{ff}é😀.".chars().collect();
    for n in 0..200 {
        let token: String = (0..n).map(|i| bytes[(i * 7 + n) % bytes.len()]).collect();
        assert!(f.verify(&token).is_err(), "{token:?}");
    }
}

#[test]
fn rotated_keys_verify_until_dropped() {
    let mut f = fixture();
    let old = f.authority.issue("u", Scope::Read, Duration::minutes(5), f.now).unwrap();
    f.authority.keys.rotate();
    assert!(f.verify(&old).is_ok(), "the old key is still published");
    let new = f.authority.issue("u", Scope::Read, Duration::minutes(5), f.now).unwrap();
    assert_ne!(segments(&old)[0], segments(&new)[0], "new tokens name the new kid");
    assert!(f.verify(&new).is_ok());
    assert_eq!(f.authority.keys.jwks()["keys"].as_array().unwrap().len(), 2);
    f.authority.keys.drop_previous();
    assert!(matches!(f.verify(&old), Err(AuthError::UnknownKid(_))));
    assert!(f.verify(&new).is_ok());
    assert_eq!(f.authority.keys.jwks()["keys"].as_array().unwrap().len(), 1);
}
