//! The other direction: what an imported RO-Crate (an `.eln` archive's `ro-crate-metadata.json`)
//! says about itself, as profile fields. Only the root dataset's own properties and the entities
//! typed as instruments or samples are read; each value is checked against the profile on its
//! own, so a bad ORCID or an unknown licence drops that value (with a note), never the import.

use std::collections::HashSet;

use serde_json::{Map, Value, json};

use super::graph::{self, Crate, id_of, ref_id, types, values};
use crate::fos;
use crate::spdx;

/// Most instruments, samples, keywords or related identifiers taken from one crate.
const MAX_ITEMS: usize = 200;

/// Profile fields read from a crate, and what the crate had that the profile cannot take.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Imported {
    /// Top-level profile fields (`titles`, `creators`, `license`…); each passes
    /// [`crate::validate_draft`] on its own.
    pub fields: Map<String, Value>,
    /// One line per value left out, naming the crate's property and why (`license "…": …`).
    pub dropped: Vec<String>,
}

/// Reads a crate's metadata document into profile fields. A document without a root dataset
/// gives nothing.
pub fn from_ro_crate(doc: &Value) -> Imported {
    let mut out = Imported::default();
    let Some(graph) = Crate::new(doc) else { return out };
    let Some(root) = graph.root() else { return out };
    let lang = language(&graph, root, &mut out);
    let mut import = Import { graph: &graph, lang: &lang, out };
    import.texts(root);
    import.version(root);
    import.creators(root);
    import.keywords(root);
    import.license(root);
    import.related(root);
    import.funding(root);
    import.subjects(root);
    import.methods();
    import.instruments_and_samples();
    import.out
}

/// The profile's fields in the order the profile lists them, for notes that read like a form.
const FIELD_ORDER: &[&str] = &[
    "titles",
    "descriptions",
    "creators",
    "contributors",
    "keywords",
    "subjects",
    "license",
    "funding",
    "related_identifiers",
    "temporal_coverage",
    "spatial_coverage",
    "instruments",
    "samples",
    "methods",
    "variables_measured",
    "language",
    "version",
    "publisher",
    "doi",
    "contact",
];

/// Fills the fields of `draft` that are empty (absent, `null`, `""`, `[]` or `{}`) with the
/// imported ones and returns the new document and the fields it filled, in the profile's
/// order. Nothing the draft already says is changed.
pub fn fill_empty(draft: &Value, imported: &Map<String, Value>) -> (Value, Vec<String>) {
    let mut doc = match draft {
        Value::Object(o) => o.clone(),
        _ => Map::new(),
    };
    let mut filled = Vec::new();
    let mut keys: Vec<&String> = imported.keys().collect();
    keys.sort_by_key(|k| FIELD_ORDER.iter().position(|f| f == k).unwrap_or(FIELD_ORDER.len()));
    for key in keys {
        let value = &imported[key];
        if doc.get(key).is_none_or(is_empty) {
            doc.insert(key.clone(), value.clone());
            filled.push(key.clone());
        }
    }
    (Value::Object(doc), filled)
}

/// Whether a profile field counts as not filled in.
pub fn is_empty(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::String(s) => s.trim().is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        _ => false,
    }
}

/// A literal as text, trimmed; empty strings and booleans are no value for a profile field.
fn literal(value: &Value) -> Option<String> {
    match value {
        Value::Bool(_) => None,
        _ => graph::literal(value).map(|s| s.trim().to_string()).filter(|s| !s.is_empty()),
    }
}

fn text(entity: &Map<String, Value>, key: &str) -> Option<String> {
    values(entity, key).iter().find_map(literal)
}

/// Literal values of a property and the ids it refers to, and the same of the entities
/// referred to (`identifier: {"@id": "#pv"}` with the PropertyValue's `value`, `url`…).
fn strings(graph: &Crate, entity: &Map<String, Value>, key: &str) -> Vec<String> {
    let mut out = Vec::new();
    for v in values(entity, key) {
        out.extend(literal(&v).or_else(|| ref_id(&v).map(str::to_string)));
        if let Some(e) = graph.deref(&v) {
            for k in ["value", "url", "propertyID"] {
                out.extend(text(e, k));
            }
        }
    }
    out
}

