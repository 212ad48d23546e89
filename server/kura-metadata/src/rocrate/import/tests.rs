//! The import of RO-Crate metadata: every real `.eln` export in shared/testdata/eln, and crafted
//! crates for what those do not have.

use std::io::Read;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use super::*;

fn testdata(name: &str) -> PathBuf {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/testdata/eln").join(name);
    assert!(path.is_file(), "missing test data: {} (shared/testdata/eln)", path.display());
    path
}

/// The crate's own `ro-crate-metadata.json` (the shallowest one) of an `.eln` archive.
fn crate_of(name: &str) -> Value {
    let mut zip = zip::ZipArchive::new(std::fs::File::open(testdata(name)).unwrap()).unwrap();
    let member = zip
        .file_names()
        .filter_map(Result::ok)
        .filter(|n| n.ends_with("ro-crate-metadata.json"))
        .min_by_key(|n| n.matches('/').count())
        .map(|n| n.into_owned())
        .unwrap_or_else(|| panic!("{name}: no ro-crate-metadata.json"));
    let mut bytes = Vec::new();
    zip.by_name(&member).unwrap().read_to_end(&mut bytes).unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

/// Imports an archive's crate and checks what must hold for every import: the fields form a
/// valid draft, and each field is a profile field.
fn import(name: &str) -> Imported {
    let imported = from_ro_crate(&crate_of(name));
    let doc = Value::Object(imported.fields.clone());
    crate::validate_draft(&doc).unwrap_or_else(|e| panic!("{name}: imported fields are not a valid draft: {e}"));
    for key in imported.fields.keys() {
        assert!(crate::PROFILE_SCHEMA.contains(&format!("\"{key}\": {{")), "{name}: {key} is not a profile field");
    }
    imported
}

fn field<'a>(imported: &'a Imported, key: &str) -> &'a Value {
    imported.fields.get(key).unwrap_or_else(|| panic!("no {key} in {:?}", imported.fields.keys()))
}

fn dropped(imported: &Imported, start: &str) -> bool {
    imported.dropped.iter().any(|d| d.starts_with(start))
}

#[test]
fn every_real_archive_imports_a_valid_draft() {
    let dir = testdata("pasta.eln").parent().unwrap().to_path_buf();
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".eln"))
        .collect();
    names.sort();
    assert_eq!(names.len(), 8, "{names:?}");
    for name in &names {
        let imported = import(name);
        // Every archive but AI4Green's (whose root has no properties at all) has a title.
        if name != "ai4green-workbook.eln" {
            assert_eq!(field(&imported, "titles")[0]["lang"], "und", "{name}");
        }
    }
}

#[test]
fn ai4green_root_without_properties_imports_nothing() {
    let imported = import("ai4green-workbook.eln");
    assert!(imported.fields.is_empty(), "{:?}", imported.fields);
    assert!(imported.dropped.is_empty(), "{:?}", imported.dropped);
}

#[test]
fn benchlineage_title_creator_instruments_and_a_licence_in_prose() {
    let imported = import("benchlineage-demo.eln");
    assert_eq!(
        field(&imported, "titles"),
        &json!([{"lang": "und", "value": "Power-conversion and RC-filter characterization"}])
    );
    assert_eq!(
        field(&imported, "descriptions")[0]["value"],
        "An ELN Consortium exchange archive exported by BenchLineage."
    );
    assert_eq!(field(&imported, "creators"), &json!([{"name": "Shurong Cao"}]));
    assert!(!imported.fields.contains_key("license"));
    assert!(dropped(&imported, "license \"No data license was declared"), "{:?}", imported.dropped);
    assert!(dropped(&imported, "identifier \"sha256:db35e8d4"), "{:?}", imported.dropped);
    let instruments = field(&imported, "instruments").as_array().unwrap();
    assert_eq!(instruments.len(), 3);
    assert!(instruments.contains(&json!({"name": "Acme Metrology WaveView 2000", "manufacturer": "Acme Metrology"})));
}

