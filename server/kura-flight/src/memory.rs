//! Stored row-group entries also held in memory, up to a budget, so that the tables read most
//! are sent straight from memory: no read from the page cache (a copy of every byte) and no
//! blocking thread, only reference-counted `Bytes` handed to HTTP/2.
//!
//! Entries are admitted while the budget has room and kept while they are read: a table read
//! from start to end that is larger than the budget would evict everything under a
//! least-recently-used rule before any of it is read again, whereas keeping what is in gives
//! every later read that share from memory. Only entries nobody has read for [`IDLE`] make room
//! for new ones (oldest first), so the tier follows what is read over hours, and entries of
//! deleted objects do not hold the budget forever. The budget bounds the server's memory
//! whatever is served; entries never go stale (Parquet objects are immutable).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use arrow_flight::FlightData;

/// How long an entry must have gone unread before it may make room for another.
pub const IDLE: Duration = Duration::from_secs(600);

/// The entries held in memory (see the module documentation).
#[derive(Debug, Default)]
pub struct MemoryTier {
    max_bytes: u64,
    held: Mutex<Held>,
}

#[derive(Debug, Default)]
struct Held {
    used: u64,
    entries: HashMap<PathBuf, Entry>,
}

#[derive(Debug)]
struct Entry {
    messages: Arc<[FlightData]>,
    bytes: u64,
    last_read: Instant,
}

/// Bytes an entry holds.
fn size(messages: &[FlightData]) -> u64 {
    messages.iter().map(|m| (m.data_header.len() + m.data_body.len() + m.app_metadata.len()) as u64).sum()
}

impl Held {
    /// Bytes of the entries that may make room at `now`.
    fn idle_bytes(&self, now: Instant) -> u64 {
        self.entries.values().filter(|e| now.duration_since(e.last_read) >= IDLE).map(|e| e.bytes).sum()
    }
}

impl MemoryTier {
    /// A tier holding at most `max_bytes` (0: nothing).
    pub fn new(max_bytes: u64) -> Self {
        MemoryTier { max_bytes, ..Default::default() }
    }

    fn held(&self) -> MutexGuard<'_, Held> {
        self.held.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The messages of the entry stored at `path`, if held.
    pub fn get(&self, path: &Path) -> Option<Arc<[FlightData]>> {
        self.get_at(path, Instant::now())
    }

    fn get_at(&self, path: &Path, now: Instant) -> Option<Arc<[FlightData]>> {
        let mut held = self.held();
        let entry = held.entries.get_mut(path)?;
        entry.last_read = now;
        Some(entry.messages.clone())
    }

    /// Whether an entry of `bytes` would be admitted now (idle entries making room).
    pub fn has_room(&self, bytes: u64) -> bool {
        self.has_room_at(bytes, Instant::now())
    }

    fn has_room_at(&self, bytes: u64, now: Instant) -> bool {
        let held = self.held();
        held.used.saturating_add(bytes) <= self.max_bytes
            || (held.used - held.idle_bytes(now)).saturating_add(bytes) <= self.max_bytes
    }

    /// Holds `messages` as the entry at `path` if the budget has room, evicting entries idle
    /// for [`IDLE`] (oldest first) when they make enough; false if not held.
    pub fn admit(&self, path: &Path, messages: Vec<FlightData>) -> bool {
        self.admit_at(path, messages, Instant::now())
    }

    fn admit_at(&self, path: &Path, messages: Vec<FlightData>, now: Instant) -> bool {
        let bytes = size(&messages);
        let mut held = self.held();
        if held.entries.contains_key(path) {
            return false;
        }
        if held.used.saturating_add(bytes) > self.max_bytes {
            if (held.used - held.idle_bytes(now)).saturating_add(bytes) > self.max_bytes {
                return false;
            }
            let mut idle: Vec<(Instant, PathBuf)> = held
                .entries
                .iter()
                .filter(|(_, e)| now.duration_since(e.last_read) >= IDLE)
                .map(|(p, e)| (e.last_read, p.clone()))
                .collect();
            idle.sort();
            for (_, old) in idle {
                if held.used.saturating_add(bytes) <= self.max_bytes {
                    break;
                }
                if let Some(evicted) = held.entries.remove(&old) {
                    held.used -= evicted.bytes;
                }
            }
        }
        held.used += bytes;
        held.entries.insert(path.to_owned(), Entry { messages: messages.into(), bytes, last_read: now });
        true
    }

    /// Bytes held.
    pub fn used(&self) -> u64 {
        self.held().used
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

    #[test]
    fn only_entries_unread_for_the_idle_time_make_room_oldest_first() {
        let start = Instant::now();
        let tier = MemoryTier::new(1000);
        assert!(tier.admit_at(Path::new("a"), vec![message(400)], start));
        assert!(tier.admit_at(Path::new("b"), vec![message(400)], start + Duration::from_secs(1)));
        // "a" is read again later: it stays busy while "b" goes idle.
        let later = start + IDLE + Duration::from_secs(1);
        assert!(tier.get_at(Path::new("a"), later - Duration::from_secs(60)).is_some());
        assert!(!tier.has_room_at(600, start + Duration::from_secs(2)), "nothing is idle yet");
        assert!(!tier.admit_at(Path::new("c"), vec![message(600)], start + Duration::from_secs(2)));
        assert!(!tier.has_room_at(700, later), "idle \"b\" alone cannot make room for 700");
        assert!(!tier.admit_at(Path::new("c"), vec![message(700)], later));
        assert_eq!(tier.used(), 800, "a refused admission evicts nothing");
        assert!(tier.has_room_at(600, later));
        assert!(tier.admit_at(Path::new("c"), vec![message(600)], later));
        assert_eq!(tier.used(), 1000);
        assert!(tier.get_at(Path::new("b"), later).is_none(), "the idle entry made room");
        assert!(tier.get_at(Path::new("a"), later).is_some(), "the entry still read stays");
    }
}
