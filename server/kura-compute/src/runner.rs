//! The one trait every kind of compute job runs behind.

use kura_ingest::FinishedTable;
use kura_ingest::reader::ColumnInfo;
use tokio_util::sync::CancellationToken;

use crate::{ComputeError, JobKind};

/// A declared input as the job may read it: one Parquet object, the columns the submitter may
/// see of those declared (masked columns are never among them), and what the catalog says of
/// each column, so that a column passed through unchanged keeps its unit and description.
#[derive(Debug, Clone)]
pub struct PreparedInput {
    /// The name the job reads it under.
    pub name: String,
    /// `dataset/version/table`, for logs and messages.
    pub reference: String,
    pub sha256: String,
    pub size: u64,
    /// Columns, in table order, with their catalog descriptions.
    pub columns: Vec<ColumnInfo>,
}

/// What a runner is asked to do.
#[derive(Debug, Clone, Copy)]
pub struct RunSpec<'a> {
    /// SQL text or the command.
    pub code: &'a str,
    /// Names of the output tables.
    pub outputs: &'a [String],
    pub inputs: &'a [PreparedInput],
}

/// What a run produced: tables in scratch files (not yet objects) and its log.
#[derive(Debug, Default)]
pub struct RunOutput {
    pub tables: Vec<FinishedTable>,
    pub log: String,
}

/// Runs one kind of job. The runner sees only what it is given; it never decides access, and
/// it commits nothing: the service commits its output in one transaction.
#[async_trait::async_trait]
pub trait Runner: Send + Sync + std::fmt::Debug {
    /// The kind of job it runs.
    fn kind(&self) -> JobKind;

    /// Runs the job until it ends or `cancel` fires (then [`ComputeError::Canceled`]).
    async fn run(&self, spec: RunSpec<'_>, cancel: CancellationToken) -> Result<RunOutput, ComputeError>;
}
