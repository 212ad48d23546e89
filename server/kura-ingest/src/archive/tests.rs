//! Extraction within limits: hostile archives refused whole, broken entries skipped alone.

use std::io::Write;

use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

use super::*;

/// Builds a zip in memory; `deflate` picks the compression of every entry.
pub(crate) fn build_zip(entries: &[(&str, &[u8])], deflate: bool) -> Vec<u8> {
    let method = if deflate { CompressionMethod::Deflated } else { CompressionMethod::Stored };
    let options = SimpleFileOptions::default().compression_method(method).large_file(false);
    let mut writer = ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, bytes) in entries {
        if name.ends_with('/') {
            writer.add_directory(name.to_string(), options).unwrap();
        } else {
            writer.start_file(name.to_string(), options).unwrap();
            writer.write_all(bytes).unwrap();
        }
    }
    writer.finish().unwrap().into_inner()
}

/// Replaces an entry name everywhere it appears (local header and central directory), so tests
/// can write names a well-behaved writer would refuse. Names must have the same length.
pub(crate) fn rename(mut zip: Vec<u8>, from: &str, to: &str) -> Vec<u8> {
    assert_eq!(from.len(), to.len());
    let (from, to) = (from.as_bytes(), to.as_bytes());
    let mut i = 0;
    let mut found = 0;
    while i + from.len() <= zip.len() {
        if &zip[i..i + from.len()] == from {
            zip[i..i + from.len()].copy_from_slice(to);
            found += 1;
        }
        i += 1;
    }
    assert!(found >= 2, "name not found in local header and central directory");
    zip
}

fn write(dir: &tempfile::TempDir, bytes: &[u8]) -> PathBuf {
    let path = dir.path().join("a.zip");
    std::fs::write(&path, bytes).unwrap();
    path
}

fn run(bytes: &[u8], limits: &Limits) -> Result<Extraction, ArchiveError> {
    let dir = tempfile::tempdir().unwrap();
    let path = write(&dir, bytes);
    let mut budget = limits.max_total_bytes;
    extract(&path, limits, &mut budget)
}

#[test]
fn extracts_files_with_size_and_hash_and_skips_directories() {
    let zip = build_zip(&[("d/", b""), ("d/a.txt", b"hello"), ("b.csv", b"x,y\n1,2\n")], true);
    let out = run(&zip, &DEFAULT_LIMITS).unwrap();
    assert_eq!(out.file_entries, 2);
    let paths: Vec<_> = out.members.iter().map(|m| m.path.as_str()).collect();
    assert_eq!(paths, ["d/a.txt", "b.csv"]);
    assert_eq!(out.members[0].size, 5);
    assert_eq!(out.members[0].sha256, "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824");
    assert_eq!(std::fs::read(&out.members[1].scratch).unwrap(), b"x,y\n1,2\n");
    assert!(out.warnings.is_empty());
}

#[test]
fn a_zip_bomb_is_refused_while_decompressing() {
    // 8 MiB of zeros deflate to a few KiB: a ratio of about 1000.
    let zeros = vec![0u8; 8 << 20];
    let zip = build_zip(&[("ok.txt", b"fine"), ("bomb.bin", &zeros)], true);
    assert!(zip.len() < 64 * 1024);
    let err = run(&zip, &DEFAULT_LIMITS).unwrap_err();
    assert!(matches!(err, ArchiveError::Bomb { ref entry, .. } if entry == "bomb.bin"), "{err}");
    assert!(err.to_string().contains("zip bomb"), "{err}");
}

#[test]
fn total_size_is_counted_not_declared() {
    let zip = build_zip(&[("a.bin", &[1u8; 3000]), ("b.bin", &[2u8; 3000])], false);
    let limits = Limits { max_total_bytes: 5000, ..DEFAULT_LIMITS };
    let err = run(&zip, &limits).unwrap_err();
    assert_eq!(err.to_string(), "archive decompresses to more than 5000 bytes (limit reached in entry \"b.bin\")");
}

#[test]
fn too_many_entries_are_refused() {
    let names: Vec<String> = (0..20).map(|i| format!("f{i}.txt")).collect();
    let entries: Vec<(&str, &[u8])> = names.iter().map(|n| (n.as_str(), &b"x"[..])).collect();
    let zip = build_zip(&entries, true);
    let limits = Limits { max_entries: 10, ..DEFAULT_LIMITS };
    let err = run(&zip, &limits).unwrap_err();
    assert_eq!(err.to_string(), "archive has 20 entries, more than the limit of 10");
}

#[test]
fn escaping_names_refuse_the_archive_and_write_nothing() {
    for (placeholder, hostile, reason) in [
        ("xx/evil", "../evil", "parent directory component '..'"),
        ("etc/passwdx", "/etc/passwd", "absolute path"),
        ("a_b.txt", "a\\b.txt", "backslash in name"),
        ("Cx/x.txt", "C:/x.txt", "drive letter"),
    ] {
        let zip = build_zip(&[("good.txt", b"good"), (placeholder, b"evil")], true);
        let zip = rename(zip, placeholder, hostile);
        let err = run(&zip, &DEFAULT_LIMITS).unwrap_err();
        assert_eq!(err.to_string(), format!("unsafe entry name {hostile:?}: {reason}"));
    }
}

#[test]
fn symbolic_links_are_refused() {
    let mut writer = ZipWriter::new(std::io::Cursor::new(Vec::new()));
    writer.add_symlink("link", "/etc/passwd", SimpleFileOptions::default()).unwrap();
    let zip = writer.finish().unwrap().into_inner();
    let err = run(&zip, &DEFAULT_LIMITS).unwrap_err();
    assert_eq!(err.to_string(), "entry \"link\" is a symbolic link, which archives may not contain");
}

#[test]
fn a_truncated_archive_is_a_precise_error() {
    let zip = build_zip(&[("a.txt", &[7u8; 5000]), ("b.txt", b"b")], true);
    for cut in [zip.len() / 2, zip.len() - 10, 30] {
        let err = run(&zip[..cut], &DEFAULT_LIMITS).unwrap_err();
        assert!(err.to_string().starts_with("truncated zip archive: "), "cut at {cut}: {err}");
    }
}

#[test]
fn a_corrupt_entry_is_skipped_and_the_others_extracted() {
    let zip = build_zip(&[("a.txt", b"aaaaaaaaaaaaaaaaaaaaaaaaaaaa"), ("b.txt", b"bbbb")], false);
    // Flip a byte of a.txt's stored data: its checksum no longer matches.
    let mut zip = zip;
    let at = zip.windows(4).position(|w| w == b"aaaa").unwrap();
    zip[at] = b'z';
    let out = run(&zip, &DEFAULT_LIMITS).unwrap();
    assert_eq!(out.members.len(), 1);
    assert_eq!(out.members[0].path, "b.txt");
    assert_eq!(out.file_entries, 2);
    assert!(out.warnings[0].starts_with("archive entry \"a.txt\" skipped: "), "{:?}", out.warnings);
}

#[test]
fn garbage_and_empty_input_are_errors_not_panics() {
    assert!(run(b"PK\x03\x04garbage", &DEFAULT_LIMITS).is_err());
    assert!(run(b"", &DEFAULT_LIMITS).is_err());
    let empty = build_zip(&[], true);
    let out = run(&empty, &DEFAULT_LIMITS).unwrap();
    assert!(out.members.is_empty());
}
