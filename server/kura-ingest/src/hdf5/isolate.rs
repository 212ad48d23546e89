//! Reading HDF5 in a child process. The HDF5 C library can crash on a corrupt file (a segfault
//! in `H5HG_read` on a damaged variable-length string), which no Rust code can catch: in process
//! it would take the whole server down. The child is the `kura` binary itself, run as
//! `kura read --in-process-hdf5 --out TMP -- FILE`; it writes Parquet tables and `report.json`,
//! which are streamed back here batch by batch. A crash or a hang becomes a precise error for
//! that one file.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use serde_json::Value;

use crate::{ColumnInfo, ReadError, ReadReport, TableSink, TableStart};

/// The flag of `kura read` that makes it read HDF5 in its own process (so the child does not
/// start a child of its own).
pub const IN_PROCESS_FLAG: &str = "--in-process-hdf5";

/// How long a child may take before it is killed: generous, as a multi-gigabyte file takes
/// minutes, but a library stuck in a loop on a corrupt file (fuzzing finds such loops in
/// `H5HG_read`) must not hold a worker forever. `KURA_HDF5_TIME_LIMIT_SECS` overrides it.
pub const TIME_LIMIT: Duration = Duration::from_secs(600);

/// The environment variable that overrides [`TIME_LIMIT`], in whole seconds.
pub const TIME_LIMIT_VAR: &str = "KURA_HDF5_TIME_LIMIT_SECS";

/// The child's address-space limit: a corrupt dataspace can make the library ask for gigabytes
/// (fuzzing found a 13 KB file that takes 1.9 GB); past the limit its allocations fail and the
/// file fails, instead of the machine swapping. `KURA_HDF5_MEMORY_LIMIT_BYTES` overrides it.
pub const MEMORY_LIMIT: u64 = 4 << 30;

/// The environment variable that overrides [`MEMORY_LIMIT`], in bytes (0: no limit).
pub const MEMORY_LIMIT_VAR: &str = "KURA_HDF5_MEMORY_LIMIT_BYTES";

/// How the parent tells the child its memory limit; the child applies it to itself before
/// reading ([`limit_own_memory`]).
const CHILD_MEMORY_VAR: &str = "KURA_HDF5_CHILD_MEMORY_BYTES";

/// Rows per batch streamed back, as readers produce.
const BATCH_ROWS: usize = 65_536;

/// Bytes of the child's stderr kept for error messages; the rest is drained and dropped.
const STDERR_KEPT: usize = 64 * 1024;

/// How long to wait, once the child is gone, for the end of its stderr.
const STDERR_WAIT: Duration = Duration::from_secs(2);

/// Lines of the child's stderr quoted in a crash message.
const STDERR_LINES: usize = 5;

/// Set by [`isolate_in`]; when unset, HDF5 is read in process.
static ISOLATION: OnceLock<ChildProcess> = OnceLock::new();

/// Makes every HDF5 read in this process run in a child process of `program` (the `kura`
/// binary). Called once at start-up by the binary; later calls are ignored.
pub fn isolate_in(program: PathBuf) {
    let _ = ISOLATION.set(ChildProcess::new(program));
}

/// The isolation set by [`isolate_in`], if any.
pub(super) fn isolation() -> Option<&'static ChildProcess> {
    ISOLATION.get()
}

/// Reads HDF5 files in a child process of `program`, which must understand
/// `read --in-process-hdf5 --out DIR -- FILE` as `kura` does.
#[derive(Debug, Clone)]
pub struct ChildProcess {
    pub program: PathBuf,
    /// The child is killed after this long and the file fails.
    pub time_limit: Duration,
    /// The child's address-space limit in bytes (`RLIMIT_AS`), if any.
    pub memory_limit: Option<u64>,
}

fn malformed(message: impl Into<String>) -> ReadError {
    ReadError::Malformed { format: "hdf5", message: message.into() }
}

impl ChildProcess {
    /// A child process of `program` with [`TIME_LIMIT`] and [`MEMORY_LIMIT`], or the values of
    /// `KURA_HDF5_TIME_LIMIT_SECS` (positive) and `KURA_HDF5_MEMORY_LIMIT_BYTES` (0: none).
    pub fn new(program: PathBuf) -> Self {
        let number = |var: &str| std::env::var(var).ok().and_then(|v| v.trim().parse::<u64>().ok());
        let time_limit = number(TIME_LIMIT_VAR).filter(|s| *s > 0).map_or(TIME_LIMIT, Duration::from_secs);
        let memory_limit = number(MEMORY_LIMIT_VAR).map_or(Some(MEMORY_LIMIT), |b| Some(b).filter(|b| *b > 0));
        ChildProcess { program, time_limit, memory_limit }
    }

