//! The draft's metadata filled from the profile fields of the job's RO-Crates (`.eln`
//! archives): only fields still empty are filled, so nothing the user wrote changes, and the
//! result must still be a valid draft.

use kura_catalog::entity::dataset_version;
use kura_catalog::tables::DraftFill;
use kura_catalog::versions::DraftUpdate;
use kura_metadata::{Imported, fill_empty, validate_draft};
use serde_json::{Value, json};

/// Most dropped values listed per file in the job's message (all are in the tables' warnings).
const MAX_NOTED: usize = 10;

/// Fills `version`'s empty fields from each file's import in turn (an earlier file wins).
///
/// The version's `title` and `description` columns count as written by the user when they say
/// something other than the defaults (the dataset's name, nothing); the crate's title and
/// description then stay out, and otherwise the columns follow the imported texts.
pub(super) fn fill(
    version: &dataset_version::Model,
    dataset_name: &str,
    imports: Vec<(String, Imported)>,
) -> DraftFill {
    let user_title = !version.title.trim().is_empty() && version.title != dataset_name;
    let user_description = !version.description.trim().is_empty();
    let mut doc = if version.metadata.is_object() { version.metadata.clone() } else { json!({}) };
    let mut notes = Vec::new();
    let mut details = Vec::new();
    let mut all_filled: Vec<String> = Vec::new();
    for (path, imported) in imports {
        let mut fields = imported.fields.clone();
        if user_title {
            fields.remove("titles");
        }
        if user_description {
            fields.remove("descriptions");
        }
        let (next, mut filled) = fill_empty(&doc, &fields);
        let mut note = if filled.is_empty() {
            format!("{path}: no metadata imported from the RO-Crate (the draft already has what it says)")
        } else {
            match validate_draft(&next) {
                Ok(()) => {
                    doc = next;
                    all_filled.extend(filled.iter().cloned());
                    format!("{path}: metadata imported from the RO-Crate: {}", filled.join(", "))
                }
                Err(e) => {
                    filled.clear();
                    format!("{path}: no metadata imported from the RO-Crate, the draft would not be valid: {e}")
                }
            }
        };
        if !imported.dropped.is_empty() {
            let shown: Vec<&str> = imported.dropped.iter().take(MAX_NOTED).map(String::as_str).collect();
            let more = imported.dropped.len().saturating_sub(MAX_NOTED);
            note.push_str(&format!("; left out: {}", shown.join("; ")));
            if more > 0 {
                note.push_str(&format!(" (and {more} more)"));
            }
        }
        notes.push(note);
        details.push(json!({"file": path, "filled": filled, "dropped": imported.dropped}));
    }
    let mut update = DraftUpdate::default();
    if !all_filled.is_empty() {
        let first =
            |key: &str| doc.get(key).and_then(|v| v.get(0)).and_then(|t| t.get("value")).and_then(Value::as_str);
        if all_filled.iter().any(|f| f == "titles") && !user_title {
            update.title = first("titles").map(str::to_string);
        }
        if all_filled.iter().any(|f| f == "descriptions") && !user_description {
            update.description = first("descriptions").map(str::to_string);
        }
        update.metadata = Some(doc);
    }
    DraftFill { update, notes, details: Value::Array(details) }
}

#[cfg(test)]
mod tests {
    use chrono::Utc;
    use serde_json::{Map, json};

    use super::*;

    fn version(title: &str, description: &str, metadata: Value) -> dataset_version::Model {
        dataset_version::Model {
            id: uuid::Uuid::now_v7(),
            dataset_id: uuid::Uuid::now_v7(),
            number: 1,
            state: kura_core::VersionState::Draft,
            title: title.into(),
            description: description.into(),
            metadata,
            created_at: Utc::now(),
            published_at: None,
            deaccessioned_at: None,
            deaccession_reason: None,
            review_comment: None,
        }
    }

    fn imported(fields: Value, dropped: &[&str]) -> Imported {
        let fields: Map<String, Value> = fields.as_object().unwrap().clone();
        Imported { fields, dropped: dropped.iter().map(|d| d.to_string()).collect() }
    }

