//! OpenLineage run events of compute jobs. The worker records one at each transition of an
//! attempt (START when it begins to run, COMPLETE, FAIL; ABORT when it is cancelled), every
//! one kept, so all runs of a job stay visible, not only its latest. They are served to whoever
//! may see the job, and, when `openlineage_url` is set, POSTed there by a delivery loop that
//! retries with a growing pause: lineage never blocks or fails a job.
//!
//! Run id = job id; the job is `{base_url}` / `compute/{name}`; datasets are named
//! `{dataset}/{table}` in the node's namespace (its base URL), their version in a facet.

use std::time::Duration;

use chrono::{DateTime, Utc};
use kura_catalog::entity::compute_job;
use kura_catalog::lineage::NewLineageEvent;
use kura_compute::{InputRef, JobKind};
use kura_core::Principal;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::{ServiceError, Services};

/// Who wrote the events and facets (OpenLineage wants a URI).
const PRODUCER: &str = "https://example.invalid/kura";
const RUN_EVENT_SCHEMA: &str = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent";
const JOB_TYPE_SCHEMA: &str = "https://openlineage.io/spec/facets/2-0-4/JobTypeJobFacet.json#/$defs/JobTypeJobFacet";
const SQL_SCHEMA: &str = "https://openlineage.io/spec/facets/1-1-0/SQLJobFacet.json#/$defs/SQLJobFacet";
const SOURCE_CODE_SCHEMA: &str =
    "https://openlineage.io/spec/facets/1-0-1/SourceCodeJobFacet.json#/$defs/SourceCodeJobFacet";
const VERSION_SCHEMA: &str =
    "https://openlineage.io/spec/facets/1-0-1/DatasetVersionDatasetFacet.json#/$defs/DatasetVersionDatasetFacet";
const ERROR_SCHEMA: &str =
    "https://openlineage.io/spec/facets/1-0-1/ErrorMessageRunFacet.json#/$defs/ErrorMessageRunFacet";

/// Events delivered per round of the delivery loop.
const BATCH: u64 = 50;
/// The delivery loop's pause when idle, and the longest pause after failures.
const IDLE: Duration = Duration::from_secs(1);
const MAX_PAUSE: Duration = Duration::from_secs(60);

/// The transitions of a run OpenLineage names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunTransition {
    Start,
    Complete,
    Fail,
    Abort,
}

impl RunTransition {
    /// The OpenLineage `eventType`.
    pub fn as_str(self) -> &'static str {
        match self {
            RunTransition::Start => "START",
            RunTransition::Complete => "COMPLETE",
            RunTransition::Fail => "FAIL",
            RunTransition::Abort => "ABORT",
        }
    }
}

/// The name of the draft dataset attempt `job` writes its output into.
pub fn output_dataset_name(job: &compute_job::Model) -> String {
    format!("job-{}-{}", job.id.simple(), job.attempts)
}

/// Records the event of `transition` for attempt `job`; `message` says why a run failed.
/// Never fails: a lineage event that cannot be kept is logged, and the job goes on.
pub async fn record(svc: &Services, job: &compute_job::Model, transition: RunTransition, message: Option<&str>) {
    let now = Utc::now();
    let event = match run_event(&svc.config.base_url(), job, transition, now, message) {
        Ok(event) => event,
        Err(e) => {
            tracing::warn!(job = %job.id, error = %e, "lineage event not built");
            return;
        }
    };
    let new = NewLineageEvent {
        job_id: job.id,
        attempt: job.attempts,
        event_type: transition.as_str().into(),
        event_time: now,
        event,
    };
    if let Err(e) = svc.catalog.record_lineage_event(new).await {
        tracing::warn!(job = %job.id, error = %e, "lineage event not recorded");
    }
}

