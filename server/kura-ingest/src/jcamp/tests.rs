//! JCAMP-DX reading: every shared test file, the four compressions agreeing, the Y check,
//! NTUPLES layout, units, metadata, and broken input.

use std::path::{Path, PathBuf};

use arrow::array::{Array, Float64Array};

use super::*;
use crate::testing::CollectSink;

/// A column of a table with nulls as NaN.
fn column(sink: &CollectSink, table: &str, column: &str) -> Vec<f64> {
    let batch = sink.table(table);
    let a = batch.column(batch.schema().index_of(column).unwrap()).as_any().downcast_ref::<Float64Array>().unwrap();
    (0..a.len()).map(|i| if a.is_null(i) { f64::NAN } else { a.value(i) }).collect()
}

/// A column's unit as read, its UCUM code and its original label.
fn unit(sink: &CollectSink, table: &str, column: &str) -> (Option<String>, Option<String>, String) {
    let c = sink.get(table).0.columns.iter().find(|c| c.name == column).unwrap();
    (c.unit.clone(), c.ucum.clone(), c.original_label.clone())
}

fn testdata() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/testdata/jcamp");
    assert!(dir.is_dir(), "the shared JCAMP-DX test files are missing: {} must exist", dir.display());
    dir
}

fn read_path(path: &Path) -> Result<(CollectSink, ReadReport), ReadError> {
    let mut sink = CollectSink::default();
    let report = JcampReader.read(path, &mut sink, &mut |_| {})?;
    assert_eq!(sink.finished, sink.begun, "every table begun is finished");
    assert!(sink.tables.iter().flat_map(|(_, b)| b).all(|b| b.num_rows() <= 65_536), "batches of at most 65,536 rows");
    Ok((sink, report))
}

fn read_file(name: &str) -> (CollectSink, ReadReport) {
    read_path(&testdata().join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn read_text(text: &[u8]) -> Result<(CollectSink, ReadReport), ReadError> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("spectrum.jdx");
    std::fs::write(&path, text).unwrap();
    read_path(&path)
}

fn block(report: &ReadReport, i: usize) -> &Map<String, Value> {
    report.metadata["blocks"][i].as_object().unwrap()
}

#[test]
fn every_shared_file_reads_with_the_tables_it_holds() {
    // (file, [(table, rows)]) for every file in the folder; a new file must be added here.
    let expected: &[(&str, &[(&str, usize)])] = &[
        ("compression-jcamp-difdup.dx", &[("data", 16384)]),
        ("compression-jcamp-fix.dx", &[("data", 16384)]),
        ("compression-jcamp-packed.dx", &[("data", 16384)]),
        ("compression-jcamp-squeezed.dx", &[("data", 16384)]),
        ("compression-small-jcamp-difdup.dx", &[("data", 30)]),
        ("compression-small-jcamp-fix.dx", &[("data", 8)]),
        ("compression-small-jcamp-packed.dx", &[("data", 30)]),
        ("compression-small-jcamp-squeezed.dx", &[("data", 38)]),
        ("ethylvinylether-1h.jdx", &[("data", 32768)]),
        // Holds 43 of its declared 302 points (a warning says so).
        ("misc-camelLabels.jdx", &[("peaks", 43)]),
        ("misc-chrom.jdx", &[("peaks", 10530)]),
        ("misc-ib_01_01.jdx", &[("data", 2153)]),
        ("misc-iv.jdx", &[("peaks", 302)]),
        ("misc-mass_ACD.jdx", &[("peaks", 180)]),
        ("misc-multivariable.jdx", &[("data", 6)]),
        ("misc-uv.jdx", &[("data", 911), ("block_2", 911)]),
        ("misc-varian.jdx", &[("data", 16384)]),
        ("structure-assigned.jdx", &[("peaks", 2), ("peaks_2", 3)]),
        ("structure-noend.jdx", &[("peaks", 2)]),
        ("structure-normal.jdx", &[("peaks", 2)]),
        ("structure-ntuples.jdx", &[("data", 12)]),
        ("structure-reim.jdx", &[("data", 6)]),
        ("structure-two.jdx", &[("peaks", 2), ("peaks_2", 2)]),
        ("tree-uv.jdx", &[("data", 911), ("block_2", 911)]),
    ];
    let mut on_disk: Vec<String> = std::fs::read_dir(testdata())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".dx") || n.ends_with(".jdx"))
        .collect();
    on_disk.sort();
    let listed: Vec<String> = expected.iter().map(|(f, _)| f.to_string()).collect();
    assert_eq!(on_disk, listed, "every shared JCAMP-DX file is checked");
    for (file, tables) in expected {
        let (sink, report) = read_file(file);
        let names: Vec<&str> = sink.names();
        let want: Vec<&str> = tables.iter().map(|(n, _)| *n).collect();
        assert_eq!(names, want, "{file}");
        for (name, rows) in *tables {
            assert_eq!(sink.rows(name), *rows, "{file}: {name}");
        }
        assert_eq!(report.reader, "jcamp");
        assert!(!report.metadata["blocks"].as_array().unwrap().is_empty(), "{file}");
    }
}