    /// Reads `path` in a child process and streams its tables into `sink`. The report is the
    /// one the in-process reader would give; failures carry the in-process message, and a
    /// crash or a timeout says so.
    pub fn read(
        &self,
        path: &Path,
        sink: &mut dyn TableSink,
        progress: &mut dyn FnMut(u64),
    ) -> Result<ReadReport, ReadError> {
        let dir = tempfile::Builder::new().prefix("kura-hdf5-").tempdir()?;
        let out = dir.path().join("out");
        let mut command = Command::new(&self.program);
        match self.memory_limit {
            Some(bytes) => command.env(CHILD_MEMORY_VAR, bytes.to_string()),
            None => command.env_remove(CHILD_MEMORY_VAR),
        };
        let mut child = command
            .arg("read")
            .arg(IN_PROCESS_FLAG)
            .arg("--out")
            .arg(&out)
            .arg("--")
            .arg(path)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| {
                ReadError::Io(std::io::Error::new(
                    e.kind(),
                    format!("cannot start the hdf5 reader process {}: {e}", self.program.display()),
                ))
            })?;
        // Drained on a thread so a chatty child never blocks on a full pipe. The thread is not
        // joined: a process the child started could hold the pipe open after the child is gone.
        let (said, stderr) = std::sync::mpsc::channel();
        if let Some(mut pipe) = child.stderr.take() {
            std::thread::spawn(move || {
                let mut kept = Vec::new();
                let _ = (&mut pipe).take(STDERR_KEPT as u64).read_to_end(&mut kept);
                let _ = said.send(String::from_utf8_lossy(&kept).into_owned());
                let _ = std::io::copy(&mut pipe, &mut std::io::sink());
            });
        }
        let status = wait(&mut child, self.time_limit)?;
        let stderr = stderr.recv_timeout(STDERR_WAIT).unwrap_or_default();
        match status {
            Some(status) if status.success() => {}
            Some(status) => return Err(failure(status, &stderr)),
            None => {
                return Err(malformed(format!(
                    "the HDF5 library took longer than {:?} reading this file and was stopped",
                    self.time_limit
                )));
            }
        }
        let report = stream_back(&out, sink)?;
        progress(std::fs::metadata(path).map(|m| m.len()).unwrap_or(0));
        Ok(report)
    }
}

/// In the child (`kura read --in-process-hdf5`): applies the address-space limit the parent
/// passed, so an allocation past it fails (and with it the file) instead of exhausting memory.
pub fn limit_own_memory() -> std::io::Result<()> {
    let Some(bytes) = std::env::var(CHILD_MEMORY_VAR).ok().and_then(|v| v.parse::<u64>().ok()) else {
        return Ok(());
    };
    let limit = rustix::process::Rlimit { current: Some(bytes), maximum: Some(bytes) };
    rustix::process::setrlimit(rustix::process::Resource::As, limit).map_err(std::io::Error::from)
}

/// Waits for `child` at most `limit`; `None` when it was killed for taking longer.
fn wait(child: &mut Child, limit: Duration) -> Result<Option<ExitStatus>, ReadError> {
    let start = Instant::now();
    let mut pause = Duration::from_millis(5);
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok(Some(status));
        }
        if start.elapsed() >= limit {
            let _ = child.kill();
            let _ = child.wait();
            return Ok(None);
        }
        std::thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(100));
    }
}

/// The error for a child that did not succeed: its own message when it exited with one, a crash
/// message when a signal killed it.
fn failure(status: ExitStatus, stderr: &str) -> ReadError {
    if let Some(signal) = signal(status) {
        let name = match signal {
            4 => " SIGILL",
            6 => " SIGABRT",
            7 => " SIGBUS",
            8 => " SIGFPE",
            9 => " SIGKILL",
            11 => " SIGSEGV",
            _ => "",
        };
        let said: Vec<&str> = stderr.lines().map(str::trim).filter(|l| !l.is_empty()).take(STDERR_LINES).collect();
        let mut message = format!("the HDF5 library crashed reading this file (signal {signal}{name})");
        if !said.is_empty() {
            message.push_str(": ");
            message.push_str(&said.join(" / "));
        }
        return malformed(message);
    }
    // `kura read` reports a failed file as `error: NAME: MESSAGE`, MESSAGE being the reader's
    // error; HDF5 reader errors are `malformed hdf5: …`.
    let Some(line) = stderr.lines().rev().find_map(|l| l.strip_prefix("error: ")) else {
        let code = status.code().map_or_else(|| "no exit code".to_string(), |c| format!("exit code {c}"));
        return malformed(format!("the hdf5 reader process failed ({code}) without a message"));
    };
    match line.find("malformed hdf5: ") {
        Some(at) => malformed(&line[at + "malformed hdf5: ".len()..]),
        None if line.ends_with(": file is empty") => ReadError::Empty,
        None => malformed(format!("the hdf5 reader process failed: {line}")),
    }
}

