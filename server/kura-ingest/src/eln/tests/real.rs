//! The eight real `.eln` exports: every member kept byte for byte, crate metadata mapped,
//! embedded tables read with their member as source.

use serde_json::Value;

use super::support::*;
use crate::ReadReport;
use crate::testing::CollectSink;

/// Reads an archive and checks what holds for every one: each zip file entry kept once with
/// its bytes, each table's source naming a kept member with its hash.
fn read_real(name: &str) -> (CollectSink, ReadReport) {
    let path = testdata(name);
    let (sink, report) = read_path(&path);
    let report = report.unwrap_or_else(|e| panic!("{name}: {e}"));
    let files = zip_files(&path);
    assert_eq!(sink.kept_paths(), files, "{name}: kept files");
    let mut archive = zip::ZipArchive::new(std::fs::File::open(&path).unwrap()).unwrap();
    for (kept, bytes) in &sink.kept {
        let mut original = Vec::new();
        std::io::Read::read_to_end(&mut archive.by_name(kept).unwrap(), &mut original).unwrap();
        assert!(bytes == &original, "{name}: {kept} differs from the archive");
    }
    for (table, _) in &sink.tables {
        let source = report.sources.get(&table.name).unwrap_or_else(|| panic!("{name}: no source for {}", table.name));
        let kept = sink.kept.iter().find(|(p, _)| p == &source.path).expect("source is a kept member");
        assert_eq!(source.size, kept.1.len() as u64);
        assert_eq!(source.sha256.len(), 64);
        assert!(!source.reader.is_empty());
    }
    assert_eq!(report.reader, "eln");
    assert_eq!(report.metadata["members"].as_array().unwrap().len(), files.len(), "{name}");
    (sink, report)
}

fn meta<'a>(report: &'a ReadReport, key: &str) -> &'a Value {
    report.metadata.get(key).unwrap_or_else(|| panic!("no metadata {key}: {:?}", report.metadata.keys()))
}

#[test]
fn ai4green_workbook_without_root_properties_is_read_with_warnings() {
    let (sink, report) = read_real("ai4green-workbook.eln");
    assert_eq!(sink.kept.len(), 4);
    assert!(!report.metadata.contains_key("title"));
    assert!(report.warnings.iter().any(|w| w == "ro-crate: root data entity has no name"), "{:?}", report.warnings);
    assert_eq!(meta(&report, "provenance")[0]["name"], "RO-Crate created");
    assert_eq!(meta(&report, "provenance")[0]["instrument"][0], "https://www.ai4green.app");
    let reaction = sink.table("AI4-001_AI4-001");
    assert_eq!(reaction.num_rows(), 1);
    assert!(columns(&reaction).contains(&"reaction_name".to_string()));
    let source = &report.sources["AI4-001_AI4-001"];
    assert_eq!(source.path, "Export workbook-2024-08-27-export/AI4-001/AI4-001.json");
    assert_eq!((source.reader, source.size), ("json", 3130));
}

#[test]
fn benchlineage_csv_runs_become_tables_with_their_member() {
    let (sink, report) = read_real("benchlineage-demo.eln");
    assert_eq!(sink.kept.len(), 21);
    assert_eq!(meta(&report, "title"), "Power-conversion and RC-filter characterization");
    assert_eq!(meta(&report, "creators")[0]["name"], "Shurong Cao");
    assert_eq!(meta(&report, "date_published"), "2026-08-04T08:00:00+00:00");
    let actions = meta(&report, "provenance").as_array().unwrap();
    assert_eq!(actions.len(), 6);
    let run = actions.iter().find(|a| a["id"] == "#run-rc-baseline-001").unwrap();
    assert_eq!(run["instrument"][0], "Acme Metrology WaveView 2000");
    assert_eq!(run["result"][0], "./workspace/data/raw/rc-baseline.csv");
    let rc = sink.table("workspace_data_raw_rc-baseline");
    assert_eq!(columns(&rc), ["frequency_hz", "vin_v", "vout_v", "phase_deg"]);
    assert_eq!(rc.num_rows(), 41);
    assert_eq!(sink.rows("workspace_data_raw_buck-load-sweep"), 10);
    let source = &report.sources["workspace_data_raw_rc-baseline"];
    assert_eq!(source.path, "benchlineage-0.3.0-demo.eln/workspace/data/raw/rc-baseline.csv");
    assert_eq!((source.reader, source.size), ("csv", 1693));
    assert!(!source.reader_version.is_empty());
    assert!(!source.parameters.is_empty());
    assert!(report.text.contains("Experimental run rc-baseline-001"), "{}", report.text);
    // The crate's own metadata is mapped, not read as a table.
    assert!(!sink.tables.iter().any(|(t, _)| t.name.contains("ro-crate")));
}

