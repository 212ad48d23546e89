//! The key file: PEM blocks, the current signing key first as `PRIVATE KEY` (PKCS#8, RFC 8410,
//! exactly what `openssl genpkey -algorithm ed25519` writes, so an operator may bring their own),
//! then each earlier key that still verifies as `PUBLIC KEY` (SPKI). Written atomically and
//! readable by the owner only. The JSON form of the first releases is still read.

use std::io::Write;
use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use ed25519_dalek::pkcs8::spki::der::pem::LineEnding;
use ed25519_dalek::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey, KeypairBytes};
use ed25519_dalek::{SigningKey, VerifyingKey};
use serde::Deserialize;

use super::KeyStore;
use crate::AuthError;

fn bad(reason: impl std::fmt::Display) -> AuthError {
    AuthError::KeyStore(reason.to_string())
}

/// `(label, text)` of each PEM block, in order; text outside blocks is ignored, as OpenSSL does.
fn pem_blocks(text: &str) -> Result<Vec<(String, String)>, AuthError> {
    let mut blocks = Vec::new();
    let mut open: Option<(String, String)> = None;
    for line in text.lines().map(str::trim_end) {
        if let Some(label) = line.strip_prefix("-----BEGIN ").and_then(|l| l.strip_suffix("-----")) {
            if open.is_some() {
                return Err(bad("pem block is not terminated"));
            }
            open = Some((label.to_owned(), format!("{line}\n")));
        } else if let Some((label, mut block)) = open.take() {
            block.push_str(line);
            block.push('\n');
            if line.starts_with("-----END ") {
                blocks.push((label, block));
            } else {
                open = Some((label, block));
            }
        }
    }
    if open.is_some() {
        return Err(bad("pem block is not terminated"));
    }
    Ok(blocks)
}

/// The key file of the first releases: base64url seed and earlier public keys in JSON.
#[derive(Deserialize)]
struct LegacyJson {
    current: String,
    #[serde(default)]
    previous: Vec<String>,
}

fn decode_32(text: &str) -> Result<[u8; 32], AuthError> {
    let bytes = B64.decode(text).map_err(bad)?;
    bytes.try_into().map_err(|_| bad("key is not 32 bytes"))
}

impl KeyStore {
    /// Reads keys from PEM: one Ed25519 `PRIVATE KEY` (the signing key), then any number of
    /// `PUBLIC KEY` blocks (earlier keys that still verify).
    pub fn from_pem(text: &str) -> Result<Self, AuthError> {
        let mut signing = None;
        let mut previous = Vec::new();
        for (label, block) in pem_blocks(text)? {
            match label.as_str() {
                "PRIVATE KEY" if signing.is_none() => {
                    signing = Some(SigningKey::from_pkcs8_pem(&block).map_err(|e| bad(format!("private key: {e}")))?);
                }
                "PRIVATE KEY" => return Err(bad("more than one private key")),
                "PUBLIC KEY" => previous
                    .push(VerifyingKey::from_public_key_pem(&block).map_err(|e| bad(format!("public key: {e}")))?),
                other => return Err(bad(format!("unexpected pem block {other:?}"))),
            }
        }
        let signing = signing.ok_or_else(|| bad("no ed25519 private key"))?;
        Ok(KeyStore { signing, previous })
    }

    /// The keys as PEM, in the form [`KeyStore::from_pem`] reads. Contains the private key.
    pub fn to_pem(&self) -> Result<String, AuthError> {
        let pair = KeypairBytes { secret_key: self.signing.to_bytes(), public_key: None };
        let mut text = pair.to_pkcs8_pem(LineEnding::LF).map_err(bad)?.to_string();
        for key in &self.previous {
            text.push_str(&key.to_public_key_pem(LineEnding::LF).map_err(bad)?);
        }
        Ok(text)
    }

    fn from_legacy_json(text: &str) -> Result<Self, AuthError> {
        let stored: LegacyJson = serde_json::from_str(text).map_err(bad)?;
        let previous = stored
            .previous
            .iter()
            .map(|p| VerifyingKey::from_bytes(&decode_32(p)?).map_err(bad))
            .collect::<Result<_, _>>()?;
        Ok(KeyStore { signing: SigningKey::from_bytes(&decode_32(&stored.current)?), previous })
    }

