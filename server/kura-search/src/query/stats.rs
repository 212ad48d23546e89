//! BM25 statistics over only the documents a viewer may see.
//!
//! Tantivy scores with index-wide statistics (document count, average field length, document
//! frequency of each term). Those include documents the caller cannot see, so a score or a
//! ranking would change when someone else's draft or closed dataset contains a word: an oracle
//! on hidden metadata. Scoring with these statistics instead gives exactly the scores of an
//! index holding only the caller's visible documents (up to tantivy's field-length encoding).

use std::cell::RefCell;
use std::collections::HashMap;

use tantivy::query::{Bm25StatisticsProvider, EnableScoring, Query};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{BitSet, DocSet, Searcher, SegmentReader, TERMINATED, Term};

/// Statistics over the live documents matching a visibility filter.
pub(crate) struct VisibleStatistics {
    /// Per segment (in the searcher's order), the visible live documents.
    visible: Vec<BitSet>,
    num_docs: u64,
    /// `total_num_tokens` per field, computed once per search.
    tokens: RefCell<HashMap<Field, u64>>,
    searcher: Searcher,
}

impl VisibleStatistics {
    /// Collects the documents of `searcher` that `filter` matches, deleted ones left out (they
    /// may be a replaced draft's text).
    pub(crate) fn new(searcher: &Searcher, filter: &dyn Query) -> tantivy::Result<Self> {
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
        Ok(VisibleStatistics { visible, num_docs, tokens: RefCell::default(), searcher: searcher.clone() })
    }

    fn segments(&self) -> impl Iterator<Item = (&SegmentReader, &BitSet)> {
        self.searcher.segment_readers().iter().zip(&self.visible)
    }

    fn count_tokens(&self, field: Field) -> tantivy::Result<u64> {
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
        Ok(total)
    }
}

impl Bm25StatisticsProvider for VisibleStatistics {
    fn total_num_tokens(&self, field: Field) -> tantivy::Result<u64> {
        if let Some(total) = self.tokens.borrow().get(&field) {
            return Ok(*total);
        }
        let total = self.count_tokens(field)?;
        self.tokens.borrow_mut().insert(field, total);
        Ok(total)
    }

    fn total_num_docs(&self) -> tantivy::Result<u64> {
        // Never 0: BM25 divides by it (an empty result scores nothing anyway).
        Ok(self.num_docs.max(1))
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
