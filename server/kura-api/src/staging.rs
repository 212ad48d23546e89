//! Uploads streamed to staging while hashed, for the REST upload and the portal's forms alike:
//! the path checked first, the request's size limit shared by all its files. What to do with
//! the staged files is the service's (`kura_service::files::add_staged`).

use futures::TryStreamExt;

use crate::error::ApiError;
use crate::state::AppState;

/// What is left of one request's upload limit (`max_upload_bytes` covers all its files
/// together, not each part alone).
#[derive(Debug, Clone, Copy)]
pub(crate) struct UploadBudget {
    remaining: u64,
}

impl UploadBudget {
    pub(crate) fn of(state: &AppState) -> Self {
        UploadBudget { remaining: state.config.max_upload_bytes }
    }
}

/// Streams one uploaded part to staging while hashing it, after checking its path; the part
/// may use what is left of the request's budget.
pub(crate) async fn stage_part(
    state: &AppState,
    budget: &mut UploadBudget,
    path: String,
    field: axum::extract::multipart::Field<'_>,
) -> Result<(String, kura_storage::StagedFile), ApiError> {
    kura_catalog::files::validate_path(&path)?;
    let stream = field.map_err(|e| e.body_text());
    let file = state.store.stage(Box::pin(stream), budget.remaining).await.map_err(|e| match e {
        kura_storage::StorageError::TooLarge { .. } => ApiError::new(
            kura_core::ErrorCode::PayloadTooLarge,
            format!("the upload is larger than {} bytes in all", state.config.max_upload_bytes),
        ),
        other => other.into(),
    })?;
    budget.remaining = budget.remaining.saturating_sub(file.size);
    Ok((path, file))
}
