//! HDF5 reading on files written here with the HDF5 library: a NeXus-like file, every element
//! type, large, wide and higher-rank datasets, links, and broken input.

use std::path::{Path, PathBuf};

use arrow::array::{
    Array, BooleanArray, Float32Array, Float64Array, Int16Array, Int32Array, Int64Array, StringArray, UInt8Array,
    UInt64Array,
};
use arrow::record_batch::RecordBatch;
use hdf5_metno::types::VarLenUnicode;
use hdf5_metno::{File, Group, Location};
use serde_json::json;

use super::*;
use crate::{SinkError, TableStart};

#[derive(Default)]
struct Collect {
    tables: Vec<(TableStart, Vec<RecordBatch>)>,
    finished: usize,
}

impl TableSink for Collect {
    fn begin_table(&mut self, table: TableStart) -> Result<(), SinkError> {
        self.tables.push((table, vec![]));
        Ok(())
    }
    fn write_batch(&mut self, batch: &RecordBatch) -> Result<(), SinkError> {
        self.tables.last_mut().unwrap().1.push(batch.clone());
        Ok(())
    }
    fn finish_table(&mut self) -> Result<(), SinkError> {
        self.finished += 1;
        Ok(())
    }
    fn discard_table(&mut self) {
        self.tables.pop();
    }
}

impl Collect {
    fn table(&self, name: &str) -> &(TableStart, Vec<RecordBatch>) {
        let names: Vec<_> = self.tables.iter().map(|t| t.0.name.as_str()).collect();
        self.tables.iter().find(|t| t.0.name == name).unwrap_or_else(|| panic!("no table {name} in {names:?}"))
    }

    fn rows(&self, name: &str) -> usize {
        self.table(name).1.iter().map(RecordBatch::num_rows).sum()
    }

    /// One column of a table, all batches concatenated.
    fn column<T: Array + Clone + 'static>(&self, table: &str, column: &str) -> Vec<T> {
        let (start, batches) = self.table(table);
        let i = start.schema.index_of(column).unwrap_or_else(|_| panic!("no column {column} in {table}"));
        batches.iter().map(|b| b.column(i).as_any().downcast_ref::<T>().unwrap().clone()).collect()
    }
}

