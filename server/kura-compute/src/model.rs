//! A compute job as submitted, on every surface (REST, TES, CLI): its kind, its code, the
//! Kura tables it reads (never URLs) and the tables it writes. [`JobRequest::validate`] is the
//! one check of its shape; access to the inputs is the service layer's.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::ComputeError;

/// Most inputs one job may declare.
pub const MAX_INPUTS: usize = 32;
/// Largest SQL text or command accepted.
pub const MAX_CODE_BYTES: usize = 256 * 1024;
/// The output table of a job that names none.
pub const DEFAULT_OUTPUT: &str = "result";

/// What runs: a DataFusion SQL query, or a command in the sandbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum JobKind {
    Sql,
    Script,
}

impl JobKind {
    /// The name stored in the catalog.
    pub fn as_str(self) -> &'static str {
        match self {
            JobKind::Sql => "sql",
            JobKind::Script => "script",
        }
    }
}

impl std::str::FromStr for JobKind {
    type Err = ComputeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "sql" => Ok(JobKind::Sql),
            "script" => Ok(JobKind::Script),
            other => Err(ComputeError::Invalid(format!("unknown job kind {other:?}: use sql or script"))),
        }
    }
}

/// One table a job reads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InputRef {
    /// The name the job reads it under (the SQL table name); the table's name when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Dataset name or id.
    pub dataset: String,
    /// A version number or `latest` (the default).
    #[serde(default = "latest")]
    pub version: String,
    pub table: String,
    /// The columns to read; every column the submitter may see when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub columns: Option<Vec<String>>,
}

fn latest() -> String {
    "latest".into()
}

impl InputRef {
    /// The name the job reads this input under.
    pub fn local_name(&self) -> &str {
        self.name.as_deref().unwrap_or(&self.table)
    }

    /// `dataset/version/table`, as messages name it.
    pub fn reference(&self) -> String {
        format!("{}/{}/{}", self.dataset, self.version, self.table)
    }

    /// Parses `kura:dataset/version/table` (how TES inputs carry a Kura table in `url`).
    pub fn from_url(url: &str) -> Result<InputRef, ComputeError> {
        let bad = || {
            ComputeError::Invalid(format!(
                "input url {url:?} is not a Kura table reference: write kura:DATASET/VERSION/TABLE (VERSION a number or latest)"
            ))
        };
        let rest = url.strip_prefix("kura:").ok_or_else(bad)?;
        let mut parts = rest.splitn(3, '/');
        let (Some(dataset), Some(version), Some(table)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(bad());
        };
        if dataset.is_empty() || table.is_empty() {
            return Err(bad());
        }
        Ok(InputRef {
            name: None,
            dataset: dataset.into(),
            version: version.into(),
            table: table.into(),
            columns: None,
        })
    }
}

/// A job as submitted.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct JobRequest {
    /// A name for people; `job` when absent.
    #[serde(default)]
    pub name: Option<String>,
    pub kind: JobKind,
    /// The SQL query (kind `sql`) or the command (kind `script`).
    pub code: String,
    pub inputs: Vec<InputRef>,
    /// Names of the output tables; one, `result`, when absent.
    #[serde(default)]
    pub outputs: Vec<String>,
    /// The group that will own the output dataset (name or id); needed only when the
    /// submitter belongs to several.
    #[serde(default)]
    pub group: Option<String>,
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
}

/// Whether `name` may name an input or output table: it becomes a SQL table name and a file
/// name under `/inputs` or `/outputs`, so no separators, quotes or dots-only names.
fn valid_table_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 128
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
        && (name.as_bytes()[0].is_ascii_alphanumeric() || name.as_bytes()[0] == b'_')
}

impl JobRequest {
    /// The output table names, with the default.
    pub fn output_names(&self) -> Vec<String> {
        if self.outputs.is_empty() { vec![DEFAULT_OUTPUT.to_owned()] } else { self.outputs.clone() }
    }