/// The bare ORCID iD in an `https://orcid.org/…` IRI (or a bare iD).
pub fn orcid_of(s: &str) -> Option<String> {
    let s = s.trim();
    let rest = match s.find("orcid.org/") {
        Some(i) => &s[i + "orcid.org/".len()..],
        None => s,
    };
    let id: String = rest.trim_end_matches('/').to_string();
    let shape = id.len() == 19
        && id
            .char_indices()
            .all(|(i, c)| if [4, 9, 14].contains(&i) { c == '-' } else { c.is_ascii_digit() || (i == 18 && c == 'X') });
    shape.then_some(id)
}

/// A ROR id in its canonical form (`https://ror.org/0…`), from `ror.org/…` IRIs of any scheme.
pub fn ror_of(s: &str) -> Option<String> {
    let i = s.find("ror.org/")?;
    let id = s[i + "ror.org/".len()..].trim_end_matches('/');
    (id.len() == 9 && id.starts_with('0') && id.chars().all(|c| c.is_ascii_alphanumeric()))
        .then(|| format!("https://ror.org/{}", id.to_ascii_lowercase()))
}

/// A DOI (`10.…/…`) in a `doi.org` IRI, a `doi:` string or a bare DOI.
pub fn doi_of(s: &str) -> Option<String> {
    let s = s.trim();
    let rest = match s.find("doi.org/") {
        Some(i) => &s[i + "doi.org/".len()..],
        None => s.strip_prefix("doi:").unwrap_or(s),
    };
    let (prefix, suffix) = rest.split_once('/')?;
    let registrant = prefix.strip_prefix("10.")?;
    (registrant.len() >= 4
        && registrant.chars().all(|c| c.is_ascii_digit() || c == '.')
        && !suffix.is_empty()
        && !suffix.chars().any(char::is_whitespace))
    .then(|| rest.to_string())
}

/// The SPDX id of a licence named by an SPDX id, an SPDX page, or a Creative Commons or Open
/// Data Commons URL; `None` for anything else, including ids Kura does not accept.
pub fn spdx_of(s: &str) -> Option<&'static str> {
    let s = s.trim();
    let accepted = |id: &str| spdx::LICENSES.iter().find(|(i, _)| i.eq_ignore_ascii_case(id)).map(|(i, _)| *i);
    if let Some(id) = accepted(s) {
        return Some(id);
    }
    let lower = s.to_ascii_lowercase();
    let path = lower.split_once("://").map_or(lower.as_str(), |(_, p)| p).trim_start_matches("www.");
    let mut parts = path.split(['/', '#', '?']).filter(|p| !p.is_empty());
    match parts.next()? {
        "spdx.org" => {
            if parts.next()? != "licenses" {
                return None;
            }
            let id = parts.next()?;
            accepted(id.trim_end_matches(".html").trim_end_matches(".json"))
        }
        "creativecommons.org" => match (parts.next()?, parts.next()?, parts.next()?) {
            ("licenses", kind, version) => {
                let mut id = format!("CC-{}-{version}", kind.to_ascii_uppercase());
                if version == "2.1" && parts.next() == Some("jp") {
                    id.push_str("-JP");
                }
                accepted(&id)
            }
            ("publicdomain", "zero", "1.0") => accepted("CC0-1.0"),
            ("publicdomain", "mark", _) => None,
            _ => None,
        },
        "opendatacommons.org" => match (parts.next()?, parts.next()?) {
            ("licenses", "pddl") => accepted("PDDL-1.0"),
            ("licenses", "by") => accepted("ODC-By-1.0"),
            ("licenses", "odbl") => accepted("ODbL-1.0"),
            _ => None,
        },
        _ => None,
    }
}

/// Whether `{key: value}` is a valid draft; the violations as text when not.
fn check(key: &str, value: &Value) -> Result<(), String> {
    crate::validate_draft(&json!({ key: value })).map_err(|e| match e {
        crate::MetadataError::Invalid(v) => {
            v.iter().map(|v| format!("{} ({})", v.message, v.rule)).collect::<Vec<_>>().join("; ")
        }
        other => other.to_string(),
    })
}

