//! The input of the mappings: what the catalog knows about a dataset version and a catalog page,
//! in plain types. The crate does not depend on the catalog (it stays a leaf; of Kura it uses only
//! kura-core's shared types); the integration fills these views from it. All URLs are absolute.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::profile::{LangString, Metadata, Organization};

/// One published (or draft) version of a dataset, as the mappings see it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DatasetView {
    /// Stable dataset id.
    pub id: String,
    /// URL-safe name (`demo-uvvis`).
    pub name: String,
    /// The PID URL that always resolves (`{base}/pid/{id}`); also the dataset's RDF IRI.
    pub pid_url: String,
    /// The human landing page of this version.
    pub landing_url: String,
    /// Kura's version number (1, 2, …).
    pub version: u32,
    pub created: DateTime<Utc>,
    /// When this version was published (`None` for a draft).
    pub published: Option<DateTime<Utc>>,
    pub modified: DateTime<Utc>,
    pub owner: OwnerView,
    pub access: AccessLevel,
    /// SPDX id from the access policy; wins over the one in the metadata.
    pub license: Option<String>,
    /// Terms of use from the access policy (free text).
    pub terms: Option<String>,
    pub metadata: Metadata,
    pub files: Vec<FileView>,
    pub tables: Vec<TableView>,
    pub services: ServiceView,
    /// The moment the description is made for: embargoes are judged against it, like `decide`
    /// judges them per request.
    pub as_of: DateTime<Utc>,
    /// The description is for the owner group: masked columns are listed (as such). Public
    /// descriptions leave them out entirely, like every other path.
    pub include_masked: bool,
    /// The compute job that wrote this version from other versions, if one did.
    #[serde(default)]
    pub derivation: Option<crate::DerivationView>,
}

impl DatasetView {
    /// The licence in force: the policy's, else the metadata's.
    pub fn license(&self) -> Option<&str> {
        self.license.as_deref().or(self.metadata.license.as_deref())
    }

    /// The organization that publishes: the metadata's publisher, else the owner group's
    /// organization.
    pub fn publisher(&self) -> &Organization {
        self.metadata.publisher.as_ref().unwrap_or(&self.owner.organization)
    }

    /// Whether anyone may read the data now (open, or an embargo that has ended).
    pub fn data_is_public(&self) -> bool {
        match &self.access {
            AccessLevel::Open => true,
            AccessLevel::Embargoed { until } => self.as_of >= *until,
            _ => false,
        }
    }
}

/// The group that owns the dataset and its organization.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OwnerView {
    pub group_id: String,
    pub group_name: String,
    pub organization: Organization,
}

/// Who may read the data (metadata is public for every level but `Closed`): the catalog's levels,
/// each consortium described rather than named by id.
pub type AccessLevel = kura_core::access::AccessLevel<ConsortiumView>;

/// A consortium whose accepted members may read the data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsortiumView {
    pub id: String,
    pub name: String,
    /// The data-sharing agreement's URL, if it has one.
    pub agreement_url: Option<String>,
    pub agreement_version: Option<String>,
}

/// A raw or derived file of the version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileView {
    pub path: String,
    /// IANA media type (`text/csv`); `application/octet-stream` when unknown.
    pub media_type: String,
    pub size: u64,
    /// Lowercase hex SHA-256 of the bytes.
    pub sha256: String,
    pub download_url: String,
}

/// A Parquet table Kura derived from a file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TableView {
    pub name: String,
    pub parquet_url: String,
    /// The table's API resource (columns, rows), the distribution's access URL.
    pub api_url: String,
    pub row_count: u64,
    pub byte_size: Option<u64>,
    pub sha256: Option<String>,
    pub columns: Vec<ColumnView>,
    pub provenance: Option<ProvenanceView>,
}

/// A column with its meaning.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ColumnView {
    pub name: String,
    /// The header as it was in the source file (`Temperature [°C]`).
    pub original_label: Option<String>,
    /// Arrow data type name (`Float64`, `Utf8`, `Timestamp(Microsecond, UTC)`).
    pub data_type: String,
    /// The unit as written in the source.
    pub unit: Option<String>,
    /// UCUM code (`Cel`).
    pub ucum: Option<String>,
    /// QUDT unit IRI (`http://qudt.org/vocab/unit/DEG_C`).
    pub qudt: Option<String>,
    /// IRI of the quantity or concept the column holds.
    pub concept: Option<String>,
    pub description: Option<String>,
    pub masked: bool,
}

/// How a table was made: which reader read which file, when, on whose behalf.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProvenanceView {
    pub reader: String,
    pub reader_version: String,
    pub source_path: String,
    pub source_sha256: String,
    pub started: DateTime<Utc>,
    pub ended: DateTime<Utc>,
    /// The person who started the ingest, if recorded (ORCID IRI or name).
    pub started_by: Option<String>,
}

/// Where the dataset's data can be reached by machines.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceView {
    /// The REST API root (`https://kura.example.org/api/v1`).
    pub api_url: String,
    /// The OpenAPI description of it.
    pub api_description_url: Option<String>,
    /// The Arrow Flight endpoint (`grpc+tls://kura.example.org:50051`), if served.
    pub flight_url: Option<String>,
    /// The node's catalog, for schema.org `includedInDataCatalog`.
    pub catalog_name: String,
    pub catalog_url: String,
}

/// One page of the DCAT catalog.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CatalogView {
    /// The node's base URL (`https://kura.example.org`); the catalog IRI is `{base}/catalog`.
    pub base_url: String,
    pub titles: Vec<LangString>,
    pub descriptions: Vec<LangString>,
    pub publisher: Organization,
    pub services: ServiceView,
    pub modified: DateTime<Utc>,
    pub datasets: Vec<DatasetView>,
    pub page: PageView,
}

/// Paging of the catalog (offset/limit over `total` datasets visible to the caller).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageView {
    pub offset: u64,
    pub limit: u64,
    pub total: u64,
}
