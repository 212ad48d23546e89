//! An RO-Crate 1.1 metadata document (`ro-crate-metadata.json`) read as what it is on disk: a
//! flattened JSON-LD `@graph` of entities found by `@id`, without JSON-LD expansion (importers
//! need only the RO-Crate terms, which the RO-Crate context fixes). Shared by the metadata
//! import here and the `.eln` reader of `kura-ingest`, which checks and maps the same crates.

use std::collections::HashMap;

use serde_json::{Map, Value};

/// The entities of a crate, found by `@id`. Ids are compared after [`normalize_id`], so `./a`
/// and `a` are one entity, and ids relative to an `@base` also match their absolute form.
pub struct Crate<'a> {
    pub entities: Vec<&'a Map<String, Value>>,
    by_id: HashMap<String, &'a Map<String, Value>>,
    base: Option<String>,
}

/// `./data.csv` and `data.csv` name the same entity; `./` and the empty id name the root.
pub fn normalize_id(id: &str) -> String {
    let trimmed = id.strip_prefix("./").unwrap_or(id);
    if trimmed.is_empty() { "./".into() } else { trimmed.to_string() }
}

/// The `@id` a value refers to: `{"@id": x}` or, leniently, a bare string.
pub fn ref_id(value: &Value) -> Option<&str> {
    match value {
        Value::Object(o) => o.get("@id").and_then(Value::as_str),
        Value::String(s) => Some(s),
        _ => None,
    }
}

/// The `@id` of an entity.
pub fn id_of(entity: &Map<String, Value>) -> Option<&str> {
    entity.get("@id").and_then(Value::as_str)
}

/// A property as a list: one value and arrays alike. Some exporters write a JSON array as a
/// string (`"hasPart": "[{\"@id\": ...}]"`); such a string is read as the array it holds.
pub fn values(entity: &Map<String, Value>, key: &str) -> Vec<Value> {
    match entity.get(key) {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(a)) => a.clone(),
        Some(Value::String(s)) if s.trim_start().starts_with("[{") => match serde_json::from_str(s) {
            Ok(Value::Array(a)) => a,
            _ => vec![Value::String(s.clone())],
        },
        Some(v) => vec![v.clone()],
    }
}

/// The `@type` of an entity as a list of names.
pub fn types(entity: &Map<String, Value>) -> Vec<String> {
    values(entity, "@type").iter().filter_map(Value::as_str).map(str::to_string).collect()
}

/// A literal value as text, as written: a string, a number, a boolean, or a value object's
/// `@value`.
pub fn literal(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Object(o) => o.get("@value").and_then(literal),
        _ => None,
    }
}

/// The items of `@context`, whether it is one value or an array.
pub fn context_items(doc: &Value) -> Vec<&Value> {
    match doc.get("@context") {
        Some(Value::Array(a)) => a.iter().collect(),
        Some(v) => vec![v],
        None => Vec::new(),
    }
}

impl<'a> Crate<'a> {
    /// Reads the `@graph` of a document; `None` when it has none or it is not an array.
    pub fn new(doc: &'a Value) -> Option<Self> {
        let graph = doc.get("@graph")?.as_array()?;
        let entities: Vec<_> = graph.iter().filter_map(Value::as_object).collect();
        let mut by_id = HashMap::new();
        for e in &entities {
            if let Some(id) = id_of(e) {
                by_id.entry(normalize_id(id)).or_insert(*e);
            }
        }
        let base = context_items(doc).iter().find_map(|c| c.get("@base").and_then(Value::as_str)).map(str::to_string);
        Some(Crate { entities, by_id, base })
    }

    /// The entity with this id, trying it relative to `@base` too.
    pub fn get(&self, id: &str) -> Option<&'a Map<String, Value>> {
        if let Some(e) = self.by_id.get(&normalize_id(id)) {
            return Some(e);
        }
        let base = self.base.as_deref()?;
        match id.strip_prefix(base) {
            Some(rest) => self.by_id.get(&normalize_id(rest)).copied(),
            None => self.by_id.get(&format!("{base}{}", id.strip_prefix("./").unwrap_or(id))).copied(),
        }
    }

    /// The entity a property value refers to by `{"@id": …}`.
    pub fn deref(&self, value: &Value) -> Option<&'a Map<String, Value>> {
        match value {
            Value::Object(o) if o.contains_key("@id") => self.get(ref_id(value)?),
            _ => None,
        }
    }

    /// The metadata descriptor: the entity named `ro-crate-metadata.json` (or, for RO-Crate 1.2
    /// detached crates, `…-ro-crate-metadata.json`).
    pub fn descriptor(&self) -> Option<&'a Map<String, Value>> {
        self.get("ro-crate-metadata.json").or_else(|| {
            self.entities.iter().copied().find(|e| {
                id_of(e).is_some_and(|id| {
                    id.ends_with("/ro-crate-metadata.json") || id.ends_with("-ro-crate-metadata.json")
                })
            })
        })
    }

    /// The root data entity: what the descriptor is `about`.
    pub fn root(&self) -> Option<&'a Map<String, Value>> {
        self.descriptor().and_then(|d| d.get("about")).and_then(|a| self.get(ref_id(a)?))
    }
}