    /// Checks the job's shape; says precisely what is wrong.
    pub fn validate(&self) -> Result<(), ComputeError> {
        let invalid = |m: String| Err(ComputeError::Invalid(m));
        if self.code.trim().is_empty() {
            return invalid("the job has no code: give the SQL query or the command in `code`".into());
        }
        if self.code.len() > MAX_CODE_BYTES {
            return invalid(format!("the job's code is longer than {MAX_CODE_BYTES} bytes"));
        }
        if self.inputs.is_empty() || self.inputs.len() > MAX_INPUTS {
            return invalid(format!(
                "a job reads 1 to {MAX_INPUTS} input tables; this one declares {}",
                self.inputs.len()
            ));
        }
        let mut seen = BTreeSet::new();
        for input in &self.inputs {
            let name = input.local_name();
            if !valid_table_name(name) {
                return invalid(format!(
                    "input name {name:?} is not usable: use 1 to 128 letters, digits, '-', '_' or '.', starting with a letter, digit or '_'"
                ));
            }
            if !seen.insert(name.to_owned()) {
                return invalid(format!("two inputs are named {name:?}: give one of them another `name`"));
            }
            if input.version != "latest" && input.version.parse::<u32>().map_or(true, |n| n == 0) {
                return invalid(format!(
                    "input {name:?}: version {:?} is not a version number or latest",
                    input.version
                ));
            }
            if input.columns.as_ref().is_some_and(|c| c.is_empty()) {
                return invalid(format!(
                    "input {name:?} declares an empty column list: leave `columns` out to read all"
                ));
            }
        }
        let outputs = self.output_names();
        if self.kind == JobKind::Sql && outputs.len() != 1 {
            return invalid("a SQL job writes exactly one output table (one query)".into());
        }
        let mut seen = BTreeSet::new();
        for name in &outputs {
            if !valid_table_name(name) || !seen.insert(name) {
                return invalid(format!("output table name {name:?} is not usable or given twice"));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sql(inputs: Vec<InputRef>) -> JobRequest {
        JobRequest {
            name: None,
            kind: JobKind::Sql,
            code: "SELECT 1".into(),
            inputs,
            outputs: vec![],
            group: None,
            tags: BTreeMap::new(),
        }
    }

    #[test]
    fn table_references_parse_from_tes_urls() {
        let input = InputRef::from_url("kura:uvvis/latest/spectra").unwrap();
        assert_eq!(
            (input.dataset.as_str(), input.version.as_str(), input.table.as_str()),
            ("uvvis", "latest", "spectra")
        );
        assert_eq!(InputRef::from_url("kura:a/2/t.b").unwrap().table, "t.b");
        for bad in ["https://x/y", "kura:a/latest", "kura:/1/t", "s3://bucket/key"] {
            assert!(matches!(InputRef::from_url(bad), Err(ComputeError::Invalid(_))), "{bad}");
        }
    }

    #[test]
    fn malformed_jobs_are_refused_with_the_reason() {
        let input = InputRef::from_url("kura:a/latest/t").unwrap();
        assert!(sql(vec![input.clone()]).validate().is_ok());
        let cases: Vec<(JobRequest, &str)> = vec![
            (sql(vec![]), "1 to 32 input tables"),
            (sql(vec![input.clone(), input.clone()]), "two inputs are named"),
            (sql(vec![InputRef { version: "0".into(), ..input.clone() }]), "not a version number"),
            (sql(vec![InputRef { name: Some("../x".into()), ..input.clone() }]), "is not usable"),
            (JobRequest { code: " ".into(), ..sql(vec![input.clone()]) }, "no code"),
            (JobRequest { outputs: vec!["a".into(), "b".into()], ..sql(vec![input.clone()]) }, "exactly one output"),
        ];
        for (job, want) in cases {
            let err = job.validate().unwrap_err().to_string();
            assert!(err.contains(want), "{err} should say {want}");
        }
    }
}
