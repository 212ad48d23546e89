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
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use chrono::Utc;
use kura_catalog::{Catalog, CatalogError, Visibility};
use kura_core::VersionState;
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
    /// Counts changes of `graphs`: a remembered [`View`] holds only for the generation it was
    /// decided in.
    generation: u64,
}

struct GraphFacts {
    facts: Facts,
    public: bool,
}

/// Where a query runs: a store and, unless it holds exactly the caller's graphs, the list of
/// graphs the caller may see in it (sorted).
pub struct Scope<'a> {
    pub store: &'a Store,
    pub graphs: Option<Arc<[NamedNode]>>,
}

/// What `decide` lets one subject see of the stores, as decided for one generation of the index.
#[derive(Clone)]
enum View {
    /// Every graph: query the store of all versions as it is.
    Everything,
    /// Exactly the graphs anyone may see: query the public store as it is.
    Public,
    /// Some other set (sorted): query the store of all versions limited to these.
    Graphs(Arc<[NamedNode]>),
}

/// Views decided lately, so that a caller's view costs one pass of `decide` over the graphs per
/// change of the store, not one per query (a pass reads every graph's facts: about 10 µs for a
/// thousand graphs with warm caches, several times that with cold ones, and it grows with the
/// catalog). Still `decide`'s answer: an entry is for one subject exactly, one generation of the
/// index, and at most [`VIEW_TTL`] old, so no rule of `decide` that depends on the clock can be
/// outlived by more than that.
#[derive(Default)]
struct Views {
    generation: u64,
    entries: Vec<(Subject, Instant, View)>,
}

/// How long a remembered view holds at most.
const VIEW_TTL: Duration = Duration::from_secs(1);
/// Distinct subjects remembered at once; beyond, the oldest entry goes.
const VIEWS_KEPT: usize = 64;

impl Views {
    fn get(&mut self, subject: &Subject, generation: u64, now: Instant) -> Option<View> {
        if self.generation != generation {
            self.generation = generation;
            self.entries.clear();
        }
        self.entries.retain(|(_, decided, _)| now.duration_since(*decided) < VIEW_TTL);
        self.entries.iter().find(|(s, _, _)| s == subject).map(|(_, _, view)| view.clone())
    }

    fn put(&mut self, subject: &Subject, generation: u64, now: Instant, view: View) {
        if self.generation != generation {
            return;
        }
        if self.entries.len() >= VIEWS_KEPT {
            self.entries.remove(0);
        }
        self.entries.push((subject.clone(), now, view));
    }
}

/// The stores and the access facts of their graphs.
pub struct RdfStore {
    /// Every published version.
    all: Store,
    /// The versions anyone may see.
    public: Store,
    index: RwLock<Index>,
    views: Mutex<Views>,
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
            views: Mutex::new(Views::default()),
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
    /// Runs on every query: the decision is remembered per subject (see [`Views`]), and a
    /// list of graphs is built only when the caller's view is neither everything nor the public
    /// store's.
    pub fn visible<T>(&self, subject: &Subject, bind: impl FnOnce(Scope<'_>) -> T) -> T {
        let index = self.read();
        let now = Instant::now();
        let remembered = self.views().get(subject, index.generation, now);
        let view = remembered.unwrap_or_else(|| {
            let view = decide_view(&index, subject);
            self.views().put(subject, index.generation, now, view.clone());
            view
        });
        match view {
            View::Everything => bind(Scope { store: &self.all, graphs: None }),
            View::Public => bind(Scope { store: &self.public, graphs: None }),
            View::Graphs(graphs) => bind(Scope { store: &self.all, graphs: Some(graphs) }),
        }
    }

    fn views(&self) -> std::sync::MutexGuard<'_, Views> {
        self.views.lock().unwrap_or_else(|e| e.into_inner())
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
        index.generation += 1;
        Ok(())
    }

