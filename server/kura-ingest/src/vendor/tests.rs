//! Multi-block XPS exports: the shared Scienta and SPECS files, detection against the CSV
//! reader, and broken input.

use std::path::{Path, PathBuf};

use arrow::array::{Array, Float64Array};
use arrow::record_batch::RecordBatch;
use serde_json::json;

use super::*;
use crate::reader::{META_ORIGINAL_LABEL, META_UCUM, META_UNIT};
use crate::testing::CollectSink;

fn instrument(name: &str) -> PathBuf {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/testdata/instrument").join(name);
    assert!(path.exists(), "{} is missing: ../shared/testdata must sit beside the repository", path.display());
    path
}

fn read_path(path: &Path, batch_rows: usize) -> Result<(CollectSink, ReadReport, Vec<u64>), ReadError> {
    let mut sink = CollectSink::default();
    let mut progress = Vec::new();
    let report = read_file(path, &mut sink, &mut |n| progress.push(n), batch_rows)?;
    assert_eq!(sink.finished, sink.tables.len());
    Ok((sink, report, progress))
}

fn read_text(text: &str) -> Result<(CollectSink, ReadReport, Vec<u64>), ReadError> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.txt");
    std::fs::write(&path, text).unwrap();
    read_path(&path, table::BATCH_ROWS)
}

fn f64s(b: &RecordBatch, name: &str) -> Vec<f64> {
    let a = b.column_by_name(name).expect(name).as_any().downcast_ref::<Float64Array>().expect(name);
    assert_eq!(a.null_count(), 0);
    a.values().to_vec()
}

fn field_meta(b: &RecordBatch, column: &str, key: &str) -> Option<String> {
    b.schema().field_with_name(column).unwrap().metadata().get(key).cloned()
}

#[test]
fn scienta_region_is_a_table_with_its_headers() {
    let path = instrument("xps-scienta-Ag_0001.txt");
    let (sink, report, progress) = read_path(&path, 100).unwrap();
    assert_eq!(sink.names(), ["Ag3d"]);
    assert_eq!(sink.tables[0].1.len(), 4, "361 rows in batches of 100");
    let t = sink.table("Ag3d");
    let schema = t.schema();
    let columns: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
    assert_eq!(columns, ["Binding Energy", "intensity"]);
    assert_eq!(t.num_rows(), 361);
    let (energy, counts) = (f64s(&t, "Binding Energy"), f64s(&t, "intensity"));
    assert_eq!((energy[0], counts[0]), (382.0, 15.7494897842407));
    assert_eq!((energy[360], counts[360]), (364.0, 13.1949939727783));
    assert_eq!(field_meta(&t, "Binding Energy", META_UNIT).as_deref(), Some("eV"));
    assert_eq!(field_meta(&t, "Binding Energy", META_UCUM).as_deref(), Some("eV"));
    assert_eq!(field_meta(&t, "Binding Energy", META_ORIGINAL_LABEL).as_deref(), Some("Binding Energy [eV]"));

    let m = &report.metadata["Ag3d"];
    assert_eq!(m["Region Name"], json!("Ag3d"));
    assert_eq!(m["Pass Energy"], json!(50));
    assert_eq!(m["Excitation Energy"], json!(520));
    assert_eq!(m["Number of Sweeps"], json!(2));
    assert_eq!(m["Step Time"], json!(203));
    assert_eq!(m["Energy Step"], json!(0.05));
    assert_eq!(m["Lens Mode"], json!("Transmission"));
    assert_eq!(m["Dimension 1 size"], json!(361));
    assert_eq!(m["Date"], json!("2023-03-08"));
    assert!(m.get("Dimension 1 scale").is_none(), "the scale is the energy column");
    assert_eq!(report.metadata["file"]["Number of Regions"], json!("0001"));
    assert_eq!(report.metadata["file"]["Version"], json!("1.3.1"));
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);
    assert_eq!(report.parameters["layout"], json!("scienta"));
    assert_eq!(report.reader, "xps-text");
    assert_eq!(progress.last(), Some(&std::fs::metadata(&path).unwrap().len()));
}

