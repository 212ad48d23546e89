//! Row groups encoded once as Flight messages and kept on local disk, so that later reads of the
//! same columns send the stored messages instead of decoding Parquet (zstd, page decoding) and
//! encoding Arrow IPC again (the arrow-rs encoder copies every buffer into one contiguous body,
//! arrow-rs #6670). A cached group is read message by message on a blocking thread that runs
//! ahead of the network: each message is one read from the page cache, then tonic's copy into
//! its frame buffer and the kernel's.
//!
//! Entries are keyed by the Parquet object's SHA-256 (objects are immutable), the projected
//! columns and the row group, written to a temporary file while the first read streams and
//! renamed into place when the group is complete, and never modified afterwards (deleting the
//! folder at any time is safe: entries are made again on the next read). Reads with a row filter
//! or a limit, and schemas with dictionary columns, do not use the cache. Memory stays bounded
//! whatever the table's size: the producer runs at most [`QUEUE`] messages of about
//! [`MESSAGE_BYTES`] ahead of the client.

use std::io::{BufRead, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use arrow::datatypes::{DataType, SchemaRef};
use arrow::ipc::writer::{DictionaryTracker, IpcDataGenerator, IpcWriteContext, IpcWriteOptions};
use arrow::record_batch::RecordBatch;
use arrow_flight::{FlightData, SchemaAsIpc};
use bytes::Bytes;
use futures::StreamExt;
use futures::stream::BoxStream;
use sha2::{Digest, Sha256};
use tokio::sync::mpsc;

use crate::error::FlightError;
use crate::memory::MemoryTier;

/// First bytes of every cache file; a new layout gets a new magic.
const MAGIC: &[u8; 8] = b"KURAFD1\n";
/// Messages the producer may run ahead of the client.
const QUEUE: usize = 4;
/// Approximate body size of one message: large enough that per-message costs vanish, small
/// enough that the client can start decoding early.
pub const MESSAGE_BYTES: usize = 4 << 20;

/// The cache folder and its size limit.
#[derive(Debug)]
pub struct EncodedCache {
    dir: PathBuf,
    max_bytes: u64,
    used: AtomicU64,
    buffers: Buffers,
    /// Entries also held in memory.
    memory: MemoryTier,
}

/// Message buffers, reused: a fresh allocation of a few MiB per message costs page faults and
/// zeroing that are dearer than reading the message from the page cache.
#[derive(Debug, Default)]
struct Buffers(std::sync::Mutex<Vec<Vec<u8>>>);

/// Buffers kept for reuse (about [`QUEUE`] per stream in flight, two streams).
const KEPT_BUFFERS: usize = 4 * QUEUE;

impl Buffers {
    fn take(&self) -> Vec<u8> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).pop().unwrap_or_default()
    }

    fn give_back(&self, mut buffer: Vec<u8>) {
        buffer.clear();
        let mut kept = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if kept.len() < KEPT_BUFFERS {
            kept.push(buffer);
        }
    }
}

/// A message read into a reused buffer; the buffer goes back when the last `Bytes` of it is
/// dropped (after HTTP/2 has written it out).
struct Pooled {
    data: Vec<u8>,
    cache: Arc<EncodedCache>,
}

impl AsRef<[u8]> for Pooled {
    fn as_ref(&self) -> &[u8] {
        &self.data
    }
}

impl Drop for Pooled {
    fn drop(&mut self) {
        self.cache.buffers.give_back(std::mem::take(&mut self.data));
    }
}

/// One cache entry: row group `group` of object `object`, columns `columns` (a digest).
#[derive(Debug, Clone)]
pub struct EntryKey {
    pub object: String,
    pub columns: String,
    pub group: usize,
}

impl EntryKey {
    /// The key of `group` of `object` projected to root columns `projection`.
    pub fn new(object: &str, projection: &[usize], group: usize) -> Self {
        let mut h = Sha256::new();
        for c in projection {
            h.update((*c as u64).to_le_bytes());
        }
        EntryKey { object: object.to_owned(), columns: hex::encode(&h.finalize()[..8]), group }
    }
}

