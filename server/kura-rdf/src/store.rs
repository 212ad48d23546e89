//! The SPARQL store: an in-memory oxigraph store kept as a projection of the catalog, one named
//! graph per published dataset version (its DCAT-AP / PROV / ODRL description, named by the
//! version's PID URL). Each graph carries the access facts of its version, so every query can be
//! limited to the graphs `decide` lets the caller see.
//!
//! The store lives in memory (oxigraph without RocksDB, see DESIGN.md "Build cost"): the server
//! rebuilds it from the catalog at start and then follows the outbox, like the search index.
//! Masked columns are never described here, for anyone: the store holds the public view.
//!
//! Why two oxigraph stores: a query restricted to a list of graphs makes oxigraph look each
//! triple pattern up once per listed graph, which is slow with thousands of graphs. Nearly every
//! caller sees exactly the graphs anyone may see (published, not closed), and admins see all;
//! both query a store that holds exactly their graphs, with no list. Only a caller whose view
//! differs (an owner group of a closed dataset) pays for the list.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use chrono::Utc;
use kura_catalog::{Catalog, CatalogError, Visibility};
use kura_core::access::{Action, Decision, Facts, Subject, decide};
use oxigraph::model::{GraphNameRef, NamedNode, NamedOrBlankNode, QuadRef};
use oxigraph::store::{StorageError, Store};
use uuid::Uuid;

use crate::Describer;

/// Outbox events applied per store transaction.
const BATCH: u64 = 500;

/// Why the projection or a query failed on the store's side.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    #[error("RDF store: {0}")]
    Storage(#[from] StorageError),
    #[error("RDF mapping failed: {0}")]
    Mapping(#[from] kura_metadata::MetadataError),
    #[error("invalid graph name: {0}")]
    Iri(String),
}

/// The graphs one dataset contributes: its published versions' descriptions.
struct DatasetGraphs {
    graphs: Vec<(NamedNode, Facts, oxigraph::model::Graph)>,
}

/// What is known about the stores' graphs (guarded together with updates to the stores, so a
/// query's snapshot and the facts it was filtered with always agree).
#[derive(Default)]
struct Index {
    /// Every graph's access facts and whether the public store holds it, sorted by name (so
    /// the list of visible graphs comes out sorted, with no sort per query).
    graphs: BTreeMap<NamedNode, GraphFacts>,
    by_dataset: HashMap<Uuid, Vec<NamedNode>>,
    checkpoint: i64,
}

struct GraphFacts {
    facts: Facts,
    public: bool,
}

/// Where a query runs: a store and, unless it holds exactly the caller's graphs, the list of
/// graphs the caller may see in it (sorted).
pub struct Scope<'a> {
    pub store: &'a Store,
    pub graphs: Option<Vec<NamedNode>>,
}

/// The stores and the access facts of their graphs.
pub struct RdfStore {
    /// Every published version.
    all: Store,
    /// The versions anyone may see.
    public: Store,
    index: RwLock<Index>,
    /// Queries evaluating at once (one per core): see `sparql::run`.
    evaluations: Arc<tokio::sync::Semaphore>,
}

impl std::fmt::Debug for RdfStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RdfStore").field("graphs", &self.graph_count()).finish()
    }
}

impl RdfStore {
    pub fn new() -> Result<Self, StoreError> {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Ok(RdfStore {
            all: Store::new()?,
            public: Store::new()?,
            index: RwLock::new(Index::default()),
            evaluations: Arc::new(tokio::sync::Semaphore::new(cores)),
        })
    }

    /// Permits to evaluate a query.
    pub(crate) fn evaluations(&self) -> Arc<tokio::sync::Semaphore> {
        self.evaluations.clone()
    }

    /// The last outbox event applied.
    pub fn checkpoint(&self) -> i64 {
        self.read().checkpoint
    }

    pub fn graph_count(&self) -> usize {
        self.read().graphs.len()
    }

    /// Number of triples over all graphs.
    pub fn triple_count(&self) -> Result<usize, StoreError> {
        Ok(self.all.len()?)
    }

