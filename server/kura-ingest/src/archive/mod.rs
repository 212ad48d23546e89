//! Safe zip extraction, shared by every reader of an archive format (`.eln` today).
//!
//! An archive is extracted member by member into a scratch directory before anything reaches a
//! sink, so a hostile archive is refused before any of it is ingested. The policy:
//!
//! - **Whole archive refused** (an [`ArchiveError`]; nothing of it is ingested, the raw upload is
//!   still kept): more than [`Limits::max_entries`] entries; an entry name that could escape the
//!   extraction root (`..`, absolute, backslash, drive letter, NUL; empty and `.` parts are
//!   normalised away); a
//!   symbolic link; two entries with the same name; more than [`Limits::max_total_bytes`]
//!   decompressed in total; an entry above [`Limits::ratio_min_bytes`] whose decompressed size is
//!   more than [`Limits::max_ratio`] times its compressed size (a zip bomb); a central directory
//!   that cannot be read or entry data that ends early (a truncated archive). These are signs of a
//!   hostile or broken upload, and half of such an archive would be misleading.
//! - **One entry skipped** with a warning naming it (the others are extracted): an encrypted
//!   entry, an unsupported compression method, or data that fails its checksum or does not
//!   decompress. The bytes of such an entry cannot be recovered, and the rest is sound.
//!
//! Sizes are counted while decompressing: the sizes an entry header declares are never trusted
//! (they only allow refusing early when they already exceed the limits). The decompressed budget
//! is passed in by the caller so that archives nested in archives share one budget.

mod paths;

use std::fs::File;
use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use zip::ZipArchive;
use zip::result::ZipError;

pub use paths::check_entry_name;

/// Limits applied to one archive and everything nested in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Most entries (files and directories) one archive may list.
    pub max_entries: usize,
    /// Most bytes all entries may decompress to, nested archives included.
    pub max_total_bytes: u64,
    /// Largest decompressed / compressed ratio allowed for an entry above `ratio_min_bytes`.
    pub max_ratio: u64,
    /// Entries smaller than this are not ratio-checked (small text compresses very well).
    pub ratio_min_bytes: u64,
    /// How deep archives inside archives are followed; deeper ones are kept as raw files only.
    pub max_depth: usize,
}

/// The limits ingestion uses.
pub const DEFAULT_LIMITS: Limits =
    Limits { max_entries: 10_000, max_total_bytes: 4 << 30, max_ratio: 200, ratio_min_bytes: 1 << 20, max_depth: 2 };

/// Why an archive was refused as a whole. Messages name the offending entry.
#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    #[error("archive has {count} entries, more than the limit of {limit}")]
    TooManyEntries { count: usize, limit: usize },
    #[error("unsafe entry name {entry:?}: {reason}")]
    UnsafePath { entry: String, reason: &'static str },
    #[error("entry {entry:?} is a symbolic link, which archives may not contain")]
    Symlink { entry: String },
    #[error("archive has two entries with the same name")]
    DuplicateName,
    #[error("archive decompresses to more than {limit} bytes (limit reached in entry {entry:?})")]
    TooLarge { entry: String, limit: u64 },
    #[error(
        "entry {entry:?} decompresses to more than {ratio} times its compressed size of {compressed} bytes (zip bomb)"
    )]
    Bomb { entry: String, ratio: u64, compressed: u64 },
    #[error("truncated zip archive: {0}")]
    Truncated(String),
    #[error("unreadable zip archive: {0}")]
    Unreadable(String),
    #[error("extracting to scratch: {0}")]
    Scratch(#[source] std::io::Error),
}

/// One file extracted from an archive into a scratch file.
#[derive(Debug, Clone)]
pub struct Member {
    /// Path inside the archive, checked by [`check_entry_name`].
    pub path: String,
    /// Where its bytes are, inside the extraction's scratch directory.
    pub scratch: PathBuf,
    /// Decompressed size in bytes, as counted.
    pub size: u64,
    /// SHA-256 of the decompressed bytes, lowercase hex.
    pub sha256: String,
}

/// The files of an archive, extracted; the scratch directory goes away when this is dropped.
#[derive(Debug)]
pub struct Extraction {
    /// Extracted files in archive order (directories are not listed).
    pub members: Vec<Member>,
    /// File entries of the archive, extracted or skipped.
    pub file_entries: usize,
    /// Directory entries, without their trailing `/`.
    pub directories: Vec<String>,
    /// Entries that could not be extracted, each with its name and why.
    pub warnings: Vec<String>,
    _dir: tempfile::TempDir,
}

/// Whether `head` starts like a zip archive (a local file header, or an empty archive).
pub fn is_zip(head: &[u8]) -> bool {
    head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06")
}

fn open(path: &Path) -> Result<ZipArchive<std::io::BufReader<File>>, ArchiveError> {
    let file = File::open(path).map_err(ArchiveError::Scratch)?;
    ZipArchive::new(std::io::BufReader::new(file)).map_err(|e| match e {
        // The file starts like a zip (or it would not be here): a directory that cannot be
        // found or read means the end of the file is missing.
        ZipError::InvalidArchive(_) | ZipError::Io(_) => ArchiveError::Truncated(e.to_string()),
        other => ArchiveError::Unreadable(other.to_string()),
    })
}

