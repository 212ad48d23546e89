//! JSON reading: arrays, NDJSON, nesting, late type changes, and broken input.

use arrow::array::{Array, Float64Array, Int64Array, ListArray, StringArray, StructArray};

use super::*;
use crate::testing::CollectSink;

fn read(text: &str) -> Result<(CollectSink, ReadReport), ReadError> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("data.json");
    std::fs::write(&path, text).unwrap();
    let mut sink = CollectSink::default();
    let report = JsonReader.read(&path, &mut sink, &mut |_| {})?;
    Ok((sink, report))
}

fn column<'a, T: 'static>(sink: &'a CollectSink, name: &str) -> &'a T {
    let batch = &sink.tables[0].1[0];
    batch.column(batch.schema().index_of(name).unwrap()).as_any().downcast_ref::<T>().unwrap()
}

#[test]
fn an_array_of_records_becomes_a_table_with_structs_and_lists() {
    let (sink, report) = read(
        r#"[{"id": 1, "name": "a", "cell": {"a": 5.1, "b": 5.2}, "peaks": [1.0, 2.5]},
                                 {"id": 2, "name": "b", "cell": {"a": 6.0, "b": 6.1}, "peaks": []}]"#,
    )
    .unwrap();
    assert_eq!(sink.finished, 1);
    assert_eq!(report.parameters["rows"], 2);
    assert_eq!(column::<Int64Array>(&sink, "id").values(), &[1, 2]);
    assert_eq!(column::<StringArray>(&sink, "name").value(1), "b");
    let cell = column::<StructArray>(&sink, "cell");
    let a = cell.column_by_name("a").unwrap().as_any().downcast_ref::<Float64Array>().unwrap();
    assert_eq!(a.value(1), 6.0);
    let peaks = column::<ListArray>(&sink, "peaks");
    assert_eq!(peaks.value_length(0), 2);
    assert_eq!(peaks.value_length(1), 0);
    assert!(sink.tables[0].0.columns.iter().any(|c| c.original_label == "peaks"));
}

#[test]
fn ndjson_streams_in_batches_and_missing_fields_are_null() {
    let mut text = String::new();
    for i in 0..20_000 {
        if i % 2 == 0 {
            text.push_str(&format!("{{\"t\": {i}, \"v\": {}.5}}\n", i));
        } else {
            text.push_str(&format!("{{\"t\": {i}}}\n"));
        }
    }
    let (sink, report) = read(&text).unwrap();
    assert_eq!(report.parameters["rows"], 20_000);
    assert!(sink.tables[0].1.len() >= 3, "batches of at most 8192 rows");
    let total: usize = sink.tables[0].1.iter().map(|b| b.num_rows()).sum();
    assert_eq!(total, 20_000);
    let v = column::<Float64Array>(&sink, "v");
    assert!(v.is_null(1));
    assert_eq!(v.value(2), 2.5);
}

#[test]
fn a_late_disagreement_re_infers_the_types_over_the_whole_file() {
    let mut text = String::new();
    for i in 0..1500 {
        text.push_str(&format!("{{\"x\": {i}}}\n"));
    }
    text.push_str("{\"x\": \"not a number\"}\n");
    let (sink, report) = read(&text).unwrap();
    assert_eq!(report.parameters["rows"], 1501);
    assert_eq!(report.warnings.len(), 1, "{:?}", report.warnings);
    let x = column::<StringArray>(&sink, "x");
    assert_eq!(x.value(0), "0");
}

#[test]
fn broken_json_gives_precise_errors() {
    assert!(matches!(read(""), Err(ReadError::Empty)));
    assert!(matches!(read("[{\"a\": 1}"), Err(ReadError::Malformed { .. })));
    assert!(matches!(read("[1, 2, 3]"), Err(ReadError::Malformed { .. })));
    assert!(matches!(read("{\"a\": tru}"), Err(ReadError::Malformed { .. })));
    assert!(matches!(read("[]"), Err(ReadError::NoTable(_))));
}

#[test]
fn sniffing_tells_records_from_notebooks_and_text() {
    assert!(sniff(b"  [{\"a\": 1}]"));
    assert!(sniff(b"{\"a\": 1}\n{\"a\": 2}"));
    assert!(!sniff(b"{\"nbformat\": 4, \"cells\": []}"));
    assert!(!sniff(b"a,b\n1,2\n"));
}

#[test]
fn records_without_a_common_shape_become_text_columns() {
    // JSON-LD: `@type` is a string in one entity and a list in the next; `@context` an object
    // in one record and a string in the other.
    let (sink, report) = read(
        r#"{"@context": {"a": "https://x/a"}, "@graph": [{"@id": "./", "@type": "Dataset"}, {"@id": "f", "@type": ["File", "x"]}]}
{"@context": "https://w3id.org/ro/crate/1.1/context", "@graph": 3}"#,
    )
    .unwrap();
    assert!(report.warnings.iter().any(|w| w.contains("no common shape")), "{:?}", report.warnings);
    assert_eq!(sink.finished, 1);
    let context = column::<StringArray>(&sink, "@context");
    assert_eq!(context.value(0), r#"{"a":"https://x/a"}"#);
    assert_eq!(context.value(1), "https://w3id.org/ro/crate/1.1/context");
    assert!(column::<StringArray>(&sink, "@graph").value(0).contains(r#""@type":["File","x"]"#));
    assert_eq!(column::<StringArray>(&sink, "@graph").value(1), "3");
}

#[test]
fn empty_objects_are_written_as_json_text_not_refused() {
    // One ELN's export: a settings member whose objects are always empty.
    let (sink, report) =
        read(r#"[{"id": 1, "settings": {}, "steps": [{}]}, {"id": 2, "settings": {}, "steps": []}]"#).unwrap();
    assert!(report.warnings.iter().any(|w| w.contains("empty objects")), "{:?}", report.warnings);
    assert_eq!(sink.finished, 1);
    assert_eq!(column::<StringArray>(&sink, "settings").value(0), "{}");
    assert_eq!(column::<StringArray>(&sink, "steps").value(0), "[{}]");
    assert_eq!(column::<StringArray>(&sink, "id").value(1), "2");
}