/// The crate's language (`inLanguage` of the root, a BCP 47 tag or a Language entity), else
/// `und`: RO-Crate texts carry no language tag of their own.
fn language(graph: &Crate, root: &Map<String, Value>, out: &mut Imported) -> String {
    let mut tags = Vec::new();
    for v in values(root, "inLanguage") {
        match graph.deref(&v) {
            Some(e) => tags.extend(["alternateName", "identifier", "name"].iter().filter_map(|k| text(e, k))),
            None => tags.extend(literal(&v)),
        }
    }
    for tag in &tags {
        if check("language", &json!(tag)).is_ok() {
            out.fields.insert("language".into(), json!(tag));
            return tag.clone();
        }
    }
    if let Some(tag) = tags.first() {
        out.dropped.push(format!("inLanguage {tag:?}: not a BCP 47 language tag"));
    }
    "und".into()
}

struct Import<'g, 'a> {
    graph: &'g Crate<'a>,
    lang: &'g str,
    out: Imported,
}

impl Import<'_, '_> {
    /// Keeps the items that are valid on their own under `key`, noting the others.
    fn keep(&mut self, key: &str, property: &str, items: Vec<(String, Value)>) {
        let mut kept: Vec<Value> = Vec::new();
        for (label, item) in items {
            if kept.contains(&item) || kept.len() >= MAX_ITEMS {
                continue;
            }
            match check(key, &json!([item])) {
                Ok(()) => kept.push(item),
                Err(why) => self.out.dropped.push(format!("{property} {label:?}: {why}")),
            }
        }
        if !kept.is_empty() {
            self.out.fields.insert(key.into(), Value::Array(kept));
        }
    }

    fn texts(&mut self, root: &Map<String, Value>) {
        for (property, key) in [("name", "titles"), ("description", "descriptions")] {
            let Some(value) = text(root, property) else { continue };
            let item = json!({"lang": self.lang, "value": value});
            self.keep(key, property, vec![(short(&value), item)]);
        }
    }

    fn version(&mut self, root: &Map<String, Value>) {
        if let Some(v) = text(root, "version") {
            self.keep_one("version", "version", json!(v));
        }
    }

    /// Keeps a single-valued field if it is valid, noting it otherwise.
    fn keep_one(&mut self, key: &str, property: &str, value: Value) {
        match check(key, &value) {
            Ok(()) => {
                self.out.fields.insert(key.into(), value);
            }
            Err(why) => self.out.dropped.push(format!("{property} {value}: {why}")),
        }
    }

    fn creators(&mut self, root: &Map<String, Value>) {
        let mut seen = HashSet::new();
        let mut items = Vec::new();
        for v in ["author", "creator", "authors"].iter().flat_map(|k| values(root, k)) {
            let key = ref_id(&v).map(str::to_string).unwrap_or_default();
            if !key.is_empty() && !seen.insert(key.clone()) {
                continue;
            }
            match self.agent(&v) {
                Some(agent) => items.push((key, agent)),
                None => self.out.dropped.push(format!("author {key:?}: no name")),
            }
        }
        self.keep("creators", "author", items);
    }

