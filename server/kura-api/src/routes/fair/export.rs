//! The `.eln` export (RO-Crate 1.1 in a zip, as the ELN Consortium's format wants it: one folder
//! holding `ro-crate-metadata.json` and the data). The crate's metadata comes from
//! `kura_metadata::rocrate`; this handler streams the zip, reading each object from the store
//! as it goes, on a blocking thread (zip writing and deflate are CPU work).

use std::io::Write;

use axum::body::Body;
use axum::http::header;
use axum::response::Response;
use bytes::Bytes;
use chrono::Utc;
use futures::StreamExt;
use kura_core::access::{Action, Decision, decide};
use kura_core::{ErrorCode, VersionState};
use kura_metadata::rocrate::{crate_file_path, crate_folder, crate_table_path, to_ro_crate};
use kura_metadata::{DatasetView, FileView, TableView};
use tokio::sync::mpsc;
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

use crate::access::{Target, audit_read};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::state::AppState;

/// Bytes buffered before a chunk goes out.
const CHUNK: usize = 64 * 1024;

/// One object to pack: its path in the crate, its SHA-256, whether to deflate it.
struct Entry {
    path: String,
    sha256: String,
    deflate: bool,
}

/// The export of `target` for this caller: the data they may read, else metadata only. A
/// withdrawn version's data are gone (410) for everyone who could not read them anyway.
pub(crate) async fn eln(
    state: &AppState,
    caller: &Caller,
    target: &Target,
    view: &DatasetView,
) -> Result<Response, ApiError> {
    let may_read = decide(&caller.0.subject, Action::ReadData, &target.facts, Utc::now()) == Decision::Allow;
    if !may_read && target.version.state == VersionState::Deaccessioned {
        return Err(ApiError::new(ErrorCode::Gone, "this version was deaccessioned: its data are no longer available"));
    }
    let mut files: Vec<&FileView> = Vec::new();
    let mut tables: Vec<&TableView> = Vec::new();
    if may_read {
        // A file or stored Parquet holding a column this caller may not see is left out of the
        // crate (the table's other columns are still described); the rows API serves the rest.
        let shown = target.disclosure(caller);
        let withheld = state.catalog.withheld_files(target.version.id, &shown).await?;
        let base = super::describer(state).base_url().to_owned();
        let withheld_urls: std::collections::HashSet<String> = withheld
            .iter()
            .map(|id| kura_rdf::urls::file_download(&base, &target.dataset.name, target.version.number, id))
            .collect();
        files = view.files.iter().filter(|f| !withheld_urls.contains(&f.download_url)).collect();
        for t in &view.tables {
            let info = state.catalog.table(target.version.id, &t.name).await?;
            if t.sha256.is_some() && !withheld.contains(&info.file_id) && !shown.hides_part_of(&info) {
                tables.push(t);
            }
        }
    }
    let metadata = serde_json::to_vec_pretty(&to_ro_crate(view, &files, &tables))
        .map_err(|e| ApiError::new(ErrorCode::Internal, e.to_string()))?;
    let mut entries: Vec<Entry> = files
        .iter()
        .map(|f| Entry { path: crate_file_path(f), sha256: f.sha256.clone(), deflate: compressible(&f.media_type) })
        .collect();
    entries.extend(
        tables
            .iter()
            .filter_map(|t| Some(Entry { path: crate_table_path(t), sha256: t.sha256.clone()?, deflate: false })),
    );
    if may_read {
        let details = serde_json::json!({"files": files.len(), "tables": tables.len()});
        audit_read(state, caller, target, "data.export", "export.eln", details).await?;
    }
    let folder = crate_folder(view);
    let (tx, rx) = mpsc::channel::<Result<Bytes, std::io::Error>>(4);
    let store = state.store.clone();
    let runtime = tokio::runtime::Handle::current();
    tokio::task::spawn_blocking(move || {
        let errors = tx.clone();
        if let Err(e) = write_zip(ChannelWriter::new(tx), &folder, &metadata, &entries, &store, &runtime) {
            tracing::error!(error = %e, "eln export failed while streaming");
            let _ = errors.blocking_send(Err(e));
        }
    });
    let stream = futures::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|item| (item, rx)) });
    let file_name = format!("{}.eln", crate_folder(view));
    Response::builder()
        .header(header::CONTENT_TYPE, "application/vnd.eln+zip")
        .header(header::CONTENT_DISPOSITION, format!("attachment; filename=\"{file_name}\""))
        .header(
            header::LINK,
            kura_rdf::signposting::item_header(&view.landing_url, Some(kura_rdf::signposting::RO_CRATE_PROFILE)),
        )
        .body(Body::from_stream(stream))
        .map_err(|e| ApiError::new(ErrorCode::Internal, e.to_string()))
}

/// Whether deflating is worth it (already-compressed formats are stored as they are).
fn compressible(media_type: &str) -> bool {
    !(media_type.contains("zip")
        || media_type.contains("gzip")
        || media_type.starts_with("image/")
        || media_type.starts_with("video/")
        || media_type.contains("parquet"))
}

fn write_zip(
    out: ChannelWriter,
    folder: &str,
    metadata: &[u8],
    entries: &[Entry],
    store: &kura_storage::ObjectStore,
    runtime: &tokio::runtime::Handle,
) -> std::io::Result<()> {
    let mut zip = ZipWriter::new_stream(out);
    let deflated = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated).large_file(true);
    let stored = SimpleFileOptions::default().compression_method(CompressionMethod::Stored).large_file(true);
    zip.add_directory(format!("{folder}/"), stored).map_err(std::io::Error::other)?;
    zip.start_file(format!("{folder}/ro-crate-metadata.json"), deflated).map_err(std::io::Error::other)?;
    zip.write_all(metadata)?;
    for entry in entries {
        let options = if entry.deflate { deflated } else { stored };
        zip.start_file(format!("{folder}/{}", entry.path), options).map_err(std::io::Error::other)?;
        let mut stream = Box::pin(runtime.block_on(store.get_stream(&entry.sha256)).map_err(std::io::Error::other)?);
        while let Some(chunk) = runtime.block_on(stream.next()) {
            zip.write_all(&chunk.map_err(std::io::Error::other)?)?;
        }
    }
    zip.finish().map_err(std::io::Error::other)?;
    Ok(())
}

/// A `Write` that sends what it is given to the response body, in chunks, waiting while the
/// client is slow (the channel is bounded).
struct ChannelWriter {
    tx: mpsc::Sender<Result<Bytes, std::io::Error>>,
    buf: Vec<u8>,
}

impl ChannelWriter {
    fn new(tx: mpsc::Sender<Result<Bytes, std::io::Error>>) -> Self {
        ChannelWriter { tx, buf: Vec::with_capacity(CHUNK) }
    }

    fn send(&mut self) -> std::io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK)));
        self.tx
            .blocking_send(Ok(chunk))
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::BrokenPipe, "the client went away"))
    }
}

impl Write for ChannelWriter {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= CHUNK {
            self.send()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.send()
    }
}

impl Drop for ChannelWriter {
    fn drop(&mut self) {
        let _ = self.send();
    }
}