#[test]
fn specs_regions_are_tables_with_their_headers() {
    let path = instrument("xps-specs-MgFe2O4_small.xy");
    let (sink, report, progress) = read_path(&path, 500).unwrap();
    assert_eq!(sink.names(), ["Survey", "Fe2p"]);
    let survey = sink.table("Survey");
    assert_eq!(survey.num_rows(), 1351);
    let (energy, counts) = (f64s(&survey, "energy"), f64s(&survey, "intensity"));
    assert_eq!((energy[0], counts[0]), (1350.0, 15598.679));
    assert_eq!((energy[1350], counts[1350]), (0.0, 181.52882));
    assert_eq!(field_meta(&survey, "energy", META_UCUM).as_deref(), Some("eV"));
    assert_eq!(field_meta(&survey, "intensity", META_UCUM).as_deref(), Some("/s"));
    assert_eq!(field_meta(&survey, "intensity", META_ORIGINAL_LABEL).as_deref(), Some("counts/s"));

    let fe = sink.table("Fe2p");
    assert_eq!(fe.num_rows(), 56);
    let (energy, counts) = (f64s(&fe, "energy"), f64s(&fe, "intensity"));
    assert_eq!((energy[0], counts[0]), (750.0, 5913.3234));
    assert_eq!((energy[55], counts[55]), (695.0, 4013.8297));

    let s = &report.metadata["Survey"];
    assert_eq!(s["Region"], json!("Survey"));
    assert_eq!(s["Pass Energy"], json!(100));
    assert_eq!(s["Dwell Time"], json!(0.1));
    assert_eq!(s["Excitation Energy"], json!(1486.61));
    assert_eq!(s["Values/Curve"], json!(1351));
    assert_eq!(s["Number of Scans"], json!(1));
    assert_eq!(s["Cycle"], json!("0, Curve: 0, Scan: 0"));
    assert_eq!(s["Group"], json!("1 as-loaded"));
    assert_eq!(s["ColumnLabels"], json!("energy counts/s"));
    let f = &report.metadata["Fe2p"];
    assert_eq!((f["Pass Energy"].clone(), f["Dwell Time"].clone()), (json!(20), json!(0.3)));
    assert_eq!(f["Spectrum ID"], json!(3));
    assert_eq!(f["Acquisition Date"], json!("08/24/23 14:11:36 UTC"));
    let file = &report.metadata["file"];
    assert_eq!(file["Created by"], json!("SpecsLab Prodigy, Version 4.100.1-r111001"));
    assert_eq!(file["Count Rate"], json!("Counts per Second"));
    assert!(report.text.contains("XY-Serializer Export Settings:"));
    assert_eq!(report.parameters["tables"], json!(2));
    assert_eq!(report.parameters["rows"], json!(1407));
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);
    assert_eq!(progress.last(), Some(&std::fs::metadata(&path).unwrap().len()));
}

#[test]
fn detection_routes_vendor_files_here_and_casaxps_to_csv() {
    let name = |f: &str| crate::detect::detect(&instrument(f), f).unwrap().map(|r| r.name());
    assert_eq!(name("xps-scienta-Ag_0001.txt"), Some("xps-text"));
    assert_eq!(name("xps-specs-MgFe2O4_small.xy"), Some("xps-text"));
    assert_eq!(name("xps-casa-FeO_analyzed_results.csv"), Some("csv"));
    assert_eq!(name("xps-casa-FeO_lineshapes_cols.txt"), Some("csv"));
}

