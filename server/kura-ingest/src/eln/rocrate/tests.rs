//! The RO-Crate checker against the rocrate-validator conformance crates: every valid crate is
//! accepted (no error), every invalid one that concerns an importer reports its concern.

use std::path::{Path, PathBuf};

use super::*;

fn conformance() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/testdata/conformance/rocrate");
    assert!(dir.is_dir(), "missing test data: {} (shared/testdata/conformance/rocrate)", dir.display());
    dir
}

/// Every metadata document under `dir`: `ro-crate-metadata.json` and 1.2 `*-ro-crate-metadata.json`.
fn metadata_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            metadata_files(&path, out);
        } else if path.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.ends_with("ro-crate-metadata.json")) {
            out.push(path);
        }
    }
}

/// All defects of a crate directory's metadata file, data entities checked against the directory.
fn defects(file: &Path) -> Vec<Defect> {
    let (doc, mut defects) = check_bytes(&std::fs::read(file).unwrap());
    if let Some(doc) = doc {
        let dir = file.parent().unwrap().to_path_buf();
        defects.extend(check_parts(&doc, &|rel| dir.join(rel).exists()));
    }
    defects
}

#[test]
fn every_valid_crate_is_accepted() {
    let mut files = Vec::new();
    metadata_files(&conformance().join("valid"), &mut files);
    assert!(files.len() >= 11, "expected the valid crates, found {files:?}");
    for file in &files {
        let errors: Vec<_> = defects(file).into_iter().filter(|d| d.severity == Severity::Error).collect();
        assert!(errors.is_empty(), "{}: {errors:?}", file.display());
    }
}

#[test]
fn the_valid_zipped_crate_is_accepted_with_its_members() {
    let zip = conformance().join("valid/bagit.zip");
    let mut archive = zip::ZipArchive::new(std::fs::File::open(&zip).unwrap()).unwrap();
    let names: Vec<String> = archive.file_names().filter_map(Result::ok).map(|n| n.into_owned()).collect();
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(&mut archive.by_name("data/ro-crate-metadata.json").unwrap(), &mut bytes).unwrap();
    let (doc, mut found) = check_bytes(&bytes);
    let doc = doc.unwrap();
    found.extend(check_parts(&doc, &|rel| names.iter().any(|n| n == &format!("data/{rel}"))));
    assert!(found.iter().all(|d| d.severity == Severity::Warning), "{found:?}");
    assert!(!found.iter().any(|d| d.code == "part_missing"), "{found:?}");
    assert_eq!(map(&doc).metadata["title"], "My Pictures");
}

/// What each invalid crate's directory name says is wrong, as the defect codes that report it.
/// `None`: the defect does not concern an importer, with the reason.
fn expected(name: &str) -> Result<&'static [&'static str], &'static str> {
    Ok(match name {
        "invalid_json_format" => &["invalid_json"],
        "invalid_context_uri" => {
            return Err(
                "an extra context only adds extension terms; importing maps RO-Crate terms and cannot dereference contexts offline",
            );
        }
        "invalid_value_object" => &["value_object"],
        "missing_context" => &["context"],
        "missing_id" => &["entity_without_id"],
        "missing_type" => &["entity_without_type"],
        "not_compacted" => &["not_compacted"],
        "not_flattened" => &["not_flattened"],
        // `namex` instead of `name`: unknown keys are allowed, the missing name is what matters.
        "unexpected_key" => &["root_name"],
        "invalid_conforms_to" | "missing_conforms_to" => &["descriptor_conforms_to"],
        // `about` names a dataset that is not a proper root: it lacks what a root needs.
        "invalid_entity_about" => &["root_name", "root_license", "root_date"],
        "invalid_entity_about_type" | "invalid_root_type" => &["root_type"],
        "invalid_entity_type" => &["descriptor_type"],
        "missing_entity" => &["descriptor_missing"],
        "missing_entity_about" => &["descriptor_about"],
        "invalid_recommended_root_date" | "invalid_root_date" | "invalid-date-published" => &["root_date"],
        "invalid_root_value" => &["root_id"],
        "missing_root_description" => &["root_description"],
        "missing_root_entity" => &["root_missing"],
        "missing_root_license" => &["root_license"],
        "missing_root_license_description" | "missing_root_license_name" => &["license_entity"],
        "missing_root_name" => &["root_name"],
        "recommended_root_value" => {
            return Err("an absolute root @id is allowed (RO-Crate 1.2 crates use one); './' is only recommended");
        }
        "cyclic_datasets" => &["has_part_cycle"],
        "directory_data_entity_wo_trailing_slash" => &["directory_id"],
        "invalid_missing_hasPart_reference" => &["unlinked_entity"],
        // These crates ship without the files their hasPart lists.
        "valid_referenced_generic_data_entities"
        | "data_entity_path"
        | "missing_dataset_data_entity_with_quoted_name"
        | "missing_dataset_data_entity_with_unquoted_name"
        | "missing_file_data_entity_with_absolute_path"
        | "missing_file_data_entity_with_quoted_name"
        | "missing_file_data_entity_with_unquoted_name"
        | "valid_direct_hasPart_reference"
        | "valid_indirect_hasPart_reference"
        | "valid_encoding_format_ctx_entity"
        | "valid_encoding_format_pronom" => &["part_missing"],
        "invalid_encoding_format_ctx_entity_missing_ws_name"
        | "invalid_encoding_format_ctx_entity_missing_ws_type"
        | "invalid_encoding_format_pronom"
        | "missing_encoding_format" => {
            return Err("formats are detected from content; encodingFormat is only recorded as given");
        }
        "invalid_sdDatePublished" | "no_sdDatePublished" => {
            return Err("sdDatePublished dates web data entities, which an importer does not fetch");
        }
        "detached-bad-filename" | "detached-relative-entity" => {
            return Err(
                "detached crates are not archives: an .eln always carries ro-crate-metadata.json beside its files",
            );
        }
        "invalid-context" => &["context"],
        other => panic!("invalid crate {other:?} has no expectation: add one"),
    })
}

