//! What the index holds per dataset version: the searchable metadata and who may see it.

use chrono::{DateTime, Datelike, Utc};
use serde::{Deserialize, Serialize};
use tantivy::schema::Schema;
use tantivy::{DateTime as TantivyDate, TantivyDocument};
use uuid::Uuid;

use crate::schema::f;

/// One dataset version as the index sees it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SearchDoc {
    pub dataset_id: Uuid,
    pub name: String,
    pub version: i32,
    pub state: String,
    /// Titles in every language (`en`, `ja` …), all searchable.
    pub titles: Vec<String>,
    pub descriptions: Vec<String>,
    pub creators: Vec<String>,
    pub affiliations: Vec<String>,
    pub keywords: Vec<String>,
    pub subjects: Vec<String>,
    /// Column names and original labels.
    pub columns: Vec<String>,
    /// Units as written and as UCUM codes.
    pub units: Vec<String>,
    /// Notebook text, header comments, instruments, samples, identifiers.
    pub text: Vec<String>,
    pub formats: Vec<String>,
    pub access_level: String,
    pub license: Option<String>,
    pub group: Option<String>,
    pub organization: Option<String>,
    pub published: Option<DateTime<Utc>>,
    /// Who may know this version exists: `public`, `group:<id>`.
    pub visibility: Vec<String>,
}

impl SearchDoc {
    /// The index's key for this document.
    pub fn doc_id(&self) -> String {
        format!("{}:{}", self.dataset_id, self.version)
    }

    pub(crate) fn to_tantivy(&self, schema: &Schema) -> TantivyDocument {
        let field = |name: &str| schema.get_field(name).expect("field in schema");
        let mut doc = TantivyDocument::default();
        doc.add_text(field(f::DOC_ID), self.doc_id());
        doc.add_text(field(f::DATASET_ID), self.dataset_id.to_string());
        doc.add_text(field(f::NAME), &self.name);
        doc.add_u64(field(f::VERSION), u64::try_from(self.version).unwrap_or_default());
        doc.add_text(field(f::STATE), &self.state);
        for (plain, cjk, values) in
            [(f::TITLE, f::TITLE_CJK, &self.titles), (f::DESCRIPTION, f::DESCRIPTION_CJK, &self.descriptions)]
        {
            for v in values {
                doc.add_text(field(plain), v);
                doc.add_text(field(cjk), v);
            }
        }
        let body =
            self.columns.iter().chain(&self.text).chain(&self.affiliations).chain(&self.keywords).chain(&self.subjects);
        for v in body {
            doc.add_text(field(f::BODY), v);
            doc.add_text(field(f::BODY_CJK), v);
        }
        for c in &self.creators {
            doc.add_text(field(f::CREATOR), c);
            doc.add_text(field(f::CREATOR_FACET), c);
        }
        for (name, values) in [
            (f::KEYWORD, &self.keywords),
            (f::SUBJECT, &self.subjects),
            (f::UNIT, &self.units),
            (f::FORMAT, &self.formats),
        ] {
            for v in values {
                doc.add_text(field(name), v);
            }
        }
        doc.add_text(field(f::ACCESS), &self.access_level);
        for (name, value) in
            [(f::LICENSE, &self.license), (f::GROUP, &self.group), (f::ORGANIZATION, &self.organization)]
        {
            if let Some(v) = value {
                doc.add_text(field(name), v);
            }
        }
        if let Some(published) = self.published {
            doc.add_text(field(f::YEAR), published.year().to_string());
            doc.add_date(field(f::PUBLISHED), TantivyDate::from_timestamp_micros(published.timestamp_micros()));
        }
        for token in &self.visibility {
            doc.add_text(field(f::VISIBILITY), token);
        }
        doc
    }
}