impl EncodedCache {
    /// The cache in `dir`, holding at most `max_bytes` on disk (0: no cache) and at most
    /// `memory_bytes` of its entries in memory. Leftover temporary files of an interrupted write
    /// are removed.
    pub fn open(dir: &Path, max_bytes: u64, memory_bytes: u64) -> std::io::Result<Option<Arc<Self>>> {
        if max_bytes == 0 {
            return Ok(None);
        }
        std::fs::create_dir_all(dir)?;
        let mut used = 0;
        for shard in std::fs::read_dir(dir)? {
            let shard = shard?;
            if !shard.file_type()?.is_dir() {
                continue;
            }
            for entry in std::fs::read_dir(shard.path())? {
                let entry = entry?;
                if entry.path().extension().is_some_and(|e| e == "tmp") {
                    let _ = std::fs::remove_file(entry.path());
                } else {
                    used += entry.metadata()?.len();
                }
            }
        }
        Ok(Some(Arc::new(EncodedCache {
            dir: dir.to_owned(),
            max_bytes,
            used: AtomicU64::new(used),
            buffers: Buffers::default(),
            memory: MemoryTier::new(memory_bytes),
        })))
    }

    fn path(&self, key: &EntryKey) -> PathBuf {
        let shard = key.object.get(..2).unwrap_or("xx");
        self.dir.join(shard).join(format!("{}-{}-{}.flight", key.object, key.columns, key.group))
    }

    /// The stored entry of `key`, opened after its magic, if it exists.
    fn load(&self, key: &EntryKey) -> Option<std::io::BufReader<std::fs::File>> {
        let mut file = std::io::BufReader::with_capacity(64 << 10, std::fs::File::open(self.path(key)).ok()?);
        let mut magic = [0; MAGIC.len()];
        file.read_exact(&mut magic).ok()?;
        (&magic == MAGIC).then_some(file)
    }

    /// A writer for `key`, unless the cache is full.
    fn writer(&self, key: &EntryKey) -> Option<EntryWriter> {
        if self.used.load(Ordering::Relaxed) >= self.max_bytes {
            return None;
        }
        let path = self.path(key);
        std::fs::create_dir_all(path.parent()?).ok()?;
        let tmp = path.with_extension(format!("{}.tmp", rand::random::<u64>()));
        let mut file = std::fs::File::create(&tmp).ok()?;
        file.write_all(MAGIC).ok()?;
        Some(EntryWriter { file: Some(file), tmp, path, written: MAGIC.len() as u64 })
    }
}

/// An entry being written; removed unless committed.
struct EntryWriter {
    file: Option<std::fs::File>,
    tmp: PathBuf,
    path: PathBuf,
    written: u64,
}

impl EntryWriter {
    /// Appends one message (header length, body length, header, body).
    async fn append(&mut self, data: &FlightData) -> std::io::Result<()> {
        let mut file = self.file.take().ok_or_else(|| std::io::Error::other("entry already failed"))?;
        let (header, body) = (data.data_header.clone(), data.data_body.clone());
        let file = tokio::task::spawn_blocking(move || -> std::io::Result<std::fs::File> {
            let lengths = [u32::try_from(header.len()), u32::try_from(body.len())];
            let [Ok(h), Ok(b)] = lengths else { return Err(std::io::Error::other("message too large")) };
            file.write_all(&h.to_le_bytes())?;
            file.write_all(&b.to_le_bytes())?;
            file.write_all(&header)?;
            file.write_all(&body)?;
            Ok(file)
        })
        .await
        .map_err(std::io::Error::other)??;
        self.written += 8 + (data.data_header.len() + data.data_body.len()) as u64;
        self.file = Some(file);
        Ok(())
    }

    /// Moves the complete entry into place.
    fn commit(mut self, cache: &EncodedCache) -> std::io::Result<()> {
        self.file.take();
        std::fs::rename(&self.tmp, &self.path)?;
        cache.used.fetch_add(self.written, Ordering::Relaxed);
        Ok(())
    }
}