#[cfg(unix)]
fn signal(status: ExitStatus) -> Option<i32> {
    std::os::unix::process::ExitStatusExt::signal(&status)
}

#[cfg(not(unix))]
fn signal(_: ExitStatus) -> Option<i32> {
    None
}

/// Reads `out/report.json` and streams every table it lists into `sink`.
fn stream_back(out: &Path, sink: &mut dyn TableSink) -> Result<ReadReport, ReadError> {
    let bad = |what: &str| malformed(format!("the hdf5 reader process wrote {what}"));
    let json = std::fs::read(out.join("report.json")).map_err(|e| bad(&format!("no report.json ({e})")))?;
    let json: Value = serde_json::from_slice(&json).map_err(|e| bad(&format!("an unreadable report.json ({e})")))?;
    let object = |key: &str| json.get(key).and_then(Value::as_object).cloned().unwrap_or_default();
    let strings = |key: &str| -> Vec<String> {
        json.get(key)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .map(String::from)
            .collect()
    };
    for table in json.get("tables").and_then(Value::as_array).into_iter().flatten() {
        stream_table(table, sink).map_err(|e| match e {
            ReadError::Sink(_) | ReadError::Malformed { .. } => e,
            other => bad(&format!("an unreadable table: {other}")),
        })?;
    }
    Ok(ReadReport {
        reader: "hdf5",
        reader_version: super::VERSION,
        parameters: object("parameters"),
        metadata: object("metadata"),
        text: json.get("text").and_then(Value::as_str).unwrap_or_default().to_string(),
        warnings: strings("warnings"),
        ..ReadReport::default()
    })
}