#[test]
fn every_invalid_crate_reports_its_concern() {
    let mut files = Vec::new();
    metadata_files(&conformance().join("invalid"), &mut files);
    assert!(files.len() >= 50, "expected the invalid crates, found {}", files.len());
    let mut skipped = 0;
    for file in &files {
        let name = file.parent().unwrap().file_name().unwrap().to_str().unwrap();
        let found = defects(file);
        match expected(name) {
            Ok(codes) => assert!(
                found.iter().any(|d| codes.contains(&d.code)),
                "{name}: expected one of {codes:?}, found {found:?}"
            ),
            Err(_reason) => skipped += 1,
        }
    }
    assert!(skipped <= 10, "too many invalid crates skipped: {skipped}");
}

#[test]
fn dates_ids_and_escapes() {
    for ok in [
        "2024",
        "2024-05",
        "2024-05-17",
        "2024-05-17T01:04:52+01:00",
        "2025-12-09T16:11:16.8899868",
        "2026-06-05T13:25:10.393Z",
        "2024-01-22T15:36",
    ] {
        assert!(is_iso8601(ok), "{ok}");
    }
    for bad in ["202401", "2024 Jan 01", "", "2024-1-1", "2024-05-17T1:04", "2024-05-17T01:04:52+01:00:00"] {
        assert!(!is_iso8601(bad), "{bad}");
    }
    assert_eq!(normalize_id("./a.csv"), "a.csv");
    assert_eq!(normalize_id("./"), "./");
    assert!(is_external("https://orcid.org/0000") && is_external("#person") && !is_external("a/b:c.txt"));
}

#[test]
fn a_graph_that_is_not_an_array_is_an_error() {
    let found = check(&serde_json::json!({"@context": "https://w3id.org/ro/crate/1.1/context", "@graph": {}}));
    assert_eq!(
        found.iter().filter(|d| d.severity == Severity::Error).map(|d| d.code).collect::<Vec<_>>(),
        ["graph_not_array"]
    );
    let (_, found) = check_bytes(b"[1, 2]");
    assert_eq!(found[0].code, "graph_not_array");
}

#[test]
fn the_root_dataset_is_mapped() {
    let doc = serde_json::json!({
        "@context": ["https://w3id.org/ro/crate/1.1/context", {"@base": "arcp://uuid,x/"}],
        "@graph": [
            {"@id": "./ro-crate-metadata.json", "@type": "CreativeWork", "about": {"@id": "./"},
             "conformsTo": {"@id": "https://w3id.org/ro/crate/1.1"}},
            {"@id": "./", "@type": "Dataset", "name": "Run 1", "description": "a run",
             "datePublished": {"@value": "2024-05-17"}, "license": {"@id": "https://spdx.org/licenses/CC-BY-4.0"},
             "keywords": "xps, surface", "author": [{"@id": "https://orcid.org/0000-0002-1825-0097"}, "Anon"],
             "hasPart": [{"@id": "./data/"}]},
            {"@id": "https://spdx.org/licenses/CC-BY-4.0", "@type": "CreativeWork", "name": "CC BY 4.0", "description": "d"},
            {"@id": "https://orcid.org/0000-0002-1825-0097", "@type": "Person", "name": "Josiah Carberry",
             "affiliation": {"@id": "#brown"}},
            {"@id": "#brown", "@type": "Organization", "name": "Brown University"},
            {"@id": "data/", "@type": "Dataset", "name": "data", "hasPart": [{"@id": "data/a.csv"}]},
            {"@id": "data/a.csv", "@type": "File", "encodingFormat": "text/csv", "contentSize": "12", "sha256": "ab"},
            {"@id": "#run", "@type": "CreateAction", "name": "measure", "instrument": {"@id": "#xps"},
             "agent": {"@id": "https://orcid.org/0000-0002-1825-0097"}, "result": {"@id": "data/a.csv"}},
            {"@id": "#xps", "@type": "IndividualProduct", "name": "Kratos Axis"}
        ]
    });
    let found = check(&doc);
    assert!(found.is_empty(), "{found:?}");
    let mapped = map(&doc);
    let m = &mapped.metadata;
    assert_eq!(m["title"], "Run 1");
    assert_eq!(m["date_published"], "2024-05-17");
    assert_eq!(m["license"], "https://spdx.org/licenses/CC-BY-4.0");
    assert_eq!(m["license_name"], "CC BY 4.0");
    assert_eq!(m["keywords"], serde_json::json!(["xps", "surface"]));
    assert_eq!(m["creators"][0]["name"], "Josiah Carberry");
    assert_eq!(m["creators"][0]["orcid"], "https://orcid.org/0000-0002-1825-0097");
    assert_eq!(m["creators"][0]["affiliation"], "Brown University");
    assert_eq!(m["creators"][1]["name"], "Anon");
    assert_eq!(m["parts"][1]["id"], "data/a.csv");
    assert_eq!(m["parts"][1]["encoding_format"], "text/csv");
    assert_eq!(m["parts"][1]["sha256"], "ab");
    assert_eq!(m["provenance"][0]["instrument"][0], "Kratos Axis");
    assert_eq!(m["provenance"][0]["agent"][0], "Josiah Carberry");
    assert!(mapped.text.contains("IndividualProduct: Kratos Axis"), "{}", mapped.text);
}