    fn crate_fields() -> Value {
        json!({
            "titles": [{"lang": "und", "value": "Crate title"}],
            "descriptions": [{"lang": "und", "value": "A description of the crate that is long enough for the profile."}],
            "creators": [{"name": "Carberry, Josiah", "orcid": "0000-0002-1825-0097"}],
            "license": "CC-BY-4.0"
        })
    }

    #[test]
    fn empty_fields_are_filled_and_the_columns_follow() {
        let v = version("demo", "", json!({}));
        let fill = fill(&v, "demo", vec![("raw/a.eln".into(), imported(crate_fields(), &["license \"x\": no"]))]);
        let md = fill.update.metadata.clone().unwrap();
        assert_eq!(md["titles"][0]["value"], "Crate title");
        assert_eq!(md["creators"][0]["orcid"], "0000-0002-1825-0097");
        assert_eq!(fill.update.title.as_deref(), Some("Crate title"));
        assert!(fill.update.description.as_deref().unwrap().starts_with("A description"));
        assert_eq!(
            fill.notes,
            [
                "raw/a.eln: metadata imported from the RO-Crate: titles, descriptions, creators, license; left out: license \"x\": no"
            ]
        );
        assert_eq!(fill.details[0]["filled"], json!(["titles", "descriptions", "creators", "license"]));
        validate_draft(&md).unwrap();
    }

    #[test]
    fn what_the_user_wrote_is_kept() {
        let user = json!({"creators": [{"name": "Yamada, Hanako"}], "license": "MIT"});
        let v = version("My title", "My description", user);
        let mut fields = crate_fields();
        fields["keywords"] = json!([{"lang": "und", "value": "xps"}]);
        let fill = fill(&v, "demo", vec![("raw/a.eln".into(), imported(fields, &[]))]);
        // The title and description columns hold the user's texts: the crate's stay out.
        assert_eq!(fill.update.title, None);
        assert_eq!(fill.update.description, None);
        let md = fill.update.metadata.unwrap();
        assert_eq!(
            md,
            json!({"creators": [{"name": "Yamada, Hanako"}], "license": "MIT", "keywords": [{"lang": "und", "value": "xps"}]})
        );
        assert_eq!(fill.notes, ["raw/a.eln: metadata imported from the RO-Crate: keywords"]);
    }

    #[test]
    fn nothing_to_fill_changes_nothing_and_says_so() {
        let v = version("demo", "", json!({"titles": [{"lang": "en", "value": "Mine"}]}));
        let only_title = imported(json!({"titles": [{"lang": "und", "value": "Crate title"}]}), &[]);
        let fill = fill(&v, "demo", vec![("raw/a.eln".into(), only_title)]);
        assert!(fill.update.metadata.is_none() && fill.update.title.is_none());
        assert!(fill.notes[0].contains("no metadata imported"), "{:?}", fill.notes);
    }

    #[test]
    fn a_second_crate_fills_only_what_the_first_left_empty() {
        let v = version("demo", "", Value::Null);
        let second = imported(json!({"license": "MIT", "keywords": [{"lang": "und", "value": "xps"}]}), &[]);
        let fill =
            fill(&v, "demo", vec![("raw/a.eln".into(), imported(crate_fields(), &[])), ("raw/b.eln".into(), second)]);
        let md = fill.update.metadata.unwrap();
        assert_eq!(md["license"], "CC-BY-4.0");
        assert_eq!(md["keywords"][0]["value"], "xps");
        assert_eq!(fill.details[1]["filled"], json!(["keywords"]));
    }

    #[test]
    fn an_import_that_would_make_the_draft_invalid_is_left_out() {
        let v = version("demo", "", json!({}));
        // Not what from_ro_crate produces, but the guard must hold whatever the import says.
        let bad = imported(json!({"license": "Not-A-Licence"}), &[]);
        let fill = fill(&v, "demo", vec![("raw/a.eln".into(), bad)]);
        assert!(fill.update.metadata.is_none());
        assert!(fill.notes[0].contains("would not be valid"), "{:?}", fill.notes);
    }
}
