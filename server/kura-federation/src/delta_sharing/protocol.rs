//! The messages of the Delta Sharing protocol (version 1) as Kura answers them: lists of shares,
//! schemas and tables with page tokens, and the NDJSON lines of a table's metadata and query
//! (`protocol`, `metaData`, one `file` per Parquet file), `responseformat=parquet`.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The `delta-sharing-capabilities` Kura answers with: it serves Parquet responses only.
pub const CAPABILITIES: &str = "responseformat=parquet";

/// A share: a group or consortium, by name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Share {
    pub name: String,
}

/// A schema: a dataset, by name, in a share.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Schema {
    pub name: String,
    pub share: String,
}

/// A table of a dataset's newest version the caller may read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Table {
    pub name: String,
    pub schema: String,
    pub share: String,
    /// The table's id in Kura.
    pub id: String,
}

/// A page of a list, and the token of the next one when there is more.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Listing<T> {
    pub items: Vec<T>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_page_token: Option<String>,
}

/// `GET /shares/{share}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ShareAnswer {
    pub share: Share,
}

/// The body of `POST …/query`. Hints may be ignored (the protocol allows it); Kura tables are
/// one Parquet file each, so `limitHint` never cuts the list short.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct QueryRequest {
    #[serde(default)]
    pub predicate_hints: Option<Vec<String>>,
    #[serde(default)]
    pub json_predicate_hints: Option<String>,
    #[serde(default)]
    pub limit_hint: Option<i64>,
    /// A dataset version number: that version's table, if the caller may read it.
    #[serde(default)]
    pub version: Option<i64>,
    /// Reading as of a time is not supported (refused, not ignored).
    #[serde(default)]
    pub timestamp: Option<String>,
    #[serde(default)]
    pub starting_version: Option<i64>,
    #[serde(default)]
    pub ending_version: Option<i64>,
}

/// A table answer: its version (the `delta-table-version` header) and its NDJSON lines.
#[derive(Debug, Clone, PartialEq)]
pub struct TableAnswer {
    pub version: i64,
    pub lines: Vec<Value>,
}

impl TableAnswer {
    /// The lines as NDJSON.
    pub fn ndjson(&self) -> String {
        let mut out = String::new();
        for line in &self.lines {
            out.push_str(&line.to_string());
            out.push('\n');
        }
        out
    }
}

/// The `protocol` line of a Parquet-format answer.
pub fn protocol_line() -> Value {
    serde_json::json!({"protocol": {"minReaderVersion": 1}})
}

/// The protocol's `errorCode` for a failure of kind `code`.
pub fn error_code(code: kura_core::ErrorCode) -> &'static str {
    use kura_core::ErrorCode::*;
    match code {
        BadRequest | Unprocessable | NotAcceptable => "INVALID_PARAMETER_VALUE",
        Unauthenticated => "UNAUTHENTICATED",
        Forbidden => "PERMISSION_DENIED",
        NotFound | Gone => "RESOURCE_DOES_NOT_EXIST",
        Unavailable => "TEMPORARILY_UNAVAILABLE",
        _ => "INTERNAL_ERROR",
    }
}

/// Whether a client's `delta-sharing-capabilities` header accepts Parquet answers (any that
/// names no response format does: Parquet is the protocol's default).
pub fn accepts_parquet(capabilities: Option<&str>) -> bool {
    let Some(header) = capabilities else { return true };
    let formats = header
        .split(';')
        .filter_map(|part| part.trim().strip_prefix("responseformat="))
        .flat_map(|formats| formats.split(','))
        .map(str::trim)
        .collect::<Vec<_>>();
    formats.is_empty() || formats.iter().any(|f| f.eq_ignore_ascii_case("parquet"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parquet_is_accepted_unless_a_client_asks_for_delta_only() {
        assert!(accepts_parquet(None));
        assert!(accepts_parquet(Some("responseformat=delta,parquet;readerfeatures=deletionvectors")));
        assert!(accepts_parquet(Some("readerfeatures=deletionvectors")));
        assert!(!accepts_parquet(Some("responseformat=delta;readerfeatures=deletionvectors,columnmapping")));
    }
}