#[test]
fn several_scienta_regions_and_slices() {
    let text = "[Info]\nNumber of Regions=2\n\n[Region 1]\nRegion Name=C 1s\nDimension 1 name=Kinetic Energy [eV]\n\
                Dimension 1 size=2\n[Info 1]\nPass Energy=20\n[Data 1]\n1 10\n2 20\n\n\
                [Region 2]\nRegion Name=C 1s\nDimension 1 name=Binding Energy [eV]\nDimension 1 size=3\n\
                Dimension 2 name=Angle [deg]\nDimension 2 size=2\nDimension 2 scale=-1 1\n[Data 2]\n5 1 2\n6 3 4\n";
    let (sink, report, _) = read_text(text).unwrap();
    assert_eq!(sink.names(), ["C_1s", "C_1s_2"]);
    let second = sink.table("C_1s_2");
    assert_eq!(f64s(&second, "intensity_2"), [2.0, 4.0]);
    assert_eq!(report.metadata["C_1s_2"]["Dimension 2 scale"], json!("-1 1"));
    assert_eq!(report.metadata["C_1s"]["Pass Energy"], json!(20));
    assert_eq!(report.warnings, ["region C_1s_2: Dimension 1 size is 3 but 2 data rows were read"]);
}

#[test]
fn bad_input_fails_precisely() {
    let err = |t: &str| read_text(t).err().map(|e| e.to_string()).unwrap_or_else(|| "no error".into());
    assert!(matches!(read_text(""), Err(ReadError::Empty)));
    assert_eq!(err("just text\n"), "malformed xps-text: neither a Scienta [Region 1] nor a SPECS # Region: export");
    let scienta = "[Region 1]\nRegion Name=A\nDimension 1 name=Binding Energy [eV]\n[Data 1]\n1 2\n3 x\n";
    assert_eq!(err(scienta), "malformed xps-text: line 6 in [Data] of region A: \"x\" is not a number");
    let ragged = "[Region 1]\nRegion Name=A\nDimension 1 name=E\n[Data 1]\n1 2\n3\n";
    assert_eq!(err(ragged), "malformed xps-text: line 6 in [Data] of region A has 1 values, expected 2");
    let orphan = "[Region 1]\nRegion Name=A\n[Data 2]\n1 2\n";
    assert_eq!(err(orphan), "malformed xps-text: [Data 2] at line 3 has no [Region 2] before it");
    let no_data = "[Region 1]\nRegion Name=A\n";
    assert_eq!(err(no_data), "no table found: scienta export without a [Data N] section");
    let huge = "[Region 1]\nRegion Name=A\nDimension 1 name=E\nDimension 2 size=99999999999\n[Data 1]\n1 2\n";
    assert!(err(huge).contains("has 2 values, expected 4097"), "{}", err(huge));
    let specs = "# Region: S\n# Cycle: 0\n# Cycle: 0, Curve: 0, Scan: 0\n# ColumnLabels: energy counts/s\n1 2\n3 4 5\n";
    assert_eq!(err(specs), "malformed xps-text: line 6 in block S has 3 values, expected 2 (energy counts/s)");
    let (_, short, _) = read_text("# Region: S\n# Values/Curve: 3\n# Cycle: 0\n1 2\n").unwrap();
    assert_eq!(short.warnings, ["block S: Values/Curve is 3 but 1 data rows were read"]);
    let specs = "# Region: S\n# Cycle: 0\n1 2\nabc def\n";
    assert_eq!(err(specs), "malformed xps-text: line 4 in region S: \"abc\" is not a number");
}

/// The fuzz finding kept in tests/fuzz-findings: 7,000 lines without `=` in one Scienta section,
/// each kept as `note`, `note_2`… Naming them probed every earlier suffix again (some 25 M probes,
/// seconds); the bound is on that work, not on time, so it holds on any machine.
#[test]
fn fuzz_finding_xps_repeated_keys_cost_linear_work() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fuzz-findings/xps-repeated-keys-slow.txt");
    let lines = std::fs::read(&path).unwrap().split(|b| *b == b'\n').count() as u64;
    let before = table::probes::made();
    let result = read_path(&path, table::BATCH_ROWS);
    let probes = table::probes::made() - before;
    assert!(matches!(result, Err(ReadError::NoTable(_))), "{:?}", result.err());
    // Each line names at most one key, and a taken name is probed at most twice (as a base of its
    // own and as a suffix of another), so three probes a line is a bound with room to spare.
    assert!(probes > 7_000 && probes <= 3 * lines, "{probes} probes for {lines} lines");
}