#[test]
fn kadi4mat_collections_and_records() {
    let (sink, report) = read_real("kadi4mat-collections.eln");
    assert_eq!(sink.kept.len(), 14);
    assert_eq!(meta(&report, "title"), "collections-example");
    assert_eq!(meta(&report, "date_published"), "2024-11-19");
    assert_eq!(sink.rows("generated-files-during-experiment_files_Test_experiment"), 1);
    assert!(meta(&report, "parts").as_array().unwrap().iter().any(|p| p["id"] == "characterization-of-a-sample/"));

    let (sink, report) = read_real("kadi4mat-records.eln");
    assert_eq!(sink.kept.len(), 5);
    assert_eq!(meta(&report, "title"), "records-example");
    let example = sink.table("records-example_files_example");
    assert_eq!(example.num_rows(), 4);
    assert_eq!(columns(&example)[0], "Experiment Name");
    // A member no reader can read is kept and reported, not fatal.
    assert!(
        report
            .warnings
            .iter()
            .any(|w| w.starts_with("records-example/records-example/files/example.txt: not read as csv"))
    );
}

#[test]
fn opensemanticlab_minimal_is_metadata_only() {
    let (sink, report) = read_real("opensemanticlab-minimal.eln");
    assert_eq!(sink.kept.len(), 1);
    assert!(sink.tables.is_empty());
    assert_eq!(meta(&report, "title"), "MinimalExample");
    assert_eq!(meta(&report, "license"), "https://creativecommons.org/licenses/by/4.0/");
    assert_eq!(meta(&report, "description"), "A minimal test dataset exported from OpenSemanticLab");
}

#[test]
fn pasta_exports_map_creators_with_orcid() {
    let (sink, report) = read_real("pasta.eln");
    assert_eq!(sink.kept.len(), 12);
    assert_eq!(meta(&report, "title"), "Exported from PASTA ELN");
    assert_eq!(meta(&report, "creators")[0]["name"], "Steffen Brinckmann");
    assert_eq!(meta(&report, "creators")[0]["orcid"], "https://orcid.org/0000-0003-0930-082X");
    assert_eq!(meta(&report, "license"), "https://creativecommons.org/licenses/by-nc-sa/4.0/");
    assert_eq!(sink.rows("PastasExampleProject_002_DataFiles_simple"), 17);
    assert_eq!(
        report.sources["PastasExampleProject_002_DataFiles_simple"].path,
        "test/PastasExampleProject/002_DataFiles/simple.csv"
    );

    let (sink, report) = read_real("pasta-gold-standard.eln");
    assert_eq!(sink.kept.len(), 20);
    let creators = meta(&report, "creators").as_array().unwrap();
    assert_eq!(creators.len(), 5);
    assert_eq!(creators[0]["name"], "Rachel Janßen");
    assert_eq!(creators[1]["orcid"], "https://orcid.org/0000-0002-4631-377X");
    assert_eq!(meta(&report, "date_published"), "2022-11-02");
    assert_eq!(meta(&report, "keywords")[0], "chemical reaction: structures conditions");
    assert!(meta(&report, "title").as_str().unwrap().starts_with("Short-RInChIKey=SA-FUHFF"));
}

#[test]
fn scilog_export_is_a_1_2_crate() {
    let (sink, report) = read_real("scilog-export.eln");
    assert_eq!(sink.kept.len(), 4);
    assert_eq!(meta(&report, "title"), "logbook-001");
    assert_eq!(meta(&report, "conforms_to"), "https://w3id.org/ro/crate/1.2");
    assert_eq!(meta(&report, "license_name"), "No license");
    assert_eq!(meta(&report, "creators")[0]["id"], "person://omkar.zade@psi.ch");
}

#[test]
fn real_archives_are_detected_as_eln() {
    for name in ["pasta.eln", "scilog-export.eln", "kadi4mat-records.eln"] {
        let path = testdata(name);
        let reader = crate::detect::detect(&path, name).unwrap().expect("detected");
        assert_eq!(reader.name(), "eln");
        // By content too, whatever the name says.
        assert_eq!(crate::detect::detect(&path, "upload.bin").unwrap().map(|r| r.name()), Some("eln"));
    }
}

#[test]
fn the_crate_root_is_read_as_profile_fields_and_left_out_values_are_warnings() {
    let (_, report) = read_real("pasta.eln");
    let profile = report.profile.as_ref().expect("a crate gives profile fields");
    assert_eq!(profile.fields["titles"][0]["value"], "Exported from PASTA ELN");
    assert_eq!(profile.fields["creators"][0]["orcid"], "0000-0003-0930-082X");
    assert_eq!(profile.fields["license"], "CC-BY-NC-SA-4.0");
    assert!(
        report.warnings.iter().any(|w| w.starts_with("metadata not imported: description \"Exported content")),
        "{:?}",
        report.warnings
    );
    // A root that says nothing gives no fields (and nothing to warn about).
    let (_, report) = read_real("ai4green-workbook.eln");
    assert!(report.profile.as_ref().is_some_and(|p| p.fields.is_empty()));
}
