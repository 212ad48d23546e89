//! Simple Dublin Core (`oai_dc`) for one harvestable version, from the catalog fields and the
//! version's profile metadata. Every title and description language is kept (`xml:lang`).

use kura_catalog::harvest::HarvestItem;
use kura_core::access::LevelKind;
use serde_json::Value;

use crate::xml::XmlOut;

/// Strings found under `key` in the metadata: a string, a list of strings, or objects with one of
/// the usual label keys (`name`, `label`, `term`, `value`), each with an optional language.
pub fn texts(metadata: &Value, key: &str) -> Vec<(String, Option<String>)> {
    fn one(v: &Value) -> Option<(String, Option<String>)> {
        match v {
            Value::String(s) if !s.trim().is_empty() => Some((s.trim().to_string(), None)),
            // A profile subject: a FOS code, shown by its English label.
            Value::Object(o) if o.get("scheme").and_then(Value::as_str) == Some("FOS") => {
                let code = o.get("code").and_then(Value::as_str)?;
                let label = kura_metadata::fos::field(code).map_or(code, |f| f.en);
                Some((label.to_string(), None))
            }
            Value::Object(o) => {
                let text = ["value", "name", "label", "term", "title", "text"]
                    .iter()
                    .find_map(|k| o.get(*k).and_then(Value::as_str))?;
                let lang = ["lang", "language", "@language"].iter().find_map(|k| o.get(*k).and_then(Value::as_str));
                Some((text.trim().to_string(), lang.map(str::to_string))).filter(|(t, _)| !t.is_empty())
            }
            _ => None,
        }
    }
    match metadata.get(key) {
        Some(Value::Array(items)) => items.iter().filter_map(one).collect(),
        Some(Value::Object(map)) if !map.contains_key("value") && !map.contains_key("name") => {
            // `{"en": "...", "ja": "..."}`: language-keyed strings.
            map.iter().filter_map(|(lang, v)| v.as_str().map(|s| (s.to_string(), Some(lang.clone())))).collect()
        }
        Some(v) => one(v).into_iter().collect(),
        None => Vec::new(),
    }
}

/// Writes `<oai_dc:dc>` for `item`, whose persistent URL is `pid`.
pub fn write(out: &mut XmlOut, item: &HarvestItem, pid: &str, publisher: &str) {
    let v = &item.version;
    let m = &v.metadata;
    out.open(
        "oai_dc:dc",
        &[
            ("xmlns:oai_dc", "http://www.openarchives.org/OAI/2.0/oai_dc/"),
            ("xmlns:dc", "http://purl.org/dc/elements/1.1/"),
            ("xmlns:xsi", "http://www.w3.org/2001/XMLSchema-instance"),
            (
                "xsi:schemaLocation",
                "http://www.openarchives.org/OAI/2.0/oai_dc/ http://www.openarchives.org/OAI/2.0/oai_dc.xsd",
            ),
        ],
    );
    let mut element = |name: &str, text: &str, lang: Option<&str>| {
        let lang: Vec<(&str, &str)> = lang.map(|l| ("xml:lang", l)).into_iter().collect();
        out.element_with(&format!("dc:{name}"), &lang, text);
    };
    let mut titles = texts(m, "titles");
    if titles.is_empty() {
        titles.push((v.title.clone(), None));
    }
    for (t, lang) in &titles {
        element("title", t, lang.as_deref());
    }
    for key in ["creators", "creator", "authors"] {
        for (c, _) in texts(m, key) {
            element("creator", &c, None);
        }
    }
    for key in ["subjects", "keywords"] {
        for (s, lang) in texts(m, key) {
            element("subject", &s, lang.as_deref());
        }
    }
    let mut descriptions = texts(m, "descriptions");
    if descriptions.is_empty() && !v.description.trim().is_empty() {
        descriptions.push((v.description.clone(), None));
    }
    for (d, lang) in &descriptions {
        element("description", d, lang.as_deref());
    }
    element("publisher", publisher, None);
    for (c, _) in texts(m, "contributors") {
        element("contributor", &c, None);
    }
    if let Some(p) = v.published_at {
        element("date", &p.format("%Y-%m-%d").to_string(), None);
    }
    element("type", "Dataset", None);
    element("identifier", pid, None);
    for (l, _) in texts(m, "language") {
        element("language", &l, None);
    }
    if let Some(license) = item.license.as_deref().or_else(|| m.get("license").and_then(Value::as_str)) {
        element("rights", &format!("https://spdx.org/licenses/{license}"), None);
    }
    let access = match item.level {
        LevelKind::Open => "info:eu-repo/semantics/openAccess",
        LevelKind::Embargoed => "info:eu-repo/semantics/embargoedAccess",
        _ => "info:eu-repo/semantics/restrictedAccess",
    };
    element("rights", access, None);
    out.close("oai_dc:dc");
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn texts_read_every_shape() {
        let m = json!({
            "titles": [{"value": "温度ログ", "lang": "ja"}, {"value": "Thermal log", "lang": "en"}],
            "keywords": ["alumina", " ", "XPS"],
            "creators": [{"name": "Sato, Hanako", "orcid": "0000-0002-1825-0097"}],
            "descriptions": {"en": "A log", "ja": "ログ"},
            "language": "ja",
        });
        assert_eq!(texts(&m, "titles")[0], ("温度ログ".into(), Some("ja".into())));
        assert_eq!(texts(&m, "keywords").len(), 2);
        assert_eq!(texts(&m, "creators")[0].0, "Sato, Hanako");
        assert_eq!(texts(&m, "descriptions").len(), 2);
        assert_eq!(texts(&m, "language")[0].0, "ja");
        assert!(texts(&m, "missing").is_empty());
    }
}
