//! `kura verify`: does the node hold what its catalog says? Every object a file row references
//! (raw files, Parquet tables, derived and extracted files) is read back in full and hashed,
//! and every projection is compared with what it would be built from the catalog now. Run
//! after a restore, after moving the object store, or whenever a node is suspected.
//!
//! The report names what is wrong by dataset, version and file; the caller decides how to show
//! it. Checking never changes anything.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use futures::{StreamExt, TryStreamExt};
use kura_catalog::ops::ObjectReference;
use kura_core::{FileRole, Principal};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::{ServiceError, Services};

/// File rows read from the catalog at a time.
const PAGE: u64 = 1_000;
/// Objects read and hashed at once.
const CONCURRENT_READS: usize = 4;

/// Everything `verify` found.
#[derive(Debug, Clone, Default, Serialize)]
pub struct VerifyReport {
    /// File rows checked.
    pub files: u64,
    /// Distinct objects read (files with the same content share one).
    pub objects: u64,
    /// Bytes read and hashed.
    pub bytes: u64,
    /// Files whose object is missing, of another size, or of other content.
    pub object_problems: Vec<ObjectProblem>,
    /// Tables whose Parquet file has no catalog row.
    pub table_problems: Vec<TableProblem>,
    /// The search index against the catalog.
    pub search: ProjectionReport,
    /// The RDF store built from the catalog.
    pub rdf: ProjectionReport,
}

impl VerifyReport {
    /// True when nothing is wrong.
    pub fn is_clean(&self) -> bool {
        self.object_problems.is_empty()
            && self.table_problems.is_empty()
            && self.search.problems.is_empty()
            && self.rdf.problems.is_empty()
    }
}

/// One file whose object is not as the catalog says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ObjectProblem {
    pub dataset: String,
    pub version: i32,
    pub path: String,
    pub role: FileRole,
    pub sha256: String,
    #[serde(flatten)]
    pub kind: ObjectFault,
}

/// What is wrong with an object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "problem", rename_all = "snake_case")]
pub enum ObjectFault {
    /// Not in the store.
    Missing,
    /// Its content hashes to something else (a changed or damaged object).
    Corrupt { actual_sha256: String, actual_size: u64 },
    /// The content is right but the catalog records another size.
    SizeMismatch { expected: i64, actual: u64 },
    /// The store answered with an error while reading it.
    Unreadable { error: String },
}

/// A table whose Parquet file row is gone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TableProblem {
    pub dataset: String,
    pub version: i32,
    pub table: String,
    pub problem: String,
}

/// One projection against the catalog.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ProjectionReport {
    /// What the catalog says it should hold (documents for search, graphs for RDF).
    pub expected: u64,
    /// What it holds.
    pub found: u64,
    pub problems: Vec<String>,
}

/// Checks the objects and the projections of the node `svc` opens. Operators only: the
/// report names every dataset, closed ones included.
pub async fn verify(svc: &Services, principal: &Principal) -> Result<VerifyReport, ServiceError> {
    if !principal.is_admin() {
        return Err(ServiceError::forbidden("verifying the node is for platform administrators"));
    }
    let mut report = VerifyReport::default();
    let names = svc.catalog.version_names().await?;
    check_objects(svc, &names, &mut report).await?;
    report.table_problems = svc
        .catalog
        .dangling_tables(&names)
        .await?
        .into_iter()
        .map(|t| TableProblem {
            dataset: t.dataset,
            version: t.version,
            table: t.table,
            problem: format!("its Parquet file {} has no catalog row", t.file_id),
        })
        .collect();
    report.search = check_search(svc).await?;
    report.rdf = check_rdf(svc).await?;
    Ok(report)
}

/// What reading an object back found.
#[derive(Debug, Clone)]
enum Found {
    Object { sha256: String, size: u64 },
    Missing,
    Unreadable(String),
}

