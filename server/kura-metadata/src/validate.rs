//! Validation of metadata documents: the JSON Schema profile first, then the rules JSON Schema
//! cannot express. Every violation names the field path and the rule, so an editor can point at
//! the field.

mod checks;

use std::sync::LazyLock;

use serde_json::Value;

use crate::error::{MetadataError, Violation};
use crate::profile::Metadata;

/// The profile, embedded so validation never reads files or the network.
pub const PROFILE_SCHEMA: &str = include_str!("../../../schema/metadata-profile.schema.json");

static VALIDATOR: LazyLock<jsonschema::Validator> = LazyLock::new(|| {
    let schema: Value = serde_json::from_str(PROFILE_SCHEMA).expect("embedded profile schema is json");
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .should_validate_formats(true)
        .build(&schema)
        .expect("embedded profile schema compiles")
});

/// Validates a document against the profile and Kura's extra checks and returns the typed
/// metadata, or every violation found.
pub fn validate(document: &Value) -> Result<Metadata, MetadataError> {
    let mut violations = schema_violations(document);
    if violations.is_empty() {
        violations.extend(checks::extra_violations(document));
    }
    if !violations.is_empty() {
        return Err(MetadataError::Invalid(violations));
    }
    serde_json::from_value(document.clone()).map_err(|e| {
        // The schema and the types mirror each other; reaching this is a bug in one of them.
        MetadataError::Invalid(vec![Violation { path: String::new(), rule: "type".into(), message: e.to_string() }])
    })
}

/// Validates a draft's document: every field present must follow the profile, but the fields
/// the profile requires (titles, descriptions, creators) may still be missing — a draft is
/// work in progress. `null` or `{}` is an empty draft.
pub fn validate_draft(document: &Value) -> Result<(), MetadataError> {
    if document.is_null() {
        return Ok(());
    }
    // A rule about a field the draft does not have yet (required, or "one description of 50
    // characters") waits for the field.
    let top_level_required = |v: &Violation| {
        let field = v.path.split(['.', '[']).next().unwrap_or_default();
        (v.rule == "required" && !v.path.contains(['.', '['])) || document.get(field).is_none()
    };
    let mut violations: Vec<Violation> =
        schema_violations(document).into_iter().filter(|v| !top_level_required(v)).collect();
    if violations.is_empty() {
        violations.extend(checks::extra_violations(document).into_iter().filter(|v| !top_level_required(v)));
    }
    if violations.is_empty() { Ok(()) } else { Err(MetadataError::Invalid(violations)) }
}

/// Validates typed metadata (for edits built in code), with the same rules as [`validate`].
pub fn validate_metadata(metadata: &Metadata) -> Result<(), MetadataError> {
    let document = serde_json::to_value(metadata).map_err(|e| MetadataError::Serialize(e.to_string()))?;
    validate(&document).map(|_| ())
}

fn schema_violations(document: &Value) -> Vec<Violation> {
    let mut out: Vec<Violation> = VALIDATOR
        .iter_errors(document)
        .map(|error| {
            let mut path = field_path(error.instance_path().as_str());
            let rule = error.kind().keyword().to_owned();
            let message = match error.kind() {
                jsonschema::error::ValidationErrorKind::Required { property } => {
                    let name = property.as_str().unwrap_or_default();
                    path = if path.is_empty() { name.to_owned() } else { format!("{path}.{name}") };
                    "is required".to_owned()
                }
                _ => error.to_string(),
            };
            Violation { path, rule, message }
        })
        .collect();
    out.dedup();
    out
}

/// `/creators/0/orcid` → `creators[0].orcid`.
pub(crate) fn field_path(pointer: &str) -> String {
    let mut out = String::new();
    for segment in pointer.split('/').filter(|s| !s.is_empty()) {
        let segment = segment.replace("~1", "/").replace("~0", "~");
        if segment.chars().all(|c| c.is_ascii_digit()) {
            out.push_str(&format!("[{segment}]"));
        } else {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(&segment);
        }
    }
    out
}

#[cfg(test)]
mod tests;
