//! Tokens of trusted identity providers: verified with their own JWKS and the algorithms they
//! were configured with, and with nothing else.

use jsonwebtoken::EncodingKey;
use serde_json::{Value, json};

use super::fixtures::{EC_X, EC_Y, RSA_E, RSA_N, ec_key, rsa_key};
use super::tests::{IDP, fixture, sign_with, with};
use super::*;

const RSA_IDP: &str = "https://keycloak.example.org/realms/lab";
const EC_IDP: &str = "https://login.example.edu";

fn rsa_jwk(alg: Option<&str>, usage: &str) -> Value {
    let mut jwk = json!({"kty": "RSA", "kid": "rsa-1", "use": usage, "n": RSA_N, "e": RSA_E});
    if let Some(alg) = alg {
        jwk["alg"] = json!(alg);
    }
    jwk
}

fn ec_jwk(alg: Option<&str>) -> Value {
    let mut jwk = json!({"kty": "EC", "crv": "P-256", "kid": "ec-1", "use": "sig", "x": EC_X, "y": EC_Y});
    if let Some(alg) = alg {
        jwk["alg"] = json!(alg);
    }
    jwk
}

fn issuer(issuer: &str, keys: Vec<Value>, algorithms: &[Algorithm]) -> ExternalIssuer {
    ExternalIssuer {
        issuer: issuer.into(),
        audience: "kura-node-1".into(),
        jwks: ExternalIssuer::jwks_from_json(&json!({ "keys": keys }).to_string()).unwrap(),
        algorithms: algorithms.to_vec(),
    }
}

/// Kura's fixture plus an RS256 provider and an ES256 provider.
fn providers() -> super::tests::Fixture {
    let mut f = fixture();
    f.authority.config.external.push(issuer(RSA_IDP, vec![rsa_jwk(Some("RS256"), "sig")], &[Algorithm::RS256]));
    f.authority.config.external.push(issuer(EC_IDP, vec![ec_jwk(Some("ES256"))], &[Algorithm::ES256]));
    f
}

fn claims(f: &super::tests::Fixture, iss: &str) -> Value {
    with(f.claims(iss, "kura-node-1"), "scope", json!("openid profile"))
}

#[test]
fn tokens_of_configured_providers_verify_with_their_algorithms() {
    let f = providers();
    let cases = [
        (IDP, f.idp_keys.sign(&claims(&f, IDP)).unwrap()),
        (RSA_IDP, sign_with(Algorithm::RS256, Some("rsa-1"), &rsa_key(), &claims(&f, RSA_IDP))),
        (EC_IDP, sign_with(Algorithm::ES256, Some("ec-1"), &ec_key(), &claims(&f, EC_IDP))),
    ];
    for (iss, token) in cases {
        let expected = Identity {
            issuer: iss.into(),
            subject: "u-1".into(),
            scope: Scope::Write,
            kura_issued: false,
            federated: None,
            streams: Vec::new(),
        };
        assert_eq!(f.verify(&token), Ok(expected), "{iss}");
    }
    let several_audiences = with(claims(&f, RSA_IDP), "aud", json!(["account", "kura-node-1"]));
    assert!(f.verify(&sign_with(Algorithm::RS256, Some("rsa-1"), &rsa_key(), &several_audiences)).is_ok());
}

