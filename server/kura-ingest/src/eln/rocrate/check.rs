//! The crate defects that concern an importer.
//!
//! Errors are what makes the crate impossible to interpret: no JSON, no `@graph` array, no
//! metadata descriptor (or one that is not a `CreativeWork` with `about` and an RO-Crate
//! `conformsTo`), no root data entity or one that is not a `Dataset`. Everything else is a
//! warning: real ELN exports omit properties RO-Crate requires (AI4Green's root has no name,
//! description, date or licence), and refusing them would drop what users upload.

use std::collections::HashSet;

use serde_json::{Map, Value};

use super::{Crate, context_items, is_external, literal, normalize_id, ref_id, types, values};

/// How much a defect matters: errors stop the import, warnings are reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    Error,
    Warning,
}

/// One defect of a crate: a stable `code` naming the concern, and a message for users.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Defect {
    pub severity: Severity,
    pub code: &'static str,
    pub message: String,
}

fn error(code: &'static str, message: impl Into<String>) -> Defect {
    Defect { severity: Severity::Error, code, message: message.into() }
}

fn warning(code: &'static str, message: impl Into<String>) -> Defect {
    Defect { severity: Severity::Warning, code, message: message.into() }
}

/// Most entities walked through `hasPart`, so a huge or cyclic graph stays cheap.
const MAX_PARTS: usize = 100_000;

/// Checks a metadata document given as bytes (invalid JSON is a defect, not a failure).
pub fn check_bytes(bytes: &[u8]) -> (Option<Value>, Vec<Defect>) {
    match serde_json::from_slice::<Value>(bytes) {
        Ok(doc) => {
            let defects = check(&doc);
            (Some(doc), defects)
        }
        Err(e) => (None, vec![error("invalid_json", format!("ro-crate-metadata.json is not valid JSON: {e}"))]),
    }
}

/// Checks a parsed metadata document.
pub fn check(doc: &Value) -> Vec<Defect> {
    let mut out = Vec::new();
    if !doc.is_object() {
        out.push(error("graph_not_array", "the metadata document is not a JSON object"));
        return out;
    }
    check_context(doc, &mut out);
    let Some(krate) = Crate::new(doc) else {
        out.push(error("graph_not_array", "@graph is missing or not an array"));
        return out;
    };
    check_entities(&krate, &mut out);
    let Some(descriptor) = krate.descriptor() else {
        out.push(error("descriptor_missing", "no metadata descriptor entity with @id \"ro-crate-metadata.json\""));
        return out;
    };
    check_descriptor(descriptor, &mut out);
    let root_id = descriptor.get("about").and_then(ref_id);
    let Some(root) = krate.root() else {
        if let Some(id) = root_id {
            out.push(error(
                "root_missing",
                format!("root data entity {id:?} named by the descriptor's about is missing"),
            ));
        }
        return out;
    };
    check_root(&krate, root, &mut out);
    check_parts_graph(&krate, root, &mut out);
    out
}

fn check_context(doc: &Value, out: &mut Vec<Defect>) {
    let items = context_items(doc);
    if items.is_empty() {
        out.push(warning("context", "@context is missing: terms are read as RO-Crate's"));
        return;
    }
    let crate_context =
        items.iter().filter_map(|c| c.as_str()).find_map(|c| c.strip_prefix("https://w3id.org/ro/crate/"));
    let conforms = doc
        .get("@graph")
        .and_then(Value::as_array)
        .and_then(|g| {
            g.iter()
                .find(|e| e.get("@id").and_then(Value::as_str).is_some_and(|i| i.ends_with("ro-crate-metadata.json")))
        })
        .and_then(|d| d.get("conformsTo"))
        .map(|c| match c {
            Value::Array(a) => a.iter().filter_map(ref_id).map(str::to_string).collect::<Vec<_>>(),
            v => ref_id(v).map(str::to_string).into_iter().collect(),
        })
        .unwrap_or_default();
    match crate_context {
        None => out.push(warning("context", "@context does not name an RO-Crate context")),
        Some(version) => {
            let version = version.trim_end_matches("/context");
            let release = |v: &str| v.trim_end_matches("-DRAFT").to_string();
            let declared: Vec<String> = conforms
                .iter()
                .filter_map(|c| c.strip_prefix("https://w3id.org/ro/crate/"))
                .map(|v| release(v.trim_end_matches('/')))
                .collect();
            if !declared.is_empty() && !declared.contains(&release(version)) {
                out.push(warning(
                    "context",
                    format!("@context is RO-Crate {version} but the descriptor conforms to {}", declared.join(", ")),
                ));
            }
        }
    }
}

