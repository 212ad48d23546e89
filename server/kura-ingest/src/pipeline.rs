//! The ingest pipeline: raw files of a draft → readers → Parquet objects → one catalog commit.

mod profile;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use chrono::Utc;
use kura_catalog::Catalog;
use kura_catalog::entity::{dataset_version, file, ingest_job};
use kura_catalog::files::NewFile;
use kura_catalog::jobs::Lease;
use kura_catalog::tables::{DraftFiller, IngestOutcome, NewTable};
use kura_core::{FileRole, JobState};
use kura_storage::ObjectStore;
use serde_json::json;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::detect;
use crate::sink::{FinishedTable, KeptFile, ParquetSink};
use crate::{IngestError, ReadOptions, ReadReport};

/// How long a worker's claim on a job holds unless renewed (it renews every third of it).
pub const DEFAULT_LEASE: Duration = Duration::from_secs(30);
/// How many times a job is started before a worker stopping during it fails it.
pub const DEFAULT_ATTEMPTS: i32 = 2;

/// Name recorded for files no reader claims.
pub const UNKNOWN_FORMAT: &str = "unknown";

/// Longest searchable text kept per file in the catalog (the rest stays in the raw file).
const MAX_TEXT: usize = 64 * 1024;

/// Live progress of a job, shared between the worker, the catalog ticker and progress bars.
#[derive(Debug, Default)]
pub struct Progress {
    pub files_done: AtomicU64,
    pub bytes_done: AtomicU64,
    pub files_total: AtomicU64,
    pub bytes_total: AtomicU64,
}

/// Runs ingestion against one catalog and object store.
#[derive(Clone, Debug)]
pub struct Ingestor {
    catalog: Catalog,
    store: ObjectStore,
    /// Threads one file's ingest may use (reading, and Parquet encoding when more than one).
    threads: usize,
    /// This process's claim on the jobs it runs.
    lease: Lease,
}

/// A local file to add to a draft under a dataset path.
#[derive(Debug, Clone)]
pub struct LocalFile {
    pub source: PathBuf,
    pub path: String,
}

impl Ingestor {
    pub fn new(catalog: Catalog, store: ObjectStore) -> Self {
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        let lease = Lease::for_this_process(DEFAULT_LEASE, DEFAULT_ATTEMPTS);
        Ingestor { catalog, store, threads, lease }
    }

    /// Sets how long a claim on a job holds unless renewed, and how often a job may be started.
    pub fn with_lease(mut self, duration: Duration, max_attempts: i32) -> Self {
        self.lease = Lease { duration, max_attempts: max_attempts.max(1), ..self.lease };
        self
    }

    /// This process's claim on the jobs it runs.
    pub(crate) fn lease(&self) -> &Lease {
        &self.lease
    }

    /// The catalog the jobs are recorded in (the runner reads and ends jobs there).
    pub(crate) fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    /// Limits the threads one file's ingest uses (`kura ingest --threads`).
    pub fn with_threads(mut self, threads: usize) -> Self {
        self.threads = threads.max(1);
        self
    }

    /// Hashes local files into the object store and records them as raw files of `version`.
    pub async fn add_local_files(
        &self,
        version: &dataset_version::Model,
        files: &[LocalFile],
    ) -> Result<Vec<file::Model>, IngestError> {
        let mut rows = Vec::with_capacity(files.len());
        for f in files {
            kura_catalog::files::validate_path(&f.path)?;
            let started = std::time::Instant::now();
            let staged = self.store.stage_copy(&f.source).await?;
            let object = self.store.commit(staged).await?;
            tracing::info!(file = %f.path, bytes = object.size, hash_and_store_ms = started.elapsed().as_millis() as u64, "raw file stored");
            rows.push(NewFile {
                path: f.path.clone(),
                role: FileRole::Raw,
                sha256: object.sha256,
                size: object.size,
                media_type: detect::media_type(&f.path),
                format: None,
                source_file_id: None,
                uploaded_by: None,
            });
        }
        Ok(self.catalog.add_raw_files(version, rows).await?)
    }

