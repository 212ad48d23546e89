//! Reading the members of an archive with their own readers, into the archive's sink: tables
//! renamed after the member so they stay unique, files kept under the member's path, and each
//! table's member recorded for provenance.

use std::collections::BTreeSet;

use arrow::record_batch::RecordBatch;

use crate::reader::{SinkError, SourceMember, TableSink, TableStart};

/// Longest table-name prefix made from a member path; longer paths keep their end (the file
/// name says most).
const MAX_PREFIX: usize = 64;

/// A short, URL-safe name for a member path: relative to the crate root, without extension,
/// every run of other characters as one `_` (`workspace/data/raw/rc-baseline.csv` →
/// `workspace_data_raw_rc-baseline`).
pub fn member_slug(path: &str) -> String {
    let file = path.rsplit('/').next().unwrap_or(path);
    let stem_len = match file.rfind('.') {
        Some(i) if i > 0 => path.len() - file.len() + i,
        _ => path.len(),
    };
    let parts: Vec<String> = path[..stem_len].split('/').map(slug_part).filter(|p| !p.is_empty()).collect();
    // Whole components from the end while they fit; a single overlong file name keeps its end.
    let mut slug = String::new();
    for part in parts.iter().rev() {
        let extra = if slug.is_empty() { part.len() } else { part.len() + 1 };
        if slug.len() + extra > MAX_PREFIX {
            break;
        }
        slug = if slug.is_empty() { part.clone() } else { format!("{part}_{slug}") };
    }
    if slug.is_empty()
        && let Some(last) = parts.last()
    {
        let mut start = last.len() - MAX_PREFIX;
        while !last.is_char_boundary(start) {
            start += 1;
        }
        slug = last[start..].trim_start_matches('_').to_string();
    }
    if slug.is_empty() { "member".into() } else { slug }
}

/// One path component: letters, digits, `-` and `_`; every run of other characters as one `_`.
fn slug_part(part: &str) -> String {
    let mut slug = String::new();
    for c in part.chars() {
        if c.is_alphanumeric() || c == '-' || c == '_' {
            slug.push(c);
        } else if !slug.ends_with('_') {
            slug.push('_');
        }
    }
    slug.trim_matches('_').to_string()
}

/// Makes `name` unique among `used` with a `_2`, `_3` … suffix, and records it.
pub fn unique(name: String, used: &mut BTreeSet<String>) -> String {
    let mut candidate = name.clone();
    let mut n = 2;
    while used.contains(&candidate) {
        candidate = format!("{name}_{n}");
        n += 1;
    }
    used.insert(candidate.clone());
    candidate
}

/// The sink a member's reader writes into: forwards to the archive's sink, renaming tables to
/// `<member slug>` (`data`) or `<member slug>.<table>`, and keeping files the member holds under
/// `<member path>.contents/`.
pub struct MemberSink<'a> {
    pub inner: &'a mut dyn TableSink,
    pub prefix: String,
    pub member_path: String,
    pub used: &'a mut BTreeSet<String>,
    /// (name the member's reader gave, name in the archive's sink), per finished table.
    pub finished: Vec<(String, String)>,
    open: Option<(String, String)>,
}

impl<'a> MemberSink<'a> {
    pub fn new(
        inner: &'a mut dyn TableSink,
        prefix: String,
        member_path: &str,
        used: &'a mut BTreeSet<String>,
    ) -> Self {
        MemberSink { inner, prefix, member_path: member_path.to_string(), used, finished: Vec::new(), open: None }
    }
}

impl TableSink for MemberSink<'_> {
    fn begin_table(&mut self, mut table: TableStart) -> Result<(), SinkError> {
        if let Some((_, name)) = self.open.take() {
            self.used.remove(&name);
        }
        let wanted = if table.name == "data" { self.prefix.clone() } else { format!("{}.{}", self.prefix, table.name) };
        let name = unique(wanted, self.used);
        self.open = Some((std::mem::replace(&mut table.name, name.clone()), name));
        self.inner.begin_table(table)
    }

    fn write_batch(&mut self, batch: &RecordBatch) -> Result<(), SinkError> {
        self.inner.write_batch(batch)
    }

    fn finish_table(&mut self) -> Result<(), SinkError> {
        self.inner.finish_table()?;
        if let Some(names) = self.open.take() {
            self.finished.push(names);
        }
        Ok(())
    }

    fn discard_table(&mut self) {
        if let Some((_, name)) = self.open.take() {
            self.used.remove(&name);
        }
        self.inner.discard_table();
    }

    fn keep_file(&mut self, path: &str, bytes: &mut dyn std::io::Read) -> Result<(), SinkError> {
        let nested = format!("{}.contents/{}", self.member_path, path.trim_start_matches('/'));
        self.inner.keep_file(&nested, bytes)
    }
}

/// The provenance of a table read from a member, built from the member's reader report.
pub fn source(
    member: &crate::archive::Member,
    reader: &'static str,
    reader_version: &'static str,
    report: Option<&crate::ReadReport>,
) -> SourceMember {
    SourceMember {
        path: member.path.clone(),
        sha256: member.sha256.clone(),
        size: member.size,
        reader,
        reader_version,
        parameters: report.map(|r| r.parameters.clone()).unwrap_or_default(),
        metadata: report.map(|r| r.metadata.clone()).unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn member_slugs_are_short_and_url_safe() {
        assert_eq!(member_slug("workspace/data/raw/rc-baseline.csv"), "workspace_data_raw_rc-baseline");
        assert_eq!(member_slug("IR-RQQIV-V/IR RAJ15.peak.jdx"), "IR-RQQIV-V_IR_RAJ15_peak");
        assert_eq!(member_slug(".hidden"), "hidden");
        assert_eq!(member_slug("///"), "member");
        let deep = format!("{}/generated-files/files/Test_experiment.csv", "d".repeat(50));
        assert_eq!(member_slug(&deep), "generated-files_files_Test_experiment");
        let long = format!("{}.csv", "x".repeat(200));
        assert_eq!(member_slug(&long), "x".repeat(MAX_PREFIX));
        let mut used = BTreeSet::new();
        assert_eq!(unique("a".into(), &mut used), "a");
        assert_eq!(unique("a".into(), &mut used), "a_2");
    }
}
