//! MGF reading: the pyteomics test file with its values, and broken input.

use std::path::PathBuf;

use arrow::array::{Array, Float64Array, Int64Array, StringArray};

use super::*;
use crate::mzml::tests::column;
use crate::testing::CollectSink;

fn testdata(name: &str) -> PathBuf {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/testdata/mzml").join(name);
    assert!(
        path.exists(),
        "test data {} is missing: ../shared/testdata must sit beside the repository",
        path.display()
    );
    path
}

fn read_path(path: &Path) -> Result<(CollectSink, ReadReport), ReadError> {
    let mut sink = CollectSink::default();
    let report = MgfReader.read(path, &mut sink, &mut |_| {})?;
    Ok((sink, report))
}

fn read(text: &str) -> Result<(CollectSink, ReadReport), ReadError> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("test.mgf");
    std::fs::write(&path, text).unwrap();
    read_path(&path)
}

fn message(result: Result<(CollectSink, ReadReport), ReadError>) -> String {
    match result {
        Err(ReadError::Malformed { format: "mgf", message }) => message,
        Err(e) => panic!("expected a malformed-mgf error, got {e}"),
        Ok(_) => panic!("expected an error"),
    }
}

#[test]
fn the_pyteomics_file_gives_spectra_peaks_and_global_parameters() {
    let (sink, report) = read_path(&testdata("pyteomics-test.mgf")).unwrap();
    assert_eq!(sink.finished, 2);
    assert_eq!(report.reader, "mgf");
    assert_eq!(report.parameters["spectra"], 2);
    assert_eq!(report.parameters["peaks"], 12);
    assert_eq!(report.metadata["global"]["USERNAME"], "Lou Scene");
    assert_eq!(report.metadata["global"]["CHARGE"], "2+ and 3+");
    assert_eq!(report.metadata["global"]["ITOLU"], "Da");
    assert!(report.text.contains("Spectrum 2"));

    let (start, spectra) = (&sink.get("spectra").0, sink.table("spectra"));
    let names: Vec<_> = start.columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "index",
            "title",
            "pepmass_mz",
            "pepmass_intensity",
            "charge",
            "charge_state",
            "scans",
            "rtinseconds",
            "peaks"
        ]
    );
    assert_eq!(column::<StringArray>(&spectra, "title").value(1), "Spectrum 2");
    assert_eq!(column::<Float64Array>(&spectra, "pepmass_mz").values(), &[983.6, 1084.9]);
    let intensity = column::<Float64Array>(&spectra, "pepmass_intensity");
    assert!(intensity.is_null(0));
    assert_eq!(intensity.value(1), 1234.0);
    assert_eq!(column::<StringArray>(&spectra, "charge").value(0), "2+");
    assert_eq!(column::<Int64Array>(&spectra, "charge_state").value(0), 2);
    assert!(column::<Int64Array>(&spectra, "charge_state").is_null(1));
    assert_eq!(column::<Float64Array>(&spectra, "scans").value(1), 3.0);
    let rt = column::<Float64Array>(&spectra, "rtinseconds");
    assert!(rt.is_null(0));
    assert_eq!(rt.value(1), 25.0);
    let rt_info = start.columns.iter().find(|c| c.name == "rtinseconds").unwrap();
    assert_eq!(rt_info.ucum.as_deref(), Some("s"));
    assert_eq!(rt_info.original_label, "RTINSECONDS");
    assert_eq!(start.columns[2].ucum.as_deref(), Some("{m/z}"));
    assert_eq!(column::<Int64Array>(&spectra, "peaks").values(), &[6, 6]);

    let (start, peaks) = (&sink.get("peaks").0, sink.table("peaks"));
    let names: Vec<_> = start.columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["spectrum_index", "mz", "intensity", "charge"]);
    assert_eq!(start.columns[1].ucum.as_deref(), Some("{m/z}"));
    assert_eq!(start.columns[2].ucum.as_deref(), Some("[arb'U]"));
    assert_eq!(column::<Int64Array>(&peaks, "spectrum_index").values(), &[0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1]);
    assert_eq!(
        column::<Float64Array>(&peaks, "mz").values(),
        &[846.6, 846.8, 847.6, 1640.1, 1640.6, 1895.5, 345.1, 370.2, 460.2, 1673.3, 1674.0, 1675.3]
    );
    assert_eq!(
        column::<Float64Array>(&peaks, "intensity").values(),
        &[73.0, 44.0, 67.0, 291.0, 54.0, 49.0, 237.0, 128.0, 108.0, 1007.0, 974.0, 79.0]
    );
    let charge = column::<Int64Array>(&peaks, "charge");
    assert!(charge.is_null(0));
    assert_eq!(charge.value(6), 3);
    assert_eq!(charge.value(11), 1);
}

