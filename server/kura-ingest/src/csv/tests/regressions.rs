//! Files that were once ingested "successfully" with wrong data (issue 18), recreated from their
//! descriptions: each must now read exactly right.

use serde_json::json;

use super::support::*;
use crate::reader::META_UNIT;

/// A potentiostat export: a `#` header block, `;` as delimiter and decimal commas. It was read
/// as comma-delimited (`-0` as the integer 0, `5000;0` as text).
fn potentiostat(line_end: &str) -> String {
    let mut s = ["# Potentiostat export", "# Technique: Cyclic Voltammetry", "# Scan rate: 0,1 V/s", "#"]
        .map(|l| format!("{l}{line_end}"))
        .concat();
    s.push_str(&format!("Potential [V];Current [mA];Time [s]{line_end}"));
    for i in 0..200 {
        let row = format!(
            "{:.4};{:.6};{:.2}",
            -0.5 + f64::from(i) * 0.001,
            0.350783 + f64::from(i) * 0.000417,
            f64::from(i) * 0.01
        );
        s.push_str(&row.replace('.', ","));
        s.push_str(line_end);
    }
    s
}

#[test]
fn semicolon_decimal_comma_potentiostat_export() {
    for line_end in ["\n", "\r\n"] {
        let r = read_bytes(potentiostat(line_end).as_bytes()).unwrap();
        assert_eq!(names(&r), ["Potential", "Current", "Time"]);
        assert_eq!(r.batch.num_rows(), 200);
        let e = f64s(&r, "Potential");
        assert_eq!((e[0], e[199]), (Some(-0.5), Some(-0.301)));
        assert_eq!(f64s(&r, "Current")[0], Some(0.350783));
        assert_eq!(f64s(&r, "Time")[1], Some(0.01));
        assert_eq!(meta(&r, "Current", META_UNIT), Some("mA"));
        let p = &r.report.parameters;
        assert_eq!((p["delimiter"].clone(), p["decimal"].clone()), (json!(";"), json!(",")));
        assert_eq!(r.report.metadata["Technique"], json!("Cyclic Voltammetry"));
        assert!(r.report.warnings.is_empty(), "{:?}", r.report.warnings);
    }
}

/// A synthesis log whose header line ends with a trailing delimiter and whose `comment` column
/// has a quoted multi-line cell every tenth row. 91 of its 100 rows were taken for a header block.
fn synthesis_log() -> String {
    let mut s = String::from("sample_id,temperature_C,yield_pct,comment,\n");
    for i in 1..=100 {
        let comment = if i % 10 == 0 {
            format!("\"batch {i}: stirred overnight\nfiltered, washed twice\"")
        } else {
            "ok".to_string()
        };
        s.push_str(&format!("S{i:03},{:.1},{:.1},{comment}\n", 120.0 + f64::from(i) * 0.5, 60.0 + f64::from(i) * 0.3));
    }
    s
}

#[test]
fn trailing_delimiter_header_and_multiline_cells() {
    let r = read_bytes(synthesis_log().as_bytes()).unwrap();
    assert_eq!(names(&r), ["sample_id", "temperature_C", "yield_pct", "comment"]);
    assert_eq!(r.batch.num_rows(), 100);
    let ids = strs(&r, "sample_id");
    assert_eq!((ids[0].as_deref(), ids[99].as_deref()), (Some("S001"), Some("S100")));
    assert_eq!(f64s(&r, "temperature_C")[9], Some(125.0));
    let comments = strs(&r, "comment");
    assert_eq!(comments[9].as_deref(), Some("batch 10: stirred overnight\nfiltered, washed twice"));
    assert_eq!(comments[10].as_deref(), Some("ok"));
    assert!(r.report.metadata.is_empty(), "{:?}", r.report.metadata);
    assert_eq!(r.report.parameters["header_line"], json!(1));
    assert!(r.report.warnings.is_empty(), "{:?}", r.report.warnings);
}

#[test]
fn read_parameters_override_detection() {
    use crate::reader::{ColumnOptions, ReadOptions};
    let text = potentiostat("\n");
    // As a user who knows better would set it: no header block guessing, the header on line 5.
    let options = ReadOptions {
        delimiter: Some(";".into()),
        decimal: Some(",".into()),
        header_line: Some(5),
        columns: [("Time".to_string(), ColumnOptions { data_type: Some("text".into()), unit: Some("min".into()) })]
            .into_iter()
            .collect(),
        ..ReadOptions::default()
    };
    let r = read_bytes_options(text.as_bytes(), &options).unwrap();
    assert_eq!(names(&r), ["Potential", "Current", "Time"]);
    assert_eq!(strs(&r, "Time")[1].as_deref(), Some("0,01"));
    assert_eq!(meta(&r, "Time", META_UNIT), Some("min"));
    assert_eq!(r.report.parameters["given"]["delimiter"], json!(";"));
    assert_eq!(r.report.parameters["dialect_given"], json!(true));
    // Read with a decimal point, the values are text: what the user asked for.
    let options = ReadOptions { delimiter: Some(";".into()), decimal: Some(".".into()), ..ReadOptions::default() };
    let r = read_bytes_options(text.as_bytes(), &options).unwrap();
    assert_eq!(strs(&r, "Potential")[0].as_deref(), Some("-0,5000"));
    // Bad parameters are refused with the reason.
    let bad = ReadOptions { delimiter: Some("ab".into()), ..ReadOptions::default() };
    assert!(read_bytes_options(text.as_bytes(), &bad).is_err());
}