    /// Queues a job over the version's raw files that have not been ingested yet.
    pub async fn create_job(&self, version: &dataset_version::Model) -> Result<ingest_job::Model, IngestError> {
        self.create_job_with(version, &BTreeMap::new()).await
    }

    /// [`Ingestor::create_job`] recording the read parameters per raw file path it is to use,
    /// so that it runs as asked even when it starts only after a restart.
    pub async fn create_job_with(
        &self,
        version: &dataset_version::Model,
        options: &BTreeMap<String, ReadOptions>,
    ) -> Result<ingest_job::Model, IngestError> {
        let (files, bytes, recorded) = self.job_over_pending(version, options).await?;
        Ok(self.catalog.create_job(version, files, bytes, recorded).await?)
    }

    /// A job over the version's pending raw files that this ingestor runs itself, next, with
    /// [`Ingestor::run_started`]: it is created running under this ingestor's lease, so a
    /// worker polling the same catalog (a server beside `kura ingest`) cannot take it first.
    pub async fn start_new_job(
        &self,
        version: &dataset_version::Model,
        options: &BTreeMap<String, ReadOptions>,
    ) -> Result<ingest_job::Model, IngestError> {
        let (files, bytes, recorded) = self.job_over_pending(version, options).await?;
        Ok(self.catalog.create_running_job(version, files, bytes, recorded, &self.lease).await?)
    }

    /// How many pending files a new job reads, their bytes and its recorded read parameters; a
    /// [`IngestError::NothingToDo`] when every raw file is already ingested.
    async fn job_over_pending(
        &self,
        version: &dataset_version::Model,
        options: &BTreeMap<String, ReadOptions>,
    ) -> Result<(usize, u64, Option<serde_json::Value>), IngestError> {
        let pending = self.catalog.pending_raw_files(version.id).await?;
        if pending.is_empty() {
            return Err(IngestError::NothingToDo("every raw file of this version is already ingested".into()));
        }
        let bytes: u64 = pending.iter().map(|f| f.size.max(0) as u64).sum();
        let recorded = if options.is_empty() { None } else { serde_json::to_value(options).ok() };
        Ok((pending.len(), bytes, recorded))
    }

    /// Runs a job this ingestor holds ([`Ingestor::start_new_job`], or a worker's claim) with
    /// read parameters per raw file path, renewing its lease meanwhile. Once `cancel` fires it stops at the next file or batch
    /// boundary, commits nothing and ends `cancelled`; any other error ends it `failed` with
    /// the error as its message. A job that stopped being this worker's (cancelled through
    /// another process, or taken over after a lapse) stops the same way and is left as the
    /// catalog has it.
    pub async fn run_started(
        &self,
        job: ingest_job::Model,
        progress: Arc<Progress>,
        options: BTreeMap<String, ReadOptions>,
        cancel: &CancellationToken,
    ) -> Result<ingest_job::Model, IngestError> {
        let stop = cancel.child_token();
        let lost = Arc::new(AtomicBool::new(false));
        // Renewal stops with the run, also when the run's future is dropped midway.
        let beat = tokio::spawn(renew(self.catalog.clone(), self.lease.clone(), job.id, stop.clone(), lost.clone()));
        let beat = AbortOnDrop(beat);
        let result = self.run_job_inner(&job, progress, &options, &stop).await;
        drop(beat);
        if lost.load(Ordering::SeqCst) {
            tracing::info!(job = %job.id, "ingest job no longer this worker's (cancelled or taken over)");
            return result;
        }
        match &result {
            Ok(_) => {}
            Err(IngestError::Cancelled) => {
                tracing::info!(job = %job.id, "ingest job cancelled");
                // Already recorded when a user cancelled it; this covers a token fired alone.
                let _ = self.catalog.end_attempt(&job, JobState::Cancelled, kura_catalog::jobs::CANCELLED).await;
            }
            Err(e) => {
                tracing::error!(job = %job.id, error = %e, "ingest job failed");
                let _ = self.catalog.end_attempt(&job, JobState::Failed, &e.to_string()).await;
            }
        }
        result
    }