fn check_entities(krate: &Crate, out: &mut Vec<Defect>) {
    for (n, e) in krate.entities.iter().enumerate() {
        let Some(id) = e.get("@id").and_then(Value::as_str) else {
            out.push(warning("entity_without_id", format!("@graph entity {} has no @id", n + 1)));
            continue;
        };
        if types(e).is_empty() {
            out.push(warning("entity_without_type", format!("entity {id:?} has no @type")));
        }
        for (key, value) in e.iter() {
            if key.starts_with("http://") || key.starts_with("https://") {
                out.push(warning("not_compacted", format!("entity {id:?} uses the full IRI {key:?} as a key")));
            }
            for v in value.as_array().map(|a| a.iter().collect()).unwrap_or_else(|| vec![value]) {
                let Some(o) = v.as_object() else { continue };
                if o.contains_key("@value") {
                    if o.contains_key("@id") || (o.contains_key("@type") && o.contains_key("@language")) {
                        out.push(warning(
                            "value_object",
                            format!("entity {id:?} has an invalid value object in {key:?}"),
                        ));
                    }
                } else if key != "@context" && o.keys().any(|k| k != "@id") {
                    out.push(warning(
                        "not_flattened",
                        format!("entity {id:?} nests an entity in {key:?} instead of referring to it by @id"),
                    ));
                }
            }
        }
    }
}

fn check_descriptor(descriptor: &Map<String, Value>, out: &mut Vec<Defect>) {
    if !types(descriptor).iter().any(|t| t == "CreativeWork") {
        out.push(error("descriptor_type", "the metadata descriptor's @type is not CreativeWork"));
    }
    if descriptor.get("about").and_then(ref_id).is_none() {
        out.push(error("descriptor_about", "the metadata descriptor has no about naming the root data entity"));
    }
    let conforms: Vec<String> =
        values(descriptor, "conformsTo").iter().filter_map(ref_id).map(str::to_string).collect();
    if conforms.is_empty() {
        out.push(error("descriptor_conforms_to", "the metadata descriptor has no conformsTo"));
    } else if !conforms.iter().any(|c| {
        c.strip_prefix("https://w3id.org/ro/crate/")
            .is_some_and(|v| v.trim_end_matches('/').trim_end_matches("-DRAFT").parse::<f32>().is_ok())
    }) {
        out.push(error(
            "descriptor_conforms_to",
            format!("the metadata descriptor conforms to {} instead of an RO-Crate version", conforms.join(", ")),
        ));
    }
}

fn check_root(krate: &Crate, root: &Map<String, Value>, out: &mut Vec<Defect>) {
    let id = root.get("@id").and_then(Value::as_str).unwrap_or_default();
    if !types(root).iter().any(|t| t == "Dataset") {
        out.push(error("root_type", format!("root data entity {id:?} is not a Dataset")));
    }
    if !id.ends_with('/') {
        out.push(warning("root_id", format!("root data entity @id {id:?} does not end with '/'")));
    }
    for (key, code) in [("name", "root_name"), ("description", "root_description"), ("license", "root_license")] {
        if values(root, key).iter().filter_map(|v| literal(v).or(ref_id(v).map(str::to_string))).all(|s| s.is_empty()) {
            out.push(warning(code, format!("root data entity has no {key}")));
        }
    }
    match values(root, "datePublished").as_slice() {
        [] => out.push(warning("root_date", "root data entity has no datePublished")),
        [one] => match literal(one) {
            Some(date) if is_iso8601(&date) => {}
            _ => out.push(warning("root_date", format!("root datePublished {one} is not an ISO 8601 date"))),
        },
        many => out.push(warning("root_date", format!("root has {} datePublished values instead of one", many.len()))),
    }
    for license in values(root, "license") {
        if let Some(entity) = krate.deref(&license) {
            let lid = entity.get("@id").and_then(Value::as_str).unwrap_or_default();
            for key in ["name", "description"] {
                if !entity.contains_key(key) {
                    out.push(warning("license_entity", format!("license entity {lid:?} has no {key}")));
                }
            }
        }
    }
}

/// Walks `hasPart` from the root: cycles, directories without a trailing `/`, and data
/// entities no `hasPart` reaches.
fn check_parts_graph(krate: &Crate, root: &Map<String, Value>, out: &mut Vec<Defect>) {
    if let Some((from, to)) = find_cycle(krate) {
        out.push(warning("has_part_cycle", format!("hasPart of {from:?} leads back to {to:?}, which contains it")));
    }
    let reached = reachable(krate, root);
    for e in &krate.entities {
        let Some(id) = e.get("@id").and_then(Value::as_str) else { continue };
        let t = types(e);
        let is_data = t.iter().any(|t| t == "File" || t == "Dataset");
        if !is_data || is_external(id) || std::ptr::eq(*e, root) {
            continue;
        }
        if t.iter().any(|t| t == "Dataset") && !id.ends_with('/') {
            out.push(warning("directory_id", format!("Dataset entity {id:?} does not end with '/'")));
        }
        if !reached.contains(&normalize_id(id)) {
            out.push(warning("unlinked_entity", format!("data entity {id:?} is not reached by hasPart from the root")));
        }
    }
}

