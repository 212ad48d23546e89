//! The index: opening it, replacing a dataset's documents, and committing together with the
//! outbox position the projection has reached (so a restart resumes exactly there).

use std::path::Path;
use std::sync::Mutex;

use tantivy::directory::MmapDirectory;
use tantivy::schema::Schema;
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, Term};
use uuid::Uuid;

use crate::schema::{self, f};
use crate::{SearchDoc, SearchError};

/// Memory the writer may use before flushing a segment.
const WRITER_MEMORY: usize = 64 * 1024 * 1024;

/// A tantivy index with Kura's schema.
pub struct SearchIndex {
    pub(crate) index: Index,
    pub(crate) reader: IndexReader,
    /// None when opened read-only (another process holds the writer).
    writer: Option<Mutex<IndexWriter>>,
    pub(crate) schema: Schema,
    /// Visible-document statistics per viewer class for relevance (see `query::stats`).
    pub(crate) stats_cache: crate::query::StatsCache,
}

impl std::fmt::Debug for SearchIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SearchIndex").finish_non_exhaustive()
    }
}

impl SearchIndex {
    /// Opens (or creates) the index in `dir`. An index written with another schema is rebuilt
    /// from scratch: it is a projection, the catalog can always refill it.
    pub fn open(dir: &Path) -> Result<Self, SearchError> {
        std::fs::create_dir_all(dir).map_err(|e| SearchError::Directory(e.to_string()))?;
        let schema = schema::build();
        let directory = MmapDirectory::open(dir).map_err(|e| SearchError::Directory(e.to_string()))?;
        let index = match Index::open_or_create(directory, schema.clone()) {
            Ok(index) => index,
            Err(tantivy::TantivyError::SchemaError(_)) => {
                std::fs::remove_dir_all(dir).map_err(|e| SearchError::Directory(e.to_string()))?;
                std::fs::create_dir_all(dir).map_err(|e| SearchError::Directory(e.to_string()))?;
                Index::create_in_dir(dir, schema.clone())?
            }
            Err(e) => return Err(e.into()),
        };
        Self::with_index(index, schema)
    }

    /// An index in memory (tests, benchmarks).
    pub fn in_memory() -> Result<Self, SearchError> {
        let schema = schema::build();
        Self::with_index(Index::create_in_ram(schema.clone()), schema)
    }

    fn with_index(index: Index, schema: Schema) -> Result<Self, SearchError> {
        schema::register(&index);
        let writer = index.writer(WRITER_MEMORY).map_err(|e| match e {
            tantivy::TantivyError::LockFailure(..) => {
                SearchError::Directory("the search index is in use by another process (is the server running?)".into())
            }
            other => other.into(),
        })?;
        let reader = index.reader_builder().reload_policy(ReloadPolicy::Manual).try_into()?;
        Ok(SearchIndex { index, reader, writer: Some(Mutex::new(writer)), schema, stats_cache: Default::default() })
    }

    /// Opens an existing index for searching only, alongside a process that writes it.
    pub fn open_read_only(dir: &Path) -> Result<Self, SearchError> {
        let index = Index::open_in_dir(dir)?;
        let schema = index.schema();
        schema::register(&index);
        let reader = index.reader_builder().reload_policy(ReloadPolicy::Manual).try_into()?;
        Ok(SearchIndex { index, reader, writer: None, schema, stats_cache: Default::default() })
    }

    fn writer(&self) -> Result<std::sync::MutexGuard<'_, IndexWriter>, SearchError> {
        let writer =
            self.writer.as_ref().ok_or_else(|| SearchError::Directory("the index is open read-only".into()))?;
        Ok(writer.lock().unwrap_or_else(|e| e.into_inner()))
    }

    fn field(&self, name: &str) -> tantivy::schema::Field {
        self.schema.get_field(name).expect("field in schema")
    }

    /// Replaces every document of `dataset` with `docs` (none removes the dataset). Takes effect at
    /// the next [`SearchIndex::commit`].
    pub fn replace_dataset(&self, dataset: Uuid, docs: &[SearchDoc]) -> Result<(), SearchError> {
        let writer = self.writer()?;
        writer.delete_term(Term::from_field_text(self.field(f::DATASET_ID), &dataset.to_string()));
        for doc in docs {
            writer.add_document(doc.to_tantivy(&self.schema))?;
        }
        Ok(())
    }

    /// Removes everything (before a full rebuild).
    pub fn clear(&self) -> Result<(), SearchError> {
        self.writer()?.delete_all_documents()?;
        Ok(())
    }

    /// Makes the pending changes durable and visible, recording `checkpoint` (the last outbox
    /// event applied) in the same commit.
    pub fn commit(&self, checkpoint: i64) -> Result<(), SearchError> {
        let mut writer = self.writer()?;
        let mut prepared = writer.prepare_commit()?;
        prepared.set_payload(&checkpoint.to_string());
        prepared.commit()?;
        drop(writer);
        self.reader.reload()?;
        Ok(())
    }

    /// The last outbox event the committed index reflects (0 for a new index).
    pub fn checkpoint(&self) -> Result<i64, SearchError> {
        let meta = self.index.load_metas()?;
        Ok(meta.payload.and_then(|p| p.parse().ok()).unwrap_or(0))
    }

    /// Number of documents visible to searches (all of them, unfiltered: for operators).
    pub fn num_docs(&self) -> u64 {
        self.reader.searcher().num_docs()
    }
}
