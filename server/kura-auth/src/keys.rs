//! Kura's Ed25519 signing keys: the current one signs, earlier ones still verify until dropped
//! (rotation). Kept as JSON in the data directory, readable by the owner only.

use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use ed25519_dalek::SigningKey;
use jsonwebtoken::{DecodingKey, EncodingKey};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::AuthError;

/// PKCS#8 v1 prefix of an Ed25519 private key (RFC 8410), followed by the 32-byte seed.
const PKCS8_ED25519_PREFIX: [u8; 16] =
    [0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20];

#[derive(Serialize, Deserialize)]
struct Stored {
    /// Base64url seed of the current signing key.
    current: String,
    /// Base64url public keys (`x`) of earlier keys that still verify.
    #[serde(default)]
    previous: Vec<String>,
}

/// The signing key and the public keys that verify Kura's tokens.
#[derive(Clone)]
pub struct KeyStore {
    seed: [u8; 32],
    public: [u8; 32],
    previous: Vec<[u8; 32]>,
}

impl std::fmt::Debug for KeyStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyStore").field("kid", &self.kid()).field("previous", &self.previous.len()).finish()
    }
}

/// RFC 7638 thumbprint of an Ed25519 public key: the key id.
pub(crate) fn thumbprint(public: &[u8; 32]) -> String {
    let canonical = format!(r#"{{"crv":"Ed25519","kty":"OKP","x":"{}"}}"#, B64.encode(public));
    B64.encode(Sha256::digest(canonical.as_bytes()))
}

fn decode_32(text: &str) -> Result<[u8; 32], AuthError> {
    let bytes = B64.decode(text).map_err(|e| AuthError::KeyStore(e.to_string()))?;
    bytes.try_into().map_err(|_| AuthError::KeyStore("key is not 32 bytes".into()))
}

impl KeyStore {
    /// A fresh random key.
    pub fn generate() -> Self {
        let mut seed = [0u8; 32];
        rand::rng().fill_bytes(&mut seed);
        Self::from_seed(seed, Vec::new())
    }

    fn from_seed(seed: [u8; 32], previous: Vec<[u8; 32]>) -> Self {
        let public = SigningKey::from_bytes(&seed).verifying_key().to_bytes();
        KeyStore { seed, public, previous }
    }

    /// Loads the keys from `path`, creating the file (mode 0600) with a new key if absent.
    pub fn load_or_create(path: &Path) -> Result<Self, AuthError> {
        let io = |e: std::io::Error| AuthError::KeyStore(format!("{}: {e}", path.display()));
        if path.exists() {
            let text = std::fs::read_to_string(path).map_err(io)?;
            let stored: Stored = serde_json::from_str(&text).map_err(|e| AuthError::KeyStore(e.to_string()))?;
            let previous = stored.previous.iter().map(|p| decode_32(p)).collect::<Result<_, _>>()?;
            return Ok(Self::from_seed(decode_32(&stored.current)?, previous));
        }
        let keys = Self::generate();
        keys.save(path)?;
        Ok(keys)
    }

    /// Writes the keys to `path`, readable by the owner only.
    pub fn save(&self, path: &Path) -> Result<(), AuthError> {
        let io = |e: std::io::Error| AuthError::KeyStore(format!("{}: {e}", path.display()));
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        let stored =
            Stored { current: B64.encode(self.seed), previous: self.previous.iter().map(|p| B64.encode(p)).collect() };
        let text = serde_json::to_string_pretty(&stored).map_err(|e| AuthError::KeyStore(e.to_string()))?;
        let tmp = path.with_extension("tmp");
        std::fs::write(&tmp, text).map_err(io)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o600)).map_err(io)?;
        }
        std::fs::rename(&tmp, path).map_err(io)
    }

    /// Starts signing with a new key; the old one keeps verifying until [`KeyStore::drop_previous`].
    pub fn rotate(&mut self) {
        let old = self.public;
        *self = Self::from_seed(Self::generate().seed, self.previous.clone());
        self.previous.push(old);
    }

    /// Stops accepting tokens signed by earlier keys.
    pub fn drop_previous(&mut self) {
        self.previous.clear();
    }

    /// Id of the current signing key.
    pub fn kid(&self) -> String {
        thumbprint(&self.public)
    }

    pub(crate) fn encoding_key(&self) -> EncodingKey {
        let mut der = PKCS8_ED25519_PREFIX.to_vec();
        der.extend_from_slice(&self.seed);
        EncodingKey::from_ed_der(&der)
    }

    /// Signs arbitrary claims with the current key (EdDSA, with its `kid`). The server signs only
    /// [`crate::KuraClaims`] through [`crate::Authority::issue`]; tests use this to forge variants.
    pub fn sign<T: Serialize>(&self, claims: &T) -> Result<String, AuthError> {
        let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::EdDSA);
        header.kid = Some(self.kid());
        jsonwebtoken::encode(&header, claims, &self.encoding_key()).map_err(|e| AuthError::KeyStore(e.to_string()))
    }

    /// The verifying key with this id, current or earlier.
    pub(crate) fn decoding_key(&self, kid: &str) -> Option<DecodingKey> {
        std::iter::once(&self.public)
            .chain(self.previous.iter())
            .find(|p| thumbprint(p) == kid)
            .and_then(|p| DecodingKey::from_ed_components(&B64.encode(p)).ok())
    }

    /// The public keys as a JWK Set, for `/.well-known/jwks.json`.
    pub fn jwks(&self) -> Value {
        let keys: Vec<Value> = std::iter::once(&self.public)
            .chain(self.previous.iter())
            .map(|p| json!({"kty": "OKP", "crv": "Ed25519", "x": B64.encode(p), "kid": thumbprint(p), "alg": "EdDSA", "use": "sig"}))
            .collect();
        json!({ "keys": keys })
    }
}
