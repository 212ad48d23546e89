//! Labelled data records (`##LABEL= value`): splitting, label normalization, comments, and the
//! per-block metadata they become.

use std::collections::HashMap;

use serde_json::{Map, Value};

/// Longest metadata value kept, in bytes; longer multi-line values are cut with a warning.
pub(crate) const VALUE_LIMIT: usize = 256 * 1024;

/// A label reduced for matching, as JCAMP-DX 4.24 section 4.2 prescribes: upper case, with
/// spaces, `-`, `/` and `_` removed, so `##first X`, `##FIRSTX` and `## FIRST X` are one label.
pub(crate) fn normalize(label: &str) -> String {
    label.chars().filter(|c| !matches!(c, ' ' | '\t' | '-' | '/' | '_')).flat_map(char::to_uppercase).collect()
}

/// The label as the metadata key: upper case, inner white space collapsed to one space.
pub(crate) fn display(label: &str) -> String {
    label.split_whitespace().collect::<Vec<_>>().join(" ").to_uppercase()
}

/// Splits text at a `$$` comment: (content, comment).
pub(crate) fn strip_comment(text: &str) -> (&str, Option<&str>) {
    match text.find("$$") {
        Some(i) => (&text[..i], Some(text[i + 2..].trim())),
        None => (text, None),
    }
}

/// An LDR line split into its label (as written, trimmed) and raw value (after `=`). `None` when
/// the line is not an LDR.
pub(crate) fn split(line: &str) -> Option<(&str, &str)> {
    let rest = line.trim_start().strip_prefix("##")?;
    Some(match rest.find('=') {
        Some(i) => (rest[..i].trim(), &rest[i + 1..]),
        // `##END` without `=` is common; the whole rest is the label.
        None => (rest.trim(), ""),
    })
}

/// A metadata value: a JSON number when the whole value is one, text otherwise.
pub(crate) fn to_json(value: &str) -> Value {
    let v = value.trim();
    if let Ok(i) = v.parse::<i64>() {
        return Value::from(i);
    }
    if v.contains(|c: char| c.is_ascii_digit())
        && !v.contains(|c: char| c.is_ascii_alphabetic() && c != 'e' && c != 'E')
        && let Ok(f) = v.parse::<f64>()
        && f.is_finite()
    {
        return Value::from(f);
    }
    Value::String(v.to_string())
}

/// One block (`##TITLE=` ... `##END=`): its records in order of appearance, and lookups by
/// normalized label for the reader.
#[derive(Debug, Default)]
pub(crate) struct Block {
    /// Metadata: display label → value (an array when a label repeats).
    pub meta: Map<String, Value>,
    /// Normalized label → last raw value (comment stripped, trimmed).
    values: HashMap<String, String>,
    /// Finished child blocks (a LINK block's members).
    pub children: Vec<Value>,
    /// Tables written from this block.
    pub tables: Vec<String>,
    /// Display key of the record that continuation lines extend.
    pub open_key: Option<String>,
}

impl Block {
    /// Records one LDR.
    pub(crate) fn set(&mut self, label: &str, value: &str) {
        let key = display(label);
        let value = value.trim();
        self.values.insert(normalize(label), value.to_string());
        let json = to_json(value);
        match self.meta.get_mut(&key) {
            Some(Value::Array(items)) => items.push(json),
            Some(existing) => {
                let first = existing.take();
                *existing = Value::Array(vec![first, json]);
            }
            None => {
                self.meta.insert(key.clone(), json);
            }
        }
        self.open_key = Some(key);
    }

    /// Makes a value available to [`Block::get`] without keeping it as metadata.
    pub(crate) fn remember(&mut self, label: &str, value: &str) {
        self.values.insert(normalize(label), value.trim().to_string());
        self.open_key = None;
    }

    /// Appends a continuation line to the record set last. Returns false when the value would
    /// grow past [`VALUE_LIMIT`] (the line is then dropped).
    pub(crate) fn continue_value(&mut self, text: &str) -> bool {
        let Some(key) = self.open_key.clone() else { return true };
        let Some(slot) = self.meta.get_mut(&key) else { return true };
        let slot = match slot {
            Value::Array(items) => match items.last_mut() {
                Some(last) => last,
                None => return true,
            },
            other => other,
        };
        let mut s = match slot.take() {
            Value::String(s) => s,
            Value::Null => String::new(),
            other => other.to_string(),
        };
        if s.len() + text.len() > VALUE_LIMIT {
            *slot = Value::String(s);
            return false;
        }
        if !s.is_empty() {
            s.push('\n');
        }
        s.push_str(text.trim_end());
        if let Some(v) = self.values.get_mut(&normalize(&key)) {
            v.clone_from(&s);
        }
        *slot = Value::String(s);
        true
    }

    /// The last value of a label, by normalized label (`XUNITS`).
    pub(crate) fn get(&self, normalized: &str) -> Option<&str> {
        self.values.get(normalized).map(String::as_str).filter(|v| !v.is_empty())
    }

    /// A numeric value by normalized label.
    pub(crate) fn number(&self, normalized: &str) -> Option<f64> {
        self.get(normalized).and_then(|v| v.trim().parse::<f64>().ok()).filter(|v| v.is_finite())
    }

    /// A comma-separated list (`##SYMBOL= X, R, I`), entries trimmed.
    pub(crate) fn list(&self, normalized: &str) -> Vec<String> {
        self.get(normalized).map(|v| v.split(',').map(|s| s.trim().to_string()).collect()).unwrap_or_default()
    }

    /// The block as metadata: its records, then `tables` and nested `blocks` when there are any.
    pub(crate) fn into_json(self) -> Value {
        let mut meta = self.meta;
        if !self.tables.is_empty() {
            meta.insert("tables".into(), Value::from(self.tables));
        }
        if !self.children.is_empty() {
            meta.insert("blocks".into(), Value::Array(self.children));
        }
        Value::Object(meta)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_normalize_for_matching() {
        assert_eq!(normalize("first X"), "FIRSTX");
        assert_eq!(normalize(".OBSERVE FREQUENCY"), ".OBSERVEFREQUENCY");
        assert_eq!(normalize("SPECTROMETER/DATA SYSTEM"), "SPECTROMETERDATASYSTEM");
        assert_eq!(normalize("VAR_NAME"), "VARNAME");
        assert_eq!(normalize("JCAMP-DX"), "JCAMPDX");
        assert_eq!(display(" DATA   TYPE "), "DATA TYPE");
        assert_eq!(split("## TITLE = abc"), Some(("TITLE", " abc")));
        assert_eq!(split("##END"), Some(("END", "")));
        assert_eq!(split("1 2 3"), None);
        assert_eq!(strip_comment("5.0   $$ Bruker"), ("5.0   ", Some("Bruker")));
        assert_eq!(to_json("16385.000000000"), Value::from(16385.0));
        assert_eq!(to_json("<nmr>"), Value::from("<nmr>"));
        assert_eq!(to_json("1E5"), Value::from(100000.0));
    }
}