async fn check_objects(
    svc: &Services,
    names: &kura_catalog::ops::VersionNames,
    report: &mut VerifyReport,
) -> Result<(), ServiceError> {
    // Each distinct object is read once, however many files share it.
    let mut seen: HashMap<String, Found> = HashMap::new();
    let mut after = None;
    loop {
        let page = svc.catalog.object_references(names, after, PAGE).await?;
        let Some(last) = page.last() else { return Ok(()) };
        after = Some(last.file_id);
        let unread: BTreeSet<String> =
            page.iter().map(|r| r.sha256.clone()).filter(|s| !seen.contains_key(s)).collect();
        let found: Vec<(String, Found)> = futures::stream::iter(unread)
            .map(|sha| async move {
                let found = read_back(svc, &sha).await;
                (sha, found)
            })
            .buffer_unordered(CONCURRENT_READS)
            .collect()
            .await;
        for (sha, found) in found {
            report.objects += 1;
            if let Found::Object { size, .. } = &found {
                report.bytes += size;
            }
            seen.insert(sha, found);
        }
        for reference in page {
            report.files += 1;
            if let Some(kind) = seen.get(&reference.sha256).and_then(|found| fault(&reference, found)) {
                report.object_problems.push(problem(reference, kind));
            }
        }
    }
}

/// Streams an object and hashes it; never fails (what went wrong is the answer).
async fn read_back(svc: &Services, sha256: &str) -> Found {
    let mut stream = match svc.store.get_stream(sha256).await {
        Ok(stream) => Box::pin(stream),
        Err(kura_storage::StorageError::NotFound(_)) => return Found::Missing,
        Err(e) => return Found::Unreadable(e.to_string()),
    };
    let mut hasher = Sha256::new();
    let mut size = 0u64;
    loop {
        match stream.try_next().await {
            Ok(Some(chunk)) => {
                size += chunk.len() as u64;
                hasher.update(&chunk);
            }
            Ok(None) => break,
            Err(e) => return Found::Unreadable(e.to_string()),
        }
    }
    Found::Object { sha256: hex::encode(hasher.finalize()), size }
}

fn fault(reference: &ObjectReference, found: &Found) -> Option<ObjectFault> {
    match found {
        Found::Missing => Some(ObjectFault::Missing),
        Found::Unreadable(error) => Some(ObjectFault::Unreadable { error: error.clone() }),
        Found::Object { sha256, size } if *sha256 != reference.sha256 => {
            Some(ObjectFault::Corrupt { actual_sha256: sha256.clone(), actual_size: *size })
        }
        Found::Object { size, .. } if i64::try_from(*size).ok() != Some(reference.size) => {
            Some(ObjectFault::SizeMismatch { expected: reference.size, actual: *size })
        }
        Found::Object { .. } => None,
    }
}

fn problem(reference: ObjectReference, kind: ObjectFault) -> ObjectProblem {
    ObjectProblem {
        dataset: reference.dataset,
        version: reference.version,
        path: reference.path,
        role: reference.role,
        sha256: reference.sha256,
        kind,
    }
}

/// The search index of this node: the server's own when it runs one, else the one in the data
/// directory opened read-only (a running server may hold its writer).
fn search_index(svc: &Services) -> Result<Option<Arc<kura_search::SearchIndex>>, ServiceError> {
    if let Some(search) = &svc.search {
        return Ok(Some(search.index().clone()));
    }
    let dir = svc.config.data_dir.join("search");
    if !dir.join("meta.json").exists() {
        return Ok(None);
    }
    Ok(Some(Arc::new(kura_search::SearchIndex::open_read_only(&dir)?)))
}