#[test]
fn the_four_compressions_give_identical_arrays() {
    for prefix in ["compression-jcamp", "compression-small-jcamp"] {
        let read = |form: &str| read_file(&format!("{prefix}-{form}.dx"));
        let (fix, report) = read("fix");
        let (x, y) = (column(&fix, "data", "x"), column(&fix, "data", "y"));
        assert_eq!(report.parameters["tables"][0]["compression"], "FIX");
        for (form, name) in [("packed", "PACKED"), ("squeezed", "SQUEEZED"), ("difdup", "DIFDUP")] {
            let (other, report) = read(form);
            assert_eq!(report.parameters["tables"][0]["compression"], name, "{prefix}-{form}");
            let (ox, oy) = (column(&other, "data", "x"), column(&other, "data", "y"));
            let n = x.len().min(ox.len());
            // The small files are cut at different points: compare what they share.
            if prefix == "compression-jcamp" {
                assert_eq!(ox.len(), x.len());
            }
            assert_eq!(ox[..n], x[..n], "{prefix}-{form}: x");
            assert_eq!(oy[..n], y[..n], "{prefix}-{form}: y");
        }
    }
    let (sink, report) = read_file("compression-jcamp-difdup.dx");
    let (x, y) = (column(&sink, "data", "x"), column(&sink, "data", "y"));
    assert_eq!(x.len(), 16384);
    assert_eq!(block(&report, 0)["NPOINTS"], 16384);
    assert_eq!((x[0], x[16383]), (5592.84116331095, 0.0));
    assert_eq!((y[0], y[1], y[16383]), (-10247.0, 1201.0, 14967.0));
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);
    assert_eq!(unit(&sink, "data", "x"), (Some("HZ".into()), Some("Hz".into()), "X".into()));
    assert_eq!(unit(&sink, "data", "y").1.as_deref(), Some("[arb'U]"));
}

#[test]
fn a_wrong_y_check_fails_with_its_line() {
    let text = std::fs::read_to_string(testdata().join("compression-small-jcamp-difdup.dx")).unwrap();
    // The second data line (line 8) repeats the first line's last ordinate, -7909 + ...: change it.
    let edited = text.replace("16371f620R", "16371f621R");
    assert_ne!(edited, text);
    let err = read_text(edited.as_bytes()).expect_err("the edited check must fail").to_string();
    assert!(err.contains("y check failed at line 8"), "{err}");
    // The check value is dropped, not duplicated.
    let (sink, _) = read_text(text.as_bytes()).unwrap();
    let y = column(&sink, "data", "y");
    assert_eq!(y.len(), 30);
    // Line 7 ends with -6620 at index 12; line 8 repeats it (`f620`) and goes on with +9292.
    assert_eq!((y[12], y[13]), (-6620.0, 2672.0));
}