impl Drop for EntryWriter {
    fn drop(&mut self) {
        if self.file.is_some() || self.tmp.exists() {
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

/// Whether a schema can be served from the cache: dictionary columns need a dictionary message
/// stream that depends on what was sent before, so they are always encoded afresh.
pub fn cacheable(schema: &arrow::datatypes::Schema) -> bool {
    fn has_dictionary(t: &DataType) -> bool {
        match t {
            DataType::Dictionary(..) => true,
            DataType::List(f) | DataType::LargeList(f) | DataType::FixedSizeList(f, _) | DataType::Map(f, _) => {
                has_dictionary(f.data_type())
            }
            DataType::ListView(f) | DataType::LargeListView(f) => has_dictionary(f.data_type()),
            DataType::Struct(fields) => fields.iter().any(|f| has_dictionary(f.data_type())),
            DataType::Union(fields, _) => fields.iter().any(|(_, f)| has_dictionary(f.data_type())),
            DataType::RunEndEncoded(_, v) => has_dictionary(v.data_type()),
            _ => false,
        }
    }
    !schema.fields().iter().any(|f| has_dictionary(f.data_type()))
}

/// The batches of one row group, decoded from Parquet (what a cache miss reads).
pub type GroupSource = Arc<
    dyn Fn(
            usize,
        ) -> futures::future::BoxFuture<
            'static,
            Result<BoxStream<'static, Result<RecordBatch, FlightError>>, FlightError>,
        > + Send
        + Sync,
>;

/// The Flight messages of `groups`: the schema, then every group's batches, from the cache when
/// an entry exists, otherwise decoded by `source` (and stored, when the cache has room).
pub fn stream(
    cache: Arc<EncodedCache>,
    schema: SchemaRef,
    object: String,
    projection: Vec<usize>,
    groups: Vec<usize>,
    source: GroupSource,
) -> BoxStream<'static, Result<FlightData, FlightError>> {
    let (tx, rx) = mpsc::channel::<Result<FlightData, FlightError>>(QUEUE);
    tokio::spawn(async move {
        let options = IpcWriteOptions::default();
        if tx.send(Ok(SchemaAsIpc::new(&schema, &options).into())).await.is_err() {
            return;
        }
        for group in groups {
            let key = EntryKey::new(&object, &projection, group);
            let path = cache.path(&key);
            if let Some(messages) = cache.memory.get(&path) {
                for message in messages.iter() {
                    if tx.send(Ok(message.clone())).await.is_err() {
                        return; // the client went away
                    }
                }
                continue;
            }
            let sent = match cache.load(&key) {
                Some(file) => {
                    let (tx, cache) = (tx.clone(), cache.clone());
                    tokio::task::spawn_blocking(move || send_stored(&cache, &path, file, &tx))
                        .await
                        .unwrap_or_else(|e| Err(FlightError::internal(format!("flight cache reader: {e}"))))
                }
                None => encode_group(&cache, &key, &source, &options, &tx).await,
            };
            match sent {
                Ok(true) => {}
                Ok(false) => return, // the client went away
                Err(e) => {
                    let _ = tx.send(Err(e)).await;
                    return;
                }
            }
        }
    });
    futures::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|item| (item, rx)) }).boxed()
}