/// Every run event of a job, oldest first, for whoever may see the job (others: 404).
pub async fn events(svc: &Services, principal: &Principal, id: Uuid) -> Result<Vec<Value>, ServiceError> {
    let job = super::visible(svc, principal, id).await?;
    Ok(svc.catalog.lineage_events(job.id).await?.into_iter().map(|e| e.event).collect())
}

/// The OpenLineage `RunEvent` of `transition` for attempt `job` at `time`.
fn run_event(
    namespace: &str,
    job: &compute_job::Model,
    transition: RunTransition,
    time: DateTime<Utc>,
    message: Option<&str>,
) -> Result<Value, String> {
    let kind: JobKind = job.kind.parse().map_err(|e: kura_compute::ComputeError| e.to_string())?;
    let inputs: Vec<InputRef> = serde_json::from_value(job.inputs.clone()).map_err(|e| format!("inputs: {e}"))?;
    let outputs: Vec<String> = serde_json::from_value(job.outputs.clone()).map_err(|e| format!("outputs: {e}"))?;
    let inputs: Vec<Value> = inputs
        .iter()
        .map(|i| {
            json!({
                "namespace": namespace,
                "name": format!("{}/{}", i.dataset, i.table),
                "facets": {"version": facet(VERSION_SCHEMA, json!({"datasetVersion": i.version}))},
            })
        })
        .collect();
    // A run that failed or was cancelled wrote nothing.
    let wrote = matches!(transition, RunTransition::Start | RunTransition::Complete);
    let dataset = output_dataset_name(job);
    let outputs: Vec<Value> = if wrote {
        outputs.iter().map(|t| json!({"namespace": namespace, "name": format!("{dataset}/{t}")})).collect()
    } else {
        Vec::new()
    };
    let mut run_facets = serde_json::Map::new();
    if let (RunTransition::Fail, Some(message)) = (transition, message) {
        let language = language(kind);
        run_facets.insert(
            "errorMessage".into(),
            facet(ERROR_SCHEMA, json!({"message": message, "programmingLanguage": language})),
        );
    }
    Ok(json!({
        "eventType": transition.as_str(),
        "eventTime": time.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "producer": PRODUCER,
        "schemaURL": RUN_EVENT_SCHEMA,
        "run": {"runId": job.id, "facets": run_facets},
        "job": {"namespace": namespace, "name": format!("compute/{}", job.name), "facets": job_facets(job, kind)},
        "inputs": inputs,
        "outputs": outputs,
    }))
}

/// The job's type and its code: the SQL text, or the script's source.
fn job_facets(job: &compute_job::Model, kind: JobKind) -> Value {
    let job_type = facet(
        JOB_TYPE_SCHEMA,
        json!({"processingType": "BATCH", "integration": "KURA", "jobType": kind.as_str().to_uppercase()}),
    );
    let (key, code) = match kind {
        JobKind::Sql => ("sql", facet(SQL_SCHEMA, json!({"query": job.code}))),
        JobKind::Script => {
            ("sourceCode", facet(SOURCE_CODE_SCHEMA, json!({"language": language(kind), "sourceCode": job.code})))
        }
    };
    let mut facets = serde_json::Map::new();
    facets.insert("jobType".into(), job_type);
    facets.insert(key.into(), code);
    Value::Object(facets)
}

fn language(kind: JobKind) -> &'static str {
    match kind {
        JobKind::Sql => "SQL",
        JobKind::Script => "python",
    }
}

/// A facet: its fields and the two every facet carries.
fn facet(schema: &str, mut fields: Value) -> Value {
    if let Some(map) = fields.as_object_mut() {
        map.insert("_producer".into(), json!(PRODUCER));
        map.insert("_schemaURL".into(), json!(schema));
    }
    fields
}

