//! Content negotiation for the FAIR documents of a dataset version: the `Accept` header (with
//! q-values, wildcards and profiles) or `?format=`, against the representations Kura offers.

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

/// The offered media types, in order of preference for wildcards.
pub const OFFERED: &[(&str, Format)] = &[
    ("text/html", Format::Html),
    ("application/xhtml+xml", Format::Html),
    ("text/turtle", Format::Turtle),
    ("application/ld+json", Format::JsonLd),
    ("application/rdf+xml", Format::RdfXml),
    ("application/n-triples", Format::NTriples),
    ("application/vnd.datacite.datacite+xml", Format::DataCite),
    ("application/vnd.eln+zip", Format::Eln),
];

/// DataCite XML may also be asked for as `application/xml` with a DataCite profile.
const DATACITE_PROFILE: &str = "datacite";

impl Format {
    /// The `Content-Type` of the representation.
    pub fn media_type(self) -> &'static str {
        match self {
            Format::Html => "text/html; charset=utf-8",
            Format::Turtle => "text/turtle; charset=utf-8",
            Format::JsonLd => "application/ld+json",
            Format::RdfXml => "application/rdf+xml",
            Format::NTriples => "application/n-triples",
            Format::DataCite => "application/vnd.datacite.datacite+xml",
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
    let mut best: Option<(f32, usize, Format)> = None;
    for (order, range) in accept.split(',').enumerate() {
        let mut parts = range.split(';').map(str::trim);
        let media = parts.next().unwrap_or("").to_ascii_lowercase();
        let mut q = 1.0f32;
        let mut profile = String::new();
        for p in parts {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            let v = v.trim().trim_matches('"');
            match k.trim().to_ascii_lowercase().as_str() {
                "q" => q = v.parse().unwrap_or(0.0),
                "profile" => profile = v.to_ascii_lowercase(),
                _ => {}
            }
        }
        if q <= 0.0 {
            continue;
        }
        let format = match media.as_str() {
            "*/*" | "text/*" => Some(Format::Html),
            "application/*" => Some(Format::JsonLd),
            "application/xml" | "text/xml" if profile.contains(DATACITE_PROFILE) => Some(Format::DataCite),
            m => OFFERED.iter().find(|(t, _)| *t == m).map(|(_, f)| *f),
        };
        let Some(format) = format else { continue };
        // Specific types beat wildcards at the same q.
        let specific = !media.contains('*');
        let q = if specific { q + 0.0001 } else { q };
        if best.is_none_or(|(bq, bo, _)| q > bq || (q == bq && order < bo)) {
            best = Some((q, order, format));
        }
    }
    best.map(|(_, _, f)| f)
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
    }
}
