//! HDF5 read in a child process (the `kura` binary): the same tables and report as in process,
//! and a file that crashes the HDF5 C library fails with a precise error instead of killing the
//! reading process.
//!
//! This binary never calls `isolate_in`, so `Hdf5Reader` reads in process here and
//! `ChildProcess` is the isolated path.
#![cfg(feature = "hdf5")]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use arrow::record_batch::RecordBatch;
use hdf5_metno::types::VarLenUnicode;
use hdf5_metno::{File, Group, Location};
use kura_ingest::hdf5::{ChildProcess, Hdf5Reader};
use kura_ingest::{FormatReader, ReadError, ReadReport, SinkError, TableSink, TableStart};

#[derive(Default)]
struct Collect {
    tables: Vec<(TableStart, Vec<RecordBatch>)>,
    open: bool,
}

impl TableSink for Collect {
    fn begin_table(&mut self, table: TableStart) -> Result<(), SinkError> {
        assert!(!self.open, "a table begun before the last was finished");
        self.open = true;
        self.tables.push((table, vec![]));
        Ok(())
    }
    fn write_batch(&mut self, batch: &RecordBatch) -> Result<(), SinkError> {
        assert!(batch.num_rows() <= 65_536, "batch of {} rows", batch.num_rows());
        self.tables.last_mut().unwrap().1.push(batch.clone());
        Ok(())
    }
    fn finish_table(&mut self) -> Result<(), SinkError> {
        self.open = false;
        Ok(())
    }
    fn discard_table(&mut self) {
        self.open = false;
        self.tables.pop();
    }
}

impl Collect {
    /// Each table with its rows in one batch, for comparing however the rows were batched.
    fn concatenated(&self) -> Vec<(TableStart, RecordBatch)> {
        self.tables
            .iter()
            .map(|(start, batches)| (start.clone(), arrow::compute::concat_batches(&start.schema, batches).unwrap()))
            .collect()
    }
}

fn in_process(path: &Path) -> Result<(Collect, ReadReport), ReadError> {
    let mut sink = Collect::default();
    let report = Hdf5Reader.read(path, &mut sink, &mut |_| {})?;
    Ok((sink, report))
}

fn child() -> ChildProcess {
    ChildProcess { time_limit: Duration::from_secs(60), ..ChildProcess::new(env!("CARGO_BIN_EXE_kura").into()) }
}

fn isolated(path: &Path) -> Result<(Collect, ReadReport), ReadError> {
    let mut sink = Collect::default();
    let mut seen = 0;
    let report = child().read(path, &mut sink, &mut |n| seen = n)?;
    assert!(!sink.open, "every table begun is finished");
    assert_eq!(seen, std::fs::metadata(path).unwrap().len(), "progress reaches the file size");
    Ok((sink, report))
}

fn vlen(s: &str) -> VarLenUnicode {
    s.parse().unwrap()
}

fn attr(loc: &Location, name: &str, value: &str) {
    loc.new_attr::<VarLenUnicode>().create(name).unwrap().write_scalar(&vlen(value)).unwrap();
}

fn nx_group(parent: &Group, name: &str, class: &str) -> Group {
    let g = parent.create_group(name).unwrap();
    attr(&g, "NX_class", class);
    g
}

fn text(parent: &Group, name: &str, value: &str) {
    parent.new_dataset::<VarLenUnicode>().create(name).unwrap().write_scalar(&vlen(value)).unwrap();
}