#[test]
fn kadi4mat_titles_and_descriptions_without_a_licence() {
    for (name, title) in
        [("kadi4mat-collections.eln", "collections-example"), ("kadi4mat-records.eln", "records-example")]
    {
        let imported = import(name);
        assert_eq!(field(&imported, "titles")[0]["value"], title);
        assert!(field(&imported, "descriptions")[0]["value"].as_str().unwrap().starts_with("An RO-Crate exported"));
        assert!(!imported.fields.contains_key("license"), "{name}");
        assert!(dropped(&imported, "license \"For license information"), "{name}: {:?}", imported.dropped);
        assert!(!imported.fields.contains_key("creators"), "{name}: the root names no author");
    }
}

#[test]
fn opensemanticlab_cc_url_becomes_its_spdx_id() {
    let imported = import("opensemanticlab-minimal.eln");
    assert_eq!(field(&imported, "titles")[0]["value"], "MinimalExample");
    assert_eq!(field(&imported, "license"), "CC-BY-4.0");
    assert_eq!(field(&imported, "descriptions")[0]["value"], "A minimal test dataset exported from OpenSemanticLab");
    assert!(imported.dropped.is_empty(), "{:?}", imported.dropped);
}

#[test]
fn pasta_creator_with_orcid_and_affiliation_devices_and_samples() {
    let imported = import("pasta.eln");
    assert_eq!(field(&imported, "titles")[0]["value"], "Exported from PASTA ELN");
    assert_eq!(
        field(&imported, "creators"),
        &json!([{
            "name": "Brinckmann, Steffen", "given_name": "Steffen", "family_name": "Brinckmann",
            "orcid": "0000-0003-0930-082X", "affiliations": [{"name": "Forschungszentrum Jülich"}]
        }])
    );
    assert_eq!(field(&imported, "license"), "CC-BY-NC-SA-4.0");
    // "Exported content from PASTA ELN" is shorter than the 50 characters the profile asks for.
    assert!(!imported.fields.contains_key("descriptions"));
    assert!(dropped(&imported, "description \"Exported content from PASTA ELN\""), "{:?}", imported.dropped);
    let instruments: Vec<&str> =
        field(&imported, "instruments").as_array().unwrap().iter().map(|i| i["name"].as_str().unwrap()).collect();
    assert_eq!(instruments, ["Big instrument", "Sensor"]);
    assert_eq!(
        field(&imported, "samples"),
        &json!([{"name": "Example sample", "description": "this sample has multiple groups of metadata"}])
    );
}

#[test]
fn pasta_gold_standard_creators_with_ror_citations_and_techniques() {
    let imported = import("pasta-gold-standard.eln");
    let creators = field(&imported, "creators").as_array().unwrap();
    assert_eq!(creators.len(), 5, "author and creator list the same people once");
    assert_eq!(creators[0]["name"], "Janßen, Rachel");
    assert_eq!(creators[1]["orcid"], "0000-0002-4631-377X");
    assert!(creators[0].get("orcid").is_none());
    assert_eq!(
        creators[0]["affiliations"],
        json!([{"name": "Chemie, Ludwig-Maximilians-Universität München, Germany", "ror": "https://ror.org/05591te55"}])
    );
    assert_eq!(creators[3]["given_name"], "Peter", "whitespace is trimmed");
    assert_eq!(field(&imported, "license"), "CC-BY-SA-4.0");
    assert_eq!(
        field(&imported, "keywords"),
        &json!([{"lang": "und", "value": "chemical reaction: structures conditions"}])
    );
    // An empty description is no description, and not worth a note.
    assert!(!imported.fields.contains_key("descriptions"));
    assert!(!dropped(&imported, "description"), "{:?}", imported.dropped);
    let related = field(&imported, "related_identifiers").as_array().unwrap();
    assert!(
        related.contains(
            &json!({"identifier": "10.1021/ja00408a067", "identifier_type": "DOI", "relation_type": "Cites"})
        )
    );
    assert!(related.iter().any(|r| r["identifier_type"] == "URL"
        && r["relation_type"] == "IsDerivedFrom"
        && r["identifier"].as_str().unwrap().starts_with("https://www.chemotion-repository.net/")));
    assert!(dropped(&imported, "identifier \"CRR-25894\""), "{:?}", imported.dropped);
    let methods = field(&imported, "methods")[0]["value"].as_str().unwrap();
    assert!(methods.contains("1H nuclear magnetic resonance spectroscopy (CHMO:0000593)"), "{methods}");
    assert_eq!(
        field(&imported, "samples")[0],
        json!({"name": "methyl (E)-4-oxopent-2-enoate", "identifier": "https://doi.org/10.14272/GLVNZYODMKSEPS-ONEGZZNKSA-N.1"})
    );
}