/// Delivers the recorded events to `url` in the order they happened, pausing longer after each
/// failed round (up to a minute); runs until the process stops. Started by a worker process
/// when `openlineage_url` is set.
pub async fn deliver_loop(svc: Services, url: String) {
    let client = match reqwest::Client::builder().timeout(Duration::from_secs(10)).build() {
        Ok(client) => client,
        Err(e) => {
            tracing::error!(error = %e, "no HTTP client for OpenLineage delivery");
            return;
        }
    };
    let mut pause = IDLE;
    loop {
        tokio::time::sleep(pause).await;
        pause = match deliver_some(&svc, &client, &url).await {
            Ok(()) => IDLE,
            Err(e) => {
                tracing::warn!(%url, error = %e, "OpenLineage events not delivered; retrying later");
                (pause * 2).min(MAX_PAUSE)
            }
        };
    }
}

/// One round: POSTs the waiting events one by one, stopping at the first refused.
async fn deliver_some(svc: &Services, client: &reqwest::Client, url: &str) -> Result<(), String> {
    let waiting = svc.catalog.undelivered_lineage_events(BATCH).await.map_err(|e| e.to_string())?;
    for event in waiting {
        let sent = client.post(url).json(&event.event).send().await;
        let accepted = matches!(&sent, Ok(r) if r.status().is_success());
        svc.catalog.lineage_delivery(event.id, accepted).await.map_err(|e| e.to_string())?;
        match sent {
            Ok(r) if r.status().is_success() => {}
            Ok(r) => return Err(format!("event {} answered {}", event.id, r.status())),
            Err(e) => return Err(format!("event {}: {e}", event.id)),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(kind: &str, code: &str) -> compute_job::Model {
        let now = Utc::now();
        compute_job::Model {
            id: Uuid::now_v7(),
            submitter: Uuid::now_v7(),
            actor: "user:x".into(),
            group_id: Uuid::now_v7(),
            name: "join".into(),
            kind: kind.into(),
            code: code.into(),
            inputs: json!([{"name": "a", "dataset": "ds-a", "version": "3", "table": "t"}]),
            outputs: json!(["result"]),
            tags: json!({}),
            output_dataset_id: None,
            inherited_level: None,
            state: kura_core::TaskState::Running,
            message: None,
            log: String::new(),
            created_at: now,
            initializing_at: Some(now),
            running_at: Some(now),
            finished_at: None,
            updated_at: now,
            worker: None,
            lease_until: None,
            attempts: 2,
        }
    }

    #[test]
    fn a_start_event_names_the_run_the_inputs_with_versions_and_the_output() {
        let job = job("sql", "SELECT 1");
        let event = run_event("http://node", &job, RunTransition::Start, Utc::now(), None).unwrap();
        assert_eq!(event["eventType"], "START");
        assert_eq!(event["run"]["runId"], job.id.to_string());
        assert_eq!(event["job"]["namespace"], "http://node");
        assert_eq!(event["job"]["facets"]["sql"]["query"], "SELECT 1");
        assert_eq!(event["inputs"][0]["name"], "ds-a/t");
        assert_eq!(event["inputs"][0]["facets"]["version"]["datasetVersion"], "3");
        let output = format!("job-{}-2/result", job.id.simple());
        assert_eq!(event["outputs"][0]["name"], output.as_str());
        assert_eq!(event["outputs"][0]["namespace"], "http://node");
    }

    #[test]
    fn a_failed_run_wrote_nothing_and_says_why_and_a_script_carries_its_source() {
        let job = job("script", "print(1)");
        let event = run_event("http://node", &job, RunTransition::Fail, Utc::now(), Some("boom")).unwrap();
        assert_eq!(event["eventType"], "FAIL");
        assert_eq!(event["outputs"], json!([]));
        assert_eq!(event["run"]["facets"]["errorMessage"]["message"], "boom");
        assert_eq!(event["job"]["facets"]["sourceCode"]["sourceCode"], "print(1)");
        let facet = &event["job"]["facets"]["jobType"];
        assert!(facet["_producer"].is_string() && facet["_schemaURL"].is_string(), "{facet}");
    }
}
