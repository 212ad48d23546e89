//! A node's secret for HMAC-SHA256 tags on what it hands out and takes back unchanged (Flight
//! tickets, Delta Sharing file URLs): 32 random bytes in a key file of the data directory.

use std::path::Path;

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// A secret MAC key.
#[derive(Clone)]
pub struct MacKey {
    key: [u8; 32],
}

impl std::fmt::Debug for MacKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MacKey(..)")
    }
}

impl MacKey {
    /// A key from raw bytes (tests).
    pub fn from_bytes(key: [u8; 32]) -> Self {
        MacKey { key }
    }

    /// The key in `path`, created (random, owner-only permissions) on first start; replicas
    /// behind one load balancer share the data directory's key file.
    pub fn load_or_create(path: &Path) -> std::io::Result<Self> {
        if let Ok(bytes) = std::fs::read(path) {
            let key: [u8; 32] = bytes
                .try_into()
                .map_err(|_| std::io::Error::other(format!("{} must hold 32 bytes", path.display())))?;
            return Ok(MacKey { key });
        }
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let key: [u8; 32] = rand::random();
        let tmp = path.with_extension("tmp");
        std::fs::write(&tmp, key)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o600))?;
        }
        std::fs::rename(&tmp, path)?;
        Ok(MacKey { key })
    }

    fn mac(&self, payload: &[u8]) -> Hmac<Sha256> {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.key).expect("any key length");
        mac.update(payload);
        mac
    }

    /// The tag of `payload`.
    pub fn tag(&self, payload: &[u8]) -> Vec<u8> {
        self.mac(payload).finalize().into_bytes().to_vec()
    }

    /// Whether `tag` is the tag of `payload` (compared in constant time).
    pub fn verifies(&self, payload: &[u8], tag: &[u8]) -> bool {
        self.mac(payload).verify_slice(tag).is_ok()
    }
}

impl PartialEq for MacKey {
    /// Keys are equal when they tag alike (tests: a key file read twice).
    fn eq(&self, other: &Self) -> bool {
        self.tag(b"kura") == other.tag(b"kura")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_file_is_created_once_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys/k.key");
        let first = MacKey::load_or_create(&path).unwrap();
        assert_eq!(MacKey::load_or_create(&path).unwrap(), first);
        let tag = first.tag(b"payload");
        assert!(first.verifies(b"payload", &tag));
        assert!(!first.verifies(b"payload!", &tag));
        assert!(!MacKey::from_bytes([1; 32]).verifies(b"payload", &tag));
        std::fs::write(&path, b"short").unwrap();
        assert!(MacKey::load_or_create(&path).is_err());
    }
}