    /// A creator: a Person or Organization entity, or a name given as text.
    fn agent(&mut self, value: &Value) -> Option<Value> {
        let Some(e) = self.graph.deref(value) else {
            return literal(value).map(|name| json!({"name": name}));
        };
        let ids: Vec<String> = std::iter::once(id_of(e).unwrap_or_default().to_string())
            .chain(strings(self.graph, e, "identifier"))
            .chain(strings(self.graph, e, "sameAs"))
            .collect();
        let label = id_of(e).unwrap_or_default().to_string();
        if types(e).iter().any(|t| t == "Organization") {
            let mut agent = json!({"kind": "organization", "name": text(e, "name")?});
            if let Some(ror) = ids.iter().find_map(|i| ror_of(i)) {
                self.optional(&mut agent, "ror", json!(ror), &label);
            }
            return Some(agent);
        }
        let given = text(e, "givenName");
        let family = text(e, "familyName");
        let name = match (&family, &given) {
            (Some(f), Some(g)) => format!("{f}, {g}"),
            _ => text(e, "name").or(family.clone()).or(given.clone())?,
        };
        let mut agent = json!({"name": name});
        if let Some(g) = given {
            agent["given_name"] = json!(g);
        }
        if let Some(f) = family {
            agent["family_name"] = json!(f);
        }
        if let Some(orcid) = ids.iter().filter(|i| i.contains("orcid.org/")).find_map(|i| orcid_of(i)) {
            self.optional(&mut agent, "orcid", json!(orcid), &label);
        }
        let mut affiliations = Vec::new();
        for a in ["affiliation", "worksFor"].iter().flat_map(|k| values(e, k)) {
            let org = match self.graph.deref(&a) {
                Some(o) => {
                    let Some(name) = text(o, "name") else { continue };
                    let ror = std::iter::once(id_of(o).unwrap_or_default().to_string())
                        .chain(strings(self.graph, o, "identifier"))
                        .find_map(|i| ror_of(&i));
                    let mut org = json!({"name": name});
                    if let Some(ror) = ror {
                        org["ror"] = json!(ror);
                        if check("publisher", &org).is_err() {
                            self.out
                                .dropped
                                .push(format!("affiliation {:?} ror {ror:?}: not a valid ror id", id_of(o)));
                            org.as_object_mut().map(|m| m.remove("ror"));
                        }
                    }
                    org
                }
                None => match literal(&a) {
                    Some(name) => json!({"name": name}),
                    None => continue,
                },
            };
            if !affiliations.contains(&org) {
                affiliations.push(org);
            }
        }
        if !affiliations.is_empty() {
            agent["affiliations"] = json!(affiliations);
        }
        Some(agent)
    }

    /// Adds an identifier to an agent only if the agent stays valid with it.
    fn optional(&mut self, agent: &mut Value, key: &str, value: Value, label: &str) {
        let mut with = agent.clone();
        with[key] = value.clone();
        match check("creators", &json!([with])) {
            Ok(()) => *agent = with,
            Err(why) => self.out.dropped.push(format!("author {label:?} {key} {value}: {why}")),
        }
    }

    fn keywords(&mut self, root: &Map<String, Value>) {
        let mut items = Vec::new();
        for v in values(root, "keywords") {
            let words: Vec<String> = match self.graph.deref(&v) {
                Some(term) => text(term, "name").into_iter().collect(),
                None => literal(&v).map(|k| k.split(',').map(|w| w.trim().to_string()).collect()).unwrap_or_default(),
            };
            for w in words.into_iter().filter(|w| !w.is_empty()) {
                items.push((w.clone(), json!({"lang": self.lang, "value": w})));
            }
        }
        self.keep("keywords", "keywords", items);
    }

    fn license(&mut self, root: &Map<String, Value>) {
        for v in values(root, "license") {
            let mut candidates: Vec<String> = ref_id(&v).map(str::to_string).into_iter().collect();
            if let Some(e) = self.graph.deref(&v) {
                candidates.extend(["identifier", "url", "sameAs"].iter().flat_map(|k| strings(self.graph, e, k)));
            }
            if let Some(id) = candidates.iter().find_map(|c| spdx_of(c)) {
                self.out.fields.insert("license".into(), json!(id));
                return;
            }
            let shown = self.graph.deref(&v).and_then(|e| text(e, "name")).or(candidates.first().cloned());
            self.out.dropped.push(format!(
                "license {:?}: not an SPDX id, SPDX page or Creative Commons URL of a licence Kura accepts",
                short(&shown.unwrap_or_default())
            ));
        }
    }

