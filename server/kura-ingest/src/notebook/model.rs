//! The parts of nbformat 4 the reader uses, as serde types; anything else is kept as JSON.

use serde::Deserialize;
use serde_json::{Map, Value};

/// A notebook; every field optional so that a missing one gets a precise message.
#[derive(Debug, Deserialize)]
pub(crate) struct Notebook {
    pub nbformat: Option<Value>,
    pub nbformat_minor: Option<Value>,
    #[serde(default)]
    pub metadata: Map<String, Value>,
    pub cells: Option<Vec<Cell>>,
    /// nbformat 3 kept its cells here.
    pub worksheets: Option<serde::de::IgnoredAny>,
}

/// nbformat writes multi-line strings as one string or a list of lines.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub(crate) enum MultiLine {
    One(String),
    Many(Vec<String>),
}

impl Default for MultiLine {
    fn default() -> Self {
        MultiLine::One(String::new())
    }
}

impl MultiLine {
    pub(crate) fn joined(&self) -> String {
        match self {
            MultiLine::One(s) => s.clone(),
            MultiLine::Many(lines) => lines.concat(),
        }
    }
}

/// One cell.
#[derive(Debug, Deserialize)]
pub(crate) struct Cell {
    pub cell_type: String,
    #[serde(default)]
    pub source: MultiLine,
    #[serde(default)]
    pub outputs: Vec<Output>,
    #[serde(default)]
    pub metadata: Map<String, Value>,
}

/// One output of a code cell.
#[derive(Debug, Deserialize)]
pub(crate) struct Output {
    pub output_type: String,
    #[serde(default)]
    pub text: MultiLine,
    /// Mime type → content, for `display_data` and `execute_result`.
    #[serde(default)]
    pub data: Map<String, Value>,
    #[serde(default)]
    pub ename: Option<String>,
    #[serde(default)]
    pub evalue: Option<String>,
}

/// A mime bundle entry as text: a string, or a list of lines.
pub(crate) fn bundle_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Array(lines) => lines.iter().map(|l| l.as_str()).collect::<Option<Vec<_>>>().map(|l| l.concat()),
        _ => None,
    }
}
