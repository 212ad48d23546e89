//! Spreadsheet reading on workbooks written here with rust_xlsxwriter (the repository has no
//! real spreadsheets), plus broken input.

use std::path::{Path, PathBuf};

use arrow::array::{Array, BooleanArray, Float64Array, Int64Array, StringArray, TimestampMicrosecondArray};
use arrow::datatypes::{DataType, TimeUnit};
use arrow::record_batch::RecordBatch;
use rust_xlsxwriter::{ExcelDateTime, Format, Formula, Workbook};

use super::*;
use crate::reader::META_UCUM;
use crate::testing::CollectSink;

fn col<'a, T: 'static>(batch: &'a RecordBatch, name: &str) -> &'a T {
    batch.column(batch.schema().index_of(name).unwrap()).as_any().downcast_ref::<T>().unwrap()
}

fn read_path(path: &Path, batch_rows: usize) -> Result<(CollectSink, ReadReport), ReadError> {
    let mut sink = CollectSink::default();
    let report = read_workbook(path, &mut sink, &mut |_| {}, batch_rows)?;
    Ok((sink, report))
}

fn save(book: &mut Workbook, dir: &Path, name: &str) -> PathBuf {
    let path = dir.join(name);
    book.save(&path).unwrap();
    path
}

/// A sheet with a header block, units in the labels and every cell type.
fn measurement_book() -> Workbook {
    let mut book = Workbook::new();
    let date = Format::new().set_num_format("yyyy-mm-dd hh:mm:ss");
    let ws = book.add_worksheet().set_name("Run 1 (20 °C)").unwrap();
    ws.write_string(0, 0, "Stability run").unwrap();
    ws.write_string(1, 0, "Operator: Ada").unwrap();
    ws.write_string(2, 0, "Instrument").unwrap();
    ws.write_string(2, 1, "XRD-7").unwrap();
    let labels = ["time [s]", "Temperature [K]", "ok", "taken", "note", "mixed", "ratio"];
    for (c, l) in labels.iter().enumerate() {
        ws.write_string(4, c as u16, *l).unwrap();
    }
    for i in 0..5u32 {
        let r = 5 + i;
        ws.write_number(r, 0, f64::from(i)).unwrap();
        ws.write_number(r, 1, 300.5 + f64::from(i)).unwrap();
        ws.write_boolean(r, 2, i % 2 == 0).unwrap();
        let t = ExcelDateTime::from_ymd(2024, 1, 15).unwrap().and_hms(10, i as u8, 30).unwrap();
        ws.write_datetime_with_format(r, 3, &t, &date).unwrap();
        if i != 2 {
            ws.write_string(r, 4, format!("sample {i}")).unwrap();
        }
        if i == 3 {
            ws.write_string(r, 5, "n/a").unwrap();
        } else {
            ws.write_number(r, 5, f64::from(i) * 1.5).unwrap();
        }
        let formula = if i == 1 {
            Formula::new("=B7/0").set_result("#DIV/0!")
        } else {
            Formula::new(format!("=B{}/A{}", r + 1, r + 1)).set_result(format!("{}", (300.5 + f64::from(i)) / 2.0))
        };
        ws.write_formula(r, 6, formula).unwrap();
    }
    book.add_worksheet().set_name("empty").unwrap();
    let ws = book.add_worksheet().set_name("run-1-20-c").unwrap();
    ws.write_string(0, 0, "mass [mg]").unwrap();
    ws.write_number(1, 0, 1.0).unwrap();
    ws.write_number(2, 0, 2.0).unwrap();
    book
}

#[test]
fn sheets_become_tables_with_header_blocks_units_and_types() {
    let dir = tempfile::tempdir().unwrap();
    let path = save(&mut measurement_book(), dir.path(), "run.xlsx");
    let (sink, report) = read_path(&path, 2).unwrap();
    assert_eq!(sink.finished, 2);
    let names: Vec<_> = sink.tables.iter().map(|(t, _)| t.name.as_str()).collect();
    assert_eq!(names, ["run_1_20_c", "run_1_20_c_2"]);

    let t = sink.table("run_1_20_c");
    assert_eq!(t.num_rows(), 5);
    assert_eq!(col::<Int64Array>(&t, "time").values(), &[0, 1, 2, 3, 4]);
    assert_eq!(col::<Float64Array>(&t, "Temperature").value(4), 304.5);
    assert!(!col::<BooleanArray>(&t, "ok").value(1));
    let taken = col::<TimestampMicrosecondArray>(&t, "taken");
    let expected = chrono::NaiveDate::from_ymd_opt(2024, 1, 15).unwrap().and_hms_opt(10, 4, 30).unwrap();
    assert_eq!(taken.value(4), expected.and_utc().timestamp_micros());
    assert_eq!(
        t.schema().field_with_name("taken").unwrap().data_type(),
        &DataType::Timestamp(TimeUnit::Microsecond, None)
    );
    let note = col::<StringArray>(&t, "note");
    assert_eq!((note.value(0), note.is_null(2)), ("sample 0", true));
    let mixed = col::<StringArray>(&t, "mixed");
    assert_eq!((mixed.value(1), mixed.value(3), mixed.value(4)), ("1.5", "n/a", "6"));
    let ratio = col::<Float64Array>(&t, "ratio");
    assert_eq!((ratio.value(0), ratio.is_null(1), ratio.value(2)), (150.25, true, 151.25));

    let start = &sink.tables[0].0;
    let temperature = start.columns.iter().find(|c| c.name == "Temperature").unwrap();
    assert_eq!((temperature.original_label.as_str(), temperature.ucum.as_deref()), ("Temperature [K]", Some("K")));
    let field = start.schema.field_with_name("time").unwrap();
    assert_eq!(field.metadata().get(META_UCUM).map(String::as_str), Some("s"));

    let single = sink.table("run_1_20_c_2");
    assert_eq!(col::<Int64Array>(&single, "mass").values(), &[1, 2]);
    assert_eq!(sink.tables[1].0.columns[0].ucum.as_deref(), Some("mg"));

    let meta = &report.metadata["sheets"]["Run 1 (20 °C)"];
    assert_eq!((meta["Operator"].as_str(), meta["Instrument"].as_str()), (Some("Ada"), Some("XRD-7")));
    assert!(report.text.contains("Stability run"));
    assert_eq!(report.parameters["workbook"], "xlsx");
    let first = &report.parameters["sheets"][0];
    assert_eq!(
        (first["header_row"].as_u64(), first["first_data_row"].as_u64(), first["rows"].as_u64()),
        (Some(5), Some(6), Some(5))
    );
    assert!(report.parameters["sheets"][1]["table"].is_null());
    let w = report.warnings.join("\n");
    assert!(w.contains("sheet \"empty\" is empty: no table"), "{w}");
    assert!(w.contains("1 error cells read as null (first: #DIV/0! at G7)"), "{w}");
    assert!(w.contains("column \"mixed\" mixes kinds of values"), "{w}");
}

#[test]
fn long_sheets_stream_in_batches_and_type_rows_after_the_sample() {
    let dir = tempfile::tempdir().unwrap();
    let mut book = Workbook::new();
    let ws = book.add_worksheet();
    ws.write_string(0, 0, "i").unwrap();
    ws.write_string(0, 1, "x [mV]").unwrap();
    let n = 5000u32;
    for i in 0..n {
        ws.write_number(i + 1, 0, f64::from(i)).unwrap();
        // integral in the sample, fractional only far below it: the column must be float
        let x = if i == n - 1 { 0.5 } else { f64::from(i) };
        ws.write_number(i + 1, 1, x).unwrap();
    }
    // a value in a column the sample never saw
    ws.write_number(n + 1, 3, 7.0).unwrap();
    let path = save(&mut book, dir.path(), "long.xlsx");
    let (sink, report) = read_path(&path, 1000).unwrap();
    let (start, batches) = &sink.tables[0];
    assert_eq!(batches.len(), 6);
    assert!(batches.iter().all(|b| b.num_rows() <= 1000));
    let t = sink.table("sheet1");
    assert_eq!(t.num_rows(), n as usize + 1);
    assert_eq!(col::<Float64Array>(&t, "x").value(n as usize - 1), 0.5);
    assert_eq!(col::<Int64Array>(&t, "i").value(n as usize - 1), i64::from(n) - 1);
    let names: Vec<_> = start.columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["i", "x", "column_3"]);
    assert_eq!(col::<Int64Array>(&t, "column_3").value(n as usize), 7);
    assert_eq!(report.parameters["sheets"][0]["rows"], 5001);
}

