//! Kura's FAIR metadata: the metadata profile (typed, validated against
//! `schema/metadata-profile.schema.json` plus checks JSON Schema cannot express) and its
//! mappings to DCAT-AP 3 RDF (with PROV-O, ODRL, csvw/QUDT), schema.org JSON-LD and DataCite 4.7
//! XML. A leaf crate: the integration fills [`DatasetView`] and [`CatalogView`] from the catalog.

pub mod citation;
mod datacite;
mod derivation;
mod error;
pub mod fos;
pub mod percent;
mod profile;
mod rdf;
pub mod rocrate;
pub mod samples;
mod schema_org;
mod serialize;
pub mod spdx;
mod validate;
mod view;
pub mod vocab;
pub mod xml;

pub use datacite::to_datacite_xml;
pub use derivation::{AgentView, CodeView, DerivationView, DerivedInput, SeenInput};
pub use error::{MetadataError, Violation};
pub use profile::*;
pub use rdf::{catalog_graph, catalog_iri, dataset_graph};
pub use rocrate::{Imported, fill_empty, from_ro_crate};
pub use schema_org::{schema_org_context, to_schema_org};
pub use serialize::{to_jsonld, to_ntriples, to_rdfxml, to_turtle};
pub use validate::{PROFILE_SCHEMA, validate, validate_draft, validate_metadata};
pub use view::*;
