use serde_json::{Value, json};

use super::checks::{orcid_checksum_ok, ror_checksum_ok};
use super::{field_path, validate, validate_draft};
use crate::error::{MetadataError, Violation};
use crate::samples;

fn good() -> Value {
    json!({
        "titles": [{"lang": "en", "value": "UV-Vis spectra"}, {"lang": "ja", "value": "紫外可視スペクトル"}],
        "descriptions": [{"lang": "en", "value": "Absorbance spectra of methylene blue in water, five concentrations."}],
        "creators": [{
            "name": "Carberry, Josiah", "orcid": "0000-0002-1825-0097",
            "affiliations": [{"name": "The University of Tokyo", "ror": "https://ror.org/057zh3y96"}]
        }],
        "contributors": [{"name": "Yamada, Hanako", "role": "DataCurator"}],
        "keywords": [{"lang": "ja", "value": "分光"}],
        "subjects": [{"scheme": "FOS", "code": "1.4"}],
        "license": "CC-BY-4.0",
        "funding": [{"funder_name": "JSPS", "funder_identifier": "https://doi.org/10.13039/501100001691",
                     "funder_identifier_type": "Crossref Funder ID", "award_number": "JP21H01234"}],
        "related_identifiers": [{"identifier": "10.1234/abc", "identifier_type": "DOI", "relation_type": "IsSupplementTo"}],
        "temporal_coverage": {"start": "2025-01-10", "end": "2025-02-20"},
        "spatial_coverage": {"place": "Tokyo", "point": {"latitude": 35.7, "longitude": 139.7}},
        "language": "ja",
        "doi": "10.82433/abc-123"
    })
}

fn violations(doc: &Value) -> Vec<Violation> {
    match validate(doc) {
        Err(MetadataError::Invalid(v)) => v,
        other => panic!("expected violations, got {other:?}"),
    }
}

fn with(mut doc: Value, pointer: &str, value: Value) -> Value {
    *doc.pointer_mut(pointer).expect("pointer exists") = value;
    doc
}

#[test]
fn a_good_document_validates_into_typed_metadata() {
    let md = validate(&good()).expect("valid");
    assert_eq!(md.creators[0].orcid.as_deref(), Some("0000-0002-1825-0097"));
    assert_eq!(md.contributors[0].role, "DataCurator");
    assert_eq!(md.subjects[0].code, "1.4");
}

#[test]
fn every_sample_dataset_metadata_validates() {
    for view in samples::all() {
        super::validate_metadata(&view.metadata).unwrap_or_else(|e| panic!("{}: {e}", view.name));
    }
}

#[test]
fn pattern_errors_name_the_field_and_the_rule() {
    let v = violations(&with(good(), "/creators/0/orcid", json!("0000-0002-1825")));
    assert_eq!(v.len(), 1);
    assert_eq!(v[0].path, "creators[0].orcid");
    assert_eq!(v[0].rule, "pattern");
    assert!(v[0].to_string().starts_with("creators[0].orcid: \"0000-0002-1825\" does not match"), "{}", v[0]);
}

#[test]
fn missing_fields_are_reported_at_their_own_path() {
    let mut doc = good();
    doc.as_object_mut().unwrap().remove("titles");
    doc["creators"][0].as_object_mut().unwrap().remove("name");
    let v = violations(&doc);
    let paths: Vec<(&str, &str)> = v.iter().map(|v| (v.path.as_str(), v.rule.as_str())).collect();
    assert!(paths.contains(&("titles", "required")), "{v:?}");
    assert!(paths.contains(&("creators[0].name", "required")), "{v:?}");
}

#[test]
fn controlled_values_and_unknown_fields_are_refused() {
    let v = violations(&with(good(), "/subjects/0/code", json!("9.9")));
    assert_eq!((v[0].path.as_str(), v[0].rule.as_str()), ("subjects[0].code", "enum"));
    let v = violations(&with(good(), "/contributors/0/role", json!("Boss")));
    assert_eq!(v[0].path, "contributors[0].role");
    let v = violations(&with(good(), "/related_identifiers/0/identifier", json!("not-a-doi")));
    assert_eq!((v[0].path.as_str(), v[0].rule.as_str()), ("related_identifiers[0].identifier", "pattern"));
    let mut doc = good();
    doc["colour"] = json!("blue");
    assert_eq!(violations(&doc)[0].rule, "additionalProperties");
    let v = violations(&with(good(), "/temporal_coverage/start", json!("2025-13-40")));
    assert_eq!((v[0].path.as_str(), v[0].rule.as_str()), ("temporal_coverage.start", "format"));
}

