//! Stored row-group entries also held in memory, up to a budget, so that the tables read most
//! are sent straight from memory: no read from the page cache (a copy of every byte) and no
//! blocking thread, only reference-counted `Bytes` handed to HTTP/2.
//!
//! Entries are admitted while the budget has room and then kept: a table read from start to end
//! that is larger than the budget would evict everything under a least-recently-used rule before
//! any of it is read again, whereas keeping what is in gives every later read that share from
//! memory. The budget bounds the server's memory whatever is served. Entries never go stale
//! (Parquet objects are immutable); those of deleted objects stay until the server restarts.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use arrow_flight::FlightData;

/// The entries held in memory (see the module documentation).
#[derive(Debug, Default)]
pub struct MemoryTier {
    max_bytes: u64,
    used: AtomicU64,
    entries: Mutex<HashMap<PathBuf, Arc<[FlightData]>>>,
}

/// Bytes an entry holds.
fn size(messages: &[FlightData]) -> u64 {
    messages.iter().map(|m| (m.data_header.len() + m.data_body.len() + m.app_metadata.len()) as u64).sum()
}

impl MemoryTier {
    /// A tier holding at most `max_bytes` (0: nothing).
    pub fn new(max_bytes: u64) -> Self {
        MemoryTier { max_bytes, ..Default::default() }
    }

    /// The messages of the entry stored at `path`, if held.
    pub fn get(&self, path: &Path) -> Option<Arc<[FlightData]>> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner()).get(path).cloned()
    }

    /// Whether an entry of `bytes` would still be admitted.
    pub fn has_room(&self, bytes: u64) -> bool {
        self.used.load(Ordering::Relaxed).saturating_add(bytes) <= self.max_bytes
    }

    /// Holds `messages` as the entry at `path`, if the budget has room; false if not held.
    pub fn admit(&self, path: &Path, messages: Vec<FlightData>) -> bool {
        let bytes = size(&messages);
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.contains_key(path) || !self.has_room(bytes) {
            return false;
        }
        self.used.fetch_add(bytes, Ordering::Relaxed);
        entries.insert(path.to_owned(), messages.into());
        true
    }

    /// Bytes held.
    pub fn used(&self) -> u64 {
        self.used.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    fn message(n: usize) -> FlightData {
        FlightData { data_body: Bytes::from(vec![1; n]), ..Default::default() }
    }

    #[test]
    fn entries_are_admitted_while_the_budget_has_room_and_then_kept() {
        let tier = MemoryTier::new(1000);
        assert!(tier.admit(Path::new("a"), vec![message(400), message(200)]));
        assert!(!tier.admit(Path::new("a"), vec![message(1)]), "an entry is admitted once");
        assert!(!tier.admit(Path::new("b"), vec![message(500)]), "over the budget");
        assert!(tier.admit(Path::new("c"), vec![message(400)]));
        assert_eq!(tier.used(), 1000);
        assert!(!tier.has_room(1));
        assert_eq!(tier.get(Path::new("a")).unwrap().len(), 2);
        assert!(tier.get(Path::new("b")).is_none());
        assert!(!MemoryTier::new(0).admit(Path::new("a"), vec![message(1)]));
    }
}