/// A NeXus-like file with variable-length strings (kept in the global heap, where corruption
/// crashes the library), a detector image, NXdata with units, and a string column.
fn nexus_file(path: &Path) {
    let f = File::create(path).unwrap();
    attr(&f, "default", "entry");
    let entry = nx_group(&f, "entry", "NXentry");
    text(&entry, "title", "Silicon powder 300 K");
    text(&entry, "start_time", "2024-05-01T10:00:00Z");
    let instrument = nx_group(&entry, "instrument", "NXinstrument");
    text(&instrument, "name", "D2B");
    let detector = nx_group(&instrument, "detector", "NXdetector");
    let image: Vec<u16> = (0..30).collect();
    let ds = detector.new_dataset::<u16>().shape((10, 3)).create("data").unwrap();
    ds.write_raw(&image).unwrap();
    attr(&ds, "units", "counts");
    let sample = nx_group(&entry, "sample", "NXsample");
    text(&sample, "name", "Si");
    let t = sample.new_dataset::<f64>().create("temperature").unwrap();
    t.write_scalar(&300.0).unwrap();
    attr(&t, "units", "K");
    let data = nx_group(&entry, "data", "NXdata");
    attr(&data, "signal", "counts");
    attr(&data, "axes", "two_theta");
    let counts: Vec<i32> = (0..100).map(|i| i * 10).collect();
    let c = data.new_dataset_builder().with_data(&counts).create("counts").unwrap();
    attr(&c, "long_name", "Neutron counts");
    let angles: Vec<f64> = (0..100).map(|i| 10.0 + f64::from(i) * 0.5).collect();
    let a = data.new_dataset_builder().with_data(&angles).create("two_theta").unwrap();
    attr(&a, "units", "deg");
    attr(&a, "long_name", "2θ");
    let notes: Vec<VarLenUnicode> = (0..100).map(|i| vlen(&format!("point {i}"))).collect();
    data.new_dataset_builder().with_data(&notes).create("note").unwrap();
}

fn temp(name: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    (dir, path)
}

#[test]
fn a_good_file_reads_the_same_in_a_child_process_as_in_process() {
    let (_dir, path) = temp("run.nxs");
    nexus_file(&path);
    let (direct, direct_report) = in_process(&path).unwrap();
    let (child, child_report) = isolated(&path).unwrap();

    let direct = direct.concatenated();
    let child = child.concatenated();
    let names = |t: &[(TableStart, RecordBatch)]| t.iter().map(|(s, _)| s.name.clone()).collect::<Vec<_>>();
    assert_eq!(names(&child), names(&direct));
    assert!(names(&direct).contains(&"entry_data".to_string()), "{:?}", names(&direct));
    for ((d, d_rows), (c, c_rows)) in direct.iter().zip(&child) {
        assert_eq!(c.columns, d.columns, "columns of {}", d.name);
        assert_eq!(c.schema.fields(), d.schema.fields(), "fields of {}", d.name);
        assert_eq!(c_rows, d_rows, "rows of {}", d.name);
    }
    let (data, rows) = child.iter().find(|(s, _)| s.name == "entry_data").unwrap();
    assert_eq!(rows.num_rows(), 100);
    let theta = data.columns.iter().find(|c| c.name == "two_theta").unwrap();
    assert_eq!(theta.unit.as_deref(), Some("deg"));
    assert_eq!(theta.ucum.as_deref(), Some("deg"));
    assert!(theta.qudt.is_some());
    assert_eq!(theta.description.as_deref(), Some("2θ"));

    assert_eq!(child_report.reader, direct_report.reader);
    assert_eq!(child_report.reader_version, direct_report.reader_version);
    assert_eq!(child_report.parameters, direct_report.parameters);
    assert_eq!(child_report.metadata, direct_report.metadata);
    assert_eq!(child_report.text, direct_report.text);
    assert_eq!(child_report.warnings, direct_report.warnings);
    assert!(child_report.text.contains("Silicon powder 300 K"), "{}", child_report.text);
}

#[test]
fn a_failing_file_gives_the_in_process_message() {
    let (dir, path) = temp("run.nxs");
    nexus_file(&path);
    let bytes = std::fs::read(&path).unwrap();
    let truncated = dir.path().join("-truncated.h5");
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();
    let direct = in_process(&truncated).err().expect("truncated file fails").to_string();
    let child = isolated(&truncated).err().expect("truncated file fails").to_string();
    assert!(direct.starts_with("malformed hdf5: cannot open: "), "{direct}");
    assert_eq!(child, direct);

    let text = dir.path().join("notes.h5");
    std::fs::write(&text, "just some text\n").unwrap();
    let child = isolated(&text).err().unwrap().to_string();
    assert_eq!(child, "malformed hdf5: no hdf5 signature at offset 0 nor at any power of two from 512");
}

/// xorshift64: the same corruptions on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