/// Sends the messages of a stored entry, read one by one on a blocking thread; false if the
/// client left.
fn send_stored(
    cache: &Arc<EncodedCache>,
    path: &Path,
    mut file: std::io::BufReader<std::fs::File>,
    tx: &mpsc::Sender<Result<FlightData, FlightError>>,
) -> Result<bool, FlightError> {
    let corrupt = |e: std::io::Error| FlightError::internal(format!("corrupt flight cache entry: {e}"));
    // An entry the memory tier has room for is kept there once read whole; bodies of the others
    // (a few MiB each) are read into reused buffers.
    let size = file.get_ref().metadata().map_err(corrupt)?.len();
    let mut kept = cache.memory.has_room(size).then(Vec::new);
    let read = |file: &mut std::io::BufReader<std::fs::File>, n: u32, keep: bool| -> std::io::Result<Bytes> {
        if keep {
            let mut data = vec![0; n as usize];
            file.read_exact(&mut data)?;
            return Ok(data.into());
        }
        let mut data = cache.buffers.take();
        data.reserve_exact(n as usize);
        file.by_ref().take(u64::from(n)).read_to_end(&mut data)?;
        if data.len() != n as usize {
            cache.buffers.give_back(data);
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        Ok(Bytes::from_owner(Pooled { data, cache: cache.clone() }))
    };
    loop {
        if file.fill_buf().map_err(corrupt)?.is_empty() {
            if let Some(messages) = kept {
                cache.memory.admit(path, messages);
            }
            return Ok(true);
        }
        let mut lengths = [0; 8];
        file.read_exact(&mut lengths).map_err(corrupt)?;
        let [h0, h1, h2, h3, b0, b1, b2, b3] = lengths;
        let (header_len, body_len) = (u32::from_le_bytes([h0, h1, h2, h3]), u32::from_le_bytes([b0, b1, b2, b3]));
        // Entries are Kura's own files, but a damaged one must not make it allocate gigabytes.
        if header_len > 1 << 20 || body_len as usize > 16 * MESSAGE_BYTES {
            return Err(corrupt(std::io::Error::other(format!("message lengths {header_len} and {body_len}"))));
        }
        let mut data_header = vec![0; header_len as usize];
        file.read_exact(&mut data_header).map_err(corrupt)?;
        let data_header = Bytes::from(data_header);
        let data_body = read(&mut file, body_len, kept.is_some()).map_err(corrupt)?;
        let message = FlightData { data_header, data_body, ..Default::default() };
        if let Some(kept) = kept.as_mut() {
            kept.push(message.clone());
        }
        if tx.blocking_send(Ok(message)).is_err() {
            return Ok(false);
        }
    }
}

/// Decodes one group, sends its messages and stores them; false if the client left.
async fn encode_group(
    cache: &EncodedCache,
    key: &EntryKey,
    source: &GroupSource,
    options: &IpcWriteOptions,
    tx: &mpsc::Sender<Result<FlightData, FlightError>>,
) -> Result<bool, FlightError> {
    let mut batches = source(key.group).await?;
    let mut writer = cache.writer(key);
    let generator = IpcDataGenerator::default();
    let mut tracker = DictionaryTracker::new(false);
    let mut context = IpcWriteContext::default();
    while let Some(batch) = batches.next().await {
        let batch = batch?;
        for part in split(&batch) {
            let (_, encoded) = generator.encode(&part, &mut tracker, options, &mut context)?;
            let data = FlightData::from(encoded);
            if let Some(w) = writer.as_mut()
                && let Err(e) = w.append(&data).await
            {
                tracing::warn!(error = %e, "flight cache entry not written");
                writer = None;
            }
            if tx.send(Ok(data)).await.is_err() {
                return Ok(false);
            }
        }
    }
    if let Some(w) = writer
        && let Err(e) = w.commit(cache)
    {
        tracing::warn!(error = %e, "flight cache entry not stored");
    }
    Ok(true)
}

/// Zero-copy slices of `batch` of about [`MESSAGE_BYTES`] each.
fn split(batch: &RecordBatch) -> Vec<RecordBatch> {
    let size: usize = batch.columns().iter().map(|c| c.get_buffer_memory_size()).sum();
    let parts = size.div_ceil(MESSAGE_BYTES).max(1);
    let rows = batch.num_rows().div_ceil(parts).max(1);
    (0..batch.num_rows()).step_by(rows).map(|at| batch.slice(at, rows.min(batch.num_rows() - at))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Int64Array, StringArray};
    use arrow::datatypes::{Field, Schema};

    fn batch(n: i64) -> RecordBatch {
        let schema =
            Arc::new(Schema::new(vec![Field::new("i", DataType::Int64, false), Field::new("s", DataType::Utf8, true)]));
        let i = Int64Array::from_iter_values(0..n);
        let s = StringArray::from_iter((0..n).map(|v| (v % 3 != 0).then(|| format!("v{v}"))));
        RecordBatch::try_new(schema, vec![Arc::new(i), Arc::new(s)]).unwrap()
    }

    fn source() -> GroupSource {
        Arc::new(|group| {
            Box::pin(async move {
                let b = batch(1000 + group as i64);
                Ok(futures::stream::iter([Ok(b.slice(0, 600)), Ok(b.slice(600, b.num_rows() - 600))]).boxed())
            })
        })
    }

    async fn read(cache: &Arc<EncodedCache>, groups: Vec<usize>) -> Vec<RecordBatch> {
        let schema = batch(1).schema();
        let messages = stream(cache.clone(), schema, "ab".repeat(32), vec![0, 1], groups, source());
        let messages = messages.map(|m| m.map_err(|e| arrow_flight::error::FlightError::ExternalError(Box::new(e))));
        arrow_flight::decode::FlightRecordBatchStream::new_from_flight_data(messages).try_collect().await.unwrap()
    }

    use futures::TryStreamExt;

    #[tokio::test]
    async fn a_cached_read_equals_the_first_and_uses_the_stored_entries() {
        let dir = tempfile::tempdir().unwrap();
        let cache = EncodedCache::open(dir.path(), 1 << 30, 0).unwrap().unwrap();
        let first = read(&cache, vec![0, 2]).await;
        let entries = std::fs::read_dir(dir.path().join("ab")).unwrap().count();
        assert_eq!(entries, 2, "one entry per group, no temporary file left");
        let second = read(&cache, vec![0, 2]).await;
        let rows = |b: &[RecordBatch]| b.iter().map(|b| b.num_rows()).sum::<usize>();
        assert_eq!(rows(&first), 1000 + 1002);
        assert_eq!(
            arrow::compute::concat_batches(&first[0].schema(), &first).unwrap(),
            arrow::compute::concat_batches(&second[0].schema(), &second).unwrap()
        );
        // A reopened cache counts what is stored; a full one still serves, without storing.
        let reopened = EncodedCache::open(dir.path(), 1, 0).unwrap().unwrap();
        assert!(reopened.used.load(Ordering::Relaxed) > 1);
        assert_eq!(rows(&read(&reopened, vec![5]).await), 1005);
        assert_eq!(std::fs::read_dir(dir.path().join("ab")).unwrap().count(), 2);
    }

    #[tokio::test]
    async fn entries_read_again_are_then_sent_from_memory() {
        let dir = tempfile::tempdir().unwrap();
        let cache = EncodedCache::open(dir.path(), 1 << 30, 1 << 30).unwrap().unwrap();
        let first = read(&cache, vec![0, 1]).await; // decoded, stored on disk
        assert_eq!(cache.memory.used(), 0);
        let second = read(&cache, vec![0, 1]).await; // read from disk, held in memory
        assert!(cache.memory.used() > 0);
        std::fs::remove_dir_all(dir.path().join("ab")).unwrap();
        let third = read(&cache, vec![0, 1]).await; // from memory: the files are gone
        let all = |b: &[RecordBatch]| arrow::compute::concat_batches(&b[0].schema(), b).unwrap();
        assert_eq!(all(&first), all(&second));
        assert_eq!(all(&first), all(&third));
        assert!(!dir.path().join("ab").exists(), "a read from memory writes nothing");
    }

    #[test]
    fn dictionaries_are_not_cached_and_zero_disables() {
        let dict = Schema::new(vec![Field::new(
            "d",
            DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8)),
            true,
        )]);
        assert!(!cacheable(&dict));
        assert!(cacheable(&batch(1).schema()));
        assert!(EncodedCache::open(Path::new("/nonexistent"), 0, 1 << 20).unwrap().is_none());
    }

    #[test]
    fn split_keeps_every_row() {
        let b = batch(10);
        assert_eq!(split(&b).len(), 1);
        let big = batch(400_000);
        let parts = split(&big);
        assert!(parts.len() > 1);
        assert_eq!(parts.iter().map(|p| p.num_rows()).sum::<usize>(), 400_000);
    }
}