#[test]
fn headerless_and_offset_tables() {
    let dir = tempfile::tempdir().unwrap();
    let mut book = Workbook::new();
    let ws = book.add_worksheet().set_name("data").unwrap();
    for r in 0..3u32 {
        ws.write_number(r + 2, 2, f64::from(r)).unwrap();
        ws.write_number(r + 2, 3, f64::from(r) * 0.5).unwrap();
    }
    let path = save(&mut book, dir.path(), "offset.xlsx");
    let (sink, report) = read_path(&path, 100).unwrap();
    let t = sink.table("data");
    assert_eq!(t.num_rows(), 3);
    assert_eq!(col::<Float64Array>(&t, "column_2").value(2), 1.0);
    let p = &report.parameters["sheets"][0];
    assert_eq!((p["first_column"].as_str(), p["column_labels"].as_str()), (Some("C"), Some("generated")));
}

#[test]
fn ods_written_by_hand_is_read() {
    // A minimal ODS: the mimetype entry first and stored, then content.xml.
    let content = r#"<?xml version="1.0" encoding="UTF-8"?>
<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2"><office:body><office:spreadsheet>
<table:table table:name="Sheet A"><table:table-row><table:table-cell office:value-type="string"><text:p>when</text:p></table:table-cell><table:table-cell office:value-type="string"><text:p>v [V]</text:p></table:table-cell></table:table-row>
<table:table-row><table:table-cell office:value-type="date" office:date-value="2024-03-01T12:00:00"><text:p>x</text:p></table:table-cell><table:table-cell office:value-type="float" office:value="1.25"><text:p>1.25</text:p></table:table-cell></table:table-row>
<table:table-row><table:table-cell office:value-type="date" office:date-value="2024-03-02"><text:p>x</text:p></table:table-cell><table:table-cell office:value-type="float" office:value="2"><text:p>2</text:p></table:table-cell></table:table-row>
</table:table></office:spreadsheet></office:body></office:document-content>"#;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("book.ods");
    write_ods(&path, content);
    let (sink, report) = read_path(&path, 100).unwrap();
    assert_eq!(report.parameters["workbook"], "ods");
    let t = sink.table("sheet_a");
    let when = col::<TimestampMicrosecondArray>(&t, "when");
    assert_eq!(when.value(1) - when.value(0), 12 * 3_600_000_000);
    assert_eq!(col::<Float64Array>(&t, "v").values(), &[1.25, 2.0]);
}