    /// The crate's own DOI and landing page (this dataset is derived from them), and the
    /// works it cites that have a DOI.
    fn related(&mut self, root: &Map<String, Value>) {
        let mut items = Vec::new();
        for id in strings(self.graph, root, "identifier") {
            match doi_of(&id) {
                Some(doi) => items
                    .push((id, json!({"identifier": doi, "identifier_type": "DOI", "relation_type": "IsDerivedFrom"}))),
                None if id.starts_with("http://") || id.starts_with("https://") => items.push((
                    id.clone(),
                    json!({"identifier": id, "identifier_type": "URL", "relation_type": "IsDerivedFrom"}),
                )),
                None => self.out.dropped.push(format!("identifier {:?}: neither a DOI nor a URL", short(&id))),
            }
        }
        for url in values(root, "url").iter().filter_map(literal).filter(|u| u.starts_with("http")) {
            let item = match doi_of(&url) {
                Some(doi) => json!({"identifier": doi, "identifier_type": "DOI", "relation_type": "IsDerivedFrom"}),
                None => json!({"identifier": url, "identifier_type": "URL", "relation_type": "IsDerivedFrom"}),
            };
            items.push((url, item));
        }
        for cited in values(root, "citation") {
            let mut ids: Vec<String> = ref_id(&cited).map(str::to_string).into_iter().collect();
            if let Some(e) = self.graph.deref(&cited) {
                ids.extend(["identifier", "url", "sameAs"].iter().flat_map(|k| strings(self.graph, e, k)));
            }
            if let Some(doi) = ids.iter().find_map(|i| doi_of(i)) {
                items.push((
                    doi.clone(),
                    json!({"identifier": doi, "identifier_type": "DOI", "relation_type": "Cites"}),
                ));
            }
        }
        self.keep("related_identifiers", "identifier", items);
    }

    /// `funder` (organizations) and `funding` (grants, with their own `funder`).
    fn funding(&mut self, root: &Map<String, Value>) {
        let mut items = Vec::new();
        for f in values(root, "funder") {
            if let Some(item) = self.funder(&f) {
                items.push((ref_id(&f).unwrap_or_default().to_string(), json!(item)));
            }
        }
        for g in values(root, "funding") {
            let Some(grant) = self.graph.deref(&g) else { continue };
            let label = id_of(grant).unwrap_or_default().to_string();
            let Some(mut item) = values(grant, "funder").first().and_then(|f| self.funder(f)) else {
                self.out.dropped.push(format!("funding {label:?}: the grant names no funder"));
                continue;
            };
            if let Some(number) = text(grant, "identifier") {
                item.insert("award_number".into(), json!(number));
            }
            if let Some(title) = text(grant, "name") {
                item.insert("award_title".into(), json!(title));
            }
            let uri = text(grant, "url").or_else(|| id_of(grant).map(str::to_string));
            if let Some(uri) = uri.filter(|u| u.starts_with("http://") || u.starts_with("https://")) {
                item.insert("award_uri".into(), json!(uri));
            }
            items.push((label, Value::Object(item)));
        }
        self.keep("funding", "funder", items);
    }

    fn funder(&self, value: &Value) -> Option<Map<String, Value>> {
        let mut item = Map::new();
        let Some(e) = self.graph.deref(value) else {
            item.insert("funder_name".into(), json!(literal(value)?));
            return Some(item);
        };
        item.insert("funder_name".into(), json!(text(e, "name")?));
        let ids: Vec<String> = std::iter::once(id_of(e).unwrap_or_default().to_string())
            .chain(strings(self.graph, e, "identifier"))
            .collect();
        if let Some(ror) = ids.iter().find_map(|i| ror_of(i)) {
            item.insert("funder_identifier".into(), json!(ror));
            item.insert("funder_identifier_type".into(), json!("ROR"));
        } else if let Some(doi) = ids.iter().find_map(|i| doi_of(i)).filter(|d| d.starts_with("10.13039/")) {
            item.insert("funder_identifier".into(), json!(format!("https://doi.org/{doi}")));
            item.insert("funder_identifier_type".into(), json!("Crossref Funder ID"));
        }
        Some(item)
    }

