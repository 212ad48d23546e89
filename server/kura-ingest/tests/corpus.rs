//! Every file of the shared test corpus (real files from other people's software) either reads
//! or fails with the precise error its content deserves — never a panic, never a vague error.

use std::path::{Path, PathBuf};

fn corpus() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/testdata");
    assert!(dir.is_dir(), "{} is missing: ../shared/testdata must sit beside the repository", dir.display());
    dir
}

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files(&path, out);
        } else {
            out.push(path);
        }
    }
}

/// The errors a file may legitimately end with, by what it is.
fn acceptable(rel: &str, error: &str) -> bool {
    let text_document = rel.ends_with(".txt") || rel.ends_with("test-apple-data.csv") || rel.ends_with("1.csv");
    (error.contains("file is empty") && std::fs::metadata(corpus().join(rel)).unwrap().len() == 0)
        || (text_document && error.contains("no table found"))
        // The RO-Crate validator's own broken-JSON case.
        || (rel.contains("invalid_json_format") && error.contains("malformed json"))
}

#[test]
fn every_corpus_file_reads_or_fails_precisely() {
    let root = corpus();
    let mut all = Vec::new();
    files(&root, &mut all);
    all.sort();
    assert!(all.len() > 100, "the corpus looks incomplete: {} files", all.len());
    let mut read = 0;
    let mut raw = 0;
    let mut unexpected = Vec::new();
    for path in &all {
        let rel = path.strip_prefix(&root).unwrap().to_string_lossy().into_owned();
        let out = tempfile::tempdir().unwrap();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        match kura_ingest::convert::read_to_dir(path, &name, out.path()) {
            Ok(c) if c.format.is_none() => raw += 1,
            Ok(_) => read += 1,
            Err(e) if acceptable(&rel, &e) => {}
            Err(e) => unexpected.push(format!("{rel}: {e}")),
        }
    }
    assert!(unexpected.is_empty(), "{} files failed unexpectedly:\n{}", unexpected.len(), unexpected.join("\n"));
    // Every instrument, spectrum, structure, mass-spectrometry and ELN file is read, not kept raw.
    assert!(read >= 120, "only {read} files read ({raw} kept raw)");
}
