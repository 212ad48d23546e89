//! Hostile and broken archives: refused whole with a precise error before anything is kept, or,
//! for one bad member, a warning while the rest is read.

use super::support::*;
use crate::archive::tests::{build_zip, rename};
use crate::testing::CollectSink;

const CRATE: &str = r#"{"@context": "https://w3id.org/ro/crate/1.1/context", "@graph": [
  {"@id": "ro-crate-metadata.json", "@type": "CreativeWork", "about": {"@id": "./"},
   "conformsTo": {"@id": "https://w3id.org/ro/crate/1.1"}},
  {"@id": "./", "@type": "Dataset", "name": "hostile", "description": "d", "datePublished": "2024-01-01",
   "license": "CC0-1.0"}]}"#;

fn eln(extra: &[(&str, &[u8])]) -> Vec<u8> {
    let mut entries: Vec<(&str, &[u8])> = vec![("crate/ro-crate-metadata.json", CRATE.as_bytes())];
    entries.extend_from_slice(extra);
    build_zip(&entries, true)
}

fn error_of(bytes: &[u8]) -> (CollectSink, String) {
    let (sink, result) = read_bytes(bytes);
    (sink, result.expect_err("archive should be refused").to_string())
}

#[test]
fn a_zip_bomb_is_refused_whole() {
    let zeros = vec![0u8; 16 << 20];
    let (sink, err) = error_of(&eln(&[("crate/a.csv", b"x,y\n1,2\n"), ("crate/bomb.bin", &zeros)]));
    assert!(err.starts_with("malformed eln: entry \"crate/bomb.bin\" decompresses to more than 200 times"), "{err}");
    assert!(sink.kept.is_empty() && sink.tables.is_empty(), "nothing of a bomb is ingested");
}

#[test]
fn too_many_entries_are_refused() {
    let names: Vec<String> = (0..10_001).map(|i| format!("crate/f{i}")).collect();
    let entries: Vec<(&str, &[u8])> = names.iter().map(|n| (n.as_str(), &b""[..])).collect();
    let (sink, err) = error_of(&eln(&entries));
    assert_eq!(err, "malformed eln: archive has 10002 entries, more than the limit of 10000");
    assert!(sink.kept.is_empty());
}

#[test]
fn traversal_and_absolute_names_are_refused() {
    let zip = rename(eln(&[("xx/evil", b"x")]), "xx/evil", "../evil");
    let (sink, err) = error_of(&zip);
    assert_eq!(err, "malformed eln: unsafe entry name \"../evil\": parent directory component '..'");
    assert!(sink.kept.is_empty());
    let zip = rename(eln(&[("etc/passwdx", b"x")]), "etc/passwdx", "/etc/passwd");
    let (_, err) = error_of(&zip);
    assert_eq!(err, "malformed eln: unsafe entry name \"/etc/passwd\": absolute path");
}

#[test]
fn a_truncated_archive_is_a_precise_error() {
    let zip = eln(&[("crate/a.csv", b"x,y\n1,2\n")]);
    let (_, err) = error_of(&zip[..zip.len() - 30]);
    assert!(err.starts_with("malformed eln: truncated zip archive: "), "{err}");
}

#[test]
fn nested_archives_are_followed_to_the_depth_limit() {
    let deepest = build_zip(&[("d.csv", b"p,q\n1,2\n3,4\n")], true);
    let deeper = build_zip(&[("deeper.zip", &deepest)], true);
    let inner = build_zip(&[("b.csv", b"u,v\n5,6\n"), ("deeper.zip", &deeper)], true);
    let (sink, report) = read_bytes(&eln(&[("crate/inner.zip", &inner)]));
    let report = report.unwrap();
    let kept = sink.kept_paths();
    assert_eq!(
        kept,
        [
            "crate/ro-crate-metadata.json",
            "crate/inner.zip",
            "crate/inner.zip.contents/b.csv",
            "crate/inner.zip.contents/deeper.zip"
        ]
    );
    assert_eq!(sink.rows("inner.b"), 1);
    let source = &report.sources["inner.b"];
    assert_eq!((source.path.as_str(), source.reader), ("crate/inner.zip.contents/b.csv", "csv"));
    assert!(
        report.warnings.iter().any(|w| w
            == "crate/inner.zip: deeper.zip: nested archive not expanded, deeper than 2 levels (kept as a raw file)"),
        "{:?}",
        report.warnings
    );
}