    fn clear(&self) -> Result<(), StoreError> {
        let mut index = self.index.write().unwrap_or_else(|e| e.into_inner());
        self.all.clear()?;
        self.public.clear()?;
        *index = Index { generation: index.generation + 1, ..Index::default() };
        Ok(())
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Index> {
        self.index.read().unwrap_or_else(|e| e.into_inner())
    }
}

/// One pass of `decide` over every graph's facts: what `subject` may see.
fn decide_view(index: &Index, subject: &Subject) -> View {
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
        View::Everything
    } else if public {
        View::Public
    } else {
        View::Graphs(index.graphs.iter().filter(|(_, g)| allowed(g)).map(|(name, _)| name.clone()).collect())
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
            if version.state != VersionState::Published {
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

#[cfg(test)]
mod tests {
    use kura_core::VersionState;
    use kura_core::access::{AccessLevel, Role};
    use oxigraph::model::{Graph, Literal, Triple};

    use super::*;

    /// A dataset of `owner` at `level` with one published version, described by one triple.
    fn dataset(name: &str, owner: Uuid, level: AccessLevel) -> (Uuid, DatasetGraphs) {
        let id = Uuid::new_v4();
        let node = NamedNode::new(format!("https://kura.test/pid/{name}")).unwrap();
        let title = NamedNode::new("http://purl.org/dc/terms/title").unwrap();
        let mut graph = Graph::new();
        graph.insert(&Triple::new(node.clone(), title, Literal::new_simple_literal(name)));
        let facts = Facts { dataset: id, version: 1, owner_group: owner, level, state: VersionState::Published };
        (id, DatasetGraphs { graphs: vec![(node, facts, graph)] })
    }

    /// What `visible` gives `subject`, in words.
    fn seen(store: &RdfStore, subject: &Subject) -> String {
        store.visible(subject, |scope| match scope.graphs {
            None if std::ptr::eq(scope.store, &store.public) => "public".to_owned(),
            None => "everything".to_owned(),
            Some(graphs) => graphs.iter().map(|g| g.as_str().rsplit('/').next().unwrap()).collect::<Vec<_>>().join(","),
        })
    }

    #[test]
    fn views_follow_decide_and_every_change_of_the_store() {
        let store = RdfStore::new().unwrap();
        let (ours, theirs) = (Uuid::new_v4(), Uuid::new_v4());
        let c = dataset("c", theirs, AccessLevel::Closed);
        let c_id = c.0;
        store
            .apply(vec![dataset("a", ours, AccessLevel::Open), dataset("b", ours, AccessLevel::Closed), c], 1)
            .unwrap();
        let anonymous = Subject::default();
        let member = Subject { groups: vec![(ours, Role::Member)], ..Subject::default() };
        let admin = Subject { admin: true, ..Subject::default() };
        for _ in 0..2 {
            // Decided, then remembered: the same answers.
            assert_eq!(seen(&store, &anonymous), "public");
            assert_eq!(seen(&store, &member), "a,b");
            assert_eq!(seen(&store, &admin), "everything");
        }
        // A change of the store is seen by the very next query, remembered views or not.
        store.apply(vec![dataset("d", theirs, AccessLevel::Open)], 2).unwrap();
        assert_eq!(seen(&store, &member), "a,b,d");
        // Opening `c` replaces its graph.
        let (_, mut opened) = dataset("c", theirs, AccessLevel::Open);
        opened.graphs[0].1.dataset = c_id;
        store.apply(vec![(c_id, opened)], 3).unwrap();
        assert_eq!(seen(&store, &member), "everything");
        assert_eq!(seen(&store, &anonymous), "public");
        store.clear().unwrap();
        assert_eq!(seen(&store, &member), "everything");
    }

    #[test]
    fn remembered_views_expire_and_belong_to_one_subject_and_generation() {
        let mut views = Views::default();
        let t0 = Instant::now();
        let member = Subject { groups: vec![(Uuid::new_v4(), Role::Member)], ..Subject::default() };
        views.put(&member, 0, t0, View::Public);
        assert!(matches!(views.get(&member, 0, t0 + Duration::from_millis(10)), Some(View::Public)));
        assert!(views.get(&Subject::default(), 0, t0).is_none(), "another subject");
        assert!(views.get(&member, 0, t0 + VIEW_TTL).is_none(), "expired");
        views.put(&member, 0, t0, View::Everything);
        assert!(views.get(&member, 1, t0).is_none(), "another generation");
        views.put(&member, 0, t0, View::Everything);
        assert!(views.get(&member, 1, t0).is_none(), "a view of an older generation is not kept");
        for _ in 0..VIEWS_KEPT + 5 {
            views.put(
                &Subject { groups: vec![(Uuid::new_v4(), Role::Member)], ..Subject::default() },
                1,
                t0,
                View::Public,
            );
        }
        assert_eq!(views.entries.len(), VIEWS_KEPT);
    }
}
