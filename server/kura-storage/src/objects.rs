//! The content-addressed object store.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use futures::{Stream, StreamExt, TryStreamExt};
use object_store::local::LocalFileSystem;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore as _, ObjectStoreExt as _, PutPayload};

use crate::StorageError;
use crate::staging::{self, StagedFile};

/// Size of the parts of a multipart upload (objects up to this size are one PUT).
const PART_BYTES: usize = 16 << 20;

/// An object's address and size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredObject {
    pub sha256: String,
    pub size: u64,
}

/// Content-addressed storage over any `object_store` backend, with a local staging directory.
#[derive(Clone, Debug)]
pub struct ObjectStore {
    store: Arc<dyn object_store::ObjectStore>,
    /// Set when the backend is a local directory: objects can then be moved in by rename.
    local: Option<Arc<LocalFileSystem>>,
    staging: PathBuf,
}

fn check_address(sha256: &str) -> Result<(), StorageError> {
    if sha256.len() == 64 && sha256.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()) {
        Ok(())
    } else {
        Err(StorageError::BadAddress(sha256.to_owned()))
    }
}

impl ObjectStore {
    /// A store in a local directory, with staging files in `staging`.
    pub fn local(objects: &Path, staging: &Path) -> Result<Self, StorageError> {
        std::fs::create_dir_all(objects)?;
        std::fs::create_dir_all(staging)?;
        let local = Arc::new(LocalFileSystem::new_with_prefix(objects)?.with_automatic_cleanup(true));
        Ok(ObjectStore { store: local.clone(), local: Some(local), staging: staging.to_owned() })
    }

    /// A store on an S3-compatible service, with staging files in `staging`; checked by
    /// writing, reading and deleting a probe object.
    pub async fn s3(settings: &crate::S3Settings, staging: &Path) -> Result<Self, StorageError> {
        std::fs::create_dir_all(staging)?;
        let store = settings.build()?;
        crate::s3::probe(store.as_ref(), settings).await?;
        Ok(ObjectStore { store, local: None, staging: staging.to_owned() })
    }

    /// The backend, for readers that take an `object_store` directly (Parquet).
    pub fn backend(&self) -> Arc<dyn object_store::ObjectStore> {
        self.store.clone()
    }

    /// Directory for scratch files.
    pub fn staging_dir(&self) -> &Path {
        &self.staging
    }

    /// Where the object with this hash lives.
    pub fn path_of(sha256: &str) -> Result<ObjectPath, StorageError> {
        check_address(sha256)?;
        Ok(ObjectPath::from(format!("sha256/{}/{}/{}", &sha256[..2], &sha256[2..4], sha256)))
    }

    /// Streams bytes into staging, hashing them; see [`ObjectStore::commit`].
    pub async fn stage<S, E>(&self, stream: S, limit: u64) -> Result<StagedFile, StorageError>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin,
        E: std::fmt::Display,
    {
        staging::stage_stream(&self.staging, stream, limit).await
    }

    /// Copies a local file into staging while hashing it, in one pass; see [`ObjectStore::commit`].
    pub async fn stage_copy(&self, source: &Path) -> Result<StagedFile, StorageError> {
        let (source, dir) = (source.to_owned(), self.staging.clone());
        tokio::task::spawn_blocking(move || staging::copy_hashing(&source, &dir))
            .await
            .map_err(|e| StorageError::Io(std::io::Error::other(e)))?
    }

    /// A fresh scratch path in staging, for producers that write files themselves.
    pub fn scratch_path(&self) -> PathBuf {
        staging::scratch_path(&self.staging)
    }

    /// Makes a staged file an object. Content addressing makes this idempotent: when the object
    /// exists already, nothing is written.
    pub async fn commit(&self, mut staged: StagedFile) -> Result<StoredObject, StorageError> {
        let location = Self::path_of(&staged.sha256)?;
        let object = StoredObject { sha256: staged.sha256.clone(), size: staged.size };
        if self.exists(&staged.sha256).await? {
            return Ok(object);
        }
        if let Some(local) = &self.local {
            let target = local.path_to_filesystem(&location)?;
            if let Some(parent) = target.parent() {
                tokio::fs::create_dir_all(parent).await?;
            }
            // Same file system (both under the data directory): a rename is atomic and free.
            tokio::fs::rename(&staged.path, &target).await?;
            staged.keep = true;
            return Ok(object);
        }
        if staged.size <= PART_BYTES as u64 {
            let bytes = tokio::fs::read(&staged.path).await?;
            self.store.put(&location, PutPayload::from(bytes)).await?;
            return Ok(object);
        }
        // Parts of PART_BYTES (S3 refuses parts under 5 MiB but the last), a few uploading at once.
        let upload = self.store.put_multipart(&location).await?;
        let mut writer = object_store::WriteMultipart::new_with_chunk_size(upload, PART_BYTES);
        let mut file = tokio::fs::File::open(&staged.path).await?;
        let mut buf = vec![0u8; 1 << 20];
        loop {
            let n = tokio::io::AsyncReadExt::read(&mut file, &mut buf).await?;
            if n == 0 {
                break;
            }
            writer.wait_for_capacity(4).await?;
            writer.write(&buf[..n]);
        }
        writer.finish().await?;
        Ok(object)
    }

