//! The root dataset of a crate as Kura metadata: `title`, `description`, `creators`, `license`,
//! `keywords`, `date_published`, `parts`, `provenance`, plus searchable text from every entity.

use serde_json::{Map, Value, json};

use super::{Crate, is_external, literal, ref_id, types, values};

/// Longest list of parts or actions kept in metadata; the crate itself is kept whole as a file.
const MAX_LISTED: usize = 10_000;

/// What a crate says about itself.
#[derive(Debug, Default)]
pub struct Mapped {
    pub metadata: Map<String, Value>,
    pub text: String,
}

fn text_of(entity: &Map<String, Value>, key: &str) -> Option<String> {
    values(entity, key).iter().filter_map(literal).find(|s| !s.trim().is_empty())
}

/// A referenced entity's name, or the literal itself (`"author": "Jane Doe"`).
fn name_or_literal(krate: &Crate, value: &Value) -> Option<String> {
    match krate.deref(value) {
        Some(e) => text_of(e, "name").or_else(|| e.get("@id").and_then(Value::as_str).map(str::to_string)),
        None => literal(value).or_else(|| ref_id(value).map(str::to_string)),
    }
}

fn person(krate: &Crate, value: &Value) -> Value {
    let Some(entity) = krate.deref(value) else {
        let id = ref_id(value).map(str::to_string);
        let orcid = id.as_deref().filter(|i| i.contains("orcid.org/"));
        return json!({"name": literal(value).or(id.clone()), "orcid": orcid, "affiliation": null, "id": id});
    };
    let id = entity.get("@id").and_then(Value::as_str).unwrap_or_default();
    let name = text_of(entity, "name").or_else(|| {
        let given = text_of(entity, "givenName");
        let family = text_of(entity, "familyName");
        match (given, family) {
            (Some(g), Some(f)) => Some(format!("{g} {f}")),
            (g, f) => g.or(f),
        }
    });
    let orcid = std::iter::once(Value::String(id.to_string()))
        .chain(values(entity, "identifier"))
        .chain(values(entity, "sameAs"))
        .filter_map(|v| literal(&v).or_else(|| ref_id(&v).map(str::to_string)))
        .find(|s| s.contains("orcid.org/"));
    let affiliation: Vec<String> =
        values(entity, "affiliation").iter().filter_map(|a| name_or_literal(krate, a)).collect();
    let affiliation = match affiliation.len() {
        0 => Value::Null,
        1 => json!(affiliation[0]),
        _ => json!(affiliation),
    };
    json!({"name": name, "orcid": orcid, "affiliation": affiliation, "id": id})
}

fn part(krate: &Crate, id: &str) -> Value {
    let Some(e) = krate.get(id) else { return json!({"id": id}) };
    let mut out = Map::new();
    out.insert("id".into(), json!(id));
    out.insert("type".into(), json!(types(e)));
    for (key, target) in [
        ("name", "name"),
        ("encodingFormat", "encoding_format"),
        ("contentSize", "content_size"),
        ("sha256", "sha256"),
        ("description", "description"),
    ] {
        if let Some(v) = values(e, key).iter().filter_map(|v| literal(v).or(ref_id(v).map(str::to_string))).next() {
            out.insert(target.into(), json!(v));
        }
    }
    Value::Object(out)
}

/// Maps a metadata document. Works on defective crates too: what is missing is left out.
pub fn map(doc: &Value) -> Mapped {
    let mut mapped = Mapped::default();
    let Some(krate) = Crate::new(doc) else { return mapped };
    let meta = &mut mapped.metadata;
    if let Some(root) = krate.root() {
        for (key, target) in [("name", "title"), ("description", "description")] {
            if let Some(v) = text_of(root, key) {
                meta.insert(target.into(), json!(v));
            }
        }
        if let Some(v) = values(root, "datePublished").first().and_then(literal) {
            meta.insert("date_published".into(), json!(v));
        }
        if let Some(license) = values(root, "license").first() {
            let id = ref_id(license).map(str::to_string).or_else(|| literal(license));
            meta.insert("license".into(), json!(id));
            if let Some(name) = krate.deref(license).and_then(|e| text_of(e, "name")) {
                meta.insert("license_name".into(), json!(name));
            }
        }
        let keywords: Vec<String> = values(root, "keywords")
            .iter()
            .filter_map(literal)
            .flat_map(|k| k.split(',').map(|s| s.trim().to_string()).collect::<Vec<_>>())
            .filter(|k| !k.is_empty())
            .collect();
        if !keywords.is_empty() {
            meta.insert("keywords".into(), json!(keywords));
        }
        let creators: Vec<Value> = ["author", "creator", "authors"]
            .iter()
            .flat_map(|k| values(root, k))
            .map(|v| person(&krate, &v))
            .fold(Vec::new(), |mut acc, p| {
                if !acc.iter().any(|q: &Value| q["id"] == p["id"] && !p["id"].is_null()) {
                    acc.push(p);
                }
                acc
            });
        if !creators.is_empty() {
            meta.insert("creators".into(), json!(creators));
        }
        let parts: Vec<Value> =
            super::check::reachable(&krate, root).iter().take(MAX_LISTED).map(|id| part(&krate, id)).collect();
        meta.insert("parts".into(), json!(parts));
        if let Some(id) = root.get("@id").and_then(Value::as_str) {
            meta.insert("root".into(), json!(id));
        }
    }
    if let Some(descriptor) = krate.descriptor()
        && let Some(version) = values(descriptor, "conformsTo").first().and_then(ref_id)
    {
        meta.insert("conforms_to".into(), json!(version));
    }
    let provenance = provenance(&krate);
    if !provenance.is_empty() {
        meta.insert("provenance".into(), json!(provenance));
    }
    mapped.text = text(&krate);
    mapped
}

/// Actions (`CreateAction`, `UpdateAction`, …): what was done, by whom, with which instrument.
fn provenance(krate: &Crate) -> Vec<Value> {
    let names = |e: &Map<String, Value>, key: &str| -> Vec<String> {
        values(e, key).iter().filter_map(|v| name_or_literal(krate, v)).collect()
    };
    let ids = |e: &Map<String, Value>, key: &str| -> Vec<String> {
        values(e, key).iter().filter_map(|v| ref_id(v).map(str::to_string)).collect()
    };
    krate
        .entities
        .iter()
        .filter(|e| types(e).iter().any(|t| t.ends_with("Action")))
        .take(MAX_LISTED)
        .map(|e| {
            json!({
                "id": e.get("@id").and_then(Value::as_str),
                "type": types(e),
                "name": text_of(e, "name"),
                "description": text_of(e, "description"),
                "agent": names(e, "agent"),
                "instrument": names(e, "instrument"),
                "object": ids(e, "object"),
                "result": ids(e, "result"),
                "start_time": text_of(e, "startTime"),
                "end_time": text_of(e, "endTime"),
            })
        })
        .collect()
}

/// One line per entity: its types, name and description, for search.
fn text(krate: &Crate) -> String {
    let mut out = String::new();
    for e in &krate.entities {
        let name = text_of(e, "name");
        let description = text_of(e, "description");
        if name.is_none() && description.is_none() {
            continue;
        }
        let id = e.get("@id").and_then(Value::as_str).unwrap_or_default();
        if id.ends_with("ro-crate-metadata.json") && !is_external(id) {
            continue;
        }
        out.push_str(&types(e).join(", "));
        out.push_str(": ");
        out.push_str(&[name, description].into_iter().flatten().collect::<Vec<_>>().join(" — "));
        out.push('\n');
    }
    out
}
