//! `.eln` archives (the ELN File Format: an RO-Crate 1.1 in a zip). Every member is kept byte
//! for byte as an extracted file, and every member a reader recognises is read into tables named
//! after it, with the member recorded as each table's source. The crate's metadata becomes the
//! file's metadata, and its root dataset's profile fields fill the draft where it is still
//! empty (see [`crate::pipeline`]); a crate that cannot be interpreted fails the archive, lesser
//! defects are warnings. Archives nested inside are followed to [`Limits::max_depth`] and share one
//! decompressed-size budget (see [`crate::archive`] for what is refused).

mod members;
pub mod rocrate;

use std::cell::Cell;
use std::collections::{BTreeSet, HashSet};
use std::fs::File;
use std::io::Read;
use std::path::Path;

use serde_json::{Value, json};

use crate::archive::{self, ArchiveError, DEFAULT_LIMITS, Extraction, Limits, Member};
use crate::{FormatReader, ReadError, ReadReport, TableSink};
use members::{MemberSink, member_slug};
use rocrate::Severity;

/// File name of the crate's metadata document.
pub const METADATA: &str = "ro-crate-metadata.json";
/// Largest metadata document read (it is parsed in memory).
const MAX_METADATA_BYTES: u64 = 64 << 20;
/// Most searchable text gathered from members.
const MAX_TEXT: usize = 1 << 20;

/// Reader for `.eln` archives, and for zip archives nested in them.
#[derive(Debug, Clone, Copy, Default)]
pub struct ElnReader;

thread_local! {
    /// How many archives the current thread is inside: readers call readers on the same thread,
    /// so this bounds nesting without changing the reader trait.
    static DEPTH: Cell<usize> = const { Cell::new(0) };
    /// Decompressed bytes still allowed for the outermost archive and all it nests.
    static BUDGET: Cell<u64> = const { Cell::new(0) };
    /// Set when a nested archive ran out of budget, so the outer archive fails too.
    static EXHAUSTED: Cell<bool> = const { Cell::new(false) };
}

struct DepthGuard;

impl DepthGuard {
    fn enter(limits: &Limits) -> Self {
        if DEPTH.get() == 0 {
            BUDGET.set(limits.max_total_bytes);
            EXHAUSTED.set(false);
        }
        DEPTH.set(DEPTH.get() + 1);
        DepthGuard
    }
}

impl Drop for DepthGuard {
    fn drop(&mut self) {
        DEPTH.set(DEPTH.get().saturating_sub(1));
    }
}

fn is_metadata(name: &str) -> bool {
    name == METADATA || name.ends_with(&format!("/{METADATA}"))
}

/// Whether a file is an `.eln`: a zip whose central directory lists `ro-crate-metadata.json`,
/// or a zip named `.eln`. Reads only the central directory.
pub fn sniff(path: &Path, head: &[u8], extension: &str) -> bool {
    archive::is_zip(head)
        && (extension == "eln" || archive::entry_names(path).is_ok_and(|names| names.iter().any(|n| is_metadata(n))))
}

fn malformed(message: impl Into<String>) -> ReadError {
    ReadError::Malformed { format: "eln", message: message.into() }
}

impl FormatReader for ElnReader {
    fn name(&self) -> &'static str {
        "eln"
    }

    fn read(
        &self,
        path: &Path,
        sink: &mut dyn TableSink,
        progress: &mut dyn FnMut(u64),
    ) -> Result<ReadReport, ReadError> {
        if std::fs::metadata(path)?.len() == 0 {
            return Err(ReadError::Empty);
        }
        let limits = DEFAULT_LIMITS;
        let top_level = DEPTH.get() == 0;
        let _depth = DepthGuard::enter(&limits);
        let mut budget = BUDGET.get();
        let extracted = archive::extract(path, &limits, &mut budget);
        BUDGET.set(budget);
        let extraction = extracted.map_err(|e| {
            if matches!(e, ArchiveError::TooLarge { .. }) {
                EXHAUSTED.set(true);
            }
            malformed(e.to_string())
        })?;
        let mut report = ReadReport { reader: "eln", reader_version: "1", ..ReadReport::default() };
        report.warnings.extend(extraction.warnings.iter().cloned());
        read_crate(&extraction, top_level, &mut report)?;
        read_members(&extraction, &limits, sink, &mut report, path, progress)?;
        Ok(report)
    }
}

