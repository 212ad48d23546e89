//! The JWT negative suite: every way a token can be wrong is refused with its own reason.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use chrono::{Duration, Utc};
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use serde_json::{Value, json};

use super::*;

const KURA: &str = "https://kura.test";
const IDP: &str = "https://idp.example.ac.jp";

struct Fixture {
    authority: Authority,
    idp_keys: KeyStore,
}

fn fixture() -> Fixture {
    let idp_keys = KeyStore::generate();
    let jwks: JwkSet = serde_json::from_value(idp_keys.jwks()).unwrap();
    let external =
        ExternalIssuer { issuer: IDP.into(), audience: "kura-node-1".into(), jwks, algorithms: vec![Algorithm::EdDSA] };
    let config = AuthConfig { issuer: KURA.into(), audience: "kura".into(), leeway: 30, external: vec![external] };
    Fixture { authority: Authority { keys: KeyStore::generate(), config }, idp_keys }
}

fn claims(iss: &str, aud: &str) -> Value {
    let now = Utc::now().timestamp();
    json!({"iss": iss, "sub": "u-1", "aud": aud, "exp": now + 300, "iat": now, "nbf": now, "scope": "write"})
}

fn sign(keys: &KeyStore, kid: Option<String>, claims: &Value) -> String {
    let mut header = Header::new(Algorithm::EdDSA);
    header.kid = kid;
    encode(&header, claims, &keys.encoding_key()).unwrap()
}

fn kura_token(f: &Fixture, claims: &Value) -> String {
    sign(&f.authority.keys, Some(f.authority.keys.kid()), claims)
}

fn with(mut base: Value, key: &str, value: Value) -> Value {
    base[key] = value;
    base
}

fn without(mut base: Value, key: &str) -> Value {
    base.as_object_mut().unwrap().remove(key);
    base
}

#[test]
fn kura_tokens_round_trip() {
    let f = fixture();
    let token = f.authority.issue("user-7", "read", Duration::minutes(5), Utc::now()).unwrap();
    let identity = f.authority.verify(&token).unwrap();
    assert_eq!(
        identity,
        Identity { issuer: KURA.into(), subject: "user-7".into(), scope: "read".into(), kura_issued: true }
    );
}

#[test]
fn tokens_of_a_configured_identity_provider_verify() {
    let f = fixture();
    let token = sign(&f.idp_keys, Some(f.idp_keys.kid()), &claims(IDP, "kura-node-1"));
    let identity = f.authority.verify(&token).unwrap();
    assert_eq!(identity.issuer, IDP);
    assert!(!identity.kura_issued);
}

#[test]
fn unsigned_alg_none_is_refused() {
    let f = fixture();
    let header = B64.encode(json!({"alg": "none", "typ": "JWT", "kid": f.authority.keys.kid()}).to_string());
    let payload = B64.encode(claims(KURA, "kura").to_string());
    for token in [format!("{header}.{payload}."), format!("{header}.{payload}")] {
        let err = f.authority.verify(&token).unwrap_err();
        assert!(matches!(err, AuthError::AlgorithmNotAllowed(_) | AuthError::Malformed), "{err:?}");
    }
}

#[test]
fn hs256_signed_with_the_public_key_is_refused() {
    let f = fixture();
    let jwks = f.authority.keys.jwks();
    let public = B64.decode(jwks["keys"][0]["x"].as_str().unwrap()).unwrap();
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some(f.authority.keys.kid());
    let token = encode(&header, &claims(KURA, "kura"), &EncodingKey::from_secret(&public)).unwrap();
    assert!(matches!(f.authority.verify(&token), Err(AuthError::AlgorithmNotAllowed(_))));
}

#[test]
fn key_ids_must_be_present_and_known_to_the_claimed_issuer() {
    let f = fixture();
    let c = claims(KURA, "kura");
    assert_eq!(f.authority.verify(&sign(&f.authority.keys, None, &c)), Err(AuthError::MissingKid));
    assert!(matches!(
        f.authority.verify(&sign(&f.authority.keys, Some("nope".into()), &c)),
        Err(AuthError::UnknownKid(_))
    ));
    // Kura's key cannot vouch for the identity provider, nor the provider's key for Kura.
    let as_idp = sign(&f.authority.keys, Some(f.authority.keys.kid()), &claims(IDP, "kura-node-1"));
    assert!(matches!(f.authority.verify(&as_idp), Err(AuthError::UnknownKid(_))));
    let as_kura = sign(&f.idp_keys, Some(f.idp_keys.kid()), &claims(KURA, "kura"));
    assert!(matches!(f.authority.verify(&as_kura), Err(AuthError::UnknownKid(_))));
    // Another key presenting Kura's kid.
    let impostor = sign(&KeyStore::generate(), Some(f.authority.keys.kid()), &c);
    assert_eq!(f.authority.verify(&impostor), Err(AuthError::BadSignature));
}

