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
#[derive(Debug)]
pub(crate) struct PeerKeys {
    cache: Mutex<HashMap<String, Cached>>,
    refresh: Duration,
    min_refetch: Duration,
}

impl Default for PeerKeys {
    fn default() -> Self {
        PeerKeys { cache: Mutex::default(), refresh: REFRESH, min_refetch: MIN_REFETCH }
    }
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
            let fresh = cached.fetched.elapsed() < self.refresh;
            let holds = cached.keys.find(kid).is_some();
            if (fresh && holds) || cached.fetched.elapsed() < self.min_refetch {
                return Ok(cached.keys.clone());
            }
        }
        let keys = fetch(http, url, timeout).await?;
        cache.insert(peer.to_owned(), Cached { url: url.to_owned(), keys: keys.clone(), fetched: Instant::now() });
        Ok(keys)
    }

    /// Fetches `peer`'s key set from `url` now, and caches it.
    pub(crate) async fn refresh(
        &self,
        http: &reqwest::Client,
        peer: &str,
        url: &str,
        timeout: Duration,
    ) -> Result<JwkSet, NodeFailure> {
        let keys = fetch(http, url, timeout).await?;
        let cached = Cached { url: url.to_owned(), keys: keys.clone(), fetched: Instant::now() };
        self.cache.lock().await.insert(peer.to_owned(), cached);
        Ok(keys)
    }
}

/// A JWK Set read from `url`, within `timeout` and [`MAX_JWKS_BYTES`].
async fn fetch(http: &reqwest::Client, url: &str, timeout: Duration) -> Result<JwkSet, NodeFailure> {
    let body = client::get(http, url, None, 0, timeout, MAX_JWKS_BYTES).await?;
    serde_json::from_slice(&body.bytes).map_err(|e| NodeFailure::Error(format!("the peer's JWKS does not parse: {e}")))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;

    /// A JWKS server whose keys the test swaps, counting the fetches.
    async fn jwks_server(keys: Arc<std::sync::Mutex<String>>, fetches: Arc<AtomicUsize>) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/.well-known/jwks.json", listener.local_addr().unwrap());
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let mut request = vec![0; 4096];
                let _ = socket.read(&mut request).await;
                fetches.fetch_add(1, Ordering::SeqCst);
                let body = keys.lock().unwrap().clone();
                let answer =
                    format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len());
                let _ = socket.write_all(answer.as_bytes()).await;
            }
        });
        url
    }

    fn cache(refresh: Duration, min_refetch: Duration) -> PeerKeys {
        PeerKeys { cache: Mutex::default(), refresh, min_refetch }
    }

    #[tokio::test]
    async fn keys_are_cached_refetched_for_an_unknown_key_and_refreshed() {
        const HOUR: Duration = Duration::from_secs(3600);
        let (first, second) = (kura_auth::KeyStore::generate(), kura_auth::KeyStore::generate());
        let published = Arc::new(std::sync::Mutex::new(first.jwks().to_string()));
        let fetches = Arc::new(AtomicUsize::new(0));
        let url = jwks_server(published.clone(), fetches.clone()).await;
        let (http, timeout) = (reqwest::Client::new(), Duration::from_secs(5));
        let fetched = || fetches.load(Ordering::SeqCst);

        // Cached; an unknown kid within the minimum interval is answered from the cache.
        let keys = cache(HOUR, HOUR);
        let set = keys.for_kid(&http, "b", &url, &first.kid(), timeout).await.unwrap();
        assert!(set.find(&first.kid()).is_some());
        keys.for_kid(&http, "b", &url, &first.kid(), timeout).await.unwrap();
        assert_eq!(fetched(), 1, "cached");
        *published.lock().unwrap() = second.jwks().to_string();
        let set = keys.for_kid(&http, "b", &url, &second.kid(), timeout).await.unwrap();
        assert!(set.find(&second.kid()).is_none() && fetched() == 1, "no fetch within the minimum interval");

        // Past the minimum interval, a key the cache lacks (the peer rotated) is fetched again.
        let keys = cache(HOUR, Duration::ZERO);
        *published.lock().unwrap() = first.jwks().to_string();
        keys.for_kid(&http, "b", &url, &first.kid(), timeout).await.unwrap();
        *published.lock().unwrap() = second.jwks().to_string();
        let set = keys.for_kid(&http, "b", &url, &second.kid(), timeout).await.unwrap();
        assert!(set.find(&second.kid()).is_some() && fetched() == 3);
        keys.for_kid(&http, "b", &url, &second.kid(), timeout).await.unwrap();
        assert_eq!(fetched(), 3, "a known key is not fetched again while fresh");
        keys.refresh(&http, "b", &url, timeout).await.unwrap();
        assert_eq!(fetched(), 4, "a check fetches the peer's keys again");
        keys.for_kid(&http, "b", &url, &second.kid(), timeout).await.unwrap();
        assert_eq!(fetched(), 4, "and caches them");

        // Past the refresh interval, even known keys are fetched again.
        let keys = cache(Duration::ZERO, Duration::ZERO);
        keys.for_kid(&http, "b", &url, &second.kid(), timeout).await.unwrap();
        keys.for_kid(&http, "b", &url, &second.kid(), timeout).await.unwrap();
        assert_eq!(fetched(), 6);
    }
}
