//! The script runner: a Python script (the job's `code`) run in the node's sandbox
//! (`kura-sandbox`: no network, no view of the host, limits on CPU, memory, wall time, output and
//! processes). Each input is materialised read-only as `/inputs/<name>.parquet` with only the
//! columns the submitter may read; the script is `/inputs/job.py`; it writes each declared output
//! as `/outputs/<name>.<ext>` (Parquet, CSV, JSON… anything ingestion reads), and those files go
//! through the ingestion readers like an upload. What the script does wrong is the job's
//! failure (`EXECUTOR_ERROR`); a sandbox that cannot start is the node's (`SYSTEM_ERROR`).

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use futures::TryStreamExt;
use kura_ingest::FinishedTable;
use kura_sandbox::{Limits, Sandbox, Spec};
use kura_storage::ObjectStore;
use kura_storage::parquet_io::{RowsRequest, read_rows, writer_properties};
use parquet::arrow::ArrowWriter;
use tokio_util::sync::CancellationToken;

use crate::{ComputeError, JobKind, PreparedInput, RunOutput, RunSpec, Runner};

/// How the node runs scripts.
#[derive(Debug, Clone)]
pub struct ScriptSettings {
    /// The Python scripts run with (a venv's `bin/python` with pyarrow).
    pub python: PathBuf,
    pub limits: Limits,
}

/// Runs script jobs in the sandbox.
#[derive(Debug, Clone)]
pub struct ScriptRunner {
    sandbox: Sandbox,
    store: ObjectStore,
    settings: ScriptSettings,
    /// Read-only paths the Python needs besides `/usr` (its venv, the installation it names).
    binds: Vec<PathBuf>,
}

impl ScriptRunner {
    /// A runner over `sandbox` (one per node: its clones share the pool of sandbox uids).
    pub fn new(sandbox: Sandbox, store: ObjectStore, settings: ScriptSettings) -> Result<Self, ComputeError> {
        if !settings.python.exists() {
            let missing = format!("the script Python {} does not exist", settings.python.display());
            return Err(ComputeError::System(missing));
        }
        let binds = kura_sandbox::python_binds(&settings.python);
        Ok(ScriptRunner { sandbox, store, settings, binds })
    }

    async fn materialise(&self, dir: &Path, inputs: &[PreparedInput]) -> Result<Vec<(PathBuf, String)>, ComputeError> {
        let mut mounted = Vec::new();
        for input in inputs {
            let columns = input.columns.iter().map(|c| c.name.clone()).collect();
            let request = RowsRequest { columns: Some(columns), ..RowsRequest::default() };
            let (schema, batches) = read_rows(&self.store, &input.sha256, input.size, &request)
                .await
                .map_err(|e| ComputeError::System(format!("reading input {}: {e}", input.reference)))?;
            let batches: Vec<_> = batches
                .try_collect()
                .await
                .map_err(|e| ComputeError::System(format!("reading input {}: {e}", input.reference)))?;
            let name = format!("{}.parquet", input.name);
            let path = dir.join(&name);
            let target = path.clone();
            tokio::task::spawn_blocking(move || -> Result<(), String> {
                let file = std::fs::File::create(&target).map_err(|e| e.to_string())?;
                let mut writer =
                    ArrowWriter::try_new(file, schema, Some(writer_properties())).map_err(|e| e.to_string())?;
                for batch in &batches {
                    writer.write(batch).map_err(|e| e.to_string())?;
                }
                writer.close().map_err(|e| e.to_string())?;
                readable(&target).map_err(|e| e.to_string())
            })
            .await
            .map_err(|e| ComputeError::System(e.to_string()))?
            .map_err(|e| ComputeError::System(format!("materialising input {}: {e}", input.reference)))?;
            mounted.push((path, name));
        }
        Ok(mounted)
    }

    /// The declared outputs read from the output directory, each through ingestion's readers.
    async fn collect(
        &self,
        out: &Path,
        outputs: &[String],
        log: &mut String,
    ) -> Result<Vec<FinishedTable>, ComputeError> {
        let files: Vec<PathBuf> = std::fs::read_dir(out)
            .map_err(|e| ComputeError::System(format!("reading the outputs: {e}")))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file())
            .collect();
        let mut tables = Vec::new();
        for name in outputs {
            let Some(file) = files.iter().find(|p| stem(p) == Some(name.as_str())) else {
                return Err(ComputeError::Executor(format!(
                    "the script wrote no file for output {name:?}: write /outputs/{name}.parquet (or .csv, .json…)"
                )));
            };
            let (store, path, label, table) = (self.store.clone(), file.clone(), file_name(file), name.clone());
            let read = tokio::task::spawn_blocking(move || {
                if is_parquet(&path) {
                    parquet_output(&store, &path, &table).map(|t| Some(("parquet".to_owned(), vec![t], Vec::new())))
                } else {
                    kura_ingest::read_local_file(&store, &path, &label)
                }
            })
            .await
            .map_err(|e| ComputeError::System(e.to_string()))?;
            let (format, mut found, warnings) = match read {
                Ok(Some(read)) => read,
                Ok(None) => {
                    return Err(ComputeError::Executor(format!(
                        "output {name:?}: no reader knows {}",
                        file_name(file)
                    )));
                }
                Err(message) => return Err(ComputeError::Executor(format!("output {name:?}: {message}"))),
            };
            if found.is_empty() {
                return Err(ComputeError::Executor(format!("output {name:?}: {} holds no table", file_name(file))));
            }
            log.push_str(&format!("output {name}: read as {format}\n"));
            for warning in warnings {
                log.push_str(&format!("  warning: {warning}\n"));
            }
            if found.len() > 1 {
                log.push_str(&format!("  {} tables in the file: the first is the output\n", found.len()));
            }
            let mut table = found.swap_remove(0);
            table.name = name.clone();
            tables.push(table);
        }
        for extra in files.iter().filter(|p| !stem(p).is_some_and(|s| outputs.iter().any(|o| o == s))) {
            log.push_str(&format!("ignored {}: not a declared output\n", file_name(extra)));
        }
        Ok(tables)
    }
}