#[test]
fn organizations_cannot_have_an_orcid() {
    let mut doc = good();
    doc["creators"][0]["kind"] = json!("organization");
    let v = violations(&doc);
    assert_eq!(v[0].path, "creators[0]");
}

#[test]
fn extra_checks_name_their_rule() {
    let cases = [
        ("/creators/0/orcid", json!("0000-0002-1825-0098"), "creators[0].orcid", "orcid-checksum"),
        ("/license", json!("My-Own-Licence"), "license", "spdx-license"),
        (
            "/creators/0/affiliations/0/ror",
            json!("https://ror.org/057zh3y97"),
            "creators[0].affiliations[0].ror",
            "ror-checksum",
        ),
        ("/titles/1/lang", json!("en"), "titles[1].lang", "one-per-language"),
        ("/descriptions/0/value", json!("too short"), "descriptions", "description-length"),
        ("/temporal_coverage/end", json!("2024-01-01"), "temporal_coverage.end", "end-after-start"),
    ];
    for (pointer, value, path, rule) in cases {
        let v = violations(&with(good(), pointer, value));
        assert_eq!((v[0].path.as_str(), v[0].rule.as_str()), (path, rule), "{v:?}");
    }
}

#[test]
fn language_tags_are_checked_beyond_the_pattern() {
    // Has the shape of a tag (the schema's pattern) but no such language exists.
    let v = violations(&with(good(), "/titles/0/lang", json!("xq-JP")));
    assert_eq!((v[0].path.as_str(), v[0].rule.as_str()), ("titles[0].lang", "language-tag"), "{v:?}");
}

#[test]
fn orcid_and_ror_checksums() {
    for ok in ["0000-0002-1825-0097", "0000-0002-9079-593X", "0000-0001-5109-3700"] {
        assert!(orcid_checksum_ok(ok), "{ok}");
    }
    assert!(!orcid_checksum_ok("0000-0002-1825-0096"));
    for ok in [
        "https://ror.org/057zh3y96",
        "https://ror.org/02kpeqv85",
        "https://ror.org/04wxnsj81",
        "https://ror.org/03yrm5c26",
    ] {
        assert!(ror_checksum_ok(ok), "{ok}");
    }
    assert!(!ror_checksum_ok("https://ror.org/04wxnsj82"));
}

#[test]
fn json_pointers_become_field_paths() {
    assert_eq!(field_path("/creators/0/affiliations/1/ror"), "creators[0].affiliations[1].ror");
    assert_eq!(field_path(""), "");
}

#[test]
fn drafts_may_lack_required_fields_but_not_break_rules() {
    assert!(validate_draft(&json!({})).is_ok());
    assert!(validate_draft(&Value::Null).is_ok());
    assert!(validate_draft(&json!({"keywords": [{"lang": "en", "value": "xps"}]})).is_ok());
    let Err(MetadataError::Invalid(v)) =
        validate_draft(&json!({"creators": [{"name": "A", "orcid": "0000-0002-1825-0096"}]}))
    else {
        panic!("a bad ORCID in a draft must be refused");
    };
    assert!(v.iter().any(|v| v.path == "creators[0].orcid"), "{v:?}");
    let Err(MetadataError::Invalid(v)) = validate_draft(&json!({"keywords": ["xps"], "colour": "blue"})) else {
        panic!("wrong shapes and unknown fields must be refused");
    };
    assert!(v.iter().any(|v| v.path.starts_with("keywords")), "{v:?}");
    let Err(MetadataError::Invalid(v)) = validate_draft(&json!({"creators": [{"orcid": "0000-0002-1825-0097"}]}))
    else {
        panic!("required fields inside a present object still apply");
    };
    assert!(v.iter().any(|v| v.rule == "required" && v.path == "creators[0].name"), "{v:?}");
}
