//! The signing keys of peers, fetched from their JWKS URLs, cached and refreshed: after
//! [`REFRESH`], or at once when an assertion names a key the cache does not hold (a peer rotated
//! its key), but not more often than [`MIN_REFETCH`] so that made-up key ids cannot make this
//! node hammer a peer.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use jsonwebtoken::jwk::JwkSet;
use tokio::sync::Mutex;

use crate::client::{self, NodeFailure};

/// How long fetched keys are used before they are fetched again.
pub const REFRESH: Duration = Duration::from_secs(300);

/// The shortest time between two fetches of one peer's keys.
pub const MIN_REFETCH: Duration = Duration::from_secs(10);

/// Largest JWKS document read.
const MAX_JWKS_BYTES: u64 = 256 << 10;

#[derive(Debug)]
struct Cached {
    url: String,
    keys: JwkSet,
    fetched: Instant,
}

/// Cache of peers' key sets, by peer id.
#[derive(Debug, Default)]
pub(crate) struct PeerKeys {
    cache: Mutex<HashMap<String, Cached>>,
}

impl PeerKeys {
    /// The key set of `peer` (published at `url`) that should hold `kid`: cached while fresh and
    /// holding it, fetched otherwise.
    pub(crate) async fn for_kid(
        &self,
        http: &reqwest::Client,
        peer: &str,
        url: &str,
        kid: &str,
        timeout: Duration,
    ) -> Result<JwkSet, NodeFailure> {
        let mut cache = self.cache.lock().await;
        if let Some(cached) = cache.get(peer).filter(|c| c.url == url) {
            let fresh = cached.fetched.elapsed() < REFRESH;
            let holds = cached.keys.find(kid).is_some();
            if (fresh && holds) || cached.fetched.elapsed() < MIN_REFETCH {
                return Ok(cached.keys.clone());
            }
        }
        let body = client::get(http, url, None, 0, timeout, MAX_JWKS_BYTES).await?;
        let keys: JwkSet = serde_json::from_slice(&body.bytes)
            .map_err(|e| NodeFailure::Error(format!("the peer's JWKS does not parse: {e}")))?;
        cache.insert(peer.to_owned(), Cached { url: url.to_owned(), keys: keys.clone(), fetched: Instant::now() });
        Ok(keys)
    }

    /// Forgets a peer's keys (it was removed or changed).
    pub(crate) async fn forget(&self, peer: &str) {
        self.cache.lock().await.remove(peer);
    }
}