    /// Stores bytes already in memory (small artefacts).
    pub async fn put_bytes(&self, bytes: Bytes) -> Result<StoredObject, StorageError> {
        use sha2::{Digest, Sha256};
        let sha256 = hex::encode(Sha256::digest(&bytes));
        let size = bytes.len() as u64;
        if !self.exists(&sha256).await? {
            self.store.put(&Self::path_of(&sha256)?, PutPayload::from(bytes)).await?;
        }
        Ok(StoredObject { sha256, size })
    }

    /// [`ObjectStore::put_bytes`], synced to disk before it returns on a local store (an S3
    /// store has it durably once the PUT is answered): for what is acknowledged to a writer.
    pub async fn put_bytes_durably(&self, bytes: Bytes) -> Result<StoredObject, StorageError> {
        let object = self.put_bytes(bytes).await?;
        if let Some(path) = self.local_path(&object.sha256)? {
            tokio::task::spawn_blocking(move || -> std::io::Result<()> {
                std::fs::File::open(&path)?.sync_all()?;
                // The rename that made the file is durable once its directory is.
                match path.parent() {
                    Some(dir) => std::fs::File::open(dir)?.sync_all(),
                    None => Ok(()),
                }
            })
            .await
            .map_err(|e| StorageError::Io(std::io::Error::other(e.to_string())))??;
        }
        Ok(object)
    }

    /// True when the object is present.
    pub async fn exists(&self, sha256: &str) -> Result<bool, StorageError> {
        match self.store.head(&Self::path_of(sha256)?).await {
            Ok(_) => Ok(true),
            Err(object_store::Error::NotFound { .. }) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    /// The object's bytes as a stream.
    pub async fn get_stream(
        &self,
        sha256: &str,
    ) -> Result<impl Stream<Item = Result<Bytes, StorageError>> + Send + 'static, StorageError> {
        let result = self.store.get(&Self::path_of(sha256)?).await.map_err(|e| match e {
            object_store::Error::NotFound { .. } => StorageError::NotFound(sha256.to_owned()),
            other => other.into(),
        })?;
        Ok(result.into_stream().map_err(StorageError::from))
    }

    /// Copies an object to a local file (for readers that need a path).
    pub async fn download_to(&self, sha256: &str, target: &Path) -> Result<(), StorageError> {
        if let Some(local) = &self.local {
            let source = local.path_to_filesystem(&Self::path_of(sha256)?)?;
            tokio::fs::copy(&source, target).await?;
            return Ok(());
        }
        let mut stream = Box::pin(self.get_stream(sha256).await?);
        let mut out = tokio::fs::File::create(target).await?;
        while let Some(chunk) = stream.next().await {
            tokio::io::AsyncWriteExt::write_all(&mut out, &chunk?).await?;
        }
        // tokio hands the last write to a background thread: without this a reader opening the
        // file at once may find it short (seen: a CSV from S3 read as empty).
        tokio::io::AsyncWriteExt::flush(&mut out).await?;
        Ok(())
    }

    /// The local file holding an object, when the backend is a local directory.
    pub fn local_path(&self, sha256: &str) -> Result<Option<PathBuf>, StorageError> {
        match &self.local {
            Some(local) => Ok(Some(local.path_to_filesystem(&Self::path_of(sha256)?)?)),
            None => Ok(None),
        }
    }

    /// Deletes objects not in `referenced` that are older than `grace` (younger ones may belong
    /// to an ingest that has not committed yet), and stale staging files. Returns what it removed.
    pub async fn collect_garbage(
        &self,
        referenced: &HashSet<String>,
        grace: Duration,
    ) -> Result<GcReport, StorageError> {
        let cutoff = chrono::Utc::now() - chrono::Duration::from_std(grace).unwrap_or(chrono::Duration::zero());
        let mut report = GcReport::default();
        let mut listing = self.store.list(Some(&ObjectPath::from("sha256")));
        while let Some(meta) = listing.next().await.transpose()? {
            let Some(name) = meta.location.filename() else { continue };
            if check_address(name).is_err() || referenced.contains(name) {
                report.kept += 1;
                continue;
            }
            if meta.last_modified > cutoff {
                report.kept += 1;
                continue;
            }
            self.store.delete(&meta.location).await?;
            report.removed += 1;
            report.bytes_freed += meta.size;
        }
        let staging_cutoff = SystemTime::now() - grace;
        if let Ok(mut entries) = tokio::fs::read_dir(&self.staging).await {
            while let Some(entry) = entries.next_entry().await? {
                let old = entry.metadata().await?.modified().map(|m| m < staging_cutoff).unwrap_or(false);
                if old && entry.file_type().await?.is_file() {
                    tokio::fs::remove_file(entry.path()).await?;
                    report.staging_removed += 1;
                }
            }
        }
        Ok(report)
    }
}

/// What garbage collection did.
#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize)]
pub struct GcReport {
    pub removed: u64,
    pub kept: u64,
    pub bytes_freed: u64,
    pub staging_removed: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunks(parts: Vec<&'static [u8]>) -> impl Stream<Item = Result<Bytes, std::io::Error>> + Unpin {
        futures::stream::iter(parts.into_iter().map(|p| Ok(Bytes::from_static(p))))
    }

