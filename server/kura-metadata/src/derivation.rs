//! How a dataset version was derived by a compute job from other versions' tables: the input of
//! the lineage in every mapping (PROV in RDF, `IsDerivedFrom` in DataCite, the landing page, the
//! Workflow Run RO-Crate).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The compute job that wrote a version, and what it used.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DerivationView {
    /// The job's id (also its OpenLineage run id).
    pub job_id: String,
    pub job_name: String,
    /// `sql` or `script`.
    pub runner: String,
    pub code: CodeView,
    /// The person who submitted the job.
    pub submitter: AgentView,
    pub started: Option<DateTime<Utc>>,
    pub ended: Option<DateTime<Utc>>,
    pub inputs: Vec<DerivedInput>,
}

/// The code a job ran.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum CodeView {
    /// The SQL query, in full.
    Sql { query: String, sha256: String },
    /// A script: its checksum and the file the sandbox runs it as.
    Script { sha256: String, entry_point: String, language: String },
}

impl CodeView {
    pub fn sha256(&self) -> &str {
        match self {
            CodeView::Sql { sha256, .. } | CodeView::Script { sha256, .. } => sha256,
        }
    }
}

/// A person acting in the lineage.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgentView {
    pub name: String,
    /// `https://orcid.org/…`, when known.
    pub orcid: Option<String>,
}

/// One input table of the job, pinned to the version it read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DerivedInput {
    /// The input dataset's id.
    pub dataset_id: String,
    /// The PID URL of the input version (its RDF IRI).
    pub pid_url: String,
    pub version: u32,
    pub table: String,
    /// Checksum of the table's Parquet as the job read it.
    pub sha256: String,
    /// Its name and landing page, when the one the description is for may see the input; a
    /// description for everyone (RDF, DataCite) leaves it out.
    pub seen: Option<SeenInput>,
}

/// What a viewer who may see an input learns of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeenInput {
    pub name: String,
    pub landing_url: String,
}
