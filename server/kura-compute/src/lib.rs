//! Compute jobs that run next to the data: the job model as submitted (GA4GH TES in spirit,
//! Kura table references as inputs), the [`Runner`] trait every kind of job runs behind, and
//! the DataFusion [`SqlRunner`]. Access is not decided here: the service layer resolves each
//! declared input for the submitter (at submission and again at start) and hands a runner
//! exactly the tables and columns it may read, as [`PreparedInput`]s.
//!
//! A script runner (a sandbox from `kura-sandbox`) fits the same trait: it materialises the
//! prepared inputs as Parquet files, runs the command, and turns `/outputs` into
//! [`kura_ingest::FinishedTable`]s through the ingestion readers.

mod error;
pub mod model;
mod runner;
pub mod script;
pub mod sql;

pub use error::ComputeError;
pub use model::{InputRef, JobKind, JobRequest};
pub use runner::{PreparedInput, RunOutput, RunSpec, Runner};
pub use script::{ScriptRunner, ScriptSettings};
pub use sql::SqlRunner;
