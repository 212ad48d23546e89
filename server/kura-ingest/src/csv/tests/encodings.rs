//! Encodings: BOMs, UTF-16, Shift_JIS, Latin-1.

use serde_json::json;

use super::support::*;
use crate::reader::{META_ORIGINAL_LABEL, META_UCUM, META_UNIT};

const TABLE: &str = "Temperature [K],Sample\n300,Fe\n310,Mg\n";

fn utf16(text: &str, big_endian: bool) -> Vec<u8> {
    let mut out = if big_endian { vec![0xfe, 0xff] } else { vec![0xff, 0xfe] };
    for unit in text.encode_utf16() {
        let b = if big_endian { unit.to_be_bytes() } else { unit.to_le_bytes() };
        out.extend_from_slice(&b);
    }
    out
}

fn check_table(r: &Read, encoding: &str) {
    assert_eq!(names(r), ["Temperature", "Sample"]);
    assert_eq!(i64s(r, "Temperature"), [Some(300), Some(310)]);
    assert_eq!(strs(r, "Sample"), [Some("Fe".to_string()), Some("Mg".to_string())]);
    assert_eq!(r.report.parameters["encoding"], json!(encoding));
}

#[test]
fn utf8_with_bom() {
    let mut bytes = b"\xef\xbb\xbf".to_vec();
    bytes.extend_from_slice(TABLE.as_bytes());
    let r = read_bytes(&bytes).unwrap();
    check_table(&r, "UTF-8");
    assert_eq!(r.report.parameters["bom"], json!(true));
    assert_eq!(meta(&r, "Temperature", META_ORIGINAL_LABEL), Some("Temperature [K]"));
}

#[test]
fn utf16_both_byte_orders() {
    check_table(&read_bytes(&utf16(TABLE, false)).unwrap(), "UTF-16LE");
    check_table(&read_bytes(&utf16(TABLE, true)).unwrap(), "UTF-16BE");
}

#[test]
fn shift_jis_header() {
    let (bytes, _, _) = encoding_rs::SHIFT_JIS.encode("温度 [K],試料\n300,鉄\n310,銅\n");
    let r = read_bytes(&bytes).unwrap();
    assert_eq!(names(&r), ["温度", "試料"]);
    assert_eq!(meta(&r, "温度", META_ORIGINAL_LABEL), Some("温度 [K]"));
    assert_eq!(meta(&r, "温度", META_UCUM), Some("K"));
    assert_eq!(strs(&r, "試料"), [Some("鉄".to_string()), Some("銅".to_string())]);
    assert_eq!(r.report.parameters["encoding"], json!("Shift_JIS"));
}

#[test]
fn latin1_degree_sign() {
    let r = read_bytes(b"Zeit (s);T (\xb0C);Probe\n1;20,5;M\xfcller\n2;21;G\xf6\xdfe\n").unwrap();
    assert_eq!(names(&r), ["Zeit", "T", "Probe"]);
    assert_eq!(meta(&r, "T", META_UNIT), Some("°C"));
    assert_eq!(meta(&r, "T", META_UCUM), Some("Cel"));
    assert_eq!(strs(&r, "Probe"), [Some("Müller".to_string()), Some("Göße".to_string())]);
    assert_eq!(r.report.parameters["encoding"], json!("windows-1252"));
}