/// Zips an ODS by hand (stored entries), so the test needs no zip writer.
fn write_ods(path: &Path, content: &str) {
    let manifest = r#"<?xml version="1.0" encoding="UTF-8"?>
<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">
<manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>
<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>
</manifest:manifest>"#;
    write_zip(
        path,
        &[
            ("mimetype", b"application/vnd.oasis.opendocument.spreadsheet"),
            ("META-INF/manifest.xml", manifest.as_bytes()),
            ("content.xml", content.as_bytes()),
        ],
    );
}

/// A zip of stored entries.
fn write_zip(path: &Path, entries: &[(&str, &[u8])]) {
    let mut out = Vec::new();
    let mut central = Vec::new();
    for &(name, data) in entries {
        let crc = crc32(data);
        let offset = out.len() as u32;
        let header = |sig: &[u8], central: bool| {
            let mut h = sig.to_vec();
            if central {
                h.extend_from_slice(&20u16.to_le_bytes());
            }
            h.extend_from_slice(&20u16.to_le_bytes());
            h.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 0]);
            h.extend_from_slice(&crc.to_le_bytes());
            h.extend_from_slice(&(data.len() as u32).to_le_bytes());
            h.extend_from_slice(&(data.len() as u32).to_le_bytes());
            h.extend_from_slice(&(name.len() as u16).to_le_bytes());
            h.extend_from_slice(&0u16.to_le_bytes());
            if central {
                // comment length, disk, internal and external attributes
                h.extend_from_slice(&[0; 10]);
                h.extend_from_slice(&offset.to_le_bytes());
            }
            h.extend_from_slice(name.as_bytes());
            h
        };
        out.extend(header(b"PK\x03\x04", false));
        out.extend_from_slice(data);
        central.extend(header(b"PK\x01\x02", true));
    }
    let cd_offset = out.len() as u32;
    out.extend_from_slice(&central);
    out.extend_from_slice(b"PK\x05\x06\0\0\0\0");
    out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    out.extend_from_slice(&(central.len() as u32).to_le_bytes());
    out.extend_from_slice(&cd_offset.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    std::fs::write(path, out).unwrap();
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

#[test]
fn detection_by_content_and_extension() {
    let dir = tempfile::tempdir().unwrap();
    let path = save(&mut measurement_book(), dir.path(), "run.xlsx");
    let head = std::fs::read(&path).unwrap();
    assert!(sniff(&head, "bin"), "an xlsx is recognised by its entries");
    assert!(sniff(b"anything", "xls"));
    assert!(!sniff(b"PK\x03\x04 not a workbook", "zip"));
    assert!(!sniff(OLE_MAGIC, "doc"));
    let found = crate::detect::detect(&path, "run.xlsx").unwrap().unwrap();
    assert_eq!(found.name(), "spreadsheet");
    // content-addressed objects have no extension
    let bare = dir.path().join("object");
    std::fs::copy(&path, &bare).unwrap();
    assert_eq!(crate::detect::detect(&bare, "object").unwrap().unwrap().name(), "spreadsheet");
    let (sink, _) = read_path(&bare, 100).unwrap();
    assert_eq!(sink.tables.len(), 2);
}

#[test]
fn broken_workbooks_fail_precisely() {
    let dir = tempfile::tempdir().unwrap();
    let good = std::fs::read(save(&mut measurement_book(), dir.path(), "run.xlsx")).unwrap();
    let cases: [(&str, Vec<u8>, &str); 5] = [
        ("truncated.xlsx", good[..good.len() / 2].to_vec(), "not a readable xlsx workbook"),
        ("garbage.xlsx", b"PK\x03\x04garbage that is no zip".to_vec(), "not a readable xlsx workbook"),
        ("plain.xls", b"<html>a table saved as xls</html>".to_vec(), "not a readable xls workbook"),
        ("text.xlsx", b"a,b\n1,2\n".to_vec(), "not a workbook"),
        ("empty.xlsx", Vec::new(), "file is empty"),
    ];
    for (name, bytes, expected) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        let err = read_path(&path, 100).err().unwrap_or_else(|| panic!("{name} was read")).to_string();
        assert!(err.contains(expected), "{name}: {err}");
    }
    // a zip that is not a workbook, named and detected as one
    let path = dir.path().join("other.xlsx");
    write_zip(&path, &[("notes.txt", b"hello")]);
    let err = read_path(&path, 100).err().unwrap().to_string();
    assert!(err.starts_with("malformed spreadsheet: not a readable xlsx workbook"), "{err}");
    // an ods whose content is not a spreadsheet
    let path = dir.path().join("odd.ods");
    write_ods(&path, "<not-a-spreadsheet/>");
    match read_path(&path, 100) {
        Ok((sink, _)) => assert!(sink.tables.is_empty()),
        Err(e) => assert!(e.to_string().starts_with("malformed spreadsheet"), "{e}"),
    }
}

#[test]
fn table_names_are_slugs_and_unique() {
    let mut taken = HashSet::new();
    assert_eq!(table_name("Messung 1 (°C)", 0, &mut taken), "messung_1_c");
    assert_eq!(table_name("messung-1 c", 1, &mut taken), "messung_1_c_2");
    assert_eq!(table_name("°°", 2, &mut taken), "sheet_3");
}