fn read(path: &Path) -> Result<(Collect, ReadReport), ReadError> {
    let mut sink = Collect::default();
    let report = Hdf5Reader.read(path, &mut sink, &mut |_| {})?;
    assert_eq!(sink.finished, sink.tables.len(), "every table begun is finished");
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

fn temp(name: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    (dir, path)
}

/// A NeXus-like file: /entry (NXentry) with instrument, sample, a detector image and NXdata.
fn nexus_file(path: &Path) {
    let f = File::create(path).unwrap();
    attr(&f, "default", "entry");
    let entry = nx_group(&f, "entry", "NXentry");
    text(&entry, "title", "Silicon powder 300 K");
    text(&entry, "start_time", "2024-05-01T10:00:00Z");
    let instrument = nx_group(&entry, "instrument", "NXinstrument");
    text(&instrument, "name", "D2B");
    let source = nx_group(&instrument, "source", "NXsource");
    text(&source, "probe", "neutron");
    let detector = nx_group(&instrument, "detector", "NXdetector");
    let image: Vec<u16> = (0..30).collect();
    let image = ndarray::Array2::from_shape_vec((10, 3), image).unwrap();
    let ds = detector.new_dataset_builder().with_data(&image).create("data").unwrap();
    attr(&ds, "units", "counts");
    let sample = nx_group(&entry, "sample", "NXsample");
    text(&sample, "name", "Si");
    text(&sample, "chemical_formula", "Si");
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
}

#[test]
fn a_nexus_file_gives_tables_with_units_and_top_level_metadata() {
    let (_dir, path) = temp("run.nxs");
    nexus_file(&path);
    let (sink, report) = read(&path).unwrap();
    assert_eq!(report.reader, "hdf5");
    assert_eq!(report.parameters["nexus"], true);
    // Axes first, then the signal.
    let (start, _) = sink.table("entry_data");
    let names: Vec<_> = start.columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["two_theta", "counts"]);
    assert_eq!(start.columns[0].unit.as_deref(), Some("deg"));
    assert_eq!(start.columns[0].ucum.as_deref(), Some("deg"));
    assert!(start.columns[0].qudt.is_some());
    assert_eq!(start.columns[0].description.as_deref(), Some("2θ"));
    assert_eq!(start.columns[1].description.as_deref(), Some("Neutron counts"));
    assert_eq!(sink.rows("entry_data"), 100);
    let counts = sink.column::<Int32Array>("entry_data", "counts");
    assert_eq!((counts[0].value(0), counts[0].value(99)), (0, 990));
    let angles = sink.column::<Float64Array>("entry_data", "two_theta");
    assert_eq!((angles[0].value(0), angles[0].value(99)), (10.0, 59.5));

    // The detector image: one row per row.
    let (image, _) = sink.table("entry_instrument_detector_data");
    assert_eq!(image.columns.len(), 3);
    assert_eq!(image.columns[2].original_label, "data[:,2]");
    assert_eq!(sink.rows("entry_instrument_detector_data"), 10);
    let last = sink.column::<arrow::array::UInt16Array>("entry_instrument_detector_data", "col_2");
    assert_eq!(last[0].value(9), 29);

    let m = &report.metadata;
    assert_eq!(m["title"], "Silicon powder 300 K");
    assert_eq!(m["start_time"], "2024-05-01T10:00:00Z");
    assert_eq!(m["instrument"], "D2B");
    assert_eq!(m["probe"], "neutron");
    assert_eq!(m["sample"], "Si");
    assert_eq!(m["chemical_formula"], "Si");
    assert_eq!(m["entry"], "entry");
    assert!(m["nexus_classes"].as_array().unwrap().contains(&json!("NXdetector")));
    let tree = &m["tree"];
    assert_eq!(tree["@default"], "entry");
    assert_eq!(tree["entry"]["@NX_class"], "NXentry");
    assert_eq!(tree["entry"]["sample"]["temperature"]["value"], 300.0);
    assert_eq!(tree["entry"]["sample"]["temperature"]["@units"], "K");
    assert_eq!(tree["entry"]["data"]["counts"]["table"], "entry_data");
    assert_eq!(tree["entry"]["data"]["counts"]["shape"], json!([100]));
    assert_eq!(tree["entry"]["data"]["counts"]["dtype"], "int32");
    assert!(report.text.contains("Silicon powder 300 K"));
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);
}

#[test]
fn every_numeric_bool_and_string_type_becomes_its_arrow_type() {
    let (_dir, path) = temp("types.h5");
    let f = File::create(&path).unwrap();
    let g = f.create_group("mixed").unwrap();
    g.new_dataset_builder().with_data(&[1u8, 2, 255]).create("u8").unwrap();
    g.new_dataset_builder().with_data(&[-1i16, 0, 300]).create("i16").unwrap();
    g.new_dataset_builder().with_data(&[u64::MAX, 0, 7]).create("u64").unwrap();
    g.new_dataset_builder().with_data(&[true, false, true]).create("flag").unwrap();
    g.new_dataset_builder().with_data(&[0.5f32, -1.25, f32::NAN]).create("f32").unwrap();
    let names = [vlen("alpha"), vlen("βeta"), vlen("")];
    g.new_dataset_builder().with_data(&names).create("name").unwrap();
    use hdf5_metno::types::FixedAscii;
    let codes = [
        FixedAscii::<8>::from_ascii("AB").unwrap(),
        FixedAscii::<8>::from_ascii("CDEFGHIJ").unwrap(),
        FixedAscii::<8>::from_ascii("").unwrap(),
    ];
    g.new_dataset_builder().with_data(&codes).create("code").unwrap();
    // A lone 1-D dataset of another length is its own table.
    f.new_dataset_builder().with_data(&[1i64, 2, 3, 4]).create("lonely").unwrap();
    // Attributes of each kind.
    g.new_attr_builder().with_data(&[1.5f64, 2.5]).create("pair").unwrap();
    g.new_attr::<i32>().create("count").unwrap().write_scalar(&42).unwrap();
    g.new_attr::<FixedAscii<4>>()
        .create("fixed")
        .unwrap()
        .write_scalar(&FixedAscii::<4>::from_ascii("ok").unwrap())
        .unwrap();
    drop(f);

    let (sink, report) = read(&path).unwrap();
    assert_eq!(sink.rows("mixed"), 3);
    assert_eq!(sink.column::<UInt8Array>("mixed", "u8")[0].value(2), 255);
    assert_eq!(sink.column::<Int16Array>("mixed", "i16")[0].value(2), 300);
    assert_eq!(sink.column::<UInt64Array>("mixed", "u64")[0].value(0), u64::MAX);
    assert!(!sink.column::<BooleanArray>("mixed", "flag")[0].value(1));
    let f32s = &sink.column::<Float32Array>("mixed", "f32")[0];
    assert_eq!(f32s.value(1), -1.25);
    assert!(f32s.value(2).is_nan());
    let names = &sink.column::<StringArray>("mixed", "name")[0];
    assert_eq!((names.value(0), names.value(1), names.value(2)), ("alpha", "βeta", ""));
    let codes = &sink.column::<StringArray>("mixed", "code")[0];
    assert_eq!((codes.value(0), codes.value(1), codes.value(2)), ("AB", "CDEFGHIJ", ""));
    assert_eq!(sink.column::<Int64Array>("lonely", "lonely")[0].value(3), 4);
    let mixed = &report.metadata["tree"]["mixed"];
    assert_eq!(mixed["@pair"], json!([1.5, 2.5]));
    assert_eq!(mixed["@count"], 42);
    assert_eq!(mixed["@fixed"], "ok");
    assert_eq!(mixed["u64"]["dtype"], "uint64");
    assert_eq!(report.parameters["nexus"], false);
    assert!(report.metadata.get("title").is_none());
}

