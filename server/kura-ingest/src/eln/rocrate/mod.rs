//! RO-Crate 1.1 metadata documents (`ro-crate-metadata.json`) of uploaded `.eln` archives, read
//! as entities by `@id` with `kura_metadata`'s crate reader (the one the metadata import uses),
//! mapped to Kura metadata and checked for the defects that matter when importing.

mod check;
mod map;

pub use check::{Defect, Severity, check, check_bytes, check_parts, is_iso8601};
pub use kura_metadata::rocrate::graph::{Crate, context_items, literal, normalize_id, ref_id, types, values};
pub use map::{Mapped, map};

/// Whether an id names something outside the crate (`https://…`, `mailto:…`, `#local`).
pub fn is_external(id: &str) -> bool {
    id.starts_with('#') || id.split_once(':').is_some_and(|(scheme, _)| !scheme.is_empty() && !scheme.contains('/'))
}

#[cfg(test)]
mod tests;