#[test]
fn issuer_and_audience_must_match() {
    let f = fixture();
    let evil = sign(&f.authority.keys, Some(f.authority.keys.kid()), &claims("https://evil.example", "kura"));
    assert!(matches!(f.authority.verify(&evil), Err(AuthError::UnknownIssuer(_))));
    assert_eq!(f.authority.verify(&kura_token(&f, &claims(KURA, "someone-else"))), Err(AuthError::WrongAudience));
}

#[test]
fn time_claims_are_enforced_with_at_most_thirty_seconds_of_leeway() {
    let f = fixture();
    let now = Utc::now().timestamp();
    let base = claims(KURA, "kura");
    assert_eq!(
        f.authority.verify(&kura_token(&f, &with(base.clone(), "exp", json!(now - 60)))),
        Err(AuthError::Expired)
    );
    assert!(f.authority.verify(&kura_token(&f, &with(base.clone(), "exp", json!(now - 10)))).is_ok(), "within leeway");
    assert_eq!(
        f.authority.verify(&kura_token(&f, &with(base.clone(), "nbf", json!(now + 120)))),
        Err(AuthError::NotYetValid)
    );
    let mut lax = fixture();
    lax.authority.config.leeway = 3600;
    assert_eq!(
        lax.authority.verify(&kura_token(&lax, &with(base.clone(), "exp", json!(now - 60)))),
        Err(AuthError::Expired),
        "leeway is capped"
    );
}

#[test]
fn required_claims_must_be_present_and_well_typed() {
    let f = fixture();
    let base = claims(KURA, "kura");
    assert_eq!(
        f.authority.verify(&kura_token(&f, &without(base.clone(), "exp"))),
        Err(AuthError::MissingClaim("exp".into()))
    );
    assert!(matches!(
        f.authority.verify(&kura_token(&f, &without(base.clone(), "sub"))),
        Err(AuthError::MissingClaim(_))
    ));
    let string_exp = with(base.clone(), "exp", json!((Utc::now().timestamp() + 300).to_string()));
    let r = f.authority.verify(&kura_token(&f, &string_exp));
    // A non-numeric `exp` does not count as an expiry at all.
    assert_eq!(r, Err(AuthError::MissingClaim("exp".into())));
    let numeric_sub = with(base, "sub", json!(42));
    assert!(matches!(
        f.authority.verify(&kura_token(&f, &numeric_sub)),
        Err(AuthError::InvalidClaims(_) | AuthError::MissingClaim(_))
    ));
}

#[test]
fn tampering_breaks_the_signature() {
    let f = fixture();
    let token = kura_token(&f, &claims(KURA, "kura"));
    let parts: Vec<&str> = token.split('.').collect();
    let forged = B64.encode(with(claims(KURA, "kura"), "sub", json!("admin")).to_string());
    assert_eq!(f.authority.verify(&format!("{}.{forged}.{}", parts[0], parts[2])), Err(AuthError::BadSignature));
    let mut signature = B64.decode(parts[2]).unwrap();
    signature[0] ^= 1;
    assert_eq!(
        f.authority.verify(&format!("{}.{}.{}", parts[0], parts[1], B64.encode(signature))),
        Err(AuthError::BadSignature)
    );
}

#[test]
fn garbage_is_refused_without_panicking() {
    let f = fixture();
    for token in ["", ".", "..", "...", "a.b.c", "eyJhbGciOiJFZERTQSJ9.e30.", "not a token at all"] {
        assert!(f.authority.verify(token).is_err(), "{token:?}");
    }
    assert_eq!(f.authority.verify(&"a".repeat(1 << 20)), Err(AuthError::TooLarge));
}

#[test]
fn rotated_keys_verify_until_dropped() {
    let mut f = fixture();
    let old = f.authority.issue("u", "read", Duration::minutes(5), Utc::now()).unwrap();
    f.authority.keys.rotate();
    assert!(f.authority.verify(&old).is_ok());
    let new = f.authority.issue("u", "read", Duration::minutes(5), Utc::now()).unwrap();
    assert!(f.authority.verify(&new).is_ok());
    assert_eq!(f.authority.keys.jwks()["keys"].as_array().unwrap().len(), 2);
    f.authority.keys.drop_previous();
    assert!(matches!(f.authority.verify(&old), Err(AuthError::UnknownKid(_))));
    assert!(f.authority.verify(&new).is_ok());
}

#[test]
fn keys_persist_and_the_jwks_has_the_expected_shape() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("keys.json");
    let keys = KeyStore::load_or_create(&path).unwrap();
    let again = KeyStore::load_or_create(&path).unwrap();
    assert_eq!(keys.kid(), again.kid());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
    }
    let jwks = keys.jwks();
    let key = &jwks["keys"][0];
    assert_eq!(
        (key["kty"].as_str(), key["crv"].as_str(), key["alg"].as_str()),
        (Some("OKP"), Some("Ed25519"), Some("EdDSA"))
    );
    assert_eq!(key["kid"], keys.kid());
    assert_eq!(B64.decode(key["x"].as_str().unwrap()).unwrap().len(), 32);
}