#[test]
fn a_member_that_fails_to_parse_fails_alone() {
    let (sink, report) =
        read_bytes(&eln(&[("crate/bad.json", b"{\"a\": 1, \"b\": [}"), ("crate/good.csv", b"x,y\n1,2\n3,4\n")]));
    let report = report.unwrap();
    assert_eq!(sink.kept.len(), 3);
    assert_eq!(sink.rows("good"), 2);
    assert!(
        report.warnings.iter().any(|w| w.starts_with("crate/bad.json: not read as json: ")),
        "{:?}",
        report.warnings
    );
    let members = report.metadata["members"].as_array().unwrap();
    assert!(members.iter().any(|m| m["path"] == "crate/bad.json" && m["error"].is_string()));
}

/// Issue 18: one ELN's export failed whole on a JSON member that inferred to an empty struct,
/// another ELN's was refused as unsafe for a member path with `//`.
#[test]
fn empty_struct_json_and_double_slash_paths_do_not_fail_the_archive() {
    let zip = eln(&[
        ("crate/settings.json", br#"[{"id": 1, "options": {}}, {"id": 2, "options": {}}]"#),
        ("crate/dataXXrun.csv", b"x,y\n1,2\n3,4\n"),
        ("crate/YYnotes/bad.json", b"{\"a\": [}"),
    ]);
    // The zip writer refuses such names: write them into the archive's bytes.
    let zip = rename(rename(zip, "crate/dataXXrun.csv", "crate/data//run.csv"), "crate/YYnotes", "crate/./notes");
    let (sink, report) = read_bytes(&zip);
    let report = report.unwrap();
    assert_eq!(sink.rows("data_run"), 2);
    assert_eq!(sink.rows("settings"), 2);
    assert_eq!(
        sink.kept_paths(),
        ["crate/ro-crate-metadata.json", "crate/settings.json", "crate/data/run.csv", "crate/notes/bad.json"]
    );
    assert_eq!(report.failures.len(), 1, "{:?}", report.failures);
    assert_eq!(report.failures[0].path, "crate/notes/bad.json");
    assert!(report.failures[0].error.contains("kept as a raw file"), "{}", report.failures[0].error);
    assert!(report.warnings.iter().any(|w| w.contains("empty objects")), "{:?}", report.warnings);
}

#[test]
fn crate_errors_fail_the_archive_and_warnings_do_not() {
    let no_root = CRATE.replace(r#""@id": "./", "@type": "Dataset""#, r#""@id": "./", "@type": "Thing""#);
    let zip = build_zip(&[("c/ro-crate-metadata.json", no_root.as_bytes())], true);
    let (_, err) = error_of(&zip);
    assert_eq!(
        err,
        "malformed eln: invalid RO-Crate in c/ro-crate-metadata.json: root data entity \"./\" is not a Dataset"
    );
    let zip = build_zip(&[("c/ro-crate-metadata.json", b"{not json")], true);
    let (_, err) = error_of(&zip);
    assert!(err.contains("ro-crate-metadata.json is not valid JSON"), "{err}");
    let zip = build_zip(&[("c/data.csv", b"a,b\n1,2\n")], true);
    let (_, err) = error_of(&zip);
    assert_eq!(err, "malformed eln: no ro-crate-metadata.json in the archive: not an RO-Crate");
}

#[test]
fn garbage_and_empty_files_are_errors() {
    let (_, err) = error_of(b"");
    assert_eq!(err, "file is empty");
    let (_, err) = error_of(b"PK\x03\x04 this is not really a zip");
    assert!(err.starts_with("malformed eln: truncated zip archive"), "{err}");
}