#[test]
fn many_spectra_stream_in_batches_and_repeated_keys_are_kept() {
    let mut text = String::new();
    for i in 0..10_000 {
        text.push_str(&format!("BEGIN IONS\nTITLE=s{i}\nPEPMASS=500.5\nSEQ=PEPTIDE\nSEQ=PEPTIDES\n"));
        for j in 0..10 {
            text.push_str(&format!("{}.5\t{}\n", 100 + j, j * i));
        }
        text.push_str("END IONS\n");
    }
    let (sink, report) = read(&text).unwrap();
    assert_eq!(report.parameters["peaks"], 100_000);
    let peaks = &sink.tables.iter().find(|(t, _)| t.name == "peaks").unwrap().1;
    assert_eq!(peaks.len(), 2, "batches of at most 65,536 peaks");
    let spectra = sink.table("spectra");
    assert_eq!(spectra.num_rows(), 10_000);
    assert_eq!(column::<StringArray>(&spectra, "seq").value(9999), "PEPTIDE");
    assert_eq!(column::<StringArray>(&spectra, "params").value(0), r#"[{"key":"SEQ","value":"PEPTIDES"}]"#);
    assert!(sink.table("peaks").num_columns() == 3, "no charge column without charges");
}

#[test]
fn broken_mgf_gives_precise_errors() {
    assert!(matches!(read(""), Err(ReadError::Empty)));
    assert!(matches!(read("COM=only a header\n"), Err(ReadError::NoTable(_))));
    let m = message(read("BEGIN IONS\nTITLE=a\n100 1\n"));
    assert_eq!(m, "file ends inside the spectrum that begins on line 1 (no END IONS: truncated?)");
    let m = message(read("BEGIN IONS\n100 abc\nEND IONS\n"));
    assert_eq!(m, "line 2: intensity \"abc\" is not a number");
    let m = message(read("BEGIN IONS\n100 1 2 3\nEND IONS\n"));
    assert!(m.starts_with("line 2: a peak line has at most 3 fields"), "{m}");
    let m = message(read("BEGIN IONS\nBEGIN IONS\n"));
    assert_eq!(m, "line 2: BEGIN IONS inside the spectrum that begins on line 1");
    let m = message(read("END IONS\n"));
    assert_eq!(m, "line 1: END IONS without BEGIN IONS");
    let m = message(read("BEGIN IONS\nPEPMASS=abc\nEND IONS\n"));
    assert!(m.contains("PEPMASS \"abc\" is not m/z [intensity]"), "{m}");
    let m = message(read("BEGIN IONS\n100 1 x+\nEND IONS\n"));
    assert_eq!(m, "line 2: peak charge \"x+\" is not a charge");
    let m = message(read("garbage\n"));
    assert!(m.contains("neither a parameter"), "{m}");
    let m = message(read("BEGIN IONS\n\u{0}\u{ff}\n"));
    assert!(m.starts_with("line 2: \"\\0ÿ\" is neither a parameter nor a peak"), "{m}");
    assert!(matches!(
        read_bytes(b"BEGIN IONS\nTITLE=\xff\nEND IONS\n"),
        Err(ReadError::InvalidEncoding { offset: 17, .. })
    ));
}

fn read_bytes(bytes: &[u8]) -> Result<(CollectSink, ReadReport), ReadError> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("test.mgf");
    std::fs::write(&path, bytes).unwrap();
    read_path(&path)
}

#[test]
fn sniffing_and_charges() {
    assert!(sniff(b"COM=x\n\nBEGIN IONS\nTITLE=a"));
    assert!(sniff(b"begin ions\r\n"));
    assert!(!sniff(b"a,b\n1,2\n"));
    assert_eq!(parse_charge("2+"), Some(2));
    assert_eq!(parse_charge("3-"), Some(-3));
    assert_eq!(parse_charge("1"), Some(1));
    assert_eq!(parse_charge("2+ and 3+"), None);
}
