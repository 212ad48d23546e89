//! NeXus: groups carry an `NX_class` attribute (NXentry, NXinstrument, NXsample...). The facts a
//! catalog shows first (title, start time, instrument, sample) are lifted from the tree to
//! top-level metadata keys.

use std::collections::BTreeSet;

use serde_json::{Map, Value};

/// Scalar fields of an NXentry lifted as they are.
const ENTRY_FIELDS: &[&str] = &[
    "title",
    "start_time",
    "end_time",
    "definition",
    "experiment_identifier",
    "experiment_description",
    "entry_identifier",
    "collection_description",
    "program_name",
    "run_cycle",
    "duration",
];

fn class(node: &Map<String, Value>) -> Option<&str> {
    match node.get("@NX_class")? {
        Value::String(s) => Some(s),
        Value::Array(a) if a.len() == 1 => a[0].as_str(),
        _ => None,
    }
}

/// Groups of a node: children that are objects without a `shape` array (dataset nodes have one;
/// a group's child named `shape` is an object).
fn groups(node: &Map<String, Value>) -> impl Iterator<Item = (&String, &Map<String, Value>)> {
    node.iter().filter_map(|(k, v)| match v {
        Value::Object(o) if !k.starts_with('@') && !o.get("shape").is_some_and(Value::is_array) => Some((k, o)),
        _ => None,
    })
}

/// The value of a scalar dataset child `name`.
fn field(node: &Map<String, Value>, name: &str) -> Option<Value> {
    let v = node.get(name)?.as_object()?.get("value")?;
    (!v.is_null()).then(|| v.clone())
}

/// Every group below `node` (itself included) whose NX_class is `wanted`, in file order.
fn find<'a>(node: &'a Map<String, Value>, wanted: &str, out: &mut Vec<&'a Map<String, Value>>) {
    if class(node) == Some(wanted) {
        out.push(node);
    }
    for (_, child) in groups(node) {
        find(child, wanted, out);
    }
}

fn classes<'a>(node: &'a Map<String, Value>, out: &mut BTreeSet<&'a str>) {
    if let Some(c) = class(node) {
        out.insert(c);
    }
    for (_, child) in groups(node) {
        classes(child, out);
    }
}

/// Adds NeXus summary keys to `metadata` and their text to `text`; returns whether the file is
/// NeXus (any group has an NX_class).
pub(super) fn summarize(root: &Map<String, Value>, metadata: &mut Map<String, Value>, text: &mut String) -> bool {
    let mut seen = BTreeSet::new();
    classes(root, &mut seen);
    if seen.is_empty() {
        return false;
    }
    metadata.insert("nexus_classes".into(), seen.iter().map(|c| Value::from(*c)).collect());
    let entries: Vec<(&String, &Map<String, Value>)> =
        groups(root).filter(|(_, g)| class(g) == Some("NXentry")).collect();
    let Some((entry_name, entry)) = entries.first() else { return true };
    metadata.insert("entry".into(), Value::from(entry_name.as_str()));
    if entries.len() > 1 {
        metadata.insert("entries".into(), entries.iter().map(|(n, _)| Value::from(n.as_str())).collect());
    }
    let mut lift = |key: &str, value: Option<Value>, metadata: &mut Map<String, Value>| {
        if let Some(value) = value {
            if let Value::String(s) = &value {
                if !text.is_empty() {
                    text.push('\n');
                }
                text.push_str(s);
            }
            metadata.insert(key.into(), value);
        }
    };
    for key in ENTRY_FIELDS {
        lift(key, field(entry, key), metadata);
    }
    let first = |class: &str| {
        let mut found = Vec::new();
        find(entry, class, &mut found);
        found.into_iter().next()
    };
    if let Some(instrument) = first("NXinstrument") {
        lift("instrument", field(instrument, "name"), metadata);
    }
    if let Some(source) = first("NXsource") {
        lift("source", field(source, "name"), metadata);
        lift("source_type", field(source, "type"), metadata);
        lift("probe", field(source, "probe"), metadata);
    }
    if let Some(sample) = first("NXsample") {
        lift("sample", field(sample, "name"), metadata);
        lift("chemical_formula", field(sample, "chemical_formula"), metadata);
    }
    let mut users = Vec::new();
    find(entry, "NXuser", &mut users);
    let names: Vec<Value> = users.iter().filter_map(|u| field(u, "name")).collect();
    if !names.is_empty() {
        lift("users", Some(Value::Array(names)), metadata);
    }
    true
}
