//! The metadata profile as Rust types: what a dataset version says about itself beyond its files.
//! `schema/metadata-profile.schema.json` is the normative form; these types mirror it so that the
//! mappings work on typed values (validated documents always deserialize into them).

use serde::{Deserialize, Serialize};

/// A text in one language (`lang` is a BCP 47 tag such as `en`, `ja`, `ja-Latn`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LangString {
    pub lang: String,
    pub value: String,
}

impl LangString {
    /// A text in `lang`.
    pub fn new(lang: &str, value: &str) -> Self {
        Self { lang: lang.to_owned(), value: value.to_owned() }
    }
}

/// Picks the text in `lang`, else English, else the first one: for the places (schema.org `name`,
/// DataCite's main title) that want a single text.
pub fn pick<'a>(texts: &'a [LangString], lang: &str) -> Option<&'a LangString> {
    texts.iter().find(|t| t.lang == lang).or_else(|| texts.iter().find(|t| t.lang == "en")).or_else(|| texts.first())
}

/// The descriptive metadata of a dataset version.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Metadata {
    /// Titles, one per language (at least one).
    pub titles: Vec<LangString>,
    /// Abstracts, one per language (at least one).
    pub descriptions: Vec<LangString>,
    /// The people or organizations who made the data, in citation order.
    pub creators: Vec<Agent>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub contributors: Vec<Contributor>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub keywords: Vec<LangString>,
    /// Subjects from the OECD Fields of Science and Technology (FOS 2007) classification.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub subjects: Vec<Subject>,
    /// SPDX licence id; the dataset's access policy may name one too, which then wins.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub license: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub funding: Vec<Funding>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub related_identifiers: Vec<RelatedIdentifier>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temporal_coverage: Option<TemporalCoverage>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spatial_coverage: Option<SpatialCoverage>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub instruments: Vec<Instrument>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub samples: Vec<Sample>,
    /// How the data were produced, per language.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub methods: Vec<LangString>,
    /// Variables measured, for datasets whose files Kura cannot read into tables (tables carry
    /// their columns themselves).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub variables_measured: Vec<String>,
    /// Main language of the data (BCP 47).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    /// The authors' own version label (Kura numbers versions separately).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Publisher when it is not the owner group's organization.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub publisher: Option<Organization>,
    /// A DOI registered for this dataset (`10.1234/abc`), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub doi: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<Contact>,
}

/// Whether an agent is a person or an organization (DataCite `nameType`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AgentKind {
    #[default]
    Person,
    Organization,
}

/// A creator: a person (ORCID, affiliations) or an organization (ROR).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Agent {
    #[serde(default)]
    pub kind: AgentKind,
    /// Display name, "Family, Given" for people.
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub given_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family_name: Option<String>,
    /// ORCID iD in its bare form `0000-0002-1825-0097`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub orcid: Option<String>,
    /// ROR id (`https://ror.org/0…`) of an organization agent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ror: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub affiliations: Vec<Organization>,
}

impl Agent {
    /// The ORCID as the IRI `https://orcid.org/…`.
    pub fn orcid_iri(&self) -> Option<String> {
        self.orcid.as_ref().map(|o| format!("https://orcid.org/{o}"))
    }
}

/// A contributor: an agent with its DataCite contributor type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contributor {
    #[serde(flatten)]
    pub agent: Agent,
    /// DataCite `contributorType` (`DataCollector`, `ContactPerson`, …).
    pub role: String,
}

/// An organization, optionally with its ROR id (`https://ror.org/0…`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Organization {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ror: Option<String>,
}

/// A subject from FOS 2007, by code (`1.4` = chemical sciences).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Subject {
    /// Always `FOS` for now; the field leaves room for other vocabularies.
    pub scheme: String,
    pub code: String,
}

/// A grant that paid for the work.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Funding {
    pub funder_name: String,
    /// Funder IRI: a ROR id or a Crossref Funder ID (`https://doi.org/10.13039/…`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub funder_identifier: Option<String>,
    /// DataCite `funderIdentifierType`: `ROR`, `Crossref Funder ID`, `ISNI`, `GRID` or `Other`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub funder_identifier_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub award_number: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub award_title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub award_uri: Option<String>,
}

/// A link to another resource, typed as DataCite does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RelatedIdentifier {
    pub identifier: String,
    /// DataCite `relatedIdentifierType` (`DOI`, `URL`, `arXiv`, …).
    pub identifier_type: String,
    /// DataCite `relationType` (`IsSupplementTo`, `Cites`, …).
    pub relation_type: String,
}

impl RelatedIdentifier {
    /// The identifier as an IRI where its type has a resolver (DOIs, URLs, arXiv, Handles).
    pub fn iri(&self) -> Option<String> {
        match self.identifier_type.as_str() {
            "DOI" => Some(format!("https://doi.org/{}", self.identifier)),
            "URL" | "PURL" | "w3id" => Some(self.identifier.clone()),
            "arXiv" => Some(format!("https://arxiv.org/abs/{}", self.identifier.trim_start_matches("arXiv:"))),
            "Handle" => Some(format!("https://hdl.handle.net/{}", self.identifier)),
            _ => None,
        }
    }
}

/// The period the data cover (ISO dates, `end` optional for ongoing series).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TemporalCoverage {
    pub start: chrono::NaiveDate,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<chrono::NaiveDate>,
}

/// Where the data were taken: a named place with an optional point and bounding box (WGS 84).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpatialCoverage {
    pub place: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub point: Option<Point>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bbox: Option<BoundingBox>,
}

/// A WGS 84 point.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Point {
    pub latitude: f64,
    pub longitude: f64,
}

/// A WGS 84 bounding box.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BoundingBox {
    pub west: f64,
    pub east: f64,
    pub south: f64,
    pub north: f64,
}

/// An instrument used to take the data; `identifier` is an IRI (a PIDINST DOI, a vendor page).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Instrument {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identifier: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manufacturer: Option<String>,
}

/// A physical sample the data are about; `identifier` is an IRI (an IGSN, a lab's sample page).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sample {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identifier: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// Whom to ask about the dataset.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Contact {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}
