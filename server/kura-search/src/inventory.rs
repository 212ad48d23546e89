//! What the index holds, document by document, for `kura verify` to compare with what the
//! projection would write from the catalog now. Only the stored key fields and the access
//! fields take part: a document whose text is stale still finds its dataset, but one whose
//! access level, state or visibility is stale shows a version to the wrong people.

use std::collections::BTreeSet;

use tantivy::collector::{Count, DocSetCollector};
use tantivy::query::{AllQuery, BooleanQuery, Occur, Query, TermQuery};
use tantivy::schema::{IndexRecordOption, Value};
use tantivy::{TantivyDocument, Term};

use crate::schema::f;
use crate::{SearchDoc, SearchError, SearchIndex};

/// The fields of one document that must match the catalog.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct IndexedDoc {
    /// `dataset id:version`, the index's key.
    pub doc_id: String,
    pub name: String,
    pub state: String,
    pub access: String,
    pub license: Option<String>,
    pub group: Option<String>,
    pub organization: Option<String>,
}

impl IndexedDoc {
    /// What the index should hold for `doc`.
    pub fn of(doc: &SearchDoc) -> Self {
        IndexedDoc {
            doc_id: doc.doc_id(),
            name: doc.name.clone(),
            state: doc.state.clone(),
            access: doc.access_level.clone(),
            license: doc.license.clone(),
            group: doc.group.clone(),
            organization: doc.organization.clone(),
        }
    }
}

impl SearchIndex {
    /// Every committed document's key and access fields, sorted.
    pub fn inventory(&self) -> Result<Vec<IndexedDoc>, SearchError> {
        let searcher = self.reader.searcher();
        let addresses = searcher.search(&AllQuery, &DocSetCollector)?;
        let mut docs = Vec::with_capacity(addresses.len());
        for address in addresses {
            let doc: TantivyDocument = searcher.doc(address)?;
            let text = |name: &str| {
                doc.get_first(self.schema.get_field(name).ok()?).and_then(|v| v.as_str()).map(str::to_owned)
            };
            docs.push(IndexedDoc {
                doc_id: text(f::DOC_ID).unwrap_or_default(),
                name: text(f::NAME).unwrap_or_default(),
                state: text(f::STATE).unwrap_or_default(),
                access: text(f::ACCESS).unwrap_or_default(),
                license: text(f::LICENSE),
                group: text(f::GROUP),
                organization: text(f::ORGANIZATION),
            });
        }
        docs.sort();
        Ok(docs)
    }

    /// Whether the document `doc_id` carries every one of `tokens` as a visibility token (they
    /// are indexed, not stored, so this asks the index).
    pub fn has_visibility(&self, doc_id: &str, tokens: &BTreeSet<String>) -> Result<bool, SearchError> {
        let term = |field: &str, value: &str| -> Result<Box<dyn Query>, SearchError> {
            let field = self.schema.get_field(field)?;
            Ok(Box::new(TermQuery::new(Term::from_field_text(field, value), IndexRecordOption::Basic)))
        };
        let mut clauses = vec![(Occur::Must, term(f::DOC_ID, doc_id)?)];
        for token in tokens {
            clauses.push((Occur::Must, term(f::VISIBILITY, token)?));
        }
        Ok(self.reader.searcher().search(&BooleanQuery::new(clauses), &Count)? == 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_inventory_lists_committed_documents_with_their_access_fields() {
        let index = SearchIndex::in_memory().unwrap();
        let dataset = uuid::Uuid::now_v7();
        let doc = SearchDoc {
            dataset_id: dataset,
            name: "spectra".into(),
            version: 2,
            state: "published".into(),
            access_level: "open".into(),
            license: Some("CC-BY-4.0".into()),
            visibility: vec!["public".into()],
            ..SearchDoc::default()
        };
        index.replace_dataset(dataset, std::slice::from_ref(&doc)).unwrap();
        assert!(index.inventory().unwrap().is_empty(), "nothing before the commit");
        index.commit(7).unwrap();
        assert_eq!(index.inventory().unwrap(), vec![IndexedDoc::of(&doc)]);
        let public = BTreeSet::from(["public".to_owned()]);
        assert!(index.has_visibility(&doc.doc_id(), &public).unwrap());
        let group = BTreeSet::from(["group:x".to_owned()]);
        assert!(!index.has_visibility(&doc.doc_id(), &group).unwrap());
    }
}
