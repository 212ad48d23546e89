//! Errors of the metadata crate.

use std::fmt;

/// One rule a metadata document breaks: where (`creators[0].orcid`) and which rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// Field path in the document, `titles[1].lang` style (empty for the document itself).
    pub path: String,
    /// The rule, named as the schema keyword (`pattern`, `required`) or the Kura check
    /// (`orcid-checksum`, `spdx-license`, `ror-checksum`, `language-tag`).
    pub rule: String,
    /// What is wrong, lowercase.
    pub message: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = if self.path.is_empty() { "(document)" } else { &self.path };
        write!(f, "{path}: {} ({})", self.message, self.rule)
    }
}

/// What can go wrong when validating or mapping metadata.
#[derive(Debug, thiserror::Error)]
pub enum MetadataError {
    /// The document breaks the profile; every violation is listed.
    #[error("metadata does not follow the profile: {}", list(.0))]
    Invalid(Vec<Violation>),
    /// A value that must be an IRI (a URL of the view, an ORCID, a licence) is not one.
    #[error("not an iri: {value}")]
    BadIri {
        value: String,
        #[source]
        source: oxrdf::IriParseError,
    },
    /// A language tag the RDF model refuses.
    #[error("bad language tag {tag}")]
    BadLanguageTag {
        tag: String,
        #[source]
        source: oxrdf::LanguageTagParseError,
    },
    /// Serialization of RDF or XML failed (only on writer bugs: output goes to memory).
    #[error("serialization failed: {0}")]
    Serialize(String),
}

impl MetadataError {
    /// True when the caller sent something wrong (HTTP 4xx), false for Kura's own faults.
    pub fn is_client_error(&self) -> bool {
        matches!(self, MetadataError::Invalid(_))
    }
}

fn list(violations: &[Violation]) -> String {
    violations.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")
}