#[test]
fn a_file_that_crashes_the_library_fails_precisely_and_the_reader_survives() {
    let (dir, path) = temp("run.nxs");
    nexus_file(&path);
    let good = std::fs::read(&path).unwrap();
    let mut rng = Rng(0x5eed_4844_4635_u64);
    // About one corruption in eight crashes the library; five crashes make the loop meet many
    // files that do not crash too.
    let mut crashed = Vec::new();
    for attempt in 0..300 {
        let mut bytes = good.clone();
        // Keep the signature so the library, not the superblock search, meets the damage.
        for _ in 0..1 + rng.below(4) {
            let at = 8 + rng.below(bytes.len() - 8);
            bytes[at] ^= 1 + rng.below(255) as u8;
        }
        let file = dir.path().join(format!("corrupt{attempt}.nxs"));
        std::fs::write(&file, &bytes).unwrap();
        match isolated(&file) {
            Ok(_) => {}
            Err(ReadError::Malformed { format: "hdf5", message }) => {
                assert!(!message.is_empty());
                if message.starts_with("the HDF5 library crashed reading this file (signal ") {
                    crashed.push(file);
                    if crashed.len() == 5 {
                        break;
                    }
                    continue;
                }
            }
            Err(e) => panic!("attempt {attempt}: not a precise hdf5 error: {e:?}"),
        }
        std::fs::remove_file(&file).unwrap();
    }
    assert!(!crashed.is_empty(), "no corruption in 300 attempts crashed the HDF5 library");

    // `kura read` isolates too: the crash fails the file, the command reports it and carries on.
    let out = dir.path().join("out");
    let output = Command::new(env!("CARGO_BIN_EXE_kura"))
        .arg("read")
        .arg(&crashed[0])
        .arg(&path)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("the HDF5 library crashed reading this file (signal "), "{stderr}");
    assert!(out.join("run.nxs").join("report.json").is_file(), "the good file after it was read: {stderr}");
}

/// Findings of the hdf5 fuzz target (`tests/fuzz-readers`), mutated from the seeds of
/// `tests/fuzz-seeds hdf5`: a file on which the library segfaults, one on which it loops in
/// `H5HG_read` (a vlen string attribute's global heap), one on which it asks for a huge
/// allocation (1.9 GB for a 13 KB file). Each fails alone with a precise message, within the
/// child's time and memory limits.
#[test]
fn fuzzing_findings_fail_precisely_in_the_child() {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/hdf5-fuzz");
    // The hang is stopped at a short limit; the others get a generous one, as a loaded machine
    // (tests run in parallel) slows the huge allocation down.
    for (name, limit, expected) in [
        ("crash-segv.h5", 120, "the HDF5 library crashed reading this file (signal 11 SIGSEGV)"),
        ("hang.h5", 3, "the HDF5 library took longer than 3s reading this file and was stopped"),
        // With the 1 GiB limit the library's allocation fails; it may also give up on the
        // chunk's address first: either way this one file fails precisely.
        ("huge-allocation.h5", 120, "dataset /entry/title: H5Dread(): can't read data: "),
    ] {
        let child = ChildProcess {
            time_limit: Duration::from_secs(limit),
            memory_limit: Some(1 << 30),
            ..ChildProcess::new(env!("CARGO_BIN_EXE_kura").into())
        };
        match child.read(&data.join(name), &mut Collect::default(), &mut |_| {}) {
            Err(ReadError::Malformed { format: "hdf5", message }) => {
                assert!(message.starts_with(expected), "{name}: {message}")
            }
            other => panic!("{name}: not a precise hdf5 error: {other:?}"),
        }
    }
}

/// The memory limit really binds the child: far below what reading needs, a good file fails
/// (the same file reads in `a_good_file_reads_the_same_in_a_child_process_as_in_process`).
#[test]
fn the_memory_limit_binds_the_child() {
    let (_dir, path) = temp("run.nxs");
    nexus_file(&path);
    let starved = ChildProcess { memory_limit: Some(8 << 20), ..ChildProcess::new(env!("CARGO_BIN_EXE_kura").into()) };
    let outcome = starved.read(&path, &mut Collect::default(), &mut |_| {});
    assert!(matches!(outcome, Err(ReadError::Malformed { format: "hdf5", .. })), "{outcome:?}");
}
