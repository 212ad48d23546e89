//! A compute job as every surface shows it.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use kura_catalog::entity::compute_job;
use kura_compute::{InputRef, JobKind};
use kura_core::TaskState;
use serde::Serialize;
use uuid::Uuid;

use crate::ServiceError;

/// A compute job: what it runs over, where it is, and its output dataset once written.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ComputeJob {
    pub id: Uuid,
    pub name: String,
    pub kind: JobKind,
    pub state: TaskState,
    /// The SQL text or the command.
    pub code: String,
    /// The inputs, each version pinned at submission.
    pub inputs: Vec<InputRef>,
    pub outputs: Vec<String>,
    /// The group that owns the output dataset.
    pub group_id: Uuid,
    /// The output dataset (a draft), once the job has written it.
    pub output_dataset_id: Option<Uuid>,
    /// Why it ended as it did (the failure, naming the input when access was lost).
    pub message: Option<String>,
    pub tags: BTreeMap<String, String>,
    pub created_at: DateTime<Utc>,
    pub initializing_at: Option<DateTime<Utc>>,
    pub running_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
}

impl ComputeJob {
    /// The job as stored; its JSON columns were written by `submit` from these same types.
    pub fn of(job: compute_job::Model) -> Result<Self, ServiceError> {
        let parse =
            |what: &str, e: serde_json::Error| ServiceError::internal(format!("job {}: stored {what}: {e}", job.id));
        let kind = job.kind.parse::<JobKind>().map_err(|e| ServiceError::internal(e.to_string()))?;
        Ok(ComputeJob {
            inputs: serde_json::from_value(job.inputs.clone()).map_err(|e| parse("inputs", e))?,
            outputs: serde_json::from_value(job.outputs.clone()).map_err(|e| parse("outputs", e))?,
            tags: serde_json::from_value(job.tags.clone()).map_err(|e| parse("tags", e))?,
            id: job.id,
            name: job.name,
            kind,
            state: job.state,
            code: job.code,
            group_id: job.group_id,
            output_dataset_id: job.output_dataset_id,
            message: job.message,
            created_at: job.created_at,
            initializing_at: job.initializing_at,
            running_at: job.running_at,
            finished_at: job.finished_at,
        })
    }
}
