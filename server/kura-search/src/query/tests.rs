//! Query features in both languages, and that the visibility filter shapes hits, totals, facets,
//! snippets and suggestions alike.

use chrono::{TimeZone, Utc};
use uuid::Uuid;

use super::*;
use crate::SearchDoc;

fn doc(n: u128, title: &str, description: &str, visibility: &[&str]) -> SearchDoc {
    SearchDoc {
        dataset_id: Uuid::from_u128(n),
        name: format!("ds-{n}"),
        version: 1,
        state: "published".into(),
        titles: vec![title.into()],
        descriptions: vec![description.into()],
        creators: vec!["Yamada Taro".into()],
        keywords: vec!["xps".into()],
        units: vec!["K".into()],
        formats: vec!["csv".into()],
        access_level: "open".into(),
        license: Some("CC-BY-4.0".into()),
        published: Utc.with_ymd_and_hms(2020 + n as i32 % 5, 1, 1, 0, 0, 0).single(),
        visibility: visibility.iter().map(|v| v.to_string()).collect(),
        ..Default::default()
    }
}

fn index() -> SearchIndex {
    let index = SearchIndex::in_memory().unwrap();
    let mut spectra = doc(
        1,
        "Photoelectron spectra of iron oxide",
        "XPS measurements of FeO thin films at room temperature",
        &["public"],
    );
    spectra.creators = vec!["Suzuki Hanako".into()];
    spectra.units = vec!["eV".into()];
    let mut japanese = doc(2, "酸化鉄の光電子スペクトル", "室温で測定した薄膜の温度依存性", &["public"]);
    japanese.keywords = vec!["温度".into()];
    let secret = doc(3, "Secret iron oxide synthesis", "closed lab notebook about iron oxide", &["group:lab-a"]);
    let mut dated = doc(4, "Thermal conductivity of alumina", "temperatures measured in a furnace", &["public"]);
    dated.formats = vec!["jcamp".into()];
    for d in [spectra, japanese, secret, dated] {
        index.replace_dataset(d.dataset_id, &[d]).unwrap();
    }
    index.commit(42).unwrap();
    index
}

fn public() -> Viewer {
    Viewer::Tokens(vec!["public".into()])
}

fn search(index: &SearchIndex, query: &str, viewer: &Viewer) -> SearchResults {
    index.search(&SearchRequest { query: query.into(), limit: 10, ..Default::default() }, viewer).unwrap()
}

fn names(results: &SearchResults) -> Vec<&str> {
    results.hits.iter().map(|h| h.name.as_str()).collect()
}

#[test]
fn english_is_stemmed_and_typos_are_forgiven() {
    let index = index();
    let mut stemmed =
        names(&search(&index, "measurement", &public())).into_iter().map(String::from).collect::<Vec<_>>();
    stemmed.sort();
    assert_eq!(stemmed, ["ds-1", "ds-4"], "measurements and measured share the stem of measurement");
    assert_eq!(names(&search(&index, "temperatures", &public())).len(), 2, "temperature and temperatures");
    let typo = SearchRequest { query: "photoelectorn".into(), limit: 10, fuzzy: true, ..Default::default() };
    assert_eq!(names(&index.search(&typo, &public()).unwrap()), ["ds-1"]);
}

#[test]
fn japanese_text_is_found_by_japanese_queries() {
    let index = index();
    assert_eq!(names(&search(&index, "酸化鉄", &public())), ["ds-2"]);
    assert_eq!(names(&search(&index, "温度", &public())), ["ds-2"]);
    assert!(search(&index, "窒化", &public()).hits.is_empty());
}

#[test]
fn phrases_fields_and_ranges_narrow_the_hits() {
    let index = index();
    assert_eq!(names(&search(&index, "\"iron oxide\"", &public())), ["ds-1"]);
    assert_eq!(names(&search(&index, "creator:suzuki", &public())), ["ds-1"]);
    assert_eq!(names(&search(&index, "unit:eV", &public())), ["ds-1"]);
    assert_eq!(names(&search(&index, "format:jcamp", &public())), ["ds-4"]);
    let range = search(&index, "published:[2021-06-01T00:00:00Z TO 2023-01-01T00:00:00Z]", &public());
    assert_eq!(names(&range), ["ds-2"]);
    assert!(
        index.search(&SearchRequest { query: "title:(".into(), limit: 5, ..Default::default() }, &public()).is_err()
    );
}

#[test]
fn sorting_by_date_puts_the_newest_first() {
    let index = index();
    let all = index.search(&SearchRequest { sort: Sort::Date, limit: 10, ..Default::default() }, &public()).unwrap();
    assert_eq!(names(&all), ["ds-4", "ds-2", "ds-1"]);
}

