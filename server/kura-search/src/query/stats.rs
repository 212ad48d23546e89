//! BM25 statistics over only the documents a viewer may see.
//!
//! Tantivy scores with index-wide statistics (document count, average field length, document
//! frequency of each term). Those include documents the caller cannot see, so a score or a
//! ranking would change when someone else's draft or closed dataset contains a word: an oracle
//! on hidden metadata. Scoring with these statistics instead gives exactly the scores of an
//! index holding only the caller's visible documents (up to tantivy's field-length encoding).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tantivy::query::{Bm25StatisticsProvider, EnableScoring, Query};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{BitSet, DocSet, Searcher, SegmentReader, TERMINATED, Term};

/// The part of the statistics that depends only on the index generation and the viewer's
/// tokens (which documents are visible, their field lengths), shared by every search of the same
/// viewer class until the index changes.
pub(crate) struct VisibleBase {
    /// Per segment (in the searcher's order), the visible live documents.
    visible: Vec<BitSet>,
    num_docs: u64,
    /// `total_num_tokens` per field, filled as queries ask for fields.
    tokens: Mutex<HashMap<Field, u64>>,
}

/// Bases per (index generation, viewer tokens): anonymous callers and each group's members
/// otherwise recompute the same sets on every search.
#[derive(Default)]
pub(crate) struct StatsCache {
    entries: Mutex<Bases>,
}

/// Index generation and sorted viewer tokens → base.
type Bases = HashMap<(u64, Vec<String>), Arc<VisibleBase>>;

/// Viewer classes kept per generation; beyond that the cache starts over.
const CACHED_VIEWERS: usize = 256;

impl StatsCache {
    /// The base for `tokens` on `searcher`'s generation, computed if absent.
    pub(crate) fn base(
        &self,
        searcher: &Searcher,
        tokens: &[String],
        filter: &dyn Query,
    ) -> tantivy::Result<Arc<VisibleBase>> {
        let generation = searcher.generation().generation_id();
        let mut key_tokens = tokens.to_vec();
        key_tokens.sort();
        let key = (generation, key_tokens);
        if let Some(base) = self.lock().get(&key) {
            return Ok(base.clone());
        }
        let base = Arc::new(VisibleBase::new(searcher, filter)?);
        let mut entries = self.lock();
        entries.retain(|(g, _), _| *g == generation);
        if entries.len() >= CACHED_VIEWERS {
            entries.clear();
        }
        entries.insert(key, base.clone());
        Ok(base)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Bases> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl VisibleBase {
    /// Collects the documents of `searcher` that `filter` matches, deleted ones left out (they
    /// may be a replaced draft's text).
    fn new(searcher: &Searcher, filter: &dyn Query) -> tantivy::Result<Self> {
        let weight = filter.weight(EnableScoring::disabled_from_searcher(searcher))?;
        let mut visible = Vec::with_capacity(searcher.segment_readers().len());
        let mut num_docs = 0;
        for reader in searcher.segment_readers() {
            let mut bits = BitSet::with_max_value(reader.max_doc());
            let alive = reader.alive_bitset();
            let mut docs = weight.scorer(reader, 1.0)?;
            let mut doc = docs.doc();
            while doc != TERMINATED {
                if alive.is_none_or(|a| a.is_alive(doc)) {
                    bits.insert(doc);
                    num_docs += 1;
                }
                doc = docs.advance();
            }
            visible.push(bits);
        }
        Ok(VisibleBase { visible, num_docs, tokens: Mutex::default() })
    }
}

/// Statistics over the live documents matching a visibility filter.
pub(crate) struct VisibleStatistics {
    base: Arc<VisibleBase>,
    searcher: Searcher,
}

impl VisibleStatistics {
    /// Statistics for `searcher` over the documents of `base` (computed on the same generation).
    pub(crate) fn new(searcher: &Searcher, base: Arc<VisibleBase>) -> Self {
        VisibleStatistics { base, searcher: searcher.clone() }
    }

    fn segments(&self) -> impl Iterator<Item = (&SegmentReader, &BitSet)> {
        self.searcher.segment_readers().iter().zip(&self.base.visible)
    }

    fn count_tokens(&self, field: Field) -> u64 {
        let mut total = 0u64;
        for (reader, bits) in self.segments() {
            // A field without norms counts one token per document, as tantivy's scorer assumes.
            let norms = reader.get_fieldnorms_reader(field).ok();
            for doc in 0..reader.max_doc() {
                if bits.contains(doc) {
                    total += norms.as_ref().map_or(1, |n| u64::from(n.fieldnorm(doc)));
                }
            }
        }
        total
    }
}

impl Bm25StatisticsProvider for VisibleStatistics {
    fn total_num_tokens(&self, field: Field) -> tantivy::Result<u64> {
        let cached = self.base.tokens.lock().unwrap_or_else(|e| e.into_inner()).get(&field).copied();
        let total = cached.unwrap_or_else(|| self.count_tokens(field));
        self.base.tokens.lock().unwrap_or_else(|e| e.into_inner()).insert(field, total);
        Ok(total)
    }

    fn total_num_docs(&self) -> tantivy::Result<u64> {
        // Never 0: BM25 divides by it (an empty result scores nothing anyway).
        Ok(self.base.num_docs.max(1))
    }

    fn doc_freq(&self, term: &Term) -> tantivy::Result<u64> {
        let mut freq = 0u64;
        for (reader, bits) in self.segments() {
            let Some(mut postings) =
                reader.inverted_index(term.field())?.read_postings(term, IndexRecordOption::Basic)?
            else {
                continue;
            };
            let mut doc = postings.doc();
            while doc != TERMINATED {
                if bits.contains(doc) {
                    freq += 1;
                }
                doc = postings.advance();
            }
        }
        Ok(freq)
    }
}