    /// Marks raw files of a draft to be read again (with new parameters): the next job's commit
    /// replaces their tables.
    pub async fn reopen(
        &self,
        version: &dataset_version::Model,
        paths: &[String],
    ) -> Result<Vec<file::Model>, IngestError> {
        Ok(self.catalog.reopen_raw_files(version.id, paths).await?)
    }

    async fn run_job_inner(
        &self,
        job: &ingest_job::Model,
        progress: Arc<Progress>,
        options: &BTreeMap<String, ReadOptions>,
        cancel: &CancellationToken,
    ) -> Result<ingest_job::Model, IngestError> {
        let files = self.catalog.pending_raw_files(job.version_id).await?;
        progress.files_total.store(files.len() as u64, Ordering::Relaxed);
        progress.bytes_total.store(files.iter().map(|f| f.size.max(0) as u64).sum(), Ordering::Relaxed);
        let _ticker = AbortOnDrop(self.spawn_ticker(job.id, progress.clone()));
        let mut outcome = IngestOutcome::default();
        let mut used_names = Vec::new();
        let mut imports = Vec::new();
        let mut bytes_before = 0u64;
        for raw in &files {
            // File boundaries are where a cancelled job stops (the sink stops it between batches).
            if cancel.is_cancelled() {
                return Err(IngestError::Cancelled);
            }
            let given = options.get(&raw.path).cloned().unwrap_or_default();
            let result = self.ingest_one(job, raw, progress.clone(), bytes_before, given, cancel).await;
            bytes_before += raw.size.max(0) as u64;
            progress.bytes_done.store(bytes_before, Ordering::Relaxed);
            progress.files_done.fetch_add(1, Ordering::Relaxed);
            match result {
                Ok((format, tables, kept, profile, notes)) => {
                    // Only a reading that succeeded replaces the file's earlier tables: a failed
                    // one (bad read parameters, say) keeps them.
                    outcome.replace.push(raw.id);
                    outcome.formats.push((raw.id, format));
                    outcome.errors.extend(notes);
                    imports.extend(profile.map(|p| (raw.path.clone(), p)));
                    outcome.files.extend(kept);
                    for mut table in tables {
                        table.name = unique_name(&table.name, &mut used_names);
                        table.parquet.path = format!("tables/{}.parquet", table.name);
                        outcome.tables.push(table);
                    }
                }
                // A read the sink stopped because the job was cancelled is no failure of the file.
                Err(_) if cancel.is_cancelled() => return Err(IngestError::Cancelled),
                Err((format, message)) => {
                    tracing::info!(job = %job.id, file = %raw.path, error = %message, "file failed");
                    outcome.formats.push((raw.id, format));
                    outcome.errors.push(json!({"file": raw.path, "error": message}));
                }
            }
        }
        if !imports.is_empty() {
            outcome.draft_filler =
                Some(DraftFiller::new(move |version, dataset_name| profile::fill(version, dataset_name, imports)));
        }
        if cancel.is_cancelled() {
            return Err(IngestError::Cancelled);
        }
        let started = std::time::Instant::now();
        // Cancelled between the check above and the commit, which the catalog then refused.
        let job = self
            .catalog
            .commit_ingest(job, outcome)
            .await
            .map_err(|e| if cancel.is_cancelled() { IngestError::Cancelled } else { e.into() })?;
        tracing::info!(job = %job.id, state = %job.state, commit_ms = started.elapsed().as_millis() as u64, "ingest committed");
        Ok(job)
    }

