//! What can go wrong with a compute job, split the way TES reports it: the job's own failure
//! (its code, its inputs, its limits: `EXECUTOR_ERROR`) and the platform's (`SYSTEM_ERROR`).

use kura_core::{ErrorCode, HasErrorCode, TaskState};

/// A compute job's failure, or a refused submission.
#[derive(Debug, thiserror::Error)]
pub enum ComputeError {
    /// The submission is malformed (a bad name, no code, an unknown version…).
    #[error("{0}")]
    Invalid(String),
    /// The kind of job is known but this node does not run it.
    #[error("{0}")]
    NotEnabled(String),
    /// The job's own failure: its SQL does not plan, divides by zero, exceeds the memory limit.
    #[error("{0}")]
    Executor(String),
    #[error("the job ran longer than its limit of {0} s")]
    TimedOut(u64),
    #[error("the job was canceled")]
    Canceled,
    /// Storage or engine trouble that is not the job's doing.
    #[error("{0}")]
    System(String),
}

impl ComputeError {
    /// The final state a run ending with this error leaves its job in.
    pub fn final_state(&self) -> TaskState {
        match self {
            ComputeError::Canceled => TaskState::Canceled,
            ComputeError::System(_) => TaskState::SystemError,
            ComputeError::Invalid(_)
            | ComputeError::NotEnabled(_)
            | ComputeError::Executor(_)
            | ComputeError::TimedOut(_) => TaskState::ExecutorError,
        }
    }
}

impl HasErrorCode for ComputeError {
    fn code(&self) -> ErrorCode {
        match self {
            ComputeError::Invalid(_) => ErrorCode::BadRequest,
            ComputeError::NotEnabled(_) | ComputeError::Executor(_) => ErrorCode::Unprocessable,
            ComputeError::TimedOut(_) => ErrorCode::ResourceExhausted,
            ComputeError::Canceled => ErrorCode::Conflict,
            ComputeError::System(_) => ErrorCode::Internal,
        }
    }
}

impl From<datafusion::error::DataFusionError> for ComputeError {
    /// Planning, schema, SQL, arithmetic and memory-limit errors are the job's; storage and
    /// engine-internal errors are the platform's.
    fn from(err: datafusion::error::DataFusionError) -> Self {
        use datafusion::error::DataFusionError as E;
        let text = err.to_string();
        match err.find_root() {
            E::ObjectStore(_) | E::IoError(_) | E::Internal(_) | E::External(_) => ComputeError::System(text),
            _ => ComputeError::Executor(text),
        }
    }
}

impl From<kura_storage::StorageError> for ComputeError {
    fn from(err: kura_storage::StorageError) -> Self {
        ComputeError::System(err.to_string())
    }
}