/// The shallowest `ro-crate-metadata.json` (the crate's own, not one of a nested crate).
fn metadata_member(extraction: &Extraction) -> Option<&Member> {
    extraction.members.iter().filter(|m| is_metadata(&m.path)).min_by_key(|m| m.path.matches('/').count())
}

/// Checks and maps the crate metadata into `report`. A top-level archive must have a crate;
/// a zip nested in one may be a plain zip.
fn read_crate(extraction: &Extraction, required: bool, report: &mut ReadReport) -> Result<(), ReadError> {
    let Some(member) = metadata_member(extraction) else {
        if required {
            return Err(malformed(format!("no {METADATA} in the archive: not an RO-Crate")));
        }
        report.parameters.insert("crate".into(), json!(false));
        return Ok(());
    };
    if member.size > MAX_METADATA_BYTES {
        return Err(malformed(format!("{} is {} bytes, more than {MAX_METADATA_BYTES}", member.path, member.size)));
    }
    let bytes = std::fs::read(&member.scratch)?;
    let root = member.path.strip_suffix(METADATA).unwrap_or_default().to_string();
    let (doc, mut defects) = rocrate::check_bytes(&bytes);
    if let Some(doc) = &doc {
        let names: HashSet<&str> = extraction.members.iter().map(|m| m.path.as_str()).collect();
        let exists = |rel: &str| {
            let full = format!("{root}{rel}");
            let dir = full.trim_end_matches('/');
            (!full.ends_with('/') && names.contains(full.as_str()))
                || extraction.directories.iter().any(|d| d == dir)
                || extraction.members.iter().any(|m| m.path.starts_with(&format!("{dir}/")))
        };
        defects.extend(rocrate::check_parts(doc, &exists));
    }
    let errors: Vec<&str> =
        defects.iter().filter(|d| d.severity == Severity::Error).map(|d| d.message.as_str()).collect();
    if !errors.is_empty() {
        return Err(malformed(format!("invalid RO-Crate in {}: {}", member.path, errors.join("; "))));
    }
    for d in defects.iter().filter(|d| d.severity == Severity::Warning) {
        report.warnings.push(format!("ro-crate: {}", d.message));
    }
    let Some(doc) = doc else { return Ok(()) };
    let mapped = rocrate::map(&doc);
    report.metadata.extend(mapped.metadata);
    let profile = kura_metadata::from_ro_crate(&doc);
    report.warnings.extend(profile.dropped.iter().map(|d| format!("metadata not imported: {d}")));
    report.profile = Some(profile);
    report.text = mapped.text;
    report.parameters.insert("crate".into(), json!(true));
    report.parameters.insert("metadata_member".into(), json!(member.path));
    report.parameters.insert("crate_root".into(), json!(root));
    Ok(())
}

/// What happened to one member, for the archive's metadata.
fn member_entry(member: &Member, format: Option<&str>, tables: &[String], error: Option<&str>) -> Value {
    json!({"path": member.path, "size": member.size, "sha256": member.sha256, "format": format, "tables": tables, "error": error})
}

fn read_members(
    extraction: &Extraction,
    limits: &Limits,
    sink: &mut dyn TableSink,
    report: &mut ReadReport,
    archive_path: &Path,
    progress: &mut dyn FnMut(u64),
) -> Result<(), ReadError> {
    let root = report.parameters.get("crate_root").and_then(Value::as_str).unwrap_or_default().to_string();
    let metadata = report.parameters.get("metadata_member").and_then(Value::as_str).map(str::to_string);
    let metadata = metadata.as_deref();
    let archive_size = std::fs::metadata(archive_path)?.len();
    let total: u64 = extraction.members.iter().map(|m| m.size).sum::<u64>().max(1);
    let mut done = 0u64;
    let mut used = BTreeSet::new();
    let mut listed = Vec::with_capacity(extraction.members.len());
    for member in &extraction.members {
        let mut file = File::open(&member.scratch)?;
        sink.keep_file(&member.path, &mut file)?;
        if metadata.is_some_and(|m| m == member.path) {
            // The crate's metadata is mapped above, not read as data.
            listed.push(member_entry(member, Some("ro-crate"), &[], None));
        } else {
            let relative = member.path.strip_prefix(&root).unwrap_or(&member.path);
            listed.push(read_member(member, relative, limits, sink, report, &mut used)?);
        }
        done += member.size;
        progress((u128::from(archive_size) * u128::from(done) / u128::from(total)) as u64);
    }
    report.metadata.insert("members".into(), Value::Array(listed));
    report.parameters.insert("members".into(), json!(extraction.members.len()));
    report.parameters.insert("file_entries".into(), json!(extraction.file_entries));
    report.parameters.insert(
        "limits".into(),
        json!({"max_entries": limits.max_entries, "max_total_bytes": limits.max_total_bytes,
               "max_ratio": limits.max_ratio, "max_depth": limits.max_depth}),
    );
    Ok(())
}