#[async_trait::async_trait]
impl Runner for ScriptRunner {
    fn kind(&self) -> JobKind {
        JobKind::Script
    }

    async fn run(&self, spec: RunSpec<'_>, cancel: CancellationToken) -> Result<RunOutput, ComputeError> {
        // In the store's staging directory: on the data volume, removed when the run ends.
        let work = tempfile::Builder::new()
            .prefix("kura-job-")
            .tempdir_in(self.store.staging_dir())
            .map_err(|e| ComputeError::System(format!("a job directory: {e}")))?;
        let (inputs_dir, out) = (work.path().join("in"), work.path().join("out"));
        for dir in [work.path(), &inputs_dir, &out] {
            std::fs::create_dir_all(dir)
                .and_then(|()| readable(dir))
                .map_err(|e| ComputeError::System(e.to_string()))?;
        }
        let mut mounted = self.materialise(&inputs_dir, spec.inputs).await?;
        let script = inputs_dir.join("job.py");
        std::fs::write(&script, spec.code)
            .and_then(|()| readable(&script))
            .map_err(|e| ComputeError::System(e.to_string()))?;
        mounted.push((script, "job.py".into()));
        let run = Spec {
            program: self.settings.python.clone(),
            args: vec!["/inputs/job.py".into()],
            inputs: mounted,
            output_dir: out.clone(),
            read_only_binds: self.binds.clone(),
            env: vec![],
            limits: self.settings.limits,
        };
        let outcome = tokio::select! {
            () = cancel.cancelled() => return Err(ComputeError::Canceled),
            outcome = self.sandbox.run(run) => outcome.map_err(|e| ComputeError::System(format!("the sandbox: {e}")))?,
        };
        let mut log = outcome.log.clone();
        if !outcome.success() {
            return Err(ComputeError::Executor(format!("{}\n{}", outcome.message(), tail(&log))));
        }
        let tables = self.collect(&out, spec.outputs, &mut log).await?;
        Ok(RunOutput { tables, log })
    }
}

/// Whether the file is Parquet (its magic number), which ingestion keeps as a raw file while a
/// job's Parquet output is a table as it stands.
fn is_parquet(path: &Path) -> bool {
    let mut magic = [0u8; 4];
    std::fs::File::open(path).and_then(|mut f| std::io::Read::read_exact(&mut f, &mut magic)).is_ok()
        && &magic == b"PAR1"
}

/// A Parquet output rewritten by the ingestion sink (statistics, zstd, Kura's writer
/// properties) as the table `name`, its columns as the script named them.
fn parquet_output(store: &ObjectStore, path: &Path, name: &str) -> Result<FinishedTable, String> {
    use kura_ingest::reader::{ColumnInfo, TableSink, TableStart};
    let file = std::fs::File::open(path).map_err(|e| e.to_string())?;
    let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
        .and_then(|b| b.build())
        .map_err(|e| format!("parquet: {e}"))?;
    let schema = arrow::array::RecordBatchReader::schema(&reader);
    let columns = schema
        .fields()
        .iter()
        .map(|f| ColumnInfo {
            name: f.name().clone(),
            original_label: f.name().clone(),
            unit: None,
            ucum: None,
            qudt: None,
            description: None,
        })
        .collect();
    let mut sink = kura_ingest::ParquetSink::new(store, 1, CancellationToken::new());
    sink.begin_table(TableStart { name: name.to_owned(), schema: schema.clone(), columns }).map_err(|e| e.0)?;
    for batch in reader {
        sink.write_batch(&batch.map_err(|e| format!("parquet: {e}"))?).map_err(|e| e.0)?;
    }
    sink.finish_table().map_err(|e| e.0)?;
    std::mem::take(&mut sink.finished).pop().ok_or_else(|| "parquet: no table".to_owned())
}

/// World-readable (directories searchable): the sandbox runs as an unprivileged uid.
fn readable(path: &Path) -> std::io::Result<()> {
    let mode = if path.is_dir() { 0o755 } else { 0o644 };
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
}

fn stem(path: &Path) -> Option<&str> {
    path.file_stem().and_then(|s| s.to_str())
}

fn file_name(path: &Path) -> String {
    path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
}

/// The end of a log, for an error message (the whole log is kept with the job).
fn tail(log: &str) -> &str {
    let start = log.len().saturating_sub(2000);
    let start = (start..log.len()).find(|i| log.is_char_boundary(*i)).unwrap_or(log.len());
    &log[start..]
}