#[test]
fn a_large_dataset_is_read_in_batches_of_at_most_65536_rows() {
    let (_dir, path) = temp("big.h5");
    let f = File::create(&path).unwrap();
    let values: Vec<f64> = (0..150_000).map(f64::from).collect();
    let ids: Vec<i32> = (0..150_000).collect();
    f.new_dataset_builder().chunk(10_000).with_data(&values).create("x").unwrap();
    f.new_dataset_builder().with_data(&ids).create("id").unwrap();
    drop(f);
    let (sink, report) = read(&path).unwrap();
    let (_, batches) = sink.table("data");
    assert!(batches.iter().all(|b| b.num_rows() <= tables::BATCH_ROWS));
    assert_eq!(sink.rows("data"), 150_000);
    let x = sink.column::<Float64Array>("data", "x");
    let all: Vec<f64> = x.iter().flat_map(|a| a.values().iter().copied()).collect();
    assert_eq!(all, values);
    assert_eq!(report.parameters["rows"]["data"], 150_000);
}

#[test]
fn wide_and_higher_rank_datasets_go_to_long_format() {
    let (_dir, path) = temp("wide.h5");
    let f = File::create(&path).unwrap();
    let wide = ndarray::Array2::from_shape_fn((3, 2000), |(r, c)| (r * 2000 + c) as f32);
    f.new_dataset_builder().with_data(&wide).create("wide").unwrap();
    let cube = ndarray::Array3::from_shape_fn((2, 3, 4), |(i, j, k)| (i * 100 + j * 10 + k) as i64);
    f.new_dataset_builder().with_data(&cube).create("cube").unwrap();
    drop(f);
    let (sink, report) = read(&path).unwrap();
    assert_eq!(sink.rows("wide"), 6000);
    let row = sink.column::<Int64Array>("wide", "row");
    let col = sink.column::<Int64Array>("wide", "col");
    let value = sink.column::<Float32Array>("wide", "value");
    assert_eq!((row[0].value(4001), col[0].value(4001), value[0].value(4001)), (2, 1, 4001.0));
    assert!(report.warnings.iter().any(|w| w.contains("/wide has 2000 columns")), "{:?}", report.warnings);
    let names: Vec<_> = sink.table("cube").0.columns.iter().map(|c| c.name.clone()).collect();
    assert_eq!(names, ["dim_0", "dim_1", "dim_2", "value"]);
    let v = sink.column::<Int64Array>("cube", "value");
    let d1 = sink.column::<Int64Array>("cube", "dim_1");
    assert_eq!((v[0].value(23), d1[0].value(23)), (123, 2));
}

