//! `ontologies/kura.ttl` defines every Kura term the mappings emit, in English and Japanese, and
//! the JSON-LD context parses.

use std::collections::BTreeSet;

use kura_metadata::vocab::KURA;
use kura_metadata::{catalog_graph, dataset_graph, samples};
use oxrdf::{Graph, NamedNodeRef, NamedOrBlankNodeRef, TermRef};
use oxrdfio::{RdfFormat, RdfParser};

const ONTOLOGY: &str = include_str!("../../../ontologies/kura.ttl");
const CONTEXT: &str = include_str!("../../../ontologies/context.jsonld");

fn ontology() -> Graph {
    let mut g = Graph::new();
    for t in RdfParser::from_format(RdfFormat::Turtle).for_slice(ONTOLOGY.as_bytes()) {
        g.insert(&t.expect("kura.ttl parses").into());
    }
    g
}

fn kura_terms(g: &Graph) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for t in g {
        out.insert(t.predicate.as_str().to_owned());
        if let TermRef::NamedNode(n) = t.object {
            out.insert(n.as_str().to_owned());
        }
    }
    out.retain(|t| t.starts_with(KURA));
    out
}

#[test]
fn every_emitted_kura_term_is_defined_in_english_and_japanese() {
    let onto = ontology();
    let mut used = BTreeSet::new();
    for view in samples::all() {
        used.extend(kura_terms(&dataset_graph(&view).unwrap()));
    }
    used.extend(kura_terms(&catalog_graph(&samples::catalog()).unwrap()));
    let mut owner_view = samples::consortium_thermal();
    owner_view.include_masked = true;
    used.extend(kura_terms(&dataset_graph(&owner_view).unwrap()));
    assert!(used.contains(&format!("{KURA}maskedColumn")));
    let label = NamedNodeRef::new_unchecked("http://www.w3.org/2000/01/rdf-schema#label");
    let definition = NamedNodeRef::new_unchecked("http://www.w3.org/2004/02/skos/core#definition");
    for term in &used {
        let subject = NamedOrBlankNodeRef::NamedNode(NamedNodeRef::new_unchecked(term));
        for p in [label, definition] {
            let langs: BTreeSet<String> = onto
                .objects_for_subject_predicate(subject, p)
                .filter_map(|o| match o {
                    TermRef::Literal(l) => l.language().map(str::to_owned),
                    _ => None,
                })
                .collect();
            assert!(langs.contains("en") && langs.contains("ja"), "{term} lacks {p} in en and ja: {langs:?}");
        }
    }
}

#[test]
fn the_json_ld_context_is_json_with_kura_terms() {
    let v: serde_json::Value = serde_json::from_str(CONTEXT).unwrap();
    assert_eq!(v["@context"]["kura"], KURA);
    assert_eq!(v["@context"]["originalLabel"], "kura:originalLabel");
}