/// One table of `report.json`: its columns from the report, its schema and rows from its
/// Parquet file, read a batch at a time.
fn stream_table(table: &Value, sink: &mut dyn TableSink) -> Result<(), ReadError> {
    let text = |v: &Value, key: &str| v.get(key).and_then(Value::as_str).map(String::from);
    let name = text(table, "name").ok_or_else(|| malformed("the hdf5 reader process wrote a table without a name"))?;
    let file = text(table, "file").ok_or_else(|| malformed(format!("the hdf5 reader process lost table {name}")))?;
    let columns: Vec<ColumnInfo> = table
        .get("columns")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|c| ColumnInfo {
            name: text(c, "name").unwrap_or_default(),
            original_label: text(c, "original_label").unwrap_or_default(),
            unit: text(c, "unit"),
            ucum: text(c, "ucum"),
            qudt: text(c, "qudt"),
            description: text(c, "description"),
        })
        .collect();
    let builder = ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(&file)?)
        .map_err(|e| malformed(format!("table {name} from the hdf5 reader process: {e}")))?
        .with_batch_size(BATCH_ROWS);
    let schema = builder.schema().clone();
    let names_match = schema.fields().len() == columns.len()
        && schema.fields().iter().zip(&columns).all(|(f, c)| f.name() == &c.name);
    if !names_match {
        return Err(malformed(format!("table {name} from the hdf5 reader process: columns differ from its report")));
    }
    let batches = builder.build().map_err(|e| malformed(format!("table {name}: {e}")))?;
    sink.begin_table(TableStart { name: name.clone(), schema, columns })?;
    for batch in batches {
        let written = batch.map_err(ReadError::from).and_then(|b| sink.write_batch(&b).map_err(ReadError::from));
        if let Err(e) = written {
            sink.discard_table();
            return Err(e);
        }
    }
    sink.finish_table()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    fn exited(code: i32) -> ExitStatus {
        std::os::unix::process::ExitStatusExt::from_raw(code << 8)
    }

    #[cfg(unix)]
    #[test]
    fn a_child_failure_becomes_the_in_process_message_or_a_crash_message() {
        let status = std::os::unix::process::ExitStatusExt::from_raw(11);
        let e = failure(status, "\nsomething on stderr\n").to_string();
        assert_eq!(
            e,
            "malformed hdf5: the HDF5 library crashed reading this file (signal 11 SIGSEGV): something on stderr"
        );
        let e = failure(status, "").to_string();
        assert_eq!(e, "malformed hdf5: the HDF5 library crashed reading this file (signal 11 SIGSEGV)");

        let e = failure(exited(1), "error: a: b.nxs: malformed hdf5: cannot open: truncated file\n").to_string();
        assert_eq!(e, "malformed hdf5: cannot open: truncated file");
        assert!(matches!(failure(exited(1), "error: x.h5: file is empty"), ReadError::Empty));
        let e = failure(exited(1), "error: cannot create /x: denied").to_string();
        assert_eq!(e, "malformed hdf5: the hdf5 reader process failed: cannot create /x: denied");
        let e = failure(exited(2), "usage: kura …").to_string();
        assert_eq!(e, "malformed hdf5: the hdf5 reader process failed (exit code 2) without a message");
    }

    struct Nothing;

    impl TableSink for Nothing {
        fn begin_table(&mut self, _: TableStart) -> Result<(), crate::SinkError> {
            unreachable!()
        }
        fn write_batch(&mut self, _: &arrow::record_batch::RecordBatch) -> Result<(), crate::SinkError> {
            unreachable!()
        }
        fn finish_table(&mut self) -> Result<(), crate::SinkError> {
            unreachable!()
        }
        fn discard_table(&mut self) {}
    }

    fn hdf5_file(dir: &Path) -> PathBuf {
        let path = dir.join("a.h5");
        std::fs::write(&path, super::super::SIGNATURE).unwrap();
        path
    }

    #[test]
    fn the_child_is_told_its_memory_limit() {
        let dir = tempfile::tempdir().unwrap();
        let script = "echo \"error: a.h5: malformed hdf5: limit ${KURA_HDF5_CHILD_MEMORY_BYTES:-none}\" >&2; exit 1";
        let mut child = fake(dir.path(), script);
        child.memory_limit = Some(1 << 30);
        let e = child.read(&hdf5_file(dir.path()), &mut Nothing, &mut |_| {}).unwrap_err().to_string();
        assert_eq!(e, "malformed hdf5: limit 1073741824");
        child.memory_limit = None;
        let e = child.read(&hdf5_file(dir.path()), &mut Nothing, &mut |_| {}).unwrap_err().to_string();
        assert_eq!(e, "malformed hdf5: limit none");
    }

    #[test]
    fn a_missing_program_is_an_io_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let child = ChildProcess::new(dir.path().join("no-such-kura"));
        let e = child.read(&hdf5_file(dir.path()), &mut Nothing, &mut |_| {}).unwrap_err().to_string();
        assert!(e.contains("cannot start the hdf5 reader process") && e.contains("no-such-kura"), "{e}");
    }

    /// A stand-in for `kura` that runs `script` with the arguments `kura` would get.
    #[cfg(unix)]
    fn fake(dir: &Path, script: &str) -> ChildProcess {
        use std::os::unix::fs::PermissionsExt;
        let program = dir.join("fake-kura");
        std::fs::write(&program, format!("#!/bin/sh\n{script}\n")).unwrap();
        std::fs::set_permissions(&program, std::fs::Permissions::from_mode(0o755)).unwrap();
        ChildProcess::new(program)
    }

    #[cfg(unix)]
    #[test]
    fn a_child_killed_by_a_signal_or_too_slow_fails_the_file_precisely() {
        let dir = tempfile::tempdir().unwrap();
        let path = hdf5_file(dir.path());
        let crash = fake(dir.path(), "echo 'HDF5-DIAG: error' >&2; kill -SEGV $$");
        let e = crash.read(&path, &mut Nothing, &mut |_| {}).unwrap_err().to_string();
        assert_eq!(
            e,
            "malformed hdf5: the HDF5 library crashed reading this file (signal 11 SIGSEGV): HDF5-DIAG: error"
        );

        let mut slow = fake(dir.path(), "sleep 30");
        slow.time_limit = Duration::from_millis(300);
        let started = Instant::now();
        let e = slow.read(&path, &mut Nothing, &mut |_| {}).unwrap_err().to_string();
        assert_eq!(e, "malformed hdf5: the HDF5 library took longer than 300ms reading this file and was stopped");
        assert!(started.elapsed() < Duration::from_secs(10), "the slow child was not killed");

        let silent = fake(dir.path(), "exit 0");
        let e = silent.read(&path, &mut Nothing, &mut |_| {}).unwrap_err().to_string();
        assert!(e.starts_with("malformed hdf5: the hdf5 reader process wrote no report.json"), "{e}");
    }

    #[cfg(unix)]
    #[test]
    fn the_child_gets_the_in_process_flag_the_output_folder_and_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = hdf5_file(dir.path());
        // `$4` is the output folder; a report without tables reads as an empty file.
        let script = r#"[ "$1 $2 $3 $5" = "read --in-process-hdf5 --out --" ] || exit 3
mkdir -p "$4" && printf '{"parameters":{"nexus":false},"metadata":{"tree":{}},"text":"t","warnings":["w"],"tables":[]}' > "$4/report.json""#;
        let mut seen = 0;
        let report = fake(dir.path(), script).read(&path, &mut Nothing, &mut |n| seen = n).unwrap();
        assert_eq!(report.reader, "hdf5");
        assert_eq!(report.parameters["nexus"], false);
        assert_eq!(report.text, "t");
        assert_eq!(report.warnings, ["w"]);
        assert_eq!(seen, 8);
    }
}