#[test]
fn difdup_decodes_differences_duplicates_and_checks() {
    let text = "##TITLE=t\n##XUNITS=1/CM\n##YUNITS=ABSORBANCE\n##FIRSTX=10\n##LASTX=1\n##NPOINTS=10\n##YFACTOR=0.5\n\
                ##XYDATA=(X++(Y..Y))\n10A0JT%j\n6A1K%k\n3A1a?\n##END=\n";
    let (sink, report) = read_text(text.as_bytes()).unwrap();
    assert_eq!(column(&sink, "data", "x"), (1..=10).rev().map(f64::from).collect::<Vec<_>>());
    // Raw 10 11 12 12 11 | check 11, 13 13 11 | check 11, -1 ?; halved by YFACTOR.
    let y = column(&sink, "data", "y");
    assert_eq!(y[..5], [5.0, 5.5, 6.0, 6.0, 5.5]);
    assert_eq!(y[5..9], [6.5, 6.5, 5.5, -0.5]);
    assert!(y[9].is_nan());
    assert_eq!(unit(&sink, "data", "x").1.as_deref(), Some("/cm"));
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);
}

#[test]
fn ntuples_pages_fill_one_long_table() {
    let (sink, report) = read_file("structure-reim.jdx");
    assert_eq!(column(&sink, "data", "x"), [1.0, 2.0, 3.0, 1.0, 2.0, 3.0]);
    let r = column(&sink, "data", "r");
    assert_eq!(r[..3], [2.0, 3.0, 4.0]);
    assert!(r[3..].iter().all(|v| v.is_nan()));
    let i = column(&sink, "data", "i");
    assert_eq!(i[3..], [3.0, 4.0, 5.0]);
    assert_eq!(column(&sink, "data", "n"), [1.0, 1.0, 1.0, 2.0, 2.0, 2.0]);
    assert_eq!(block(&report, 0)["PAGE"], json!(["N=1", "N=2"]));

    let (sink, _) = read_file("structure-ntuples.jdx");
    assert_eq!(column(&sink, "data", "f1")[..4], [0.0, 0.0, 0.0, 1.0]);
    assert_eq!(column(&sink, "data", "f2")[..4], [4.0, 5.0, 6.0, 4.0]);
    assert_eq!(column(&sink, "data", "y")[9..], [5.0, 6.0, 7.0]);

    let (sink, report) = read_file("ethylvinylether-1h.jdx");
    let x = column(&sink, "data", "x");
    assert_eq!((x[0], x[16383], x[16384]), (4807.69230769231, 0.0, 4807.69230769231));
    let (r, i) = (column(&sink, "data", "r"), column(&sink, "data", "i"));
    assert_eq!((r[0], r[16383], i[16384], i[32767]), (-119886.0, -109159.0, -189464.0, -213748.0));
    assert_eq!(
        unit(&sink, "data", "r"),
        (Some("ARBITRARY UNITS".into()), Some("[arb'U]".into()), "SPECTRUM/REAL".into())
    );
    assert_eq!(unit(&sink, "data", "x").1.as_deref(), Some("Hz"));
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);

    let (sink, report) = read_file("misc-multivariable.jdx");
    assert_eq!(column(&sink, "data", "t"), [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
    assert_eq!(unit(&sink, "data", "x"), (Some("mg".into()), Some("mg".into()), "Weight".into()));
    assert_eq!(unit(&sink, "data", "y").1.as_deref(), Some("Cel"));
    assert!(report.warnings.iter().any(|w| w.contains("VAR_DIM")), "{:?}", report.warnings);
}

#[test]
fn labels_metadata_and_text() {
    let (sink, report) = read_file("misc-varian.jdx");
    let b = block(&report, 0);
    assert_eq!(b["SPECTROMETER/DATA SYSTEM"], "Varian GEMINI 2000 300");
    assert_eq!(b[".OBSERVE FREQUENCY"], 299.9328561);
    assert_eq!(b["YUNITS"], "ARBITRARY UNITS");
    assert_eq!(b["$REFERENCE_POINT"], 224.207);
    assert!(report.text.contains("340343 V123413/A1A"));
    assert!(report.text.contains("mm on paper"), "header $$ comments are searchable");
    // The file declares 16385 points (FIRSTX, LASTX and DELTAX agree on it) but holds 16384:
    // X keeps the declared spacing and the shortfall is a warning.
    let x = column(&sink, "data", "x");
    assert_eq!(x.len(), 16384);
    assert_eq!(x[0], 16.089531599);
    assert!((x[16383] - (-0.746542441 + 0.001027655)).abs() < 1e-6);
    assert!(
        report.warnings.iter().any(|w| w.contains("16384 points read, ##NPOINTS says 16385")),
        "{:?}",
        report.warnings
    );
    assert_eq!(unit(&sink, "data", "x").1.as_deref(), Some("[ppm]"));
    assert!((column(&sink, "data", "y")[0] - -0.000111519 * 160.199999131).abs() < 1e-12);

    let (sink, report) = read_file("misc-camelLabels.jdx");
    // `##first X=` is FIRSTX; `##$test=` a private label.
    assert_eq!(block(&report, 0)["FIRST X"], 0.905);
    assert_eq!(block(&report, 0)["$TEST"], "abc");
    assert_eq!(column(&sink, "peaks", "x")[0], 0.905);
    assert_eq!(unit(&sink, "peaks", "x").1.as_deref(), Some("V"));

    let (sink, report) = read_file("misc-uv.jdx");
    let link = block(&report, 0);
    assert_eq!(link["DATATYPE"], "LINK");
    assert_eq!(link["BLOCKS"], 2);
    let members = link["blocks"].as_array().unwrap();
    assert_eq!(members.len(), 2);
    assert_eq!(members[1]["YUNITS"], "VARIANCE");
    assert_eq!(members[1]["tables"], json!(["block_2"]));
    assert_eq!(unit(&sink, "data", "x"), (Some("NANOMETERS".into()), Some("nm".into()), "X".into()));
    assert_eq!(column(&sink, "block_2", "y")[0], 0.209917782629);
    assert_eq!(report.metadata["jcamp_version"], 4.24);

    let (sink, _) = read_file("misc-mass_ACD.jdx");
    assert_eq!(column(&sink, "peaks", "x")[..3], [20.0, 22.0, 23.0]);
    assert_eq!(column(&sink, "peaks", "y")[3], 1137.004757);
    assert_eq!(unit(&sink, "peaks", "x").1.as_deref(), Some("{m/z}"));

    let (sink, report) = read_file("structure-assigned.jdx");
    assert_eq!(column(&sink, "peaks_2", "w"), [3.0, 4.0, 5.0]);
    let outer = block(&report, 0);
    let inner = outer["blocks"][0]["blocks"].as_array().unwrap();
    assert_eq!(inner[1]["PEAKASSIGNMENTS"], "(XYWA)\n(1, 2, 3, <3>)\n(2, 3, 4, <5>)");
    assert_eq!(block(&report, 0)["blocks"][1]["$META INFO"], "META");
}

#[test]
fn a_missing_final_end_is_a_warning() {
    let (sink, report) = read_file("structure-noend.jdx");
    assert_eq!(column(&sink, "peaks", "y"), [2.0, 3.0]);
    assert!(report.warnings.iter().any(|w| w.contains("without ##END")), "{:?}", report.warnings);
    let (_, report) = read_file("structure-normal.jdx");
    assert!(report.warnings.is_empty());
}

#[test]
fn npoints_disagreeing_with_the_data_is_reported() {
    let text = b"##TITLE=t\n##FIRSTX=1\n##LASTX=3\n##NPOINTS=3\n##XYDATA=(X++(Y..Y))\n1 5 6\n##END=\n";
    let (sink, report) = read_text(text).unwrap();
    assert_eq!(sink.rows("data"), 2);
    assert!(report.warnings.iter().any(|w| w.contains("2 points read, ##NPOINTS says 3")), "{:?}", report.warnings);
}

#[test]
fn large_sections_stream_in_batches() {
    let mut text = String::from("##TITLE=big\n##FIRSTX=0\n##DELTAX=1\n##XYDATA=(X++(Y..Y))\n");
    for i in 0..20_000 {
        text.push_str(&format!("{} {} {} {} {} {}\n", i * 5, i, i + 1, i + 2, i + 3, i + 4));
    }
    text.push_str("##END=\n");
    let (sink, report) = read_text(text.as_bytes()).unwrap();
    assert_eq!(sink.rows("data"), 100_000);
    assert!(sink.tables[0].1.len() >= 4);
    assert_eq!(report.parameters["points"], 100_000);
    assert_eq!(column(&sink, "data", "x")[99_999], 99_999.0);
}

#[test]
fn bad_input_fails_precisely() {
    let err = |t: &[u8]| read_text(t).err().map(|e| e.to_string()).unwrap_or_else(|| "read fine".into());
    assert_eq!(err(b""), "file is empty");
    assert!(err(b"hello\nworld\n").contains("line 1: expected a ##LABEL= record"));
    assert!(err(b"\n\n$$ only comments\n").contains("no ##TITLE= record"));
    assert!(err(b"##TITLE=t\n##XYDATA=(X++(Y..Y))\n1 2 3\n").contains("needs ##FIRSTX"));
    assert!(
        err(b"##TITLE=t\n##FIRSTX=1\n##DELTAX=1\n##XYDATA=(X++(Y..Y))\n1 2 x3\n")
            .contains("line 5: unexpected character 'x'")
    );
    assert!(
        err(b"##TITLE=t\n##FIRSTX=1\n##DELTAX=1\n##XYDATA=(X++(Y..Y))\n1J2\n")
            .contains("line 5: a difference follows no value")
    );
    assert!(err(b"##TITLE=t\n##FIRSTX=1\n##DELTAX=1\n##XYDATA=(X++(Y..Y))\n1 2s99999999\n").contains("out of range"));
    assert!(
        err(b"##TITLE=t\n##FIRSTX=1\n##DELTAX=1\n##XYDATA=(X++(Y..Y))\nJ1 2\n")
            .contains("does not start with an abscissa")
    );
    assert!(err(b"##TITLE=t\n\0\n").contains("nul byte"));
    let deep = "##TITLE=t\n".repeat(100);
    assert!(err(deep.as_bytes()).contains("nested deeper"));
    let long = format!("##TITLE={}\n", "a".repeat(lines::LINE_LIMIT + 10));
    assert!(err(long.as_bytes()).contains("longer than"));
    // A huge declared point count allocates nothing.
    let (sink, _) = read_text(
        b"##TITLE=t\n##FIRSTX=1\n##LASTX=2\n##NPOINTS=1e300\n##DELTAX=1\n##XYDATA=(X++(Y..Y))\n1 2\n##END=\n",
    )
    .unwrap();
    assert_eq!(sink.rows("data"), 1);
}

#[test]
fn truncated_and_garbled_files_never_panic() {
    let dir = testdata();
    for name in ["compression-jcamp-difdup.dx", "ethylvinylether-1h.jdx", "structure-assigned.jdx", "misc-uv.jdx"] {
        let bytes = std::fs::read(dir.join(name)).unwrap();
        let step = (bytes.len() / 40).max(1);
        for cut in (0..bytes.len()).step_by(step) {
            let _ = read_text(&bytes[..cut]);
            // Flip one byte to a letter that is an ASDF code in some form.
            let mut garbled = bytes.clone();
            garbled[cut] = b"@%JsZj?+-.E,#="[cut % 14];
            let _ = read_text(&garbled);
        }
    }
}

#[test]
fn sniffing_recognises_jcamp_heads() {
    assert!(sniff(b"##TITLE= 107-07-3\n##JCAMPDX= 5.0\n"));
    assert!(sniff(b"\n$$ made by x\n## TITLE = uv\n"));
    assert!(sniff(b"##JCAMP-DX=4.24\n"));
    assert!(!sniff(b"x,y\n1,2\n"));
    assert!(!sniff(b"##DATA=1\n"));
}
