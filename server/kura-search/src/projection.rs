//! The index as a projection of the catalog: documents are built from catalog rows, fed from the
//! outbox by a worker that stores the last event applied in the index commit itself, so after a
//! crash it resumes exactly there; `rebuild` starts from nothing.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use kura_catalog::entity::dataset_version;
use kura_catalog::{Catalog, PageRequest};
use kura_core::{FileRole, VersionState};
use serde_json::Value;
use uuid::Uuid;

use crate::{SearchDoc, SearchError, SearchIndex};

/// Outbox events applied per index commit.
const BATCH: u64 = 500;

/// Why the projection could not advance.
#[derive(Debug, thiserror::Error)]
pub enum ProjectionError {
    #[error(transparent)]
    Catalog(#[from] kura_catalog::CatalogError),
    #[error(transparent)]
    Search(#[from] SearchError),
}

/// Keeps a search index in step with the catalog.
#[derive(Debug, Clone)]
pub struct Projector {
    catalog: Catalog,
    index: Arc<SearchIndex>,
    /// One catch-up at a time: the worker and an explicit call would otherwise apply the same
    /// events twice.
    applying: Arc<tokio::sync::Mutex<()>>,
}

fn strings(value: &Value) -> Vec<String> {
    match value {
        Value::String(s) => vec![s.clone()],
        Value::Array(items) => items.iter().flat_map(strings).collect(),
        Value::Object(map) => {
            // `{"en": "...", "ja": "..."}` or `{"name": "...", "affiliation": ...}`.
            let named = map.get("name").or_else(|| map.get("value")).map(strings);
            named.unwrap_or_else(|| map.values().flat_map(strings).collect())
        }
        _ => Vec::new(),
    }
}

/// Subjects as searchable labels: a profile subject (`{"scheme": "FOS", "code": "1.4"}`) by its
/// English and Japanese labels and code, free text as it is.
fn subjects(value: &Value) -> Vec<String> {
    let Some(items) = value.as_array() else { return strings(value) };
    items
        .iter()
        .flat_map(|s| match s.get("code").and_then(Value::as_str).and_then(kura_metadata::fos::field) {
            Some(f) => vec![f.en.to_string(), f.ja.to_string(), f.code.to_string()],
            None => strings(s),
        })
        .collect()
}

impl Projector {
    pub fn new(catalog: Catalog, index: Arc<SearchIndex>) -> Self {
        Projector { catalog, index, applying: Arc::new(tokio::sync::Mutex::new(())) }
    }

    pub fn index(&self) -> &Arc<SearchIndex> {
        &self.index
    }

    /// The documents of one dataset: its latest published version and its open draft.
    pub async fn documents_for(&self, dataset_id: Uuid) -> Result<Vec<SearchDoc>, ProjectionError> {
        let dataset = match self.catalog.dataset_by_id(dataset_id).await {
            Ok(d) => d,
            Err(kura_catalog::CatalogError::NotFound(_)) => return Ok(Vec::new()),
            Err(e) => return Err(e.into()),
        };
        let versions = self.catalog.versions(dataset_id, &kura_catalog::Visibility::everything()).await?;
        let published = versions.iter().rev().find(|v| v.state == VersionState::Published);
        let draft = versions.last().filter(|v| matches!(v.state, VersionState::Draft | VersionState::InReview));
        let policy = self.catalog.policy(dataset_id).await?;
        let (group, organization) = match dataset.group_id {
            Some(g) => match self.catalog.group_with_organization(g).await {
                Ok((g, o)) => (Some(g.name), Some(o.name)),
                Err(_) => (None, None),
            },
            None => (None, None),
        };
        let level = policy.level.name();
        let mut docs = Vec::new();
        for version in published.into_iter().chain(draft) {
            let (facts, _) = self.catalog.facts(&dataset, version).await?;
            let mut doc = self.version_document(version, &policy.masked_columns).await?;
            doc.name = dataset.name.clone();
            doc.access_level = level.into();
            doc.license = policy
                .license
                .clone()
                .or_else(|| version.metadata.get("license").and_then(Value::as_str).map(String::from));
            doc.group = group.clone();
            doc.organization = organization.clone();
            doc.visibility = kura_core::access::document_tokens(&facts);
            docs.push(doc);
        }
        Ok(docs)
    }

    /// The searchable text of a version. Masked columns (their names, labels and units) are not
    /// indexed at all: the document is shared by everyone who may find the version.
    async fn version_document(
        &self,
        version: &dataset_version::Model,
        masked: &[String],
    ) -> Result<SearchDoc, ProjectionError> {
        let all = PageRequest { offset: 0, limit: 10_000 };
        let tables = self.catalog.tables_page(version.id, all).await?.items;
        let files = self.catalog.files_page(version.id, all).await?.items;
        let meta = &version.metadata;
        let mut titles = vec![version.title.clone()];
        titles.extend(strings(&meta["titles"]));
        let mut descriptions = vec![version.description.clone()];
        descriptions.extend(strings(&meta["descriptions"]));
        let mut columns = Vec::new();
        let mut units = BTreeSet::new();
        let mut text = strings(&meta["instruments"]);
        text.extend(strings(&meta["samples"]));
        text.extend(strings(&meta["identifiers"]));
        for table in &tables {
            for c in table.columns.iter().filter(|c| !masked.contains(&c.name)) {
                columns.push(c.name.clone());
                if c.original_label != c.name {
                    columns.push(c.original_label.clone());
                }
                units.extend(c.unit.iter().cloned());
                units.extend(c.ucum.iter().cloned());
            }
            text.extend(strings(&table.metadata["text"]));
            text.extend(strings(&table.metadata["source_metadata"]));
        }
        let formats: BTreeSet<String> = files
            .iter()
            .filter(|f| f.role == FileRole::Raw)
            .filter_map(|f| f.format.clone())
            .filter(|f| f != "unknown")
            .collect();
        Ok(SearchDoc {
            dataset_id: version.dataset_id,
            version: version.number,
            state: version.state.to_string(),
            titles,
            descriptions,
            creators: strings(&meta["creators"]),
            affiliations: meta["creators"]
                .as_array()
                .map(|c| {
                    c.iter()
                        .flat_map(|c| strings(&c["affiliations"]).into_iter().chain(strings(&c["affiliation"])))
                        .collect()
                })
                .unwrap_or_default(),
            keywords: strings(&meta["keywords"]),
            subjects: subjects(&meta["subjects"]),
            columns,
            units: units.into_iter().collect(),
            text,
            formats: formats.into_iter().collect(),
            published: version.published_at,
            ..SearchDoc::default()
        })
    }

    /// Applies outbox events after the index's checkpoint until none are left; returns how many.
    pub async fn catch_up(&self) -> Result<usize, ProjectionError> {
        let _one_at_a_time = self.applying.lock().await;
        let mut applied = 0;
        loop {
            let n = self.apply_next(BATCH).await?;
            if n == 0 {
                return Ok(applied);
            }
            applied += n;
        }
    }

    /// Applies at most `max` events after the checkpoint and commits them; returns how many.
    pub async fn apply_next(&self, max: u64) -> Result<usize, ProjectionError> {
        {
            let checkpoint = self.index.checkpoint()?;
            let events = self.catalog.outbox_after(checkpoint, max).await?;
            let Some(last) = events.last().map(|e| e.id) else { return Ok(0) };
            let datasets: BTreeSet<Uuid> = events.iter().filter_map(|e| e.dataset_id).collect();
            for dataset in datasets {
                let docs = self.documents_for(dataset).await?;
                self.index.replace_dataset(dataset, &docs)?;
            }
            let index = self.index.clone();
            tokio::task::spawn_blocking(move || index.commit(last))
                .await
                .map_err(|e| SearchError::Directory(e.to_string()))??;
            Ok(events.len())
        }
    }

    /// Rebuilds the index from the catalog alone.
    pub async fn rebuild(&self) -> Result<usize, ProjectionError> {
        let head = self.catalog.outbox_head().await?;
        self.index.clear()?;
        let ids = self.catalog.all_dataset_ids().await?;
        for id in &ids {
            let docs = self.documents_for(*id).await?;
            self.index.replace_dataset(*id, &docs)?;
        }
        let index = self.index.clone();
        tokio::task::spawn_blocking(move || index.commit(head))
            .await
            .map_err(|e| SearchError::Directory(e.to_string()))??;
        // Events that arrived during the rebuild are applied on top.
        self.catch_up().await?;
        Ok(ids.len())
    }

    /// Runs `catch_up` every `every` until the task is dropped.
    pub fn spawn(self, every: Duration) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            loop {
                if let Err(e) = self.catch_up().await {
                    tracing::warn!(error = %e, "search projection could not catch up");
                }
                tokio::time::sleep(every).await;
            }
        })
    }
}