#[test]
fn unsupported_types_are_skipped_with_a_warning_and_links_read_once() {
    let (_dir, path) = temp("links.h5");
    let f = File::create(&path).unwrap();
    let g = f.create_group("g").unwrap();
    let vectors = ndarray::arr2(&[[1.0f64, 2.0, 3.0], [4.0, 5.0, 6.0]]);
    g.new_dataset_builder().with_data(&vectors).create("vectors").unwrap();
    g.new_dataset_builder().with_data(&[1.0f64, 2.0]).create("ok").unwrap();
    g.link_hard("/g/ok", "same").unwrap();
    f.link_soft("/g/ok", "soft").unwrap();
    f.link_soft("/nowhere", "dangling").unwrap();
    f.link_external("/etc/other.h5", "/x", "outside").unwrap();
    let arrays: Vec<[u8; 3]> = vec![[1, 2, 3], [4, 5, 6]];
    g.new_dataset::<[u8; 3]>().shape(2).create("triples").unwrap().write(ndarray::Array1::from(arrays).view()).unwrap();
    drop(f);
    let (sink, report) = read(&path).unwrap();
    assert_eq!(sink.tables.len(), 2, "{:?}", sink.tables.iter().map(|t| &t.0.name).collect::<Vec<_>>());
    assert_eq!(sink.rows("g_ok"), 2);
    assert_eq!(sink.rows("g_vectors"), 2);
    let w = report.warnings.join("\n");
    assert!(w.contains("dataset /g/triples skipped: array type of 3 elements is not supported"), "{w}");
    assert!(w.contains("external link /outside not followed"), "{w}");
    assert!(w.contains("link /dangling leads nowhere"), "{w}");
    let tree = &report.metadata["tree"];
    assert_eq!(tree["g"]["same"]["@link"], "/g/ok");
    assert_eq!(tree["soft"]["@link"], "/g/ok");
}

#[test]
fn a_user_block_before_the_superblock_is_found() {
    let (_dir, path) = temp("blocked.h5");
    let f = File::with_options().with_fcpl(|p| p.userblock(1024)).create(&path).unwrap();
    f.new_dataset_builder().with_data(&[1i32, 2]).create("v").unwrap();
    drop(f);
    let (sink, report) = read(&path).unwrap();
    assert_eq!(report.parameters["superblock_offset"], 1024);
    assert_eq!(sink.rows("v"), 2);
}

#[test]
fn detection_claims_hdf5_by_signature_and_by_extension() {
    let (_dir, path) = temp("run.nxs");
    nexus_file(&path);
    let reader = crate::detect::detect(&path, "renamed.bin").unwrap().unwrap();
    assert_eq!(reader.name(), "hdf5");
    let reader = crate::detect::detect(&path, "run.nxs").unwrap().unwrap();
    assert_eq!(reader.name(), "hdf5");
}

#[test]
fn broken_files_fail_with_precise_errors() {
    let (dir, path) = temp("run.nxs");
    nexus_file(&path);
    let bytes = std::fs::read(&path).unwrap();

    let truncated = dir.path().join("truncated.h5");
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();
    let e = read(&truncated).err().expect("truncated file fails").to_string();
    assert!(e.starts_with("malformed hdf5: cannot open: "), "{e}");
    assert!(e.contains("truncated"), "{e}");

    let garbage = dir.path().join("garbage.h5");
    let mut g = SIGNATURE.to_vec();
    g.extend((0..4000u32).map(|i| (i * 7919 % 251) as u8));
    std::fs::write(&garbage, &g).unwrap();
    let e = read(&garbage).err().expect("garbage fails").to_string();
    assert!(e.starts_with("malformed hdf5: cannot open: "), "{e}");

    let text = dir.path().join("notes.h5");
    std::fs::write(&text, "just some text\n").unwrap();
    let e = read(&text).err().unwrap().to_string();
    assert_eq!(e, "malformed hdf5: no hdf5 signature at offset 0 nor at any power of two from 512");

    let empty = dir.path().join("empty.h5");
    std::fs::write(&empty, "").unwrap();
    assert!(matches!(read(&empty), Err(ReadError::Empty)));

    // Every shorter prefix of a real file fails cleanly (no panic, no abort).
    for cut in [8, 100, 500, 1000, 2000, bytes.len() - 1] {
        let p = dir.path().join(format!("cut{cut}.h5"));
        std::fs::write(&p, &bytes[..cut]).unwrap();
        assert!(read(&p).is_err(), "prefix of {cut} bytes read");
    }
}
