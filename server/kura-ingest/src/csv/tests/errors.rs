//! Inputs that are refused, or tolerated with a warning.

use serde_json::json;

use super::support::*;
use crate::csv::LINE_LIMIT;
use crate::reader::ReadError;

#[test]
fn short_rows_are_padded() {
    let r = read_bytes(b"a,b,c\n1,2,3\n4,5\n6\n7,8,9\n10,11,12\n").unwrap();
    assert_eq!(i64s(&r, "c"), [Some(3), None, None, Some(9), Some(12)]);
    assert_eq!(i64s(&r, "b"), [Some(2), Some(5), None, Some(8), Some(11)]);
    assert_eq!(r.report.parameters["short_rows"], json!(2));
    assert!(r.report.warnings.iter().any(|w| w.starts_with("2 rows had fewer fields")));
}

#[test]
fn long_rows_are_refused() {
    let mut text = String::from("a,b\n");
    for i in 0..20 {
        text.push_str(&format!("{i},{i}\n"));
    }
    text.push_str("7,8,9\n");
    match read_err(text.as_bytes()) {
        ReadError::Ragged { line, expected, found } => assert_eq!((line, expected, found), (22, 2, 3)),
        e => panic!("unexpected {e:?}"),
    }
    // Trailing empty fields beyond the header are tolerated.
    let r = read_bytes(b"a,b\n1,2,\n3,4,,\n").unwrap();
    assert_eq!(i64s(&r, "b"), [Some(2), Some(4)]);
}

#[test]
fn empty_and_blank_files() {
    assert!(matches!(read_err(b""), ReadError::Empty));
    assert!(matches!(read_err(b"  \n\r\n\t\n"), ReadError::Empty));
    assert!(matches!(read_err(b"\xef\xbb\xbf"), ReadError::Empty));
}

#[test]
fn binary_is_not_text() {
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let bytes: Vec<u8> = (0..8192)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect();
    assert!(matches!(read_err(&bytes), ReadError::NotText(_)));
    assert!(!crate::csv::sniff(&bytes));
}

#[test]
fn invalid_utf8_late_in_file() {
    let mut bytes = b"a,b\n".to_vec();
    while bytes.len() < 100_000 {
        bytes.extend_from_slice(b"1,2\n");
    }
    let at = bytes.len() as u64 + 2;
    bytes.extend_from_slice(b"3,\xff\n4,5\n");
    match read_err(&bytes) {
        ReadError::InvalidEncoding { encoding, offset } => {
            assert_eq!((encoding.as_str(), offset), ("UTF-8", at));
        }
        e => panic!("unexpected {e:?}"),
    }
}

#[test]
fn overlong_line_fails_fast() {
    let mut bytes = b"a,b\n1,2\n".to_vec();
    bytes.resize(bytes.len() + 20 * 1024 * 1024, b'x');
    match read_err(&bytes) {
        ReadError::LineTooLong { line, limit } => assert_eq!((line, limit), (3, LINE_LIMIT)),
        e => panic!("unexpected {e:?}"),
    }
    let single = vec![b'7'; 20 * 1024 * 1024];
    assert!(matches!(read_err(&single), ReadError::LineTooLong { line: 1, .. }));
}

#[test]
fn sniffs_tables_but_not_prose_or_json() {
    assert!(crate::csv::sniff(b"a,b\n1,2\n3,4\n"));
    assert!(crate::csv::sniff(b"# c\n1350  15598.679\n1349  15867.872\n"));
    assert!(!crate::csv::sniff(b"{\"a\": 1, \"b\": 2}\n{\"a\": 3, \"b\": 4}\n"));
    assert!(!crate::csv::sniff(b"[\n1, 2,\n3, 4\n]\n"));
    assert!(crate::csv::sniff(b"[Data 1]\n1 2.5\n2 3.5\n"));
    assert!(!crate::csv::sniff(b"just some prose\n"));
    assert!(!crate::csv::sniff(b""));
}