/// Reads one member with the reader `detect` picks. Its failure is a warning; only running out
/// of the shared size budget fails the archive.
fn read_member(
    member: &Member,
    relative: &str,
    limits: &Limits,
    sink: &mut dyn TableSink,
    report: &mut ReadReport,
    used: &mut BTreeSet<String>,
) -> Result<Value, ReadError> {
    static NESTED: ElnReader = ElnReader;
    let detected = match crate::detect::detect(&member.scratch, &member.path) {
        Ok(r) => r,
        Err(e) => {
            report.warnings.push(format!("{}: cannot detect format: {e}", member.path));
            report
                .failures
                .push(crate::PartFailure { path: member.path.clone(), error: format!("cannot detect format: {e}") });
            return Ok(member_entry(member, None, &[], Some(&e.to_string())));
        }
    };
    let mut head = [0u8; 4];
    let is_zip =
        File::open(&member.scratch).and_then(|mut f| f.read(&mut head)).is_ok_and(|n| archive::is_zip(&head[..n]));
    let reader: &dyn FormatReader = match detected {
        Some(r) => r,
        None if is_zip => &NESTED,
        None => return Ok(member_entry(member, None, &[], None)),
    };
    if (reader.name() == "eln" || is_zip) && DEPTH.get() >= limits.max_depth {
        report.warnings.push(format!(
            "{}: nested archive not expanded, deeper than {} levels (kept as a raw file)",
            member.path, limits.max_depth
        ));
        return Ok(member_entry(member, Some(reader.name()), &[], Some("nested archive beyond the depth limit")));
    }
    let mut member_sink = MemberSink::new(sink, member_slug(relative), &member.path, used);
    let result = reader.read(&member.scratch, &mut member_sink, &mut |_| {});
    let finished = std::mem::take(&mut member_sink.finished);
    let tables: Vec<String> = finished.iter().map(|(_, outer)| outer.clone()).collect();
    match result {
        Ok(inner) => {
            for (inner_name, outer) in &finished {
                let source = match inner.sources.get(inner_name) {
                    // A table of an archive nested in this member: keep the innermost source,
                    // with its path as seen from this archive.
                    Some(nested) => crate::SourceMember {
                        path: format!("{}.contents/{}", member.path, nested.path),
                        ..nested.clone()
                    },
                    None => members::source(member, inner.reader, inner.reader_version, Some(&inner)),
                };
                report.sources.insert(outer.clone(), source);
            }
            report.warnings.extend(inner.warnings.iter().map(|w| format!("{}: {w}", member.path)));
            report.failures.extend(inner.failures.iter().map(|f| crate::PartFailure {
                path: format!("{}.contents/{}", member.path, f.path),
                error: f.error.clone(),
            }));
            if report.text.len() < MAX_TEXT && !inner.text.is_empty() {
                report.text.push_str(&format!("\n{}: ", member.path));
                let mut cut = inner.text.len().min(MAX_TEXT - report.text.len().min(MAX_TEXT));
                while !inner.text.is_char_boundary(cut) {
                    cut -= 1;
                }
                report.text.push_str(&inner.text[..cut]);
            }
            Ok(member_entry(member, Some(inner.reader), &tables, None))
        }
        Err(e) => {
            sink.discard_table();
            if EXHAUSTED.get() {
                return Err(malformed(format!("in nested archive {}: {e}", member.path)));
            }
            // A sink error (Parquet refusing the member's schema) fails the member too; a sink
            // that is really broken (disk full) fails the archive at the next kept file.
            for (_, outer) in &finished {
                report.sources.insert(outer.clone(), members::source(member, reader.name(), "", None));
            }
            let kept = if finished.is_empty() {
                String::new()
            } else {
                format!(" ({} tables read before the error are kept)", finished.len())
            };
            report.warnings.push(format!("{}: not read as {}: {e}{kept}", member.path, reader.name()));
            report.failures.push(crate::PartFailure {
                path: member.path.clone(),
                error: format!("not read as {}: {e}{kept}; kept as a raw file", reader.name()),
            });
            Ok(member_entry(member, Some(reader.name()), &tables, Some(&e.to_string())))
        }
    }
}

#[cfg(test)]
mod tests;
