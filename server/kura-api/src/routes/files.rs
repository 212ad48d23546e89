use axum::Json;
use axum::body::Body;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::Response;
use kura_catalog::entity::file;
use kura_catalog::{Page, PageRequest};

use crate::auth::Caller;
use crate::error::ApiError;
use crate::staging::{UploadBudget, stage_part};
use crate::state::AppState;
use kura_service::files::{self, ByteStream};
use kura_service::{Surface, Target};

#[utoipa::path(post, path = "/api/v1/datasets/{name}/draft/files", tag = "files", params(("name" = String, Path)),
    request_body(content_type = "multipart/form-data", description = "one part per file; the part's file name is its path in the dataset"),
    responses((status = 201, body = Vec<file::Model>), (status = 400), (status = 409), (status = 413)), security(("token" = [])))]
pub async fn upload(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
    mut multipart: Multipart,
) -> Result<(StatusCode, Json<Vec<file::Model>>), ApiError> {
    let target = files::draft_for_upload(&state, &caller, &name).await?;
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
    Ok((StatusCode::CREATED, Json(files::add_staged(&state, &caller, &target, staged).await?)))
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
    Ok(Json(files::list(&state, &caller, &name, &version, page).await?))
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
    let download = files::download(&state, &caller, Surface::Rest, &name, &version, file_id).await?;
    let f = &download.file;
    let file_name = f.path.rsplit('/').next().unwrap_or(&f.path).to_owned();
    in_collection(&state, &download.target, stream_object(f, &file_name, download.bytes)?)
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
pub(crate) fn stream_object(f: &file::Model, file_name: &str, stream: ByteStream) -> Result<Response, ApiError> {
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
