//! The mappings' content, and that every serialization parses back to the same graph size.

use kura_metadata::vocab::{ACCESS_RIGHT, DCAT, DCT, KURA, QUDT, SPDX};
use kura_metadata::*;
use oxrdf::{Graph, NamedNode, NamedOrBlankNodeRef};
use oxrdfio::{JsonLdProfileSet, RdfFormat, RdfParser};

fn nn(ns: &str, local: &str) -> NamedNode {
    NamedNode::new(format!("{ns}{local}")).unwrap()
}

fn objects(g: &Graph, s: &NamedNode, p: &NamedNode) -> Vec<String> {
    g.objects_for_subject_predicate(NamedOrBlankNodeRef::from(s.as_ref()), p.as_ref()).map(|o| o.to_string()).collect()
}

fn access_right(view: &DatasetView) -> String {
    let g = dataset_graph(view).unwrap();
    let ds = NamedNode::new(view.pid_url.clone()).unwrap();
    let o = objects(&g, &ds, &nn(DCT, "accessRights"));
    assert_eq!(o.len(), 1);
    o[0].clone()
}

#[test]
fn access_levels_map_to_the_eu_access_right_vocabulary() {
    let right = |code: &str| format!("<{ACCESS_RIGHT}{code}>");
    assert_eq!(access_right(&samples::open_uvvis()), right("PUBLIC"));
    let mut embargoed = samples::embargoed_raw();
    assert_eq!(access_right(&embargoed), right("NON_PUBLIC"));
    embargoed.as_of = chrono::DateTime::parse_from_rfc3339("2100-01-01T00:00:00Z").unwrap().to_utc();
    assert_eq!(access_right(&embargoed), right("PUBLIC"), "an ended embargo is public");
    assert_eq!(access_right(&samples::consortium_thermal()), right("RESTRICTED"));
    assert_eq!(access_right(&samples::restricted_notebook()), right("RESTRICTED"));
}

#[test]
fn dataset_has_titles_in_both_languages_distributions_and_a_policy() {
    let view = samples::open_uvvis();
    let g = dataset_graph(&view).unwrap();
    let ds = NamedNode::new(view.pid_url.clone()).unwrap();
    let titles = objects(&g, &ds, &nn(DCT, "title"));
    assert!(titles.iter().any(|t| t.ends_with("@en")) && titles.iter().any(|t| t.ends_with("@ja")), "{titles:?}");
    assert_eq!(objects(&g, &ds, &nn(DCAT, "distribution")).len(), 2, "one file, one table");
    assert_eq!(objects(&g, &ds, &nn("http://www.w3.org/ns/odrl/2/", "hasPolicy")).len(), 1);
    let table = NamedNode::new(format!("{}#table-uvvis-methylene-blue", view.pid_url)).unwrap();
    let media = objects(&g, &table, &nn(DCAT, "mediaType"));
    assert_eq!(media[0], "<https://www.iana.org/assignments/media-types/application/vnd.apache.parquet>");
    assert_eq!(objects(&g, &table, &nn(DCAT, "accessService")).len(), 2, "REST API and Flight");
    let column = NamedNode::new(format!("{}#column-uvvis-methylene-blue%2Fwavelength", view.pid_url)).unwrap();
    assert_eq!(objects(&g, &column, &nn(QUDT, "unit"))[0], "<http://qudt.org/vocab/unit/NanoM>");
    assert_eq!(objects(&g, &column, &nn(KURA, "originalLabel"))[0], "\"Wavelength (nm)\"");
    let file = NamedNode::new(format!("{}#file-raw%2Fmb_10uM.csv", view.pid_url)).unwrap();
    assert_eq!(objects(&g, &file, &nn(SPDX, "checksum")).len(), 1, "the source file keeps a single checksum");
    assert_eq!(objects(&g, &table, &nn("http://www.w3.org/ns/prov#", "wasDerivedFrom"))[0], file.to_string());
}

