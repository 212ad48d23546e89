//! Parquet footers remembered by object hash, so that a DoGet does not read and decode the
//! footer (and page index) of a file that the GetFlightInfo before it, or the DoGet of the
//! neighbouring endpoint, has just read: about a millisecond per call, paid by every endpoint.
//! Objects are immutable (named by their SHA-256), so an entry never goes stale; the access
//! decision is not remembered here (it runs on every call before the footer is asked for).
//! Memory is bounded by [`MAX_BYTES`] of decoded metadata, the least recently used going first.

use std::collections::HashMap;
use std::sync::Mutex;

use parquet::arrow::arrow_reader::ArrowReaderMetadata;

/// Decoded footers kept at most (a footer of a 1 GB table with page index: about 100 KiB).
pub const MAX_BYTES: usize = 64 << 20;

/// See the module documentation.
#[derive(Debug, Default)]
pub struct Footers {
    held: Mutex<Held>,
}

#[derive(Debug, Default)]
struct Held {
    entries: HashMap<String, Entry>,
    bytes: usize,
    clock: u64,
}

#[derive(Debug)]
struct Entry {
    metadata: ArrowReaderMetadata,
    bytes: usize,
    used: u64,
}

impl Footers {
    fn lock(&self) -> std::sync::MutexGuard<'_, Held> {
        self.held.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The footer of object `sha256`, if remembered.
    pub fn get(&self, sha256: &str) -> Option<ArrowReaderMetadata> {
        let mut held = self.lock();
        held.clock += 1;
        let now = held.clock;
        let entry = held.entries.get_mut(sha256)?;
        entry.used = now;
        Some(entry.metadata.clone())
    }

    /// Remembers the footer of object `sha256`, making room by forgetting the least recently
    /// used; a footer larger than the whole budget is not kept.
    pub fn insert(&self, sha256: &str, metadata: &ArrowReaderMetadata) {
        let bytes = metadata.metadata().memory_size();
        if bytes > MAX_BYTES {
            return;
        }
        let mut held = self.lock();
        held.clock += 1;
        let used = held.clock;
        if let Some(old) = held.entries.insert(sha256.to_owned(), Entry { metadata: metadata.clone(), bytes, used }) {
            held.bytes -= old.bytes;
        }
        held.bytes += bytes;
        while held.bytes > MAX_BYTES {
            let Some(oldest) = held.entries.iter().min_by_key(|(_, e)| e.used).map(|(k, _)| k.clone()) else { break };
            if let Some(gone) = held.entries.remove(&oldest) {
                held.bytes -= gone.bytes;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    use arrow::array::Int64Array;
    use arrow::record_batch::RecordBatch;
    use bytes::Bytes;
    use parquet::arrow::ArrowWriter;
    use parquet::arrow::arrow_reader::ArrowReaderOptions;

    fn footer_of(rows: i64) -> ArrowReaderMetadata {
        let batch = RecordBatch::try_from_iter([(
            "x",
            Arc::new(Int64Array::from_iter_values(0..rows)) as arrow::array::ArrayRef,
        )])
        .unwrap();
        let mut file = Vec::new();
        let mut writer = ArrowWriter::try_new(&mut file, batch.schema(), None).unwrap();
        writer.write(&batch).unwrap();
        writer.close().unwrap();
        ArrowReaderMetadata::load(&Bytes::from(file), ArrowReaderOptions::new()).unwrap()
    }

    #[test]
    fn remembers_by_hash_and_forgets_the_least_recently_used_beyond_the_budget() {
        let footers = Footers::default();
        let (small, other) = (footer_of(10), footer_of(20));
        assert!(footers.get("a").is_none());
        footers.insert("a", &small);
        footers.insert("b", &other);
        assert_eq!(footers.get("a").unwrap().metadata().file_metadata().num_rows(), 10);
        assert_eq!(footers.get("b").unwrap().metadata().file_metadata().num_rows(), 20);
        let each = small.metadata().memory_size();
        // Fill the budget: "a" was used last before the fill began, so it stays longest of the
        // two; "b" goes first.
        footers.get("a");
        for i in 0..(MAX_BYTES / each + 1) {
            footers.insert(&format!("fill-{i}"), &small);
            footers.get("a");
        }
        assert!(footers.get("b").is_none(), "the least recently used entry was forgotten");
        assert!(footers.get("a").is_some(), "an entry in use stays");
        assert!(footers.lock().bytes <= MAX_BYTES);
    }
}