/// Ids reached from `root` through `hasPart`, breadth first, each once (cycles end there).
pub(super) fn reachable(krate: &Crate, root: &Map<String, Value>) -> Vec<String> {
    let mut seen = HashSet::new();
    let mut order = Vec::new();
    seen.insert(root.get("@id").and_then(Value::as_str).map(normalize_id).unwrap_or_default());
    let mut queue = std::collections::VecDeque::from([root]);
    while let Some(entity) = queue.pop_front() {
        for part in values(entity, "hasPart") {
            let Some(id) = ref_id(&part).map(normalize_id) else { continue };
            if !seen.insert(id.clone()) {
                continue;
            }
            if let Some(child) = krate.get(&id) {
                queue.push_back(child);
            }
            order.push(id);
            if order.len() >= MAX_PARTS {
                return order;
            }
        }
    }
    order
}

/// A `hasPart` cycle anywhere in the graph, as the edge that closes it. Iterative depth-first
/// search with three colours, so deep graphs cannot overflow the stack.
fn find_cycle(krate: &Crate) -> Option<(String, String)> {
    #[derive(Clone, Copy, PartialEq)]
    enum Colour {
        Open,
        Done,
    }
    let children = |id: &str| -> Vec<String> {
        krate
            .get(id)
            .map(|e| values(e, "hasPart").iter().filter_map(ref_id).map(normalize_id).collect())
            .unwrap_or_default()
    };
    let mut colour: std::collections::HashMap<String, Colour> = std::collections::HashMap::new();
    for start in krate.entities.iter().filter_map(|e| e.get("@id").and_then(Value::as_str)).map(normalize_id) {
        if colour.contains_key(&start) {
            continue;
        }
        colour.insert(start.clone(), Colour::Open);
        let mut stack = vec![(start.clone(), children(&start), 0usize)];
        while let Some((id, kids, next)) = stack.last_mut() {
            let Some(kid) = kids.get(*next).cloned() else {
                colour.insert(id.clone(), Colour::Done);
                stack.pop();
                continue;
            };
            *next += 1;
            let parent = id.clone();
            match colour.get(&kid) {
                Some(Colour::Open) => return Some((parent, kid)),
                Some(Colour::Done) => {}
                None => {
                    if colour.len() >= MAX_PARTS {
                        return None;
                    }
                    colour.insert(kid.clone(), Colour::Open);
                    let grandkids = children(&kid);
                    stack.push((kid, grandkids, 0));
                }
            }
        }
    }
    None
}

/// Data entities reached by `hasPart` whose files are not in the crate. `exists` answers for a
/// path relative to the crate root (percent-decoded; directories end with `/`).
pub fn check_parts(doc: &Value, exists: &dyn Fn(&str) -> bool) -> Vec<Defect> {
    let Some(krate) = Crate::new(doc) else { return Vec::new() };
    let Some(root) = krate.root() else { return Vec::new() };
    let mut out = Vec::new();
    for id in reachable(&krate, root) {
        if is_external(&id) || id == "./" {
            continue;
        }
        // Invalid escapes stay as written.
        let path = percent_encoding::percent_decode_str(&id).decode_utf8_lossy();
        if !exists(path.trim_start_matches('/')) {
            out.push(warning("part_missing", format!("data entity {id:?} listed in hasPart is not in the crate")));
        }
    }
    out
}

/// ISO 8601 dates as RO-Crate uses them: `YYYY`, `YYYY-MM`, `YYYY-MM-DD`, optionally followed by
/// `Thh:mm[:ss[.f]]` and a zone (`Z`, `±hh:mm`, `±hhmm`), or no zone.
pub fn is_iso8601(s: &str) -> bool {
    let (date, time) = match s.split_once('T') {
        Some((d, t)) => (d, Some(t)),
        None => (s, None),
    };
    let digits = |p: &str, n: usize| p.len() == n && p.bytes().all(|b| b.is_ascii_digit());
    let parts: Vec<&str> = date.split('-').collect();
    let date_ok = match parts.as_slice() {
        [y] => digits(y, 4) && time.is_none(),
        [y, m] => digits(y, 4) && digits(m, 2) && time.is_none(),
        [y, m, d] => digits(y, 4) && digits(m, 2) && digits(d, 2),
        _ => false,
    };
    if !date_ok {
        return false;
    }
    let Some(time) = time else { return true };
    let (clock, zone) = match time.find(['Z', '+', '-']) {
        Some(i) => (&time[..i], &time[i..]),
        None => (time, ""),
    };
    let zone_ok = zone.is_empty()
        || zone == "Z"
        || (zone.len() > 1 && zone[1..].replace(':', "").bytes().all(|b| b.is_ascii_digit()) && zone.len() <= 6);
    let clock_parts: Vec<&str> = clock.split(':').collect();
    let clock_ok = match clock_parts.as_slice() {
        [h, m] => digits(h, 2) && digits(m, 2),
        [h, m, s] => {
            let (whole, frac) = s.split_once('.').unwrap_or((s, "0"));
            digits(h, 2)
                && digits(m, 2)
                && digits(whole, 2)
                && !frac.is_empty()
                && frac.bytes().all(|b| b.is_ascii_digit())
        }
        _ => false,
    };
    zone_ok && clock_ok
}