    /// `about` or `genre` terms that name a FOS field (`Chemical sciences`, `FOS: Chemical
    /// sciences`, `1.4`): the only subject vocabulary the profile has.
    fn subjects(&mut self, root: &Map<String, Value>) {
        let mut items = Vec::new();
        for v in ["about", "genre"].iter().flat_map(|k| values(root, k)) {
            let labels: Vec<String> = match self.graph.deref(&v) {
                Some(e) => ["name", "termCode", "identifier"].iter().filter_map(|k| text(e, k)).collect(),
                None => literal(&v).into_iter().collect(),
            };
            let field = labels.iter().find_map(|l| {
                let l = l.trim().trim_start_matches("FOS:").trim();
                fos::FIELDS.iter().find(|f| f.code == l || f.en.eq_ignore_ascii_case(l))
            });
            if let Some(f) = field {
                items.push((f.en.to_string(), json!({"scheme": "FOS", "code": f.code})));
            }
        }
        self.keep("subjects", "about", items);
    }

    /// The measurement techniques named anywhere in the crate, as one method text.
    fn methods(&mut self) {
        let mut names: Vec<String> = Vec::new();
        for e in &self.graph.entities {
            for v in values(e, "measurementTechnique") {
                let name = match self.graph.deref(&v) {
                    Some(term) => text(term, "name").map(|n| match text(term, "termCode") {
                        Some(code) => format!("{n} ({code})"),
                        None => n,
                    }),
                    None => literal(&v),
                };
                if let Some(n) = name.filter(|n| !names.contains(n)) {
                    names.push(n);
                }
            }
        }
        if !names.is_empty() {
            let value = format!("Measurement techniques: {}.", names.join("; "));
            self.keep(
                "methods",
                "measurementTechnique",
                vec![(short(&value), json!({"lang": self.lang, "value": value}))],
            );
        }
    }

    /// Entities typed as instruments (`IndividualProduct`, `Product`, `Instrument`,
    /// `LabEquipment`) or samples (`Sample`, `BioSample`, `ChemicalSubstance`), and the
    /// folders ELNs mark with `genre` `device…` or `sample` (PASTA's convention).
    fn instruments_and_samples(&mut self) {
        let mut instruments = Vec::new();
        let mut samples = Vec::new();
        for e in &self.graph.entities {
            let t = types(e);
            let genre = text(e, "genre").unwrap_or_default().to_ascii_lowercase();
            let is = |names: &[&str]| t.iter().any(|t| names.contains(&t.as_str()));
            let folder = is(&["Dataset"]);
            let instrument = is(&["IndividualProduct", "Product", "Instrument", "LabEquipment"])
                || (folder && (genre.starts_with("device") || genre.starts_with("instrument")));
            let sample = is(&["Sample", "BioSample", "ChemicalSubstance"]) || (folder && genre == "sample");
            if !instrument && !sample {
                continue;
            }
            let Some(name) = text(e, "name") else { continue };
            let ids: Vec<String> = std::iter::once(id_of(e).unwrap_or_default().to_string())
                .chain(strings(self.graph, e, "identifier"))
                .chain(values(e, "url").iter().filter_map(literal))
                .collect();
            let identifier = ids
                .iter()
                .find_map(|i| doi_of(i).map(|d| format!("https://doi.org/{d}")))
                .or_else(|| ids.iter().find(|i| i.starts_with("https://") || i.starts_with("http://")).cloned());
            let mut item = json!({"name": name});
            if let Some(id) = identifier {
                item["identifier"] = json!(id);
            }
            if instrument {
                let maker = values(e, "manufacturer")
                    .iter()
                    .find_map(|m| self.graph.deref(m).and_then(|o| text(o, "name")).or_else(|| literal(m)));
                if let Some(m) = maker {
                    item["manufacturer"] = json!(m);
                }
                instruments.push((name, item));
            } else {
                if let Some(d) = text(e, "description") {
                    item["description"] = json!(d);
                }
                samples.push((name, item));
            }
        }
        self.keep("instruments", "instrument", instruments);
        self.keep("samples", "sample", samples);
    }
}

/// A value shortened for a note.
fn short(s: &str) -> String {
    match s.char_indices().nth(80) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

#[cfg(test)]
mod tests;
