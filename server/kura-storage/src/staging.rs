//! Staging: bytes arrive in a scratch file while being hashed, before they become an object.

use std::io::Write;
use std::path::{Path, PathBuf};

use bytes::Bytes;
use futures::{Stream, StreamExt};
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;

use crate::StorageError;

/// A scratch file whose SHA-256 and size are known. Removed on drop unless committed.
#[derive(Debug)]
pub struct StagedFile {
    pub path: PathBuf,
    pub sha256: String,
    pub size: u64,
    pub(crate) keep: bool,
}

impl Drop for StagedFile {
    fn drop(&mut self) {
        if !self.keep {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// A writer that hashes what passes through it, for producers that write synchronously
/// (the Parquet writer).
pub struct HashingWriter<W> {
    inner: W,
    hasher: Sha256,
    size: u64,
}

impl<W: Write> HashingWriter<W> {
    pub fn new(inner: W) -> Self {
        HashingWriter { inner, hasher: Sha256::new(), size: 0 }
    }

    /// The hex SHA-256 and size of everything written, and the inner writer.
    pub fn finish(self) -> (W, String, u64) {
        (self.inner, hex::encode(self.hasher.finalize()), self.size)
    }
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.size += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

pub(crate) fn scratch_path(dir: &Path) -> PathBuf {
    dir.join(format!("{}.part", uuid::Uuid::now_v7()))
}

/// Writes `stream` to a new scratch file in `dir`, hashing as it goes. Refuses more than
/// `limit` bytes; a stream that ends with an error leaves nothing behind.
pub(crate) async fn stage_stream<S, E>(dir: &Path, mut stream: S, limit: u64) -> Result<StagedFile, StorageError>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
    E: std::fmt::Display,
{
    tokio::fs::create_dir_all(dir).await?;
    let path = scratch_path(dir);
    // Created before any write so that an early return removes the file.
    let mut staged = StagedFile { path: path.clone(), sha256: String::new(), size: 0, keep: false };
    let mut out = tokio::io::BufWriter::with_capacity(1 << 20, tokio::fs::File::create(&path).await?);
    let mut hasher = Sha256::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| StorageError::Interrupted(e.to_string()))?;
        staged.size += chunk.len() as u64;
        if staged.size > limit {
            return Err(StorageError::TooLarge { limit });
        }
        hasher.update(&chunk);
        out.write_all(&chunk).await?;
    }
    out.flush().await?;
    out.into_inner().sync_all().await?;
    staged.sha256 = hex::encode(hasher.finalize());
    Ok(staged)
}

impl StagedFile {
    /// Adopts a scratch file written and hashed elsewhere; it is removed on drop unless committed.
    pub fn new_scratch(path: PathBuf, sha256: String, size: u64) -> Self {
        StagedFile { path, sha256, size, keep: false }
    }
}

/// Copies a local file into a new scratch file in `dir`, hashing in the same pass (blocking:
/// call from a blocking thread). The source is read once and never changed.
pub(crate) fn copy_hashing(source: &Path, dir: &Path) -> Result<StagedFile, StorageError> {
    use std::io::Read;
    std::fs::create_dir_all(dir)?;
    let path = scratch_path(dir);
    let mut staged = StagedFile { path: path.clone(), sha256: String::new(), size: 0, keep: false };
    let mut input = std::fs::File::open(source)?;
    let mut out = std::fs::File::create(&path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = input.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        out.write_all(&buf[..n])?;
        staged.size += n as u64;
    }
    out.sync_all()?;
    staged.sha256 = hex::encode(hasher.finalize());
    Ok(staged)
}