#[test]
fn scilog_drops_a_nameless_author_and_a_non_licence() {
    let imported = import("scilog-export.eln");
    assert_eq!(field(&imported, "titles")[0]["value"], "logbook-001");
    assert!(!imported.fields.contains_key("creators"));
    assert!(dropped(&imported, "author \"person://omkar.zade@psi.ch\": no name"), "{:?}", imported.dropped);
    assert!(dropped(&imported, "license \"No license\""), "{:?}", imported.dropped);
}

/// A crate with one root and the given extra entities.
fn crafted(root: Value, entities: Vec<Value>) -> Value {
    let mut graph = vec![
        json!({"@id": "ro-crate-metadata.json", "@type": "CreativeWork", "about": {"@id": "./"},
               "conformsTo": {"@id": "https://w3id.org/ro/crate/1.1"}}),
        root,
    ];
    graph.extend(entities);
    json!({"@context": "https://w3id.org/ro/crate/1.1/context", "@graph": graph})
}

#[test]
fn orcid_and_ror_from_ids_identifiers_and_affiliations() {
    let doc = crafted(
        json!({"@id": "./", "@type": "Dataset", "name": "Run", "inLanguage": "ja",
               "author": [{"@id": "https://orcid.org/0000-0002-1825-0097"}, {"@id": "#lab"}, "Yamada, Hanako",
                          {"@id": "#bad"}]}),
        vec![
            json!({"@id": "https://orcid.org/0000-0002-1825-0097", "@type": "Person", "name": "Josiah Carberry",
                   "affiliation": [{"@id": "https://ror.org/057zh3y96"}, "Brown University"]}),
            json!({"@id": "https://ror.org/057zh3y96", "@type": "Organization", "name": "The University of Tokyo"}),
            json!({"@id": "#lab", "@type": "Organization", "name": "Kyoto Lab", "identifier": "http://ror.org/02kpeqv85/"}),
            // Wrong check digit: the person stays, the ORCID goes.
            json!({"@id": "#bad", "@type": "Person", "name": "Bad Digit", "identifier": {"@id": "#pv"}}),
            json!({"@id": "#pv", "@type": "PropertyValue", "propertyID": "orcid", "value": "https://orcid.org/0000-0002-1825-0096"}),
        ],
    );
    let imported = from_ro_crate(&doc);
    assert_eq!(imported.fields["language"], "ja");
    assert_eq!(imported.fields["titles"], json!([{"lang": "ja", "value": "Run"}]));
    assert_eq!(
        imported.fields["creators"],
        json!([
            {"name": "Josiah Carberry", "orcid": "0000-0002-1825-0097",
             "affiliations": [{"name": "The University of Tokyo", "ror": "https://ror.org/057zh3y96"}, {"name": "Brown University"}]},
            {"kind": "organization", "name": "Kyoto Lab", "ror": "https://ror.org/02kpeqv85"},
            {"name": "Yamada, Hanako"},
            {"name": "Bad Digit"}
        ])
    );
    assert!(dropped(&imported, "author \"#bad\" orcid \"0000-0002-1825-0096\""), "{:?}", imported.dropped);
    crate::validate_draft(&Value::Object(imported.fields)).unwrap();
}

