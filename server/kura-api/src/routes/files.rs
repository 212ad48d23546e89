use axum::Json;
use axum::body::Body;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::Response;
use futures::TryStreamExt;
use kura_catalog::entity::file;
use kura_catalog::files::NewFile;
use kura_catalog::{Page, PageRequest};
use kura_core::FileRole;
use kura_ingest::detect;

use crate::auth::Caller;
use crate::error::ApiError;
use crate::state::AppState;
use kura_core::access::Action;
use kura_service::Surface;
use kura_service::access::{Target, Which, audit_read, authorize};

#[utoipa::path(post, path = "/api/v1/datasets/{name}/draft/files", tag = "files", params(("name" = String, Path)),
    request_body(content_type = "multipart/form-data", description = "one part per file; the part's file name is its path in the dataset"),
    responses((status = 201, body = Vec<file::Model>), (status = 400), (status = 409), (status = 413)), security(("token" = [])))]
pub async fn upload(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
    mut multipart: Multipart,
) -> Result<(StatusCode, Json<Vec<file::Model>>), ApiError> {
    let draft = authorize(&state, &caller, &name, Which::OpenDraft, Action::Edit).await?.version;
    let mut staged = Vec::new();
    let mut budget = UploadBudget::of(&state);
    while let Some(field) = multipart.next_field().await? {
        let Some(path) = field.file_name().map(str::to_owned) else {
            return Err(ApiError::bad_request(format!(
                "multipart part {:?} has no file name",
                field.name().unwrap_or("")
            )));
        };
        staged.push(stage_part(&state, &mut budget, path, field).await?);
    }
    if staged.is_empty() {
        return Err(ApiError::bad_request("no file in the upload"));
    }
    Ok((StatusCode::CREATED, Json(commit_files(&state, &draft, caller.0.user_id, staged).await?)))
}

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

/// Commits staged uploads of `uploader` as objects and raw files of the draft, within the
/// dataset's and the uploader's quotas (nothing is committed when the upload would exceed one).
pub(crate) async fn commit_files(
    state: &AppState,
    draft: &kura_catalog::entity::dataset_version::Model,
    uploader: Option<uuid::Uuid>,
    staged: Vec<(String, kura_storage::StagedFile)>,
) -> Result<Vec<file::Model>, ApiError> {
    let adding: u64 = staged.iter().map(|(_, f)| f.size).sum();
    let over = |whose: &str, held: u64, quota: u64| {
        ApiError::new(
            kura_core::ErrorCode::PayloadTooLarge,
            format!("{whose} would hold {} bytes of files, more than the quota of {quota}", held + adding),
        )
    };
    let quota = state.config.max_dataset_bytes;
    if quota > 0 {
        let held = state.catalog.raw_bytes(draft.id).await?;
        if held.saturating_add(adding) > quota {
            return Err(over("the dataset", held, quota));
        }
    }
    let quota = state.config.max_user_bytes;
    if let Some(user) = uploader.filter(|_| quota > 0) {
        let held = state.catalog.user_raw_bytes(user).await?;
        if held.saturating_add(adding) > quota {
            return Err(over("your uploads", held, quota));
        }
    }
    let mut rows = Vec::with_capacity(staged.len());
    for (path, file) in staged {
        let object = state.store.commit(file).await?;
        rows.push(NewFile {
            media_type: detect::media_type(&path),
            path,
            role: FileRole::Raw,
            sha256: object.sha256,
            size: object.size,
            format: None,
            source_file_id: None,
            uploaded_by: uploader,
        });
    }
    Ok(state.catalog.add_raw_files(draft, rows).await?)
}

#[utoipa::path(get, path = "/api/v1/datasets/{name}/versions/{version}/files", tag = "files",
    params(("name" = String, Path), ("version" = String, Path), PageRequest),
    responses((status = 200, body = Page<file::Model>, description = "the files the caller may have: a file holding a masked column is left out for callers who may not see it"), (status = 404)))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Path((name, version)): Path<(String, String)>,
    Query(page): Query<PageRequest>,
) -> Result<Json<Page<file::Model>>, ApiError> {
    let target = authorize(&state, &caller, &name, Which::Version(&version), Action::ReadMetadata).await?;
    let page = page.capped(state.config.max_page_size);
    Ok(Json(state.catalog.visible_files_page(target.version.id, page, &target.disclosure(&caller)).await?))
}

#[utoipa::path(get, path = "/api/v1/datasets/{name}/versions/{version}/files/{file_id}/content", tag = "files",
    params(("name" = String, Path), ("version" = String, Path), ("file_id" = uuid::Uuid, Path)),
    responses((status = 200, description = "the file's bytes, exactly as stored"), (status = 404, description = "no such file, or one holding a masked column the caller may not see")))]
pub async fn download(
    State(state): State<AppState>,
    caller: Caller,
    Path((name, version, file_id)): Path<(String, String, String)>,
) -> Result<Response, ApiError> {
    let file_id = crate::routes::parse_id(&file_id, "file")?;
    let target = authorize(&state, &caller, &name, Which::Version(&version), Action::ReadData).await?;
    // A file holding a column hidden from the caller answers as if it did not exist.
    let f = state.catalog.visible_file(target.version.id, file_id, &target.disclosure(&caller)).await?;
    audit_read(&state, &caller, Surface::Rest, &target, "data.download", &f.path, serde_json::json!({"file": f.id}))
        .await?;
    let file_name = f.path.rsplit('/').next().unwrap_or(&f.path).to_owned();
    in_collection(&state, &target, stream_object(&state, &f, &file_name).await?)
}

/// Adds the Signposting link from an item back to its landing page (`rel="collection"`).
pub(crate) fn in_collection(state: &AppState, target: &Target, mut response: Response) -> Result<Response, ApiError> {
    let landing = kura_rdf::urls::landing(&state.config.base_url(), &target.dataset.name, target.version.number);
    let link = header::HeaderValue::from_str(&kura_rdf::signposting::item_header(&landing, None))
        .map_err(|e| ApiError::new(kura_core::ErrorCode::Internal, e.to_string()))?;
    response.headers_mut().append(header::LINK, link);
    Ok(response)
}

/// Streams an object with its media type, length, checksum and a download file name.
pub(crate) async fn stream_object(state: &AppState, f: &file::Model, file_name: &str) -> Result<Response, ApiError> {
    let stream = state.store.get_stream(&f.sha256).await?;
    let disposition = format!("attachment; filename*=UTF-8''{}", kura_metadata::percent::segment(file_name));
    Response::builder()
        .header(header::CONTENT_TYPE, &f.media_type)
        .header(header::CONTENT_LENGTH, f.size)
        .header(header::CONTENT_DISPOSITION, disposition)
        .header(header::ETAG, format!("\"sha256-{}\"", f.sha256))
        .header("digest", format!("sha-256={}", f.sha256))
        .body(Body::from_stream(stream))
        .map_err(|e| ApiError::new(kura_core::ErrorCode::Internal, e.to_string()))
}