    /// Loads the keys from `path`, creating the file (mode 0600, its directory 0700) with a new key
    /// if absent. A file that others may read is used, with a warning.
    pub fn load_or_create(path: &Path) -> Result<Self, AuthError> {
        let io = |e: std::io::Error| bad(format!("{}: {e}", path.display()));
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let keys = Self::generate();
                keys.save(path)?;
                return Ok(keys);
            }
            Err(e) => return Err(io(e)),
        };
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(path).map_err(io)?.permissions().mode();
            if mode & 0o077 != 0 {
                tracing::warn!(path = %path.display(), mode = format!("{:o}", mode & 0o777), "signing key file is readable by others");
            }
        }
        if text.trim_start().starts_with('{') { Self::from_legacy_json(&text) } else { Self::from_pem(&text) }
    }

    /// Writes the keys to `path` as PEM, atomically, readable by the owner only from the first byte.
    pub fn save(&self, path: &Path) -> Result<(), AuthError> {
        let io = |e: std::io::Error| bad(format!("{}: {e}", path.display()));
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            let mut builder = std::fs::DirBuilder::new();
            builder.recursive(true);
            #[cfg(unix)]
            std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
            builder.create(dir).map_err(io)?;
        }
        let name = path.file_name().ok_or_else(|| bad("key path has no file name"))?;
        let tmp = path.with_file_name(format!("{}.tmp", name.to_string_lossy()));
        let _ = std::fs::remove_file(&tmp);
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(&tmp).map_err(io)?;
        file.write_all(self.to_pem()?.as_bytes()).map_err(io)?;
        file.sync_all().map_err(io)?;
        std::fs::rename(&tmp, path).map_err(io)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Written by `openssl genpkey -algorithm ed25519`; its public key by `openssl pkey -pubout`.
    const OPENSSL_KEY: &str = "-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEIHOc5za/X4nA5wCNV4/OU68TdeNxhi83vQTVo6tpQ2mj
-----END PRIVATE KEY-----
";
    const OPENSSL_PUBLIC: &str = "-----BEGIN PUBLIC KEY-----
MCowBQYDK2VwAyEAXWFFTWNCVz90si9vQb3FP9ksNh5cXbaK/oOUZ+3RxXo=
-----END PUBLIC KEY-----
";

    #[test]
    fn keys_are_created_once_owner_only_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys").join("jwt-ed25519.pem");
        let keys = KeyStore::load_or_create(&path).unwrap();
        assert_eq!(KeyStore::load_or_create(&path).unwrap().kid(), keys.kid());
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.starts_with("-----BEGIN PRIVATE KEY-----\n"), "{text}");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(&path), 0o600);
            assert_eq!(mode(path.parent().unwrap()), 0o700);
        }
        assert!(!path.with_file_name("jwt-ed25519.pem.tmp").exists());
    }

    #[test]
    fn rotation_state_survives_a_save() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("jwt-ed25519.pem");
        let mut keys = KeyStore::load_or_create(&path).unwrap();
        keys.rotate();
        keys.rotate();
        keys.save(&path).unwrap();
        let again = KeyStore::load_or_create(&path).unwrap();
        assert_eq!(again.jwks(), keys.jwks(), "same current and earlier keys, same order");
        assert_eq!(again.to_pem().unwrap(), keys.to_pem().unwrap());
    }

    #[test]
    fn an_openssl_key_is_accepted() {
        let keys = KeyStore::from_pem(OPENSSL_KEY).unwrap();
        let expected = VerifyingKey::from_public_key_pem(OPENSSL_PUBLIC).unwrap();
        assert_eq!(keys.signing.verifying_key(), expected);
        assert_eq!(keys.to_pem().unwrap(), OPENSSL_KEY, "written back byte for byte");
    }

    #[test]
    fn the_json_key_file_of_the_first_releases_is_still_read() {
        let old = KeyStore::generate();
        let earlier = KeyStore::generate().signing.verifying_key();
        let json = serde_json::json!({
            "current": B64.encode(old.signing.to_bytes()),
            "previous": [B64.encode(earlier.as_bytes())],
        });
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("jwt-ed25519.json");
        std::fs::write(&path, json.to_string()).unwrap();
        let keys = KeyStore::load_or_create(&path).unwrap();
        assert_eq!(keys.kid(), old.kid());
        assert_eq!(keys.previous, [earlier]);
    }

    #[test]
    fn bad_key_files_are_refused_with_a_reason() {
        let public_only = KeyStore::generate().signing.verifying_key().to_public_key_pem(LineEnding::LF).unwrap();
        let cases = [
            ("", "no ed25519 private key"),
            ("-----BEGIN PRIVATE KEY-----\nMC4CAQAw\n", "not terminated"),
            (&*format!("{OPENSSL_KEY}{OPENSSL_KEY}"), "more than one private key"),
            (&*public_only, "no ed25519 private key"),
            ("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", "unexpected pem block"),
            ("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", "private key:"),
        ];
        for (text, reason) in cases {
            let err = KeyStore::from_pem(text).unwrap_err().to_string();
            assert!(err.contains(reason), "{text:?}: {err}");
        }
    }
}
