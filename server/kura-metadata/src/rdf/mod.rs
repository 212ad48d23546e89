//! The mapping to RDF: DCAT-AP 3 for the catalog, datasets, distributions and data services;
//! DCT, FOAF and vCard for agents; PROV-O for ingestion; ODRL for the access policy; csvw and
//! QUDT for table columns; Kura's own terms (`ontologies/kura.ttl`) for the rest.
//!
//! Every node a DCAT-AP shape constrains by class is typed explicitly (the shapes are checked
//! without inference), and IRIs minted for parts of a dataset are fragments of its PID URL, so
//! they stay stable across deployments of the same node.

mod agents;
mod catalog;
mod dataset;
mod derivation;
mod distribution;
mod policy;
mod prov;

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use oxrdf::{BlankNode, Graph, Literal, NamedNode, NamedOrBlankNode, Term, Triple};

use crate::error::MetadataError;
use crate::view::{CatalogView, DatasetView};
use crate::vocab::{RDF, XSD};

pub use catalog::catalog_iri;
pub(crate) use distribution::PARQUET_MEDIA_TYPE;

/// The RDF description of one dataset version, with its distributions, data services, policy
/// and provenance.
pub fn dataset_graph(view: &DatasetView) -> Result<Graph, MetadataError> {
    let mut b = Builder::default();
    dataset::add_dataset(&mut b, view)?;
    Ok(b.graph)
}

/// The RDF description of one catalog page: the catalog, its services, and every dataset on the
/// page in full.
pub fn catalog_graph(view: &CatalogView) -> Result<Graph, MetadataError> {
    let mut b = Builder::default();
    catalog::add_catalog(&mut b, view)?;
    Ok(b.graph)
}

/// A graph under construction, with helpers that keep the mapping code short.
#[derive(Default)]
pub(crate) struct Builder {
    pub graph: Graph,
}

impl Builder {
    pub fn add(&mut self, s: &NamedOrBlankNode, p: NamedNode, o: impl Into<Term>) {
        self.graph.insert(&Triple::new(s.clone(), p, o));
    }

    pub fn typed(&mut self, s: &NamedOrBlankNode, classes: &[NamedNode]) {
        for class in classes {
            self.add(s, term(RDF, "type"), class.clone());
        }
    }

    pub fn add_str(&mut self, s: &NamedOrBlankNode, p: NamedNode, value: &str) {
        self.add(s, p, Literal::new_simple_literal(value));
    }

    pub fn add_lang(
        &mut self,
        s: &NamedOrBlankNode,
        p: NamedNode,
        value: &str,
        lang: &str,
    ) -> Result<(), MetadataError> {
        let literal = Literal::new_language_tagged_literal(value, lang)
            .map_err(|source| MetadataError::BadLanguageTag { tag: lang.to_owned(), source })?;
        self.add(s, p, literal);
        Ok(())
    }

    pub fn add_typed(&mut self, s: &NamedOrBlankNode, p: NamedNode, value: &str, xsd_type: &str) {
        self.add(s, p, Literal::new_typed_literal(value, term(XSD, xsd_type)));
    }

    pub fn add_datetime(&mut self, s: &NamedOrBlankNode, p: NamedNode, at: &DateTime<Utc>) {
        self.add_typed(s, p, &at.to_rfc3339_opts(SecondsFormat::Secs, true), "dateTime");
    }

    pub fn add_date(&mut self, s: &NamedOrBlankNode, p: NamedNode, day: &NaiveDate) {
        self.add_typed(s, p, &day.format("%Y-%m-%d").to_string(), "date");
    }
}

/// A vocabulary term (the namespaces are constants, so no check is needed).
pub(crate) fn term(ns: &str, local: &str) -> NamedNode {
    NamedNode::new_unchecked(format!("{ns}{local}"))
}

/// A node for a data-supplied IRI, checked.
pub(crate) fn iri(value: &str) -> Result<NamedOrBlankNode, MetadataError> {
    named(value).map(Into::into)
}

/// A named node for a data-supplied IRI, checked.
pub(crate) fn named(value: &str) -> Result<NamedNode, MetadataError> {
    NamedNode::new(value).map_err(|source| MetadataError::BadIri { value: value.to_owned(), source })
}

/// A fresh blank node.
pub(crate) fn blank() -> NamedOrBlankNode {
    BlankNode::default().into()
}

/// A fragment of `base` naming a part of the dataset, with the name percent-encoded so any path
/// makes a valid IRI.
pub(crate) fn part(base: &str, kind: &str, name: &str) -> Result<NamedOrBlankNode, MetadataError> {
    let encoded = crate::percent::segment(name);
    let base = base.split('#').next().unwrap_or(base);
    iri(&format!("{base}#{kind}-{encoded}"))
}