#[test]
fn masked_columns_appear_only_for_the_owner_group() {
    let mut view = samples::consortium_thermal();
    let masked = NamedNode::new(format!("{}#column-thermal-log%2Foperator_id", view.pid_url)).unwrap();
    let has = |g: &Graph| g.triples_for_subject(NamedOrBlankNodeRef::from(masked.as_ref())).next().is_some();
    assert!(!has(&dataset_graph(&view).unwrap()));
    assert!(!to_schema_org(&view).to_string().contains("operator_id"));
    view.include_masked = true;
    let g = dataset_graph(&view).unwrap();
    assert!(has(&g));
    let table = NamedNode::new(format!("{}#table-thermal-log", view.pid_url)).unwrap();
    assert_eq!(objects(&g, &table, &nn(KURA, "maskedColumn")).len(), 1);
}

#[test]
fn every_serialization_parses_back() {
    let mut graphs: Vec<Graph> = samples::all().iter().map(|v| dataset_graph(v).unwrap()).collect();
    graphs.push(catalog_graph(&samples::catalog()).unwrap());
    for g in &graphs {
        let outputs = [
            (to_turtle(g).unwrap(), RdfFormat::Turtle),
            (to_ntriples(g).unwrap(), RdfFormat::NTriples),
            (to_rdfxml(g).unwrap(), RdfFormat::RdfXml),
            (to_jsonld(g).unwrap(), RdfFormat::JsonLd { profile: JsonLdProfileSet::empty() }),
        ];
        for (text, format) in outputs {
            let parsed: Vec<_> =
                RdfParser::from_format(format).for_slice(text.as_bytes()).collect::<Result<_, _>>().unwrap();
            assert_eq!(parsed.len(), g.len(), "{format:?}");
        }
    }
}

#[test]
fn catalog_pages_link_to_their_neighbours() {
    let g = catalog_graph(&samples::catalog()).unwrap();
    let text = to_ntriples(&g).unwrap();
    assert!(text.contains("<https://kura.example.org/catalog?offset=4&limit=4>"), "next page");
    assert!(text.contains("<https://kura.example.org/catalog?offset=8&limit=4>"), "last page");
    assert!(!text.contains("hydra/core#previous"), "first page has no previous");
}

#[test]
fn schema_org_has_what_search_engines_need() {
    let doc = to_schema_org(&samples::open_uvvis());
    assert_eq!(doc["@context"]["@vocab"], "http://schema.org/");
    assert_eq!(doc["@type"], "Dataset");
    assert_eq!(doc["identifier"], "https://doi.org/10.82433/kura-demo-uvvis");
    assert_eq!(doc["creator"][0]["@id"], "https://orcid.org/0000-0002-1825-0097");
    assert_eq!(doc["creator"][0]["affiliation"][0]["identifier"], "https://ror.org/057zh3y96");
    assert_eq!(doc["variableMeasured"][0]["unitCode"], "http://qudt.org/vocab/unit/NanoM");
    assert_eq!(doc["isAccessibleForFree"], true);
    assert_eq!(doc["citation"]["@id"], "https://doi.org/10.1234/jpc.2025.0042");
    assert_eq!(doc["funding"][0]["@type"], "MonetaryGrant");
    let embargoed = to_schema_org(&samples::embargoed_raw());
    assert_eq!(embargoed["isAccessibleForFree"], false);
    assert!(embargoed["conditionsOfAccess"].as_str().unwrap().contains("2099-01-01"));
    assert!(embargoed["citation"].as_str().unwrap().contains("[Data set]"));
}

#[test]
fn datacite_uses_the_doi_or_the_pid_url() {
    let with_doi = to_datacite_xml(&samples::open_uvvis()).unwrap();
    assert!(with_doi.contains(r#"<identifier identifierType="DOI">10.82433/kura-demo-uvvis</identifier>"#));
    assert!(with_doi.contains(r#"<alternateIdentifier alternateIdentifierType="URL">https://kura.example.org/pid/demo-uvvis</alternateIdentifier>"#));
    assert!(with_doi.contains(r#"rightsIdentifier="CC-BY-4.0""#));
    let without = to_datacite_xml(&samples::embargoed_raw()).unwrap();
    assert!(without.contains(r#"<identifier identifierType="URL">https://kura.example.org/pid/feo-xps</identifier>"#));
    assert!(without.contains(r#"<date dateType="Available">2099-01-01</date>"#));
    assert!(without.contains("c_f1cf"), "embargoed access right");
}
