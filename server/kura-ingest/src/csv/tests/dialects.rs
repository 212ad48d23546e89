//! Delimiters, quoting, header blocks and units in headers.

use serde_json::json;

use super::support::*;
use crate::reader::{META_ORIGINAL_LABEL, META_UCUM, META_UNIT, ReadOptions};

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

#[test]
fn thousands_separators_are_read_as_numbers() {
    // `1,234.5` inside quotes of a comma-separated file, as spreadsheets export it.
    let r = read_bytes(b"site,mass_kg,count\nA,\"1,234.5\",\"12,345,678\"\nB,\"98.25\",\"7,001,002\"\nC,3.75,12\n")
        .unwrap();
    assert_eq!(f64s(&r, "mass_kg"), [Some(1234.5), Some(98.25), Some(3.75)]);
    assert_eq!(i64s(&r, "count"), [Some(12_345_678), Some(7_001_002), Some(12)]);
    assert_eq!(r.report.parameters["thousands"], serde_json::json!(","));
    // German: `.` groups and `,` decimals with `;`.
    let r = read_bytes("Probe;Masse [g];Anzahl\nA;1.234,5;1.000.000\nB;0,25;17\n".as_bytes()).unwrap();
    assert_eq!(f64s(&r, "Masse"), [Some(1234.5), Some(0.25)]);
    assert_eq!(i64s(&r, "Anzahl"), [Some(1_000_000), Some(17)]);
    let p = &r.report.parameters;
    assert_eq!((p["decimal"].as_str(), p["thousands"].as_str()), (Some(","), Some(".")));
    // Swiss: `'` groups.
    let r = read_bytes(b"x;y\n1'234.5;2\n10'000'000.25;3\n").unwrap();
    assert_eq!(f64s(&r, "x"), [Some(1234.5), Some(10_000_000.25)]);
    // No evidence of grouping: `1.234` stays a decimal number.
    let r = read_bytes(b"a;b\n1.234;x\n5.678;y\n").unwrap();
    assert_eq!(f64s(&r, "a"), [Some(1.234), Some(5.678)]);
    assert!(r.report.parameters["thousands"].is_null());
}

#[test]
fn thousands_separator_can_be_given() {
    let given = ReadOptions { decimal: Some(".".into()), thousands: Some(",".into()), ..Default::default() };
    let r = read_bytes_options(b"a;b\n\"1,234\";x\n5,678;y\n", &given).unwrap();
    assert_eq!(i64s(&r, "a"), [Some(1234), Some(5678)]);
    let bad = ReadOptions { thousands: Some(",".into()), ..Default::default() };
    assert!(read_bytes_options(b"a;b\n1;2\n", &bad).is_err(), "a thousands separator needs the decimal");
}

#[test]
fn single_quotes_are_detected_and_can_be_given() {
    let text = "name;note;value\n'Fe; oxidised';'ok';1.5\n'Cu';'two; parts';2.5\n'Zn';'x';3.5\n";
    let r = read_bytes(text.as_bytes()).unwrap();
    assert_eq!(strs(&r, "name"), [Some("Fe; oxidised".into()), Some("Cu".into()), Some("Zn".into())]);
    assert_eq!(f64s(&r, "value"), [Some(1.5), Some(2.5), Some(3.5)]);
    assert_eq!(r.report.parameters["quote"], serde_json::json!("'"));
    // Apostrophes inside words are not quotes.
    let r = read_bytes(b"name,city\nO'Brien,Dublin\nd'Arc,Orleans\n").unwrap();
    assert_eq!(strs(&r, "name"), [Some("O'Brien".into()), Some("d'Arc".into())]);
    assert_eq!(r.report.parameters["quote"], serde_json::json!("\""));
    // No quoting at all: a `"` is a character of the cell.
    let none = ReadOptions { quote: Some(String::new()), ..Default::default() };
    let r = read_bytes_options(b"a,b\n\"x,1\n\"y,2\n", &none).unwrap();
    assert_eq!(strs(&r, "a"), [Some("\"x".into()), Some("\"y".into())]);
}