    /// The graphs `subject` may see now, decided by `decide` on each graph's facts, as the
    /// [`Scope`] to query; `bind` takes its snapshot while those facts hold.
    ///
    /// Runs on every query, so it allocates only when the caller's view is neither everything
    /// nor the public store's (one pass of `decide`, about 10 µs for a thousand graphs).
    pub fn visible<T>(&self, subject: &Subject, bind: impl FnOnce(Scope<'_>) -> T) -> T {
        let index = self.read();
        let now = Utc::now();
        let allowed = |g: &GraphFacts| decide(subject, Action::ReadMetadata, &g.facts, now) == Decision::Allow;
        let (mut everything, mut public) = (true, true);
        for graph in index.graphs.values() {
            let allow = allowed(graph);
            everything &= allow;
            public &= allow == graph.public;
            if !everything && !public {
                break;
            }
        }
        if everything {
            bind(Scope { store: &self.all, graphs: None })
        } else if public {
            bind(Scope { store: &self.public, graphs: None })
        } else {
            let graphs = index.graphs.iter().filter(|(_, g)| allowed(g)).map(|(name, _)| name.clone()).collect();
            bind(Scope { store: &self.all, graphs: Some(graphs) })
        }
    }

    /// Replaces every graph of the datasets in `changes` and moves the checkpoint to `checkpoint`.
    fn apply(&self, changes: Vec<(Uuid, DatasetGraphs)>, checkpoint: i64) -> Result<(), StoreError> {
        let mut index = self.index.write().unwrap_or_else(|e| e.into_inner());
        let now = Utc::now();
        // Whether anyone, signed in or not, may see a graph: what the public store holds.
        let for_anyone =
            |facts: &Facts| decide(&Subject::default(), Action::ReadMetadata, facts, now) == Decision::Allow;
        let mut all = self.all.start_transaction()?;
        let mut public = self.public.start_transaction()?;
        for (dataset, new) in &changes {
            for old in index.by_dataset.get(dataset).into_iter().flatten() {
                all.remove_named_graph(old)?;
                public.remove_named_graph(old)?;
            }
            for (name, facts, graph) in &new.graphs {
                let graph_name = GraphNameRef::NamedNode(name.as_ref());
                let quads = || graph.iter().map(|t| QuadRef::new(t.subject, t.predicate, t.object, graph_name));
                all.extend(quads());
                if for_anyone(facts) {
                    public.extend(quads());
                }
            }
        }
        all.commit()?;
        public.commit()?;
        for (dataset, new) in changes {
            for old in index.by_dataset.remove(&dataset).into_iter().flatten() {
                index.graphs.remove(&old);
            }
            let names: Vec<NamedNode> = new.graphs.iter().map(|(n, _, _)| n.clone()).collect();
            for (name, facts, _) in new.graphs {
                index.graphs.insert(name, GraphFacts { public: for_anyone(&facts), facts });
            }
            if !names.is_empty() {
                index.by_dataset.insert(dataset, names);
            }
        }
        index.checkpoint = index.checkpoint.max(checkpoint);
        Ok(())
    }

    fn clear(&self) -> Result<(), StoreError> {
        let mut index = self.index.write().unwrap_or_else(|e| e.into_inner());
        self.all.clear()?;
        self.public.clear()?;
        *index = Index::default();
        Ok(())
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Index> {
        self.index.read().unwrap_or_else(|e| e.into_inner())
    }
}

/// Keeps an [`RdfStore`] in step with the catalog.
#[derive(Debug, Clone)]
pub struct RdfProjector {
    catalog: Catalog,
    describer: Describer,
    store: Arc<RdfStore>,
    /// One catch-up at a time: the worker and an explicit call (a test, a rebuild) would
    /// otherwise describe the same datasets twice.
    applying: Arc<tokio::sync::Mutex<()>>,
}

impl RdfProjector {
    pub fn new(catalog: Catalog, describer: Describer) -> Result<Self, StoreError> {
        Ok(RdfProjector {
            catalog,
            describer,
            store: Arc::new(RdfStore::new()?),
            applying: Arc::new(tokio::sync::Mutex::new(())),
        })
    }

    pub fn store(&self) -> &Arc<RdfStore> {
        &self.store
    }

    /// The graphs of one dataset: one per published version (drafts are never described here;
    /// deaccessioned versions leave the store and live on as tombstones and deleted records).
    async fn graphs_for(&self, dataset_id: Uuid) -> Result<DatasetGraphs, StoreError> {
        let dataset = match self.catalog.dataset_by_id(dataset_id).await {
            Ok(d) => d,
            Err(CatalogError::NotFound(_)) => return Ok(DatasetGraphs { graphs: Vec::new() }),
            Err(e) => return Err(e.into()),
        };
        let mut graphs = Vec::new();
        for version in self.catalog.versions(dataset_id, &Visibility::everything()).await? {
            if version.state != "published" {
                continue;
            }
            let (facts, _) = self.catalog.facts(&dataset, &version).await?;
            let view = self.describer.version(&dataset, &version, false, Utc::now()).await?;
            let name = NamedNode::new(view.pid_url.clone()).map_err(|e| StoreError::Iri(e.to_string()))?;
            let graph = kura_metadata::dataset_graph(&view)?;
            graphs.push((name, facts, graph));
        }
        Ok(DatasetGraphs { graphs })
    }

    /// Applies outbox events after the checkpoint until none are left; returns how many.
    pub async fn catch_up(&self) -> Result<usize, StoreError> {
        let _one_at_a_time = self.applying.lock().await;
        self.catch_up_locked().await
    }

    async fn catch_up_locked(&self) -> Result<usize, StoreError> {
        let mut applied = 0;
        loop {
            let events = self.catalog.outbox_after(self.store.checkpoint(), BATCH).await?;
            let Some(last) = events.last().map(|e| e.id) else { return Ok(applied) };
            let datasets: BTreeSet<Uuid> = events.iter().filter_map(|e| e.dataset_id).collect();
            let mut changes = Vec::with_capacity(datasets.len());
            for dataset in datasets {
                changes.push((dataset, self.graphs_for(dataset).await?));
            }
            let store = self.store.clone();
            blocking(move || store.apply(changes, last)).await?;
            applied += events.len();
        }
    }

    /// Builds the store from the catalog alone; returns the number of datasets described.
    pub async fn rebuild(&self) -> Result<usize, StoreError> {
        let _one_at_a_time = self.applying.lock().await;
        let head = self.catalog.outbox_head().await?;
        let store = self.store.clone();
        blocking(move || store.clear()).await?;
        let ids = self.catalog.all_dataset_ids().await?;
        for chunk in ids.chunks(200) {
            let mut changes = Vec::with_capacity(chunk.len());
            for id in chunk {
                changes.push((*id, self.graphs_for(*id).await?));
            }
            let store = self.store.clone();
            blocking(move || store.apply(changes, 0)).await?;
        }
        let store = self.store.clone();
        blocking(move || store.apply(Vec::new(), head)).await?;
        self.catch_up_locked().await?;
        Ok(ids.len())
    }

    /// Runs `catch_up` every `every` until the task is dropped.
    pub fn spawn(self, every: Duration) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            loop {
                if let Err(e) = self.catch_up().await {
                    tracing::warn!(error = %e, "RDF projection could not catch up");
                }
                tokio::time::sleep(every).await;
            }
        })
    }
}

/// Store writes hold a lock and may take a while: keep them off the async workers.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, StoreError> + Send + 'static,
) -> Result<T, StoreError> {
    tokio::task::spawn_blocking(work).await.map_err(|e| StoreError::Iri(format!("store task failed: {e}")))?
}

/// Graph names as the `NamedOrBlankNode`s oxigraph's dataset wants.
pub(crate) fn named(graphs: &[NamedNode]) -> Vec<NamedOrBlankNode> {
    graphs.iter().cloned().map(NamedOrBlankNode::NamedNode).collect()
}
