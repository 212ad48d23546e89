//! Kura's Ed25519 signing keys: the current one signs, earlier ones still verify until dropped
//! (rotation). Each key is named by its RFC 7638 thumbprint, which is also the JWT `kid`.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use ed25519_dalek::pkcs8::{EncodePrivateKey, KeypairBytes};
use ed25519_dalek::{SigningKey, VerifyingKey};
use jsonwebtoken::{DecodingKey, EncodingKey};
use rand::RngCore;
use serde::Serialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::AuthError;

mod file;

/// The signing key and the public keys that verify Kura's tokens.
#[derive(Clone)]
pub struct KeyStore {
    signing: SigningKey,
    previous: Vec<VerifyingKey>,
}

impl std::fmt::Debug for KeyStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyStore").field("kid", &self.kid()).field("previous", &self.previous.len()).finish()
    }
}

/// RFC 7638 thumbprint of an Ed25519 public key (SHA-256 over the canonical JWK, base64url).
pub(crate) fn thumbprint(public: &VerifyingKey) -> String {
    let canonical = format!(r#"{{"crv":"Ed25519","kty":"OKP","x":"{}"}}"#, B64.encode(public.as_bytes()));
    B64.encode(Sha256::digest(canonical.as_bytes()))
}

impl KeyStore {
    /// A fresh random key, with no earlier keys.
    pub fn generate() -> Self {
        let mut seed = [0u8; 32];
        rand::rng().fill_bytes(&mut seed);
        KeyStore { signing: SigningKey::from_bytes(&seed), previous: Vec::new() }
    }

    /// Starts signing with a new key; the old one keeps verifying until [`KeyStore::drop_previous`].
    pub fn rotate(&mut self) {
        let old = self.signing.verifying_key();
        self.signing = Self::generate().signing;
        self.previous.push(old);
    }

    /// Stops accepting tokens signed by earlier keys.
    pub fn drop_previous(&mut self) {
        self.previous.clear();
    }

    /// Id of the current signing key.
    pub fn kid(&self) -> String {
        thumbprint(&self.signing.verifying_key())
    }

    /// The current key and the earlier ones, current first.
    fn public_keys(&self) -> impl Iterator<Item = VerifyingKey> + '_ {
        std::iter::once(self.signing.verifying_key()).chain(self.previous.iter().copied())
    }

    /// The current key as PKCS#8 v1 DER (RFC 8410), the form `jsonwebtoken` and OpenSSL read.
    pub(crate) fn encoding_key(&self) -> Result<EncodingKey, AuthError> {
        let pair = KeypairBytes { secret_key: self.signing.to_bytes(), public_key: None };
        let der = pair.to_pkcs8_der().map_err(|e| AuthError::KeyStore(e.to_string()))?;
        Ok(EncodingKey::from_ed_der(der.as_bytes()))
    }

    /// Signs arbitrary claims with the current key (EdDSA, with its `kid`). The server signs only
    /// [`crate::KuraClaims`] through [`crate::Authority::issue`]; tests use this to forge variants.
    pub fn sign<T: Serialize>(&self, claims: &T) -> Result<String, AuthError> {
        self.sign_typed("JWT", claims)
    }

    /// Signs `claims` with the current key, with `typ` as the token's type (RFC 8725 §3.11:
    /// explicit typing keeps one kind of token from being passed off as another).
    pub fn sign_typed<T: Serialize>(&self, typ: &str, claims: &T) -> Result<String, AuthError> {
        let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::EdDSA);
        header.typ = Some(typ.to_owned());
        header.kid = Some(self.kid());
        jsonwebtoken::encode(&header, claims, &self.encoding_key()?).map_err(|e| AuthError::KeyStore(e.to_string()))
    }

    /// The verifying key with this id, current or earlier.
    pub fn decoding_key(&self, kid: &str) -> Option<DecodingKey> {
        self.public_keys()
            .find(|p| thumbprint(p) == kid)
            .and_then(|p| DecodingKey::from_ed_components(&B64.encode(p.as_bytes())).ok())
    }

    /// The public keys as a JWK Set, for `/.well-known/jwks.json`.
    pub fn jwks(&self) -> Value {
        let keys: Vec<Value> = self
            .public_keys()
            .map(|p| {
                json!({
                    "kty": "OKP", "crv": "Ed25519", "x": B64.encode(p.as_bytes()),
                    "kid": thumbprint(&p), "alg": "EdDSA", "use": "sig",
                })
            })
            .collect();
        json!({ "keys": keys })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_kid_is_the_rfc_7638_thumbprint() {
        // RFC 8037 appendix A.3: the thumbprint of the A.1 example key.
        let x = B64.decode("11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo").unwrap();
        let public = VerifyingKey::from_bytes(&x.try_into().unwrap()).unwrap();
        assert_eq!(thumbprint(&public), "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k");
    }

    #[test]
    fn the_jwks_lists_current_then_earlier_keys_in_the_published_shape() {
        let mut keys = KeyStore::generate();
        let first = keys.kid();
        keys.rotate();
        let jwks = keys.jwks();
        let listed: Vec<&str> = jwks["keys"].as_array().unwrap().iter().map(|k| k["kid"].as_str().unwrap()).collect();
        assert_eq!(listed, [keys.kid().as_str(), first.as_str()]);
        let key = jwks["keys"][0].as_object().unwrap();
        let mut fields: Vec<&str> = key.keys().map(String::as_str).collect();
        fields.sort_unstable();
        assert_eq!(fields, ["alg", "crv", "kid", "kty", "use", "x"], "public parts only");
        assert_eq!((key["kty"].as_str(), key["crv"].as_str()), (Some("OKP"), Some("Ed25519")));
        assert_eq!((key["alg"].as_str(), key["use"].as_str()), (Some("EdDSA"), Some("sig")));
        assert_eq!(B64.decode(key["x"].as_str().unwrap()).unwrap().len(), 32);
        let parsed: jsonwebtoken::jwk::JwkSet = serde_json::from_value(jwks).unwrap();
        assert!(parsed.find(&first).is_some(), "jsonwebtoken reads it back");
    }
}
