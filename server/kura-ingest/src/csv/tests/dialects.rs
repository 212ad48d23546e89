//! Delimiters, quoting, header blocks and units in headers.

use serde_json::json;

use super::support::*;
use crate::reader::{META_ORIGINAL_LABEL, META_UCUM, META_UNIT};

#[test]
fn units_in_each_header_form() {
    let header = "Temperature [K]\tT (°C)\tVoltage / mV\t2θ (deg)\tWavenumber (cm-1)\t\
                  Area/(RSF*T*MFP)\t%At Conc\tcounts/s\tI (a.u.)\tp [Torr]\n";
    let text = format!("{header}1\t2\t3\t4\t5\t6\t7\t8\t9\t10\n");
    let r = read_bytes(text.as_bytes()).unwrap();
    let expected = [
        ("Temperature", Some("K"), Some("K")),
        ("T", Some("°C"), Some("Cel")),
        ("Voltage", Some("mV"), Some("mV")),
        ("2θ", Some("deg"), Some("deg")),
        ("Wavenumber", Some("cm-1"), Some("/cm")),
        ("Area/(RSF*T*MFP)", None, None),
        ("%At Conc", None, None),
        ("counts/s", None, None),
        ("I", Some("a.u."), Some("[arb'U]")),
        ("p", Some("Torr"), None),
    ];
    assert_eq!(names(&r), expected.map(|e| e.0));
    for (i, (name, unit, ucum)) in expected.into_iter().enumerate() {
        assert_eq!(meta(&r, name, META_UNIT), unit, "{name}");
        assert_eq!(meta(&r, name, META_UCUM), ucum, "{name}");
        let info = &r.table.columns[i];
        assert_eq!((info.unit.as_deref(), info.ucum.as_deref()), (unit, ucum));
    }
    assert_eq!(meta(&r, "2θ", META_ORIGINAL_LABEL), Some("2θ (deg)"));
}

#[test]
fn quoted_fields_keep_newlines_and_delimiters() {
    let r = read_bytes(b"id,note,value\n1,\"two\nlines, with comma\",1.5\n2,\"say \"\"hi\"\"\",2.5\n").unwrap();
    assert_eq!(strs(&r, "note"), [Some("two\nlines, with comma".to_string()), Some("say \"hi\"".to_string())]);
    assert_eq!(f64s(&r, "value"), [Some(1.5), Some(2.5)]);
}

#[test]
fn key_value_header_blocks() {
    let text = "Instrument: XRD-7\nOperator:  Ada  \n# Sample: S1\n# free comment\n\n\
                Gain,10\nMode,fast,slow\n\ntime,signal\n0,0.5\n1,0.75\n";
    let r = read_bytes(text.as_bytes()).unwrap();
    let m = &r.report.metadata;
    assert_eq!(m["Instrument"], json!("XRD-7"));
    assert_eq!(m["Operator"], json!("Ada"));
    assert_eq!(m["Sample"], json!("S1"));
    assert_eq!(m["Gain"], json!("10"));
    assert_eq!(m["Mode"], json!(["fast", "slow"]));
    assert!(r.report.text.contains("free comment"));
    assert_eq!(names(&r), ["time", "signal"]);
    assert_eq!(f64s(&r, "signal"), [Some(0.5), Some(0.75)]);
    assert_eq!(r.report.parameters["header_line"], json!(9));
}

#[test]
fn semicolon_and_pipe() {
    for d in [";", "|"] {
        let text = format!("a{d}b{d}c\n1{d}x{d}2.5\n2{d}y{d}3.5\n");
        let r = read_bytes(text.as_bytes()).unwrap();
        assert_eq!(r.report.parameters["delimiter"], json!(d));
        assert_eq!(i64s(&r, "a"), [Some(1), Some(2)]);
        assert_eq!(strs(&r, "b"), [Some("x".to_string()), Some("y".to_string())]);
        assert_eq!(f64s(&r, "c"), [Some(2.5), Some(3.5)]);
    }
}

#[test]
fn headerless_numeric_table_gets_generated_names() {
    let r = read_bytes(b"1,2.5\n2,3.5\n3,4.5\n").unwrap();
    assert_eq!(names(&r), ["column_1", "column_2"]);
    assert_eq!(i64s(&r, "column_1"), [Some(1), Some(2), Some(3)]);
    assert_eq!(r.report.parameters["column_labels"], json!("generated"));
}

#[test]
fn duplicate_and_empty_labels() {
    let r = read_bytes(b"x,x,,y\n1,2,3,4\n").unwrap();
    assert_eq!(names(&r), ["x", "x_2", "column_3", "y"]);
}

#[test]
fn batches_and_progress() {
    let mut text = String::from("i,v\n");
    for i in 0..1000 {
        text.push_str(&format!("{i},{}.5\n", i * 2));
    }
    let r = read_bytes_with(text.as_bytes(), 300).unwrap();
    assert_eq!((r.batch.num_rows(), r.batches), (1000, 4));
    assert_eq!(i64s(&r, "i")[999], Some(999));
    assert!(r.progress.len() >= 4);
    assert_eq!(r.progress.last(), Some(&(text.len() as u64)));
}