/// Names of the entries in the central directory, without reading any entry data. Used by
/// detection, so it reads no more than the directory.
pub fn entry_names(path: &Path) -> Result<Vec<String>, ArchiveError> {
    let archive = open(path)?;
    Ok(archive.file_names().filter_map(Result::ok).map(|n| n.into_owned()).collect())
}

/// Extracts every file of the zip at `path` into a fresh scratch directory, within `limits`;
/// `budget` is the number of decompressed bytes still allowed and is reduced by what is written.
pub fn extract(path: &Path, limits: &Limits, budget: &mut u64) -> Result<Extraction, ArchiveError> {
    let mut archive = open(path)?;
    if archive.len() > limits.max_entries {
        return Err(ArchiveError::TooManyEntries { count: archive.len(), limit: limits.max_entries });
    }
    if archive.has_duplicate_names() {
        return Err(ArchiveError::DuplicateName);
    }
    // Check every name first: one unsafe name refuses the archive before anything is written.
    let mut names = Vec::with_capacity(archive.len());
    let mut directories = Vec::new();
    let mut declared: u64 = 0;
    let mut seen = std::collections::HashSet::new();
    for index in 0..archive.len() {
        let entry = archive.by_index_data(index).map_err(|e| ArchiveError::Unreadable(e.to_string()))?;
        let raw = String::from_utf8_lossy(entry.name_raw()).into_owned();
        let name = check_entry_name(&raw).map_err(|reason| ArchiveError::UnsafePath { entry: raw.clone(), reason })?;
        if entry.is_symlink() {
            return Err(ArchiveError::Symlink { entry: raw });
        }
        if entry.is_dir() {
            if name.is_empty() {
                continue;
            }
            directories.push(name);
        } else if name.is_empty() {
            return Err(ArchiveError::UnsafePath { entry: raw, reason: "empty name" });
        } else if !seen.insert(name.clone()) {
            // `a//b` and `a/b` are one file once normalised.
            return Err(ArchiveError::DuplicateName);
        } else {
            declared = declared.saturating_add(entry.size());
            if declared > *budget {
                return Err(ArchiveError::TooLarge { entry: name, limit: limits.max_total_bytes });
            }
            names.push((index, name));
        }
    }
    let dir = tempfile::Builder::new().prefix("kura-archive-").tempdir().map_err(ArchiveError::Scratch)?;
    let mut members = Vec::with_capacity(names.len());
    let mut warnings = Vec::new();
    let file_entries = names.len();
    for (n, (index, name)) in names.into_iter().enumerate() {
        let scratch = dir.path().join(format!("{n:05}"));
        match extract_entry(&mut archive, index, &name, &scratch, limits, budget)? {
            Ok((size, sha256)) => members.push(Member { path: name, scratch, size, sha256 }),
            Err(why) => {
                let _ = std::fs::remove_file(&scratch);
                warnings.push(format!("archive entry {name:?} skipped: {why}"));
            }
        }
    }
    Ok(Extraction { members, file_entries, directories, warnings, _dir: dir })
}

/// Extracts one entry. The outer error refuses the archive; the inner one skips the entry.
fn extract_entry(
    archive: &mut ZipArchive<std::io::BufReader<File>>,
    index: usize,
    name: &str,
    target: &Path,
    limits: &Limits,
    budget: &mut u64,
) -> Result<Result<(u64, String), String>, ArchiveError> {
    let mut entry = match archive.by_index(index) {
        Ok(entry) => entry,
        Err(ZipError::Io(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
            return Err(ArchiveError::Truncated(format!("entry {name:?} ends early")));
        }
        Err(e) => return Ok(Err(e.to_string())),
    };
    if entry.encrypted() {
        return Ok(Err("encrypted entries are not supported".into()));
    }
    let compressed = entry.compressed_size();
    let mut out = BufWriter::new(File::create(target).map_err(ArchiveError::Scratch)?);
    let mut hasher = Sha256::new();
    let mut written: u64 = 0;
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match entry.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                return Err(ArchiveError::Truncated(format!("entry {name:?} ends early: {e}")));
            }
            Err(e) => return Ok(Err(e.to_string())),
        };
        if n as u64 > *budget {
            return Err(ArchiveError::TooLarge { entry: name.to_string(), limit: limits.max_total_bytes });
        }
        // Spent even when the entry later fails, so failing entries cannot decompress forever.
        *budget -= n as u64;
        written += n as u64;
        if written > limits.ratio_min_bytes && written > compressed.saturating_mul(limits.max_ratio) {
            return Err(ArchiveError::Bomb { entry: name.to_string(), ratio: limits.max_ratio, compressed });
        }
        let chunk = &buf[..n];
        hasher.update(chunk);
        out.write_all(chunk).map_err(ArchiveError::Scratch)?;
    }
    out.flush().map_err(ArchiveError::Scratch)?;
    Ok(Ok((written, format!("{:x}", hasher.finalize()))))
}

#[cfg(test)]
pub(crate) mod tests;