    /// Writes the job's progress to the catalog once a second while it runs.
    fn spawn_ticker(&self, job_id: uuid::Uuid, progress: Arc<Progress>) -> tokio::task::JoinHandle<()> {
        let catalog = self.catalog.clone();
        tokio::spawn(async move {
            loop {
                let files = progress.files_done.load(Ordering::Relaxed) as usize;
                let bytes = progress.bytes_done.load(Ordering::Relaxed);
                if let Err(e) = catalog.job_progress(job_id, files, bytes, &[]).await {
                    tracing::warn!(job = %job_id, error = %e, "could not record progress");
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        })
    }

    /// Reads one raw file into tables, and the profile fields it describes itself with when it
    /// is an RO-Crate. Errors carry the detected format and a message for users.
    async fn ingest_one(
        &self,
        job: &ingest_job::Model,
        raw: &file::Model,
        progress: Arc<Progress>,
        bytes_before: u64,
        options: ReadOptions,
        cancel: &CancellationToken,
    ) -> Result<Ingested, (String, String)> {
        let unknown = || UNKNOWN_FORMAT.to_string();
        let (local, scratch) = self.local_copy(raw).await.map_err(|e| (unknown(), e.to_string()))?;
        let store = self.store.clone();
        let threads = self.threads;
        let name = raw.path.clone();
        let started = std::time::Instant::now();
        let cancel = cancel.clone();
        let read = tokio::task::spawn_blocking(move || {
            let sink = ParquetSink::new(&store, threads, cancel);
            let result = read_file(sink, &local, &name, &progress, bytes_before, &options);
            if scratch {
                let _ = std::fs::remove_file(&local);
            }
            result
        })
        .await
        .map_err(|e| (unknown(), format!("reader crashed: {e}")))?;
        let Some((format, mut report, finished, kept)) = read? else {
            return Ok((unknown(), Vec::new(), Vec::new(), None, Vec::new()));
        };
        let notes = job_notes(&raw.path, &report);
        let is_crate = report.parameters.get("crate").and_then(serde_json::Value::as_bool) == Some(true);
        let profile = report.profile.take().filter(|_| is_crate);
        tracing::info!(file = %raw.path, format = %format, tables = finished.len(),
            read_and_write_ms = started.elapsed().as_millis() as u64, "file read into parquet");
        let started = job.created_at;
        let mut tables = Vec::with_capacity(finished.len());
        for table in finished {
            let new =
                self.store_table(raw, &report, table, started).await.map_err(|e| (format.clone(), e.to_string()))?;
            tables.push(new);
        }
        let mut files = Vec::with_capacity(kept.len());
        for k in kept {
            files.push(self.store_extracted(raw, k).await.map_err(|e| (format.clone(), e.to_string()))?);
        }
        Ok((format, tables, files, profile, notes))
    }

    /// Commits a file found inside `raw` and describes it as an extracted file of the version,
    /// at `extracted/<raw path>/<path inside>`.
    async fn store_extracted(&self, raw: &file::Model, kept: KeptFile) -> Result<NewFile, IngestError> {
        let object = self.store.commit(kept.file).await?;
        let path = format!("extracted/{}/{}", raw.path, kept.path.trim_start_matches('/'));
        kura_catalog::files::validate_path(&path)?;
        Ok(NewFile {
            media_type: detect::media_type(&kept.path),
            path,
            role: FileRole::Extracted,
            sha256: object.sha256,
            size: object.size,
            format: None,
            source_file_id: Some(raw.id),
            uploaded_by: None,
        })
    }

    /// A local path holding the raw bytes: the object itself for a local store, else a copy.
    /// A local path to a stored file's bytes: the object itself when the store is a local
    /// directory, else a scratch copy (`true`: the caller removes it when done).
    pub async fn local_copy(&self, raw: &file::Model) -> Result<(PathBuf, bool), IngestError> {
        if let Some(path) = self.store.local_path(&raw.sha256)? {
            return Ok((path, false));
        }
        let target = self.store.scratch_path();
        self.store.download_to(&raw.sha256, &target).await?;
        // A short copy would be read as a different (e.g. empty) file: refuse it instead.
        let copied = tokio::fs::metadata(&target).await.map_err(kura_storage::StorageError::from)?.len();
        if copied != raw.size.max(0) as u64 {
            let _ = tokio::fs::remove_file(&target).await;
            return Err(IngestError::Storage(kura_storage::StorageError::Interrupted(format!(
                "the raw file was read back with {copied} of its {} bytes",
                raw.size
            ))));
        }
        Ok((target, true))
    }

    async fn store_table(
        &self,
        raw: &file::Model,
        report: &ReadReport,
        table: FinishedTable,
        started: chrono::DateTime<Utc>,
    ) -> Result<NewTable, IngestError> {
        let stem = file_stem(&raw.path);
        let name = if table.name == "data" { stem } else { format!("{stem}.{}", slug(&table.name)) };
        let mut text = report.text.clone();
        if text.len() > MAX_TEXT {
            let mut cut = MAX_TEXT;
            while !text.is_char_boundary(cut) {
                cut -= 1;
            }
            text.truncate(cut);
        }
        let metadata = json!({"source_metadata": report.metadata, "text": text, "warnings": report.warnings});
        let provenance = provenance(raw, report, &table.name, started);
        Ok(table.into_new_table(&self.store, name, raw.id, metadata, provenance).await?)
    }
}

/// How a table came to be. A table read from a member of a container (an `.eln` archive)
/// names the member and the reader that read it; the container's reader is recorded too.
fn provenance(
    raw: &file::Model,
    report: &ReadReport,
    table: &str,
    started: chrono::DateTime<Utc>,
) -> serde_json::Value {
    let mut provenance = json!({
        "activity": "ingest",
        "software": format!("kura {}", env!("CARGO_PKG_VERSION")),
        "reader": report.reader,
        "reader_version": report.reader_version,
        "parameters": report.parameters,
        "source": {"file_id": raw.id, "path": raw.path, "sha256": raw.sha256, "size": raw.size},
        "started_at": started.to_rfc3339(),
        "ended_at": Utc::now().to_rfc3339(),
    });
    if let Some(member) = report.sources.get(table) {
        provenance["reader"] = json!(member.reader);
        provenance["reader_version"] = json!(member.reader_version);
        provenance["parameters"] = json!(member.parameters);
        provenance["member"] = json!(member);
        provenance["container"] = json!({"reader": report.reader, "reader_version": report.reader_version});
    }
    provenance
}

/// Stops a background task when the job that owns it ends, however it ends (even cancelled).
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// One file's format, tables, extracted files, profile fields and job notes.
type Ingested = (String, Vec<NewTable>, Vec<NewFile>, Option<kura_metadata::Imported>, Vec<serde_json::Value>);

/// The failures among a job's report entries (of a whole file, or of an archive member that
/// failed alone); the other entries are warnings.
pub fn failures(report: &serde_json::Value) -> Vec<&serde_json::Value> {
    report.as_array().map(|notes| notes.iter().filter(|n| n.get("error").is_some()).collect()).unwrap_or_default()
}

/// Most warnings of one file repeated in the job's report (all stay in its tables' metadata).
const MAX_JOB_WARNINGS: usize = 20;

/// What the job reports about a file that was read: each part that failed alone (an archive
/// member, kept as a raw file) as `{"file", "member", "error"}`, and the reader's warnings
/// (ambiguous dialects, uncertain header blocks, widened types) as `{"file", "warning"}`.
/// Neither makes the file count as failed.
fn job_notes(path: &str, report: &ReadReport) -> Vec<serde_json::Value> {
    let mut notes: Vec<serde_json::Value> = report
        .failures
        .iter()
        .map(|f| json!({"file": path, "member": f.path, "error": f.error, "kept_as": format!("extracted/{path}/{}", f.path)}))
        .collect();
    notes.extend(report.warnings.iter().take(MAX_JOB_WARNINGS).map(|w| json!({"file": path, "warning": w})));
    if report.warnings.len() > MAX_JOB_WARNINGS {
        let more = report.warnings.len() - MAX_JOB_WARNINGS;
        notes.push(json!({"file": path, "warning": format!("{more} more warnings in the tables' metadata")}));
    }
    notes
}

type ReadResult = Result<Option<(String, ReadReport, Vec<FinishedTable>, Vec<KeptFile>)>, (String, String)>;

/// What [`read_local_file`] read: the format, the tables, the reader's warnings.
pub type LocalRead = (String, Vec<FinishedTable>, Vec<String>);

/// A file made on the node (a compute job's output) read as ingestion reads an upload: its
/// format detected by content, then its tables written by that format's reader to Parquet
/// scratch files of `store`. Blocking. `Ok(None)` when no reader knows the file; errors are for
/// users, naming the format.
pub fn read_local_file(store: &ObjectStore, path: &Path, name: &str) -> Result<Option<LocalRead>, String> {
    let sink = ParquetSink::new(store, 1, CancellationToken::new());
    match read_file(sink, path, name, &Progress::default(), 0, &ReadOptions::default()) {
        Ok(Some((format, report, tables, _))) => Ok(Some((format, tables, report.warnings))),
        Ok(None) => Ok(None),
        Err((format, message)) => Err(format!("{format}: {message}")),
    }
}

/// Detects and reads one file on the current (blocking) thread.
fn read_file(
    mut sink: ParquetSink<'_>,
    path: &Path,
    name: &str,
    progress: &Progress,
    bytes_before: u64,
    options: &ReadOptions,
) -> ReadResult {
    let reader =
        detect::detect(path, name).map_err(|e| (UNKNOWN_FORMAT.to_string(), format!("cannot open file: {e}")))?;
    let Some(reader) = reader else { return Ok(None) };
    let format = reader.name().to_string();
    let mut on_progress = |bytes: u64| progress.bytes_done.store(bytes_before + bytes, Ordering::Relaxed);
    let report =
        reader.read_with(path, &mut sink, &mut on_progress, options).map_err(|e| (format.clone(), e.to_string()))?;
    let finished = std::mem::take(&mut sink.finished);
    let kept = std::mem::take(&mut sink.kept);
    Ok(Some((format, report, finished, kept)))
}

fn file_stem(path: &str) -> String {
    let base = path.rsplit('/').next().unwrap_or(path);
    let stem = match base.rfind('.') {
        Some(i) if i > 0 => &base[..i],
        _ => base,
    };
    slug(stem)
}

/// Keeps a table name URL-safe: letters, digits, `-`, `_`, `.`; anything else becomes `_`.
fn slug(name: &str) -> String {
    let s: String = name.chars().map(|c| if c.is_alphanumeric() || "-_.".contains(c) { c } else { '_' }).collect();
    if s.is_empty() { "table".into() } else { s }
}

fn unique_name(name: &str, used: &mut Vec<String>) -> String {
    let mut candidate = name.to_string();
    let mut n = 2;
    while used.contains(&candidate) {
        candidate = format!("{name}_{n}");
        n += 1;
    }
    used.push(candidate.clone());
    candidate
}

/// Renews a running job's lease every third of it until aborted; when the job is no longer
/// this worker's, marks it `lost` and stops the run.
async fn renew(catalog: Catalog, lease: Lease, job: Uuid, stop: CancellationToken, lost: Arc<AtomicBool>) {
    loop {
        tokio::time::sleep(lease.duration / 3).await;
        match catalog.renew_leases(&lease, &[job]).await {
            Ok(held) if held.is_empty() => {
                lost.store(true, Ordering::SeqCst);
                stop.cancel();
                return;
            }
            Ok(_) => {}
            // The next renewal tries again; the lease allows two more.
            Err(e) => tracing::warn!(job = %job, error = %e, "job lease not renewed"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_names_are_slugs_and_unique() {
        assert_eq!(file_stem("raw/xps spectrum.csv"), "xps_spectrum");
        assert_eq!(file_stem("温度.csv"), "温度");
        let mut used = Vec::new();
        assert_eq!(unique_name("a", &mut used), "a");
        assert_eq!(unique_name("a", &mut used), "a_2");
    }
}