#[test]
fn keywords_as_one_string_are_split_and_terms_named() {
    let doc = crafted(
        json!({"@id": "./", "@type": "Dataset", "keywords": ["xps, surface ,, XPS", {"@id": "#t"}, "xps"]}),
        vec![json!({"@id": "#t", "@type": "DefinedTerm", "name": "photoemission"})],
    );
    let words: Vec<String> = from_ro_crate(&doc).fields["keywords"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["value"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(words, ["xps", "surface", "XPS", "photoemission"]);
}

#[test]
fn licences_map_to_spdx_or_are_dropped_with_a_note() {
    for (license, expected) in [
        (json!({"@id": "https://creativecommons.org/licenses/by/4.0/"}), Some("CC-BY-4.0")),
        (json!({"@id": "https://creativecommons.org/licenses/by-nc-nd/4.0/legalcode"}), Some("CC-BY-NC-ND-4.0")),
        (json!({"@id": "http://creativecommons.org/publicdomain/zero/1.0/"}), Some("CC0-1.0")),
        (json!({"@id": "https://creativecommons.org/licenses/by/2.1/jp/"}), Some("CC-BY-2.1-JP")),
        (json!({"@id": "https://spdx.org/licenses/MIT.html"}), Some("MIT")),
        (json!({"@id": "http://spdx.org/licenses/Apache-2.0"}), Some("Apache-2.0")),
        (json!("cc-by-4.0"), Some("CC-BY-4.0")),
        (json!({"@id": "https://opendatacommons.org/licenses/odbl/1-0/"}), Some("ODbL-1.0")),
        // Known to Creative Commons, not to Kura's licence list.
        (json!({"@id": "https://creativecommons.org/licenses/by-nc/3.0/"}), None),
        (json!({"@id": "https://example.org/our-licence"}), None),
        (json!("All rights reserved"), None),
    ] {
        let doc = crafted(json!({"@id": "./", "@type": "Dataset", "name": "x", "license": license}), vec![]);
        let imported = from_ro_crate(&doc);
        assert_eq!(imported.fields.get("license").and_then(Value::as_str), expected, "{license}");
        assert_eq!(dropped(&imported, "license"), expected.is_none(), "{license}: {:?}", imported.dropped);
    }
    // A licence entity carrying the SPDX id as its identifier.
    let doc = crafted(
        json!({"@id": "./", "@type": "Dataset", "license": {"@id": "#l"}}),
        vec![json!({"@id": "#l", "@type": "CreativeWork", "name": "Licence", "identifier": "CC-BY-SA-4.0"})],
    );
    assert_eq!(from_ro_crate(&doc).fields["license"], "CC-BY-SA-4.0");
}

#[test]
fn doi_funder_subject_version_and_a_bad_language() {
    let doc = crafted(
        json!({"@id": "./", "@type": "Dataset", "name": "x", "inLanguage": "english", "version": "2.1",
               "identifier": "https://doi.org/10.5281/zenodo.1234", "about": [{"@id": "#fos"}, {"@id": "#other"}],
               "funder": {"@id": "https://ror.org/00097mb19"}, "funding": [{"@id": "#grant"}, {"@id": "#orphan"}]}),
        vec![
            json!({"@id": "#fos", "@type": "DefinedTerm", "name": "FOS: Chemical sciences"}),
            json!({"@id": "#other", "@type": "DefinedTerm", "name": "Analytical Chemistry"}),
            json!({"@id": "https://ror.org/00097mb19", "@type": "Organization", "name": "JSPS"}),
            json!({"@id": "#grant", "@type": "Grant", "name": "Surface study", "identifier": "JP21H01234",
                   "funder": {"@id": "#jst"}}),
            json!({"@id": "#jst", "@type": "Organization", "name": "JST", "identifier": "https://doi.org/10.13039/501100002241"}),
            json!({"@id": "#orphan", "@type": "Grant", "name": "No funder"}),
        ],
    );
    let imported = from_ro_crate(&doc);
    let f = &imported.fields;
    assert_eq!(f["titles"][0]["lang"], "und");
    assert!(!f.contains_key("language"));
    assert!(dropped(&imported, "inLanguage \"english\""), "{:?}", imported.dropped);
    assert_eq!(f["version"], "2.1");
    assert_eq!(
        f["related_identifiers"],
        json!([{"identifier": "10.5281/zenodo.1234", "identifier_type": "DOI", "relation_type": "IsDerivedFrom"}])
    );
    assert_eq!(f["subjects"], json!([{"scheme": "FOS", "code": "1.4"}]));
    assert_eq!(
        f["funding"],
        json!([
            {"funder_name": "JSPS", "funder_identifier": "https://ror.org/00097mb19", "funder_identifier_type": "ROR"},
            {"funder_name": "JST", "funder_identifier": "https://doi.org/10.13039/501100002241",
             "funder_identifier_type": "Crossref Funder ID", "award_number": "JP21H01234", "award_title": "Surface study"}
        ])
    );
    assert!(dropped(&imported, "funding \"#orphan\""), "{:?}", imported.dropped);
    crate::validate_draft(&Value::Object(imported.fields)).unwrap();
}

#[test]
fn identifiers_are_recognised_only_in_their_forms() {
    assert_eq!(orcid_of("https://orcid.org/0000-0002-1825-009X/").as_deref(), Some("0000-0002-1825-009X"));
    assert_eq!(orcid_of("0000-0002-1825-0097").as_deref(), Some("0000-0002-1825-0097"));
    assert_eq!(orcid_of("https://orcid.org/0000-0002-1825"), None);
    assert_eq!(ror_of("http://ror.org/057ZH3Y96/").as_deref(), Some("https://ror.org/057zh3y96"));
    assert_eq!(ror_of("https://example.org/057zh3y96"), None);
    assert_eq!(doi_of("doi:10.1234/abc").as_deref(), Some("10.1234/abc"));
    assert_eq!(doi_of("https://dx.doi.org/10.1021/ja00408a067").as_deref(), Some("10.1021/ja00408a067"));
    assert_eq!(doi_of("10.12/abc"), None);
    assert_eq!(doi_of("CRR-25894"), None);
}

#[test]
fn a_document_without_a_root_imports_nothing() {
    assert_eq!(from_ro_crate(&json!({"@graph": []})), Imported::default());
    assert_eq!(from_ro_crate(&json!([1])), Imported::default());
    let no_about = json!({"@graph": [{"@id": "ro-crate-metadata.json", "@type": "CreativeWork"},
                                      {"@id": "./", "@type": "Dataset", "name": "x"}]});
    assert_eq!(from_ro_crate(&no_about), Imported::default());
}

#[test]
fn filling_keeps_what_the_draft_says() {
    let imported = from_ro_crate(&crate_of("pasta.eln"));
    let draft = json!({"titles": [{"lang": "en", "value": "My own title"}], "keywords": [], "license": null});
    let (doc, filled) = fill_empty(&draft, &imported.fields);
    assert_eq!(doc["titles"], json!([{"lang": "en", "value": "My own title"}]));
    assert_eq!(doc["license"], "CC-BY-NC-SA-4.0");
    assert_eq!(doc["creators"][0]["orcid"], "0000-0003-0930-082X");
    assert!(!filled.contains(&"titles".to_string()));
    assert!(filled.contains(&"license".to_string()) && filled.contains(&"creators".to_string()), "{filled:?}");
    crate::validate_draft(&doc).unwrap();
    // Nothing to fill: the same document back.
    let (again, filled) = fill_empty(&doc, &imported.fields);
    assert_eq!(again, doc);
    assert!(filled.is_empty());
    assert!(is_empty(&json!("  ")) && is_empty(&json!({})) && !is_empty(&json!(0)));
}

#[test]
fn the_field_order_lists_every_profile_field() {
    let schema: Value = serde_json::from_str(crate::PROFILE_SCHEMA).unwrap();
    let mut properties: Vec<&str> = schema["properties"].as_object().unwrap().keys().map(String::as_str).collect();
    let mut order = FIELD_ORDER.to_vec();
    properties.sort_unstable();
    order.sort_unstable();
    assert_eq!(order, properties);
}
