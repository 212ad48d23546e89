//! Instrument header blocks above the table, turned into metadata and searchable text.
//!
//! - `key: value` lines (also inside `#` comments) and `key<delimiter>value` rows become
//!   metadata; a row with several values after the key keeps them as an array of strings.
//! - Comment text and lone text lines (a file path, a title) go to the searchable text.
//! - Repeated keys: the first value stays under the key; a later, different value is stored
//!   under `key_2`, `key_3`, …; a repeat of the same value is dropped.

use serde_json::{Map, Value};

use super::dialect::{self, Delim, Rec, RecKind};

/// What the preamble contributed to the read report.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Preamble {
    pub metadata: Map<String, Value>,
    pub text: String,
}

/// Extracts metadata and text from the preamble records.
pub(crate) fn extract(text: &str, recs: &[Rec], delim: Delim) -> Preamble {
    let mut p = Preamble::default();
    for rec in recs {
        let raw = rec.raw(text);
        match &rec.kind {
            RecKind::Blank => {}
            RecKind::Comment => {
                let body = raw.trim_start().trim_start_matches('#').trim();
                if body.is_empty() {
                    continue;
                }
                push_line(&mut p.text, body);
                if let Some((k, v)) = dialect::colon_kv(body, Delim::Whitespace) {
                    insert(&mut p.metadata, k, Value::String(v.to_string()));
                }
            }
            RecKind::Fields(fields) => {
                if rec.colon_kv
                    && let Some((k, v)) = dialect::colon_kv(raw, delim)
                {
                    insert(&mut p.metadata, k, Value::String(v.to_string()));
                    continue;
                }
                let mut cells = fields.iter().map(|f| f.trim()).filter(|f| !f.is_empty());
                let Some(key) = cells.next() else { continue };
                let rest: Vec<&str> = cells.collect();
                match rest.as_slice() {
                    [] => push_line(&mut p.text, key),
                    [one] => insert(&mut p.metadata, key, Value::String(one.to_string())),
                    many => {
                        let values = many.iter().map(|v| Value::String(v.to_string())).collect();
                        insert(&mut p.metadata, key, Value::Array(values));
                    }
                }
            }
        }
    }
    p
}

fn push_line(text: &mut String, line: &str) {
    if !text.is_empty() {
        text.push('\n');
    }
    text.push_str(line);
}

/// Inserts following the repeated-key rule in the module docs.
pub(crate) fn insert(map: &mut Map<String, Value>, key: &str, value: Value) {
    let key = key.trim();
    if key.is_empty() {
        return;
    }
    let mut candidate = key.to_string();
    let mut n = 1;
    while let Some(existing) = map.get(&candidate) {
        if *existing == value {
            return;
        }
        n += 1;
        candidate = format!("{key}_{n}");
    }
    map.insert(candidate, value);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::csv::dialect::split_records;
    use serde_json::json;

    #[test]
    fn collects_keys_comments_and_text() {
        let text = "C:\\data\\run1.vms\t\n\n# Region:   Survey\n# plain note\nOperator: Ada\n\
                    Gain\t10\nCycle: 0\nCycle: 1\nCycle: 0\nPeaks\ta\tb\n";
        let recs = split_records(text, Delim::Byte(b'\t'), Some(b'"'));
        let p = extract(text, &recs, Delim::Byte(b'\t'));
        assert_eq!(p.text, "C:\\data\\run1.vms\nRegion:   Survey\nplain note");
        let expected = json!({
            "Region": "Survey", "Operator": "Ada", "Gain": "10", "Cycle": "0", "Cycle_2": "1",
            "Peaks": ["a", "b"],
        });
        assert_eq!(Value::Object(p.metadata), expected);
    }
}
