//! Content negotiation for the FAIR documents of a dataset version: the `Accept` header (read by
//! `kura_core::negotiate`, plus DataCite's profile) or `?format=`, against the representations
//! Kura offers.

use kura_core::negotiate::{choose, media_ranges};

/// A representation of a dataset version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Html,
    Turtle,
    JsonLd,
    RdfXml,
    NTriples,
    DataCite,
    Eln,
}

/// The offered media types, in order of preference for wildcards: `*/*` and `text/*` mean HTML,
/// `application/*` JSON-LD.
pub const OFFERED: &[(&str, Format)] = &[
    ("text/html", Format::Html),
    ("text/turtle", Format::Turtle),
    ("application/ld+json", Format::JsonLd),
    ("application/xhtml+xml", Format::Html),
    ("application/rdf+xml", Format::RdfXml),
    ("application/n-triples", Format::NTriples),
    (DATACITE_TYPE, Format::DataCite),
    ("application/vnd.eln+zip", Format::Eln),
];

/// DataCite XML may also be asked for as `application/xml` with a DataCite profile.
const DATACITE_PROFILE: &str = "datacite";
const DATACITE_TYPE: &str = "application/vnd.datacite.datacite+xml";

impl Format {
    /// The `Content-Type` of the representation.
    pub fn media_type(self) -> &'static str {
        match self {
            Format::Html => "text/html; charset=utf-8",
            Format::Turtle => "text/turtle; charset=utf-8",
            Format::JsonLd => "application/ld+json",
            Format::RdfXml => "application/rdf+xml",
            Format::NTriples => "application/n-triples",
            Format::DataCite => DATACITE_TYPE,
            Format::Eln => "application/vnd.eln+zip",
        }
    }

    /// `?format=` values (also the metadata file names' extensions).
    pub fn from_param(value: &str) -> Option<Format> {
        Some(match value {
            "html" => Format::Html,
            "ttl" | "turtle" => Format::Turtle,
            "jsonld" | "json-ld" => Format::JsonLd,
            "rdf" | "rdfxml" | "xml" => Format::RdfXml,
            "nt" | "ntriples" => Format::NTriples,
            "datacite" => Format::DataCite,
            "eln" | "ro-crate" => Format::Eln,
            _ => return None,
        })
    }
}

/// The list of offered types, for a 406 answer.
pub fn offered_list() -> String {
    let mut types: Vec<&str> = OFFERED.iter().map(|(t, _)| *t).collect();
    types.push("application/xml;profile=\"http://datacite.org/schema/kernel-4\"");
    types.join(", ")
}

/// Picks the representation for an `Accept` header; `None` when nothing offered is acceptable.
/// No header (or an empty one) means HTML.
pub fn negotiate(accept: Option<&str>) -> Option<Format> {
    let Some(accept) = accept.map(str::trim).filter(|a| !a.is_empty()) else {
        return Some(Format::Html);
    };
    let mut ranges = media_ranges(accept);
    // Plain XML with a DataCite profile names DataCite XML.
    for r in &mut ranges {
        let datacite = r.param("profile").is_some_and(|p| p.to_ascii_lowercase().contains(DATACITE_PROFILE));
        if matches!(r.media.as_str(), "application/xml" | "text/xml") && datacite {
            r.media = DATACITE_TYPE.to_owned();
        }
    }
    choose(&ranges, OFFERED)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_headers_pick_the_right_representation() {
        assert_eq!(negotiate(None), Some(Format::Html));
        assert_eq!(
            negotiate(Some("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8")),
            Some(Format::Html)
        );
        assert_eq!(negotiate(Some("text/turtle")), Some(Format::Turtle));
        assert_eq!(negotiate(Some("application/ld+json;q=0.5, text/turtle;q=0.9")), Some(Format::Turtle));
        assert_eq!(
            negotiate(Some("application/xml;profile=\"http://datacite.org/schema/kernel-4\"")),
            Some(Format::DataCite)
        );
        assert_eq!(negotiate(Some("application/vnd.eln+zip")), Some(Format::Eln));
        assert_eq!(negotiate(Some("image/png")), None);
        assert_eq!(negotiate(Some("text/turtle;q=0")), None);
        assert_eq!(negotiate(Some("*/*;q=0.1, application/n-triples")), Some(Format::NTriples));
        assert_eq!(negotiate(Some("application/*")), Some(Format::JsonLd));
        assert_eq!(negotiate(Some("text/*")), Some(Format::Html));
        // q=0 refuses a representation even when a wildcard would take it.
        assert_eq!(negotiate(Some("text/html;q=0, */*")), Some(Format::Turtle));
        assert_eq!(
            negotiate(Some("application/xml;profile=datacite;q=0, application/rdf+xml;q=0.5")),
            Some(Format::RdfXml)
        );
    }
}