/// The index holds exactly the documents the projection would write now, with the same access
/// fields and visibility tokens.
async fn check_search(svc: &Services) -> Result<ProjectionReport, ServiceError> {
    let mut report = ProjectionReport::default();
    let Some(index) = search_index(svc)? else {
        report
            .problems
            .push("there is no search index: `kura serve` builds it at start, `kura reindex` rebuilds it".into());
        return Ok(report);
    };
    let head = svc.catalog.outbox_head().await?;
    let checkpoint = index.checkpoint()?;
    if checkpoint < head {
        report.problems.push(format!(
            "the index is {} outbox event(s) behind the catalog: if a server runs, it is catching up (run again)",
            head - checkpoint
        ));
    }
    let projector = kura_search::Projector::new(svc.catalog.clone(), index.clone());
    let mut expected = BTreeMap::new();
    let mut tokens = BTreeMap::new();
    for id in svc.catalog.all_dataset_ids().await? {
        for doc in projector.documents_for(id).await.map_err(|e| ServiceError::internal(e.to_string()))? {
            let indexed = kura_search::IndexedDoc::of(&doc);
            tokens.insert(indexed.doc_id.clone(), doc.visibility.iter().cloned().collect::<BTreeSet<_>>());
            expected.insert(indexed.doc_id.clone(), indexed);
        }
    }
    let held = index.inventory()?;
    report.expected = expected.len() as u64;
    report.found = held.len() as u64;
    let mut held_ids = BTreeSet::new();
    for doc in &held {
        if !held_ids.insert(doc.doc_id.clone()) {
            report.problems.push(format!(
                "{} ({} v{}) is indexed more than once",
                doc.name,
                doc.doc_id,
                version_of(doc)
            ));
            continue;
        }
        match expected.get(&doc.doc_id) {
            None => report.problems.push(format!(
                "{} v{} is indexed but the catalog has no such {} version",
                doc.name,
                version_of(doc),
                doc.state
            )),
            Some(want) if want != doc => report.problems.push(format!(
                "{} v{} is indexed as {} but the catalog says {}",
                want.name,
                version_of(want),
                fields(doc),
                fields(want)
            )),
            Some(want) => {
                let wanted = tokens.get(&doc.doc_id).cloned().unwrap_or_default();
                if !index.has_visibility(&doc.doc_id, &wanted)? {
                    report.problems.push(format!(
                        "{} v{} is indexed without the visibility the catalog gives it",
                        want.name,
                        version_of(want)
                    ));
                }
            }
        }
    }
    for (id, want) in &expected {
        if !held_ids.contains(id) {
            report.problems.push(format!("{} v{} ({}) is not in the index", want.name, version_of(want), want.state));
        }
    }
    Ok(report)
}

/// The version number in a document key `dataset:version`.
fn version_of(doc: &kura_search::IndexedDoc) -> &str {
    doc.doc_id.rsplit(':').next().unwrap_or_default()
}

fn fields(doc: &kura_search::IndexedDoc) -> String {
    format!(
        "[{}, access {}, license {}, group {}]",
        doc.state,
        doc.access,
        doc.license.as_deref().unwrap_or("-"),
        doc.group.as_deref().unwrap_or("-")
    )
}

/// The RDF store lives in memory and every server builds it at start: build it from the
/// catalog the same way and count one graph per published version.
async fn check_rdf(svc: &Services) -> Result<ProjectionReport, ServiceError> {
    let mut report = ProjectionReport { expected: svc.catalog.published_version_count().await?, ..Default::default() };
    let describer =
        kura_rdf::Describer::new(svc.catalog.clone(), &svc.config.base_url(), &svc.config.repository_name, None);
    let rdf = kura_rdf::RdfProjector::new(svc.catalog.clone(), describer)
        .map_err(|e| ServiceError::internal(e.to_string()))?;
    if let Err(e) = rdf.rebuild().await {
        report.problems.push(format!("the RDF store cannot be built from the catalog: {e}"));
        return Ok(report);
    }
    report.found = rdf.store().graph_count() as u64;
    // Versions published while building add graphs; compare with the count as it is now.
    let expected_now = svc.catalog.published_version_count().await?;
    if report.found != report.expected && report.found != expected_now {
        report.problems.push(format!(
            "the RDF store built from the catalog has {} graphs for {} published versions",
            report.found, report.expected
        ));
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reference(sha256: &str, size: i64) -> ObjectReference {
        ObjectReference {
            file_id: uuid::Uuid::nil(),
            dataset: "d".into(),
            version: 1,
            path: "raw/a.csv".into(),
            role: FileRole::Raw,
            sha256: sha256.into(),
            size,
        }
    }

    #[test]
    fn faults_are_told_apart() {
        let good = Found::Object { sha256: "ab".into(), size: 3 };
        assert_eq!(fault(&reference("ab", 3), &good), None);
        assert_eq!(fault(&reference("ab", 4), &good), Some(ObjectFault::SizeMismatch { expected: 4, actual: 3 }));
        assert_eq!(
            fault(&reference("cd", 3), &good),
            Some(ObjectFault::Corrupt { actual_sha256: "ab".into(), actual_size: 3 })
        );
        assert_eq!(fault(&reference("cd", 3), &Found::Missing), Some(ObjectFault::Missing));
    }

    #[test]
    fn a_problem_serializes_flat_with_its_kind() {
        let p = problem(reference("cd", 3), ObjectFault::Missing);
        let json = serde_json::to_value(&p).unwrap();
        assert_eq!(json["problem"], "missing");
        assert_eq!(json["path"], "raw/a.csv");
        assert_eq!(json["role"], "raw");
    }
}