    #[tokio::test]
    async fn identical_bytes_are_stored_once_and_read_back_exactly() {
        let dir = tempfile::tempdir().unwrap();
        let store = ObjectStore::local(&dir.path().join("o"), &dir.path().join("s")).unwrap();
        let a = store.commit(store.stage(chunks(vec![b"hello ", b"world"]), 1024).await.unwrap()).await.unwrap();
        let b = store.commit(store.stage(chunks(vec![b"hello world"]), 1024).await.unwrap()).await.unwrap();
        assert_eq!(a, b);
        assert_eq!(a.sha256, "b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9");
        let bytes: Vec<Bytes> = store.get_stream(&a.sha256).await.unwrap().try_collect().await.unwrap();
        assert_eq!(bytes.concat(), b"hello world");
        assert_eq!(std::fs::read_dir(store.staging_dir()).unwrap().count(), 0, "staging is left clean");
    }

    #[tokio::test]
    async fn oversized_and_interrupted_uploads_leave_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let store = ObjectStore::local(&dir.path().join("o"), &dir.path().join("s")).unwrap();
        let err = store.stage(chunks(vec![b"0123456789", b"0123456789"]), 15).await.unwrap_err();
        assert!(matches!(err, StorageError::TooLarge { limit: 15 }));
        let cut = futures::stream::iter(vec![
            Ok(Bytes::from_static(b"part")),
            Err(std::io::Error::other("connection reset")),
        ]);
        let err = store.stage(cut, 1024).await.unwrap_err();
        assert!(err.to_string().contains("connection reset"), "{err}");
        assert_eq!(std::fs::read_dir(store.staging_dir()).unwrap().count(), 0);
    }

    #[tokio::test]
    async fn garbage_collection_keeps_referenced_and_young_objects() {
        let dir = tempfile::tempdir().unwrap();
        let store = ObjectStore::local(&dir.path().join("o"), &dir.path().join("s")).unwrap();
        let keep = store.put_bytes(Bytes::from_static(b"keep")).await.unwrap();
        let drop = store.put_bytes(Bytes::from_static(b"drop")).await.unwrap();
        let referenced: HashSet<String> = [keep.sha256.clone()].into();
        let young = store.collect_garbage(&referenced, Duration::from_secs(3600)).await.unwrap();
        assert_eq!(young.removed, 0, "young objects may belong to an ingest in flight");
        let report = store.collect_garbage(&referenced, Duration::ZERO).await.unwrap();
        assert_eq!(report.removed, 1);
        assert!(store.exists(&keep.sha256).await.unwrap());
        assert!(!store.exists(&drop.sha256).await.unwrap());
    }

    #[test]
    fn addresses_must_be_lowercase_sha256_hex() {
        assert!(ObjectStore::path_of("../../etc/passwd").is_err());
        assert!(ObjectStore::path_of(&"A".repeat(64)).is_err());
        assert_eq!(
            ObjectStore::path_of(&"ab".repeat(32)).unwrap().as_ref(),
            format!("sha256/ab/ab/{}", "ab".repeat(32))
        );
    }
}
