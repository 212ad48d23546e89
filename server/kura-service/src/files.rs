//! A version's files: listing and downloading what the principal may have (a file holding a
//! masked column hidden from them answers as if it did not exist), and adding uploaded files to
//! the open draft within the dataset's and the uploader's quotas.

use bytes::Bytes;
use futures::StreamExt;
use futures::stream::BoxStream;
use kura_catalog::entity::file;
use kura_catalog::files::NewFile;
use kura_catalog::{Page, PageRequest};
use kura_core::access::Action;
use kura_core::{ErrorCode, FileRole, Principal};
use kura_ingest::detect;
use kura_storage::{StagedFile, StorageError};
use uuid::Uuid;

use crate::access::{Target, Which, audit_read, authorize};
use crate::{ServiceError, Services, Surface};

/// An object's bytes as the store streams them.
pub type ByteStream = BoxStream<'static, Result<Bytes, StorageError>>;

/// A file the principal may download, and its bytes.
pub struct Download {
    pub target: Target,
    pub file: file::Model,
    pub bytes: ByteStream,
}

impl std::fmt::Debug for Download {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Download").field("file", &self.file.path).finish_non_exhaustive()
    }
}

/// The files of a version (a number or `latest`) the principal may have, a page at a time.
pub async fn list(
    svc: &Services,
    principal: &Principal,
    name: &str,
    version: &str,
    page: PageRequest,
) -> Result<Page<file::Model>, ServiceError> {
    let target = authorize(svc, principal, name, Which::Version(version), Action::ReadMetadata).await?;
    let page = page.capped(svc.config.max_page_size);
    Ok(svc.catalog.visible_files_page(target.version.id, page, &target.disclosure(principal)).await?)
}

/// A file's bytes, exactly as stored; the read is audited.
pub async fn download(
    svc: &Services,
    principal: &Principal,
    surface: Surface,
    name: &str,
    version: &str,
    file_id: Uuid,
) -> Result<Download, ServiceError> {
    let target = authorize(svc, principal, name, Which::Version(version), Action::ReadData).await?;
    // A file holding a column hidden from the caller answers as if it did not exist.
    let file = svc.catalog.visible_file(target.version.id, file_id, &target.disclosure(principal)).await?;
    let details = serde_json::json!({"file": file.id});
    audit_read(svc, principal, surface, &target, "data.download", &file.path, details).await?;
    let bytes = object_bytes(svc, &file.sha256).await?;
    Ok(Download { target, file, bytes })
}

/// The open draft of dataset `name` and its raw file `file_id`, for an editor of the draft (the
/// portal's page on how the file was read); 404 for any other file.
pub async fn draft_raw_file(
    svc: &Services,
    principal: &Principal,
    name: &str,
    file_id: Uuid,
) -> Result<(Target, file::Model), ServiceError> {
    let target = authorize(svc, principal, name, Which::Draft, Action::Edit).await?;
    let file = svc.catalog.file(target.version.id, file_id).await?;
    if file.role != FileRole::Raw {
        return Err(ServiceError::not_found("file"));
    }
    Ok((target, file))
}

/// The stored object `sha256` as a stream.
pub(crate) async fn object_bytes(svc: &Services, sha256: &str) -> Result<ByteStream, ServiceError> {
    Ok(svc.store.get_stream(sha256).await?.boxed())
}

/// The open draft of dataset `name` (created from the latest version when there is none), for
/// the principal to upload files into: asked before the upload streams to staging, so that a
/// refused caller's files are never read.
pub async fn draft_for_upload(svc: &Services, principal: &Principal, name: &str) -> Result<Target, ServiceError> {
    authorize(svc, principal, name, Which::OpenDraft, Action::Edit).await
}

/// Commits files staged by the transport (each with its path in the dataset) as objects and raw
/// files of `target`'s draft, uploaded by the principal; nothing is committed when the upload
/// would exceed the dataset's or the uploader's quota.
pub async fn add_staged(
    svc: &Services,
    principal: &Principal,
    target: &Target,
    staged: Vec<(String, StagedFile)>,
) -> Result<Vec<file::Model>, ServiceError> {
    if !target.allows(principal, Action::Edit) {
        return Err(ServiceError::forbidden("you may not change this dataset"));
    }
    let uploader = principal.user_id;
    let adding: u64 = staged.iter().map(|(_, f)| f.size).sum();
    let over = |whose: &str, held: u64, quota: u64| {
        ServiceError::new(
            ErrorCode::PayloadTooLarge,
            format!("{whose} would hold {} bytes of files, more than the quota of {quota}", held + adding),
        )
    };
    let quota = svc.config.max_dataset_bytes;
    if quota > 0 {
        let held = svc.catalog.raw_bytes(target.version.id).await?;
        if held.saturating_add(adding) > quota {
            return Err(over("the dataset", held, quota));
        }
    }
    let quota = svc.config.max_user_bytes;
    if let Some(user) = uploader.filter(|_| quota > 0) {
        let held = svc.catalog.user_raw_bytes(user).await?;
        if held.saturating_add(adding) > quota {
            return Err(over("your uploads", held, quota));
        }
    }
    let mut rows = Vec::with_capacity(staged.len());
    for (path, file) in staged {
        let object = svc.store.commit(file).await?;
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
    Ok(svc.catalog.add_raw_files(&target.version, rows).await?)
}
