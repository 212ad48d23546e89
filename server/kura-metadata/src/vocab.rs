//! Namespaces of the vocabularies the mappings use, with the prefixes the serializations declare.

pub const RDF: &str = "http://www.w3.org/1999/02/22-rdf-syntax-ns#";
pub const RDFS: &str = "http://www.w3.org/2000/01/rdf-schema#";
pub const XSD: &str = "http://www.w3.org/2001/XMLSchema#";
pub const DCAT: &str = "http://www.w3.org/ns/dcat#";
pub const DCT: &str = "http://purl.org/dc/terms/";
pub const FOAF: &str = "http://xmlns.com/foaf/0.1/";
pub const VCARD: &str = "http://www.w3.org/2006/vcard/ns#";
pub const PROV: &str = "http://www.w3.org/ns/prov#";
pub const ODRL: &str = "http://www.w3.org/ns/odrl/2/";
pub const SPDX: &str = "http://spdx.org/rdf/terms#";
pub const SKOS: &str = "http://www.w3.org/2004/02/skos/core#";
pub const ADMS: &str = "http://www.w3.org/ns/adms#";
pub const CSVW: &str = "http://www.w3.org/ns/csvw#";
pub const QUDT: &str = "http://qudt.org/schema/qudt/";
pub const ORG: &str = "http://www.w3.org/ns/org#";
pub const LOCN: &str = "http://www.w3.org/ns/locn#";
pub const GSP: &str = "http://www.opengis.net/ont/geosparql#";
pub const HYDRA: &str = "http://www.w3.org/ns/hydra/core#";
pub const SCHEMA: &str = "http://schema.org/";
/// Kura's own terms (`ontologies/kura.ttl`).
pub const KURA: &str = "https://w3id.org/kura/ns#";

/// EU access-right authority table (DCAT-AP's vocabulary for `dct:accessRights`).
pub const ACCESS_RIGHT: &str = "http://publications.europa.eu/resource/authority/access-right/";
/// EU data-theme authority table (DCAT-AP's vocabulary for `dcat:theme`).
pub const DATA_THEME: &str = "http://publications.europa.eu/resource/authority/data-theme/";
/// IANA media type registry, the IRIs DCAT-AP recommends for `dcat:mediaType`.
pub const IANA_MEDIA: &str = "https://www.iana.org/assignments/media-types/";
/// ISO 639-1 language IRIs of the Library of Congress, for `dct:language`.
pub const ISO639_1: &str = "http://id.loc.gov/vocabulary/iso639-1/";

/// Prefixes declared in Turtle and RDF/XML output.
pub const PREFIXES: &[(&str, &str)] = &[
    ("rdf", RDF),
    ("rdfs", RDFS),
    ("xsd", XSD),
    ("dcat", DCAT),
    ("dct", DCT),
    ("foaf", FOAF),
    ("vcard", VCARD),
    ("prov", PROV),
    ("odrl", ODRL),
    ("spdx", SPDX),
    ("skos", SKOS),
    ("adms", ADMS),
    ("csvw", CSVW),
    ("qudt", QUDT),
    ("org", ORG),
    ("locn", LOCN),
    ("gsp", GSP),
    ("hydra", HYDRA),
    ("schema", SCHEMA),
    ("kura", KURA),
];