#[test]
fn providers_are_held_to_their_own_keys_algorithms_and_audience() {
    let f = providers();
    let rsa = |alg, kid: &str, claims: &Value| sign_with(alg, Some(kid), &rsa_key(), claims);
    let cases: Vec<(&str, String, AuthError)> = vec![
        (
            "es256 token for an rs256-only provider",
            sign_with(Algorithm::ES256, Some("rsa-1"), &ec_key(), &claims(&f, RSA_IDP)),
            AuthError::AlgorithmNotAllowed("ES256".into()),
        ),
        (
            "the ec provider's key for the rsa provider's issuer",
            sign_with(Algorithm::ES256, Some("ec-1"), &ec_key(), &claims(&f, RSA_IDP)),
            AuthError::AlgorithmNotAllowed("ES256".into()),
        ),
        ("rs384 from an rs256-only provider", rsa(Algorithm::RS384, "rsa-1", &claims(&f, RSA_IDP)), {
            AuthError::AlgorithmNotAllowed("RS384".into())
        }),
        ("the rsa provider's kid claimed by the ec provider", rsa(Algorithm::RS256, "rsa-1", &claims(&f, EC_IDP)), {
            AuthError::AlgorithmNotAllowed("RS256".into())
        }),
        (
            "hs256 keyed with the provider's modulus",
            sign_with(
                Algorithm::HS256,
                Some("rsa-1"),
                &EncodingKey::from_secret(RSA_N.as_bytes()),
                &claims(&f, RSA_IDP),
            ),
            AuthError::AlgorithmNotAllowed("HS256".into()),
        ),
        ("unknown kid", rsa(Algorithm::RS256, "rsa-2", &claims(&f, RSA_IDP)), AuthError::UnknownKid("rsa-2".into())),
        (
            "kura's own audience",
            rsa(Algorithm::RS256, "rsa-1", &with(claims(&f, RSA_IDP), "aud", json!("kura"))),
            AuthError::WrongAudience,
        ),
        (
            "expired",
            rsa(Algorithm::RS256, "rsa-1", &with(claims(&f, RSA_IDP), "exp", json!(f.now.timestamp() - 60))),
            AuthError::Expired,
        ),
        (
            "subject missing",
            rsa(Algorithm::RS256, "rsa-1", &with(claims(&f, RSA_IDP), "sub", Value::Null)),
            AuthError::MissingClaim("sub".into()),
        ),
    ];
    for (name, token, expected) in &cases {
        assert_eq!(f.verify(token).as_ref(), Err(expected), "{name}");
    }
}

#[test]
fn a_jwk_limits_its_key_to_its_declared_algorithm_and_use() {
    let mut f = fixture();
    let both = [Algorithm::RS256, Algorithm::RS384, Algorithm::ES256, Algorithm::HS256];
    f.authority.config.external = vec![
        issuer(RSA_IDP, vec![rsa_jwk(Some("RS256"), "sig")], &both),
        issuer(EC_IDP, vec![rsa_jwk(None, "enc"), ec_jwk(None)], &both),
    ];
    let c = claims(&f, RSA_IDP);
    let rs384 = sign_with(Algorithm::RS384, Some("rsa-1"), &rsa_key(), &c);
    assert_eq!(f.verify(&rs384), Err(AuthError::AlgorithmNotAllowed("RS384".into())), "the jwk says RS256");
    assert!(f.verify(&sign_with(Algorithm::RS256, Some("rsa-1"), &rsa_key(), &c)).is_ok());
    let hs = sign_with(Algorithm::HS256, Some("rsa-1"), &EncodingKey::from_secret(b"k"), &c);
    assert_eq!(f.verify(&hs), Err(AuthError::AlgorithmNotAllowed("HS256".into())), "never hmac, even if configured");

    let c = claims(&f, EC_IDP);
    let encryption_key = sign_with(Algorithm::RS256, Some("rsa-1"), &rsa_key(), &c);
    assert_eq!(f.verify(&encryption_key), Err(AuthError::UnknownKid("rsa-1".into())), "use: enc");
    let confused = sign_with(Algorithm::RS256, Some("ec-1"), &rsa_key(), &c);
    assert_eq!(f.verify(&confused), Err(AuthError::AlgorithmNotAllowed("RS256".into())), "an ec key");
    assert!(f.verify(&sign_with(Algorithm::ES256, Some("ec-1"), &ec_key(), &c)).is_ok());
}

#[test]
fn jwks_are_read_from_json_and_files() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("idp.json");
    std::fs::write(&path, json!({"keys": [rsa_jwk(Some("RS256"), "sig"), ec_jwk(None)]}).to_string()).unwrap();
    let jwks = ExternalIssuer::jwks_from_file(&path).unwrap();
    assert!(jwks.find("rsa-1").is_some() && jwks.find("ec-1").is_some());
    assert!(ExternalIssuer::jwks_from_json("{\"keys\": 1}").is_err());
    assert!(ExternalIssuer::jwks_from_file(&dir.path().join("missing.json")).is_err());
}