#[test]
fn what_a_viewer_may_not_see_shapes_nothing() {
    let index = index();
    let outsider = search(&index, "iron oxide", &public());
    assert_eq!(names(&outsider), ["ds-1"]);
    assert_eq!(outsider.total, 1);
    let lab = search(&index, "iron oxide", &Viewer::Tokens(vec!["public".into(), "group:lab-a".into()]));
    assert_eq!(lab.total, 2);
    assert_eq!(search(&index, "iron oxide", &Viewer::Everything).total, 2);

    let facets = |r: &SearchResults, name: &str| {
        r.facets
            .iter()
            .find(|f| f.name == name)
            .unwrap()
            .buckets
            .iter()
            .map(|b| (b.value.clone(), b.count))
            .collect::<Vec<_>>()
    };
    let everything = search(&index, "", &public());
    assert_eq!(everything.total, 3);
    assert_eq!(
        facets(&everything, "keyword").iter().find(|(v, _)| v == "xps").map(|(_, c)| *c),
        Some(2),
        "the closed dataset is not counted"
    );
    assert_eq!(facets(&everything, "format"), [("csv".to_string(), 2), ("jcamp".to_string(), 1)]);

    let suggestions = index.suggest("sec", &public(), 5).unwrap();
    assert!(suggestions.is_empty(), "no suggestion from an invisible title: {suggestions:?}");
    assert_eq!(index.suggest("sec", &Viewer::Everything, 5).unwrap(), ["Secret iron oxide synthesis"]);
    assert_eq!(index.suggest("photo", &public(), 5).unwrap(), ["Photoelectron spectra of iron oxide"]);
}

#[test]
fn snippets_highlight_matches_and_escape_html() {
    let index = SearchIndex::in_memory().unwrap();
    let d = doc(9, "Markup", "a <script> tag next to the furnace data", &["public"]);
    index.replace_dataset(d.dataset_id, &[d]).unwrap();
    index.commit(1).unwrap();
    let hit = &search(&index, "furnace", &public()).hits[0];
    assert!(hit.snippet.contains("<b>furnace</b>"), "{}", hit.snippet);
    assert!(hit.snippet.contains("&lt;script&gt;"), "{}", hit.snippet);
}

#[test]
fn facet_filters_and_the_checkpoint_persist() {
    let dir = tempfile::tempdir().unwrap();
    {
        let index = SearchIndex::open(dir.path()).unwrap();
        let d = doc(5, "Alumina", "x", &["public"]);
        index.replace_dataset(d.dataset_id, &[d]).unwrap();
        index.commit(17).unwrap();
    }
    let index = SearchIndex::open(dir.path()).unwrap();
    assert_eq!(index.checkpoint().unwrap(), 17);
    let filtered =
        SearchRequest { filters: vec![("license".into(), "CC-BY-4.0".into())], limit: 5, ..Default::default() };
    assert_eq!(index.search(&filtered, &public()).unwrap().total, 1);
    let other = SearchRequest { filters: vec![("license".into(), "MIT".into())], limit: 5, ..Default::default() };
    assert_eq!(index.search(&other, &public()).unwrap().total, 0);
    // Replacing a dataset's documents leaves one copy.
    let d = doc(5, "Alumina again", "x", &["public"]);
    index.replace_dataset(d.dataset_id, &[d]).unwrap();
    index.commit(18).unwrap();
    assert_eq!(index.num_docs(), 1);
}

/// A group's two drafts, ranked for a query of two words; other groups' drafts then pile up
/// around one of the words.
fn ranked_then_hidden_added(hidden_word: &str) -> (serde_json::Value, serde_json::Value) {
    let index = SearchIndex::in_memory().unwrap();
    let own = [
        doc(1, "Own draft one", "alpha alpha alpha beta furnace", &["group:lab-b"]),
        doc(2, "Own draft two", "alpha beta beta furnace", &["group:lab-b"]),
        doc(3, "Public neighbour", "alpha beta gamma", &["public"]),
    ];
    for d in own {
        index.replace_dataset(d.dataset_id, &[d]).unwrap();
    }
    index.commit(1).unwrap();
    let member = Viewer::Tokens(vec!["public".into(), "group:lab-b".into()]);
    let request = SearchRequest { query: "alpha beta".into(), limit: 10, ..Default::default() };
    let before = serde_json::to_value(index.search(&request, &member).unwrap()).unwrap();
    for n in 100..160u128 {
        let mut hidden = doc(n, "Closed notes", &format!("{hidden_word} {hidden_word} notes {n}"), &["group:lab-a"]);
        hidden.state = "draft".into();
        index.replace_dataset(hidden.dataset_id, &[hidden]).unwrap();
    }
    // A deleted version of an own draft leaves its words in the index until segments merge.
    let replaced = doc(2, "Own draft two", "alpha beta beta furnace", &["group:lab-b"]);
    index.replace_dataset(replaced.dataset_id, &[replaced]).unwrap();
    index.commit(2).unwrap();
    let after = serde_json::to_value(index.search(&request, &member).unwrap()).unwrap();
    (before, after)
}

#[test]
fn hidden_documents_do_not_move_the_ranking_of_visible_ones() {
    for word in ["alpha", "beta"] {
        let (before, after) = ranked_then_hidden_added(word);
        assert_eq!(before["hits"].as_array().unwrap().len(), 3, "{before}");
        assert_eq!(before, after, "hidden drafts full of {word:?} changed what a member sees");
    }
}

#[test]
fn hits_carry_no_score() {
    let index = index();
    let results = serde_json::to_value(search(&index, "iron oxide", &public())).unwrap();
    assert!(results["hits"][0].get("score").is_none(), "{results}");
}
