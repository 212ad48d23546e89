//! The lineage of a version a compute job wrote, read from the catalog: the job's provenance on
//! the output tables (inputs pinned with their checksums, times, runner), the job's code (its
//! source file in the version) and its submitter. Input names are not filled in: only a caller
//! who may see an input learns its name (`kura_service::fair::lineage`).

use chrono::{DateTime, Utc};
use kura_catalog::entity::file;
use kura_catalog::tables::TableInfo;
use kura_catalog::{Catalog, CatalogError};
use kura_metadata::{AgentView, CodeView, DerivationView, DerivedInput};
use serde_json::Value;
use uuid::Uuid;

use crate::urls;

/// Where a script job's sandbox has the script (`kura-compute`'s script runner).
const SCRIPT_ENTRY_POINT: &str = "/inputs/job.py";

/// The derivation of the version whose `tables` and `files` these are, if a job wrote it.
pub async fn of_version(
    catalog: &Catalog,
    base: &str,
    tables: &[TableInfo],
    files: &[file::Model],
) -> Result<Option<DerivationView>, CatalogError> {
    let Some(table) = tables.iter().find(|t| t.provenance.get("activity").and_then(Value::as_str) == Some("compute"))
    else {
        return Ok(None);
    };
    let p = &table.provenance;
    let Some(job_id) = p.get("job").and_then(Value::as_str).and_then(|s| s.parse::<Uuid>().ok()) else {
        return Ok(None);
    };
    let job = match catalog.compute_job(job_id).await {
        Ok(job) => job,
        Err(CatalogError::NotFound(_)) => return Ok(None),
        Err(e) => return Err(e),
    };
    let sha256 = files.iter().find(|f| f.id == table.source_file_id).map(|f| f.sha256.clone()).unwrap_or_default();
    let code = match job.kind.as_str() {
        "script" => CodeView::Script { sha256, entry_point: SCRIPT_ENTRY_POINT.into(), language: "Python".into() },
        _ => CodeView::Sql { query: job.code.clone(), sha256 },
    };
    let submitter = match catalog.user(job.submitter).await {
        Ok(user) => AgentView {
            name: user.display_name.clone().unwrap_or_else(|| user.subject.clone()),
            orcid: user.orcid.as_deref().map(orcid_url),
        },
        Err(CatalogError::NotFound(_)) => AgentView { name: job.actor.clone(), orcid: None },
        Err(e) => return Err(e),
    };
    let time = |k: &str| p.get(k).and_then(Value::as_str).and_then(|s| DateTime::parse_from_rfc3339(s).ok());
    Ok(Some(DerivationView {
        job_id: job.id.to_string(),
        job_name: job.name.clone(),
        runner: job.kind.clone(),
        code,
        submitter,
        started: time("started_at").map(|t| t.with_timezone(&Utc)),
        ended: time("ended_at").map(|t| t.with_timezone(&Utc)),
        inputs: p.get("inputs").and_then(Value::as_array).map(|a| inputs(base, a)).unwrap_or_default(),
    }))
}

/// The inputs as the worker recorded them: `{dataset, version, table, sha256}`.
fn inputs(base: &str, recorded: &[Value]) -> Vec<DerivedInput> {
    recorded
        .iter()
        .filter_map(|i| {
            let dataset = i.get("dataset")?.as_str()?;
            let version = i32::try_from(i.get("version")?.as_i64()?).ok()?;
            Some(DerivedInput {
                dataset_id: dataset.to_owned(),
                pid_url: urls::pid(base, dataset, version),
                version: version.max(0) as u32,
                table: i.get("table")?.as_str()?.to_owned(),
                sha256: i.get("sha256").and_then(Value::as_str).unwrap_or_default().to_owned(),
                seen: None,
            })
        })
        .collect()
}

/// An ORCID as its IRI, however it was stored.
fn orcid_url(orcid: &str) -> String {
    if orcid.starts_with("https://") { orcid.to_owned() } else { format!("https://orcid.org/{orcid}") }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn recorded_inputs_become_version_pids_and_bad_ones_are_skipped() {
        let recorded = [
            json!({"dataset": "0190a6e4-0000-7000-8000-000000000001", "version": 2, "table": "t", "sha256": "ab"}),
            json!({"dataset": "x", "table": "t"}),
        ];
        let inputs = inputs("http://node", &recorded);
        assert_eq!(inputs.len(), 1);
        assert_eq!(inputs[0].pid_url, "http://node/pid/0190a6e4-0000-7000-8000-000000000001/2");
        assert_eq!(inputs[0].sha256, "ab");
        assert_eq!(orcid_url("0000-0002-1825-0097"), "https://orcid.org/0000-0002-1825-0097");
    }
}
