//! Reading a draft's raw files into tables: queueing a job for the runner (REST, portal), reading
//! files again with parameters chosen by hand (their tables are replaced when the job commits),
//! and ingesting local files in this process (`kura ingest`, the demo).

use std::collections::BTreeMap;
use std::sync::Arc;

use kura_catalog::entity::{dataset, dataset_version, ingest_job};
use kura_catalog::{CatalogError, PageRequest, Visibility};
use kura_core::access::Action;
use kura_core::{ErrorCode, FileRole, HasErrorCode, Principal};
use kura_ingest::preview::Previewed;
use kura_ingest::{IngestError, LocalFile, Progress, ReadOptions};
use kura_storage::StagedFile;
use tokio_util::sync::CancellationToken;

use crate::access::{Target, Which, authorize};
use crate::{ServiceError, Services};

/// Which raw files of the draft to read again, and how; files not named are detected as usual.
#[derive(Debug, Clone, Default)]
pub struct ReadAgain {
    /// Raw file path → read parameters; each file named is read again with them.
    pub options: BTreeMap<String, ReadOptions>,
    /// More raw files to read again, detecting everything.
    pub reingest: Vec<String>,
}

/// Queues an ingest job for the open draft of dataset `name`: its raw files not read yet, and
/// those named in `again` (read again, their tables replaced when the job commits). The job runs
/// when the runner has a free slot; `POST …/draft/ingest` and the portal's "read again".
pub async fn start(
    svc: &Services,
    principal: &Principal,
    name: &str,
    again: ReadAgain,
) -> Result<ingest_job::Model, ServiceError> {
    let target = authorize(svc, principal, name, Which::Draft, Action::Edit).await?;
    queue(svc, &target.version, again).await
}

/// Adds files uploaded into `target`'s draft (see [`crate::files::add_staged`]) and queues the
/// job that reads them: the portal's upload forms.
pub async fn upload_and_start(
    svc: &Services,
    principal: &Principal,
    target: &Target,
    staged: Vec<(String, StagedFile)>,
) -> Result<ingest_job::Model, ServiceError> {
    crate::files::add_staged(svc, principal, target, staged).await?;
    queue(svc, &target.version, ReadAgain::default()).await
}

/// The first `rows` rows of a raw file of the draft (from [`crate::files::draft_raw_file`]) as
/// `options` would read it, read on a blocking thread without changing the draft: the portal's
/// preview. `Ok(Err(message))` when the reader refuses the file so read.
pub async fn preview(
    svc: &Services,
    file: &kura_catalog::entity::file::Model,
    options: ReadOptions,
    rows: usize,
) -> Result<Result<Previewed, String>, ServiceError> {
    let (local, scratch) = svc.ingestor.local_copy(file).await?;
    let name = file.path.clone();
    tokio::task::spawn_blocking(move || {
        let result = kura_ingest::preview::first_rows(&local, &name, &options, rows);
        if scratch {
            let _ = std::fs::remove_file(&local);
        }
        result
    })
    .await
    .map_err(|e| ServiceError::internal(format!("preview reader crashed: {e}")))
}

async fn queue(
    svc: &Services,
    draft: &dataset_version::Model,
    again: ReadAgain,
) -> Result<ingest_job::Model, ServiceError> {
    let ReadAgain { options, reingest } = again;
    let mut paths: Vec<String> = options.keys().cloned().chain(reingest).collect();
    paths.sort();
    paths.dedup();
    if !paths.is_empty() {
        svc.ingestor.reopen(draft, &paths).await.map_err(|e| match e.code() {
            ErrorCode::NotFound => ServiceError::invalid(format!("{e}: name raw files of the draft")),
            _ => e.into(),
        })?;
    }
    Ok(svc.jobs.submit(draft, options).await?)
}

/// Files on this machine to read into a dataset's draft.
#[derive(Debug, Clone, Default)]
pub struct LocalIngest {
    /// The dataset's name; created (with `title`, owned by `group`) when the principal sees none.
    pub dataset: String,
    pub title: String,
    /// The owner group of a dataset created here (none: owned by no group).
    pub group: Option<uuid::Uuid>,
    /// Each file and its path in the dataset. A path already in the draft is read again (its
    /// tables replaced), not added twice.
    pub files: Vec<LocalFile>,
    /// How to read every file; unset parameters are detected.
    pub read: ReadOptions,
}

/// A job over local files, queued by [`start_local`], to run in this process.
#[derive(Debug, Clone)]
pub struct LocalJob {
    pub dataset: dataset::Model,
    pub draft: dataset_version::Model,
    pub job: ingest_job::Model,
    options: BTreeMap<String, ReadOptions>,
}

/// How a job run in this process ended.
#[derive(Debug, Clone)]
pub enum Ran {
    /// It ran to the end (some files may have failed: see its report).
    Ended(ingest_job::Model),
    /// It was cancelled and committed nothing.
    Cancelled,
}

/// Stores local files in the draft of `request.dataset` (created if absent, the draft opened if
/// there is none) and starts the job that reads them, held by this process; [`run_local`] runs it.
pub async fn start_local(
    svc: &Services,
    principal: &Principal,
    request: LocalIngest,
) -> Result<LocalJob, ServiceError> {
    let LocalIngest { dataset: name, title, group, files, read } = request;
    let handle = match svc.catalog.dataset_by_name(&name, &Visibility::of(principal)).await {
        Ok(dataset) => dataset.id.to_string(),
        Err(CatalogError::NotFound(_)) => {
            let new =
                kura_catalog::datasets::NewDataset { name: name.clone(), title, group_id: group, ..Default::default() };
            crate::datasets::create(svc, principal, new).await?.dataset.id.to_string()
        }
        Err(e) => return Err(e.into()),
    };
    let target = authorize(svc, principal, &handle, Which::OpenDraft, Action::Edit).await?;
    let draft = target.version;
    let held: Vec<String> = svc
        .catalog
        .files_page(draft.id, PageRequest { offset: 0, limit: 1_000_000 })
        .await?
        .items
        .into_iter()
        .filter(|f| f.role == FileRole::Raw)
        .map(|f| f.path)
        .collect();
    let (again, new): (Vec<LocalFile>, Vec<LocalFile>) = files.into_iter().partition(|f| held.contains(&f.path));
    if !new.is_empty() {
        svc.ingestor.add_local_files(&draft, &new).await?;
    }
    let again: Vec<String> = again.into_iter().map(|f| f.path).collect();
    if !again.is_empty() {
        svc.ingestor.reopen(&draft, &again).await?;
    }
    let options: BTreeMap<String, ReadOptions> = if read.is_empty() {
        BTreeMap::new()
    } else {
        new.iter().map(|f| f.path.clone()).chain(again.iter().cloned()).map(|p| (p, read.clone())).collect()
    };
    let job = svc.ingestor.start_new_job(&draft, &options).await?;
    Ok(LocalJob { dataset: target.dataset, draft, job, options })
}

/// Runs a job queued by [`start_local`] here and now, reporting into `progress`, and commits its
/// results in one transaction. Once `cancel` fires it stops at the next file or batch boundary,
/// commits nothing and ends `cancelled`.
pub async fn run_local(
    svc: &Services,
    local: LocalJob,
    progress: Arc<Progress>,
    cancel: &CancellationToken,
) -> Result<Ran, ServiceError> {
    match svc.ingestor.run_started(local.job, progress, local.options, cancel).await {
        Ok(job) => Ok(Ran::Ended(job)),
        Err(IngestError::Cancelled) => Ok(Ran::Cancelled),
        Err(e) => Err(e.into()),
    }
}
