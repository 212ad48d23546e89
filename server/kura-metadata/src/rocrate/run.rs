//! The Process Run Crate (Workflow Run RO-Crate profile, <https://w3id.org/ro/wfrun/process/0.5>)
//! part of a crate whose version a compute job wrote: a `CreateAction` whose `instrument` is the
//! job's code, `object` the input versions, `result` the output tables, `agent` the submitter,
//! with its start and end; the root `mentions` it and `conformsTo` the profile.

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Value, json};

use crate::derivation::{CodeView, DerivationView};
use crate::view::{DatasetView, TableView};

/// The Process Run Crate profile the crate conforms to when a job wrote its version.
pub const PROCESS_RUN_CRATE: &str = "https://w3id.org/ro/wfrun/process/0.5";

/// Adds the action, its code, agent and inputs to `graph`, and the profile and the mention to
/// `root`; `tables` are the output tables packed in the crate (the root when none is).
pub(super) fn add_process_run(graph: &mut Vec<Value>, root: &mut Value, view: &DatasetView, tables: &[String]) {
    let Some(d) = &view.derivation else { return };
    let action = format!("#job-{}", d.job_id);
    let code = code_entity(view, d);
    let agent = agent_entity(d);
    // One entity per input version, however many of its tables the job read.
    let mut objects: Vec<Value> = Vec::new();
    for (i, input) in d.inputs.iter().enumerate() {
        let reference = json!({"@id": input.pid_url});
        if objects.contains(&reference) {
            continue;
        }
        let name = match &input.seen {
            Some(seen) => format!("{} version {}", seen.name, input.version),
            None => format!("input {} of the job", i + 1),
        };
        graph.push(json!({"@id": input.pid_url, "@type": "CreativeWork", "name": name}));
        objects.push(reference);
    }
    let results: Vec<Value> = if tables.is_empty() {
        vec![json!({"@id": "./"})]
    } else {
        tables.iter().map(|id| json!({"@id": id})).collect()
    };
    let mut entity = json!({
        "@id": action,
        "@type": "CreateAction",
        "name": format!("Run of compute job {}", d.job_name),
        "description": format!("Kura {} job {} derived this version from {} input table(s)", d.runner, d.job_id, d.inputs.len()),
        "identifier": d.job_id,
        "instrument": {"@id": code["@id"]},
        "agent": {"@id": agent["@id"]},
        "object": one_or_many(objects),
        "result": one_or_many(results),
    });
    if let Some(started) = &d.started {
        entity["startTime"] = json!(iso(started));
    }
    if let Some(ended) = &d.ended {
        entity["endTime"] = json!(iso(ended));
    }
    graph.extend([entity, code, agent]);
    graph.push(
        json!({"@id": PROCESS_RUN_CRATE, "@type": "CreativeWork", "name": "Process Run Crate", "version": "0.5"}),
    );
    root["conformsTo"] = json!({"@id": PROCESS_RUN_CRATE});
    root["mentions"] = json!({"@id": action});
}

/// One reference as itself, several as a list (RO-Crate 1.1 wants no singleton arrays).
fn one_or_many(mut refs: Vec<Value>) -> Value {
    if refs.len() == 1 { refs.remove(0) } else { Value::Array(refs) }
}

/// The job's code as `SoftwareSourceCode` (an absolute id under the version's PID, found at its
/// landing page), versioned by its checksum (its content).
fn code_entity(view: &DatasetView, d: &DerivationView) -> Value {
    let mut code = json!({
        "@id": format!("{}#job-{}-code", view.pid_url, d.job_id),
        "@type": "SoftwareSourceCode",
        "url": view.landing_url,
        "version": d.code.sha256(),
        "sha256": d.code.sha256(),
    });
    match &d.code {
        CodeView::Sql { query, .. } => {
            code["name"] = json!("SQL query");
            code["programmingLanguage"] = json!("SQL");
            code["text"] = json!(query);
        }
        CodeView::Script { entry_point, language, .. } => {
            code["name"] = json!(entry_point);
            code["programmingLanguage"] = json!(language);
        }
    }
    code
}

fn agent_entity(d: &DerivationView) -> Value {
    let id = d.submitter.orcid.clone().unwrap_or_else(|| format!("#job-{}-submitter", d.job_id));
    json!({"@id": id, "@type": "Person", "name": d.submitter.name})
}

/// ISO 8601 with an explicit offset, as the profile's checks want it.
fn iso(at: &DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, false)
}

/// The crate ids of `tables` as packed.
pub(super) fn table_ids(tables: &[&TableView]) -> Vec<String> {
    tables.iter().map(|t| crate::percent::path(&super::crate_table_path(t))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_derived_version_is_a_process_run_crate() {
        let view = crate::samples::consortium_thermal();
        let tables: Vec<&TableView> = view.tables.iter().collect();
        let doc = super::super::to_ro_crate(&view, &[], &tables);
        let graph = doc["@graph"].as_array().unwrap();
        let root = &graph[1];
        assert_eq!(root["conformsTo"]["@id"], PROCESS_RUN_CRATE);
        let action_id = root["mentions"]["@id"].as_str().unwrap();
        let action = graph.iter().find(|e| e["@id"] == action_id).unwrap();
        assert_eq!(action["@type"], "CreateAction");
        let entity = |id: &Value| graph.iter().find(|e| e["@id"] == id["@id"]).unwrap().clone();
        assert_eq!(entity(&action["instrument"])["@type"], "SoftwareSourceCode");
        assert_eq!(entity(&action["agent"])["@type"], "Person");
        assert_eq!(action["object"]["@id"], "https://kura.example.org/pid/demo-uvvis/1");
        assert_eq!(action["result"]["@id"], "tables/thermal-log.parquet");
        assert!(action["endTime"].as_str().unwrap().ends_with("+00:00"));
        let plain = super::super::to_ro_crate(&crate::samples::open_uvvis(), &[], &[]);
        assert!(plain["@graph"][1].get("mentions").is_none(), "no job, no run");
    }
}
