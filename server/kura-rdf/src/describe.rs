//! The catalog's facts about one dataset version as a [`DatasetView`]: the one place where
//! catalog rows become the input of every metadata mapping. Callers decide visibility first
//! (with `decide` or the harvestable list); this module only describes.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use kura_catalog::entity::{dataset, dataset_version, file};
use kura_catalog::{Catalog, CatalogError, PageRequest};
use kura_core::FileRole;
use kura_core::access::AccessLevel as CoreLevel;
use kura_metadata::{
    AccessLevel, CatalogView, ColumnView, ConsortiumView, DatasetView, FileView, LangString, Metadata, Organization,
    OwnerView, PageView, ProvenanceView, ServiceView, TableView,
};
use serde_json::Value;

use crate::urls;

/// Most files or tables described per version (the rest stays reachable through the API).
const MAX_PARTS: u64 = 10_000;

/// Describes versions for one node (its base URL and services).
#[derive(Debug, Clone)]
pub struct Describer {
    catalog: Catalog,
    base: String,
    repository_name: String,
    flight_url: Option<String>,
}

impl Describer {
    pub fn new(catalog: Catalog, base_url: &str, repository_name: &str, flight_url: Option<String>) -> Self {
        Describer {
            catalog,
            base: base_url.trim_end_matches('/').to_string(),
            repository_name: repository_name.to_string(),
            flight_url,
        }
    }

    pub fn base_url(&self) -> &str {
        &self.base
    }

    /// Where machines reach this node's data.
    pub fn services(&self) -> ServiceView {
        ServiceView {
            api_url: format!("{}/api/v1", self.base),
            api_description_url: None,
            flight_url: self.flight_url.clone(),
            catalog_name: self.repository_name.clone(),
            catalog_url: urls::catalog(&self.base),
        }
    }

    /// The view of `version` of `dataset`. `include_masked` lists masked columns (for the owner
    /// group); otherwise they are left out entirely, as on every data path, and so are the files
    /// that hold them (`kura_catalog::disclosure::withheld`).
    pub async fn version(
        &self,
        dataset: &dataset::Model,
        version: &dataset_version::Model,
        include_masked: bool,
        now: DateTime<Utc>,
    ) -> Result<DatasetView, CatalogError> {
        let policy = self.catalog.policy(dataset.id).await?;
        let owner = self.owner(dataset).await?;
        let access = self.access(&policy.level).await?;
        let all = PageRequest { offset: 0, limit: MAX_PARTS };
        let files = self.catalog.files_page(version.id, all).await?.items;
        let by_id: HashMap<_, &file::Model> = files.iter().map(|f| (f.id, f)).collect();
        let n = version.number;
        let tables = self.catalog.tables_page(version.id, all).await?.items;
        // Files holding a masked column are not described to those who may not see it, and a
        // table's stored Parquet is not offered as such (they get it re-encoded without the column).
        let hidden: &[String] = if include_masked { &[] } else { &policy.masked_columns };
        let links: Vec<_> = files.iter().map(|f| (f.id, f.source_file_id)).collect();
        let withheld = kura_catalog::disclosure::withheld(hidden, &links, &tables);
        let derivation = crate::derivation::of_version(&self.catalog, &self.base, &tables, &files).await?;
        let tables = tables
            .into_iter()
            .map(|t| {
                let parquet = by_id.get(&t.file_id).filter(|f| !withheld.contains(&f.id));
                let columns = t
                    .columns
                    .iter()
                    .map(|c| (c, policy.masked_columns.contains(&c.name)))
                    .filter(|(_, masked)| include_masked || !masked)
                    .map(|(c, masked)| ColumnView {
                        name: c.name.clone(),
                        original_label: Some(c.original_label.clone()).filter(|l| !l.is_empty()),
                        data_type: c.arrow_type.clone(),
                        unit: c.unit.clone(),
                        ucum: c.ucum.clone(),
                        qudt: c.qudt.clone(),
                        concept: None,
                        description: c.description.clone(),
                        masked,
                    })
                    .collect();
                TableView {
                    parquet_url: urls::table_parquet(&self.base, &dataset.name, n, &t.name),
                    api_url: urls::table(&self.base, &dataset.name, n, &t.name),
                    row_count: t.row_count.max(0) as u64,
                    byte_size: parquet.map(|f| f.size.max(0) as u64),
                    sha256: parquet.map(|f| f.sha256.clone()),
                    // The source's checksum would let anyone confirm a guessed masked value.
                    provenance: provenance(&t.provenance).filter(|_| !withheld.contains(&t.source_file_id)),
                    columns,
                    name: t.name,
                }
            })
            .collect();
        let files = files
            .iter()
            .filter(|f| f.role != FileRole::Derived && !withheld.contains(&f.id))
            .map(|f| FileView {
                path: f.path.clone(),
                media_type: f.media_type.clone(),
                size: f.size.max(0) as u64,
                sha256: f.sha256.clone(),
                download_url: urls::file_download(&self.base, &dataset.name, n, f.id),
            })
            .collect();
        Ok(DatasetView {
            id: dataset.id.to_string(),
            name: dataset.name.clone(),
            pid_url: urls::pid(&self.base, dataset.id, n),
            landing_url: urls::landing(&self.base, &dataset.name, n),
            version: n.max(0) as u32,
            created: dataset.created_at,
            published: version.published_at,
            modified: version.deaccessioned_at.or(version.published_at).unwrap_or(version.created_at),
            owner,
            access,
            license: policy.license.clone(),
            terms: policy.terms.clone(),
            metadata: metadata_of(version),
            files,
            tables,
            services: self.services(),
            as_of: now,
            include_masked,
            derivation,
        })
    }

    /// A page of the DCAT catalog around already-described datasets.
    pub fn catalog_page(&self, datasets: Vec<DatasetView>, page: PageView, now: DateTime<Utc>) -> CatalogView {
        let modified = datasets.iter().map(|d| d.modified).max().unwrap_or(now);
        CatalogView {
            base_url: self.base.clone(),
            titles: vec![LangString::new("en", &self.repository_name)],
            descriptions: vec![LangString::new(
                "en",
                &format!("Research datasets published by {} (Kura FAIR data platform)", self.repository_name),
            )],
            publisher: Organization { name: self.repository_name.clone(), ror: None },
            services: self.services(),
            modified,
            datasets,
            page,
        }
    }

    async fn owner(&self, dataset: &dataset::Model) -> Result<OwnerView, CatalogError> {
        let Some(group_id) = dataset.group_id else {
            return Ok(OwnerView {
                group_id: String::new(),
                group_name: self.repository_name.clone(),
                organization: Organization { name: self.repository_name.clone(), ror: None },
            });
        };
        let (group, org) = self.catalog.group_with_organization(group_id).await?;
        Ok(OwnerView {
            group_id: group.id.to_string(),
            group_name: group.name,
            organization: Organization { name: org.name, ror: org.ror_id },
        })
    }

    async fn access(&self, level: &CoreLevel) -> Result<AccessLevel, CatalogError> {
        Ok(match level {
            CoreLevel::Open => AccessLevel::Open,
            CoreLevel::Embargoed { until } => AccessLevel::Embargoed { until: *until },
            CoreLevel::Restricted => AccessLevel::Restricted,
            CoreLevel::Closed => AccessLevel::Closed,
            CoreLevel::Consortium { consortia } => {
                let mut views = Vec::with_capacity(consortia.len());
                for id in consortia {
                    let detail = self.catalog.consortium(*id).await?;
                    views.push(ConsortiumView {
                        id: id.to_string(),
                        name: detail.consortium.name,
                        agreement_url: detail.agreement.as_ref().and_then(|a| a.url.clone()),
                        agreement_version: detail.agreement.map(|a| a.version.to_string()),
                    });
                }
                AccessLevel::Consortium { consortia: views }
            }
        })
    }
}

/// The version's profile metadata. Documents saved before the profile existed (or by clients
/// that only set a title) are read leniently; the title and description fields always give at
/// least one title and one description.
pub fn metadata_of(version: &dataset_version::Model) -> Metadata {
    let mut m: Metadata =
        serde_json::from_value(version.metadata.clone()).unwrap_or_else(|_| lenient(&version.metadata));
    if m.titles.is_empty() && !version.title.trim().is_empty() {
        m.titles.push(LangString::new(language_of(&version.title), version.title.trim()));
    }
    if m.descriptions.is_empty() && !version.description.trim().is_empty() {
        m.descriptions.push(LangString::new(language_of(&version.description), version.description.trim()));
    }
    m
}

/// The fields of a free-form document that have an obvious meaning in the profile.
fn lenient(doc: &Value) -> Metadata {
    let strings = |key: &str| -> Vec<String> {
        match doc.get(key) {
            Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).map(str::to_string).collect(),
            Some(Value::String(s)) => vec![s.clone()],
            _ => Vec::new(),
        }
    };
    Metadata {
        keywords: strings("keywords").iter().map(|k| LangString::new(language_of(k), k)).collect(),
        license: doc.get("license").and_then(Value::as_str).map(str::to_string),
        language: doc.get("language").and_then(Value::as_str).map(str::to_string),
        ..Metadata::default()
    }
}

/// `ja` for text with Japanese script, else `en`: a best guess for untagged legacy text.
fn language_of(text: &str) -> &'static str {
    let japanese = text.chars().any(|c| matches!(c as u32, 0x3040..=0x30FF | 0x4E00..=0x9FFF | 0xFF66..=0xFF9F));
    if japanese { "ja" } else { "en" }
}

/// The ingest provenance a table carries in the catalog, as the mappings want it.
fn provenance(p: &Value) -> Option<ProvenanceView> {
    let time = |k: &str| p.get(k).and_then(Value::as_str).and_then(|s| DateTime::parse_from_rfc3339(s).ok());
    let source = p.get("source")?;
    let member = p.get("member");
    let path = source.get("path").and_then(Value::as_str)?;
    let source_path = match member.and_then(|m| m.get("path")).and_then(Value::as_str) {
        Some(inner) => format!("{path}/{inner}"),
        None => path.to_string(),
    };
    let source_sha256 = member
        .and_then(|m| m.get("sha256"))
        .or_else(|| source.get("sha256"))
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    Some(ProvenanceView {
        reader: p.get("reader").and_then(Value::as_str).unwrap_or("unknown").to_string(),
        reader_version: p.get("reader_version").and_then(Value::as_str).unwrap_or_default().to_string(),
        source_path,
        source_sha256,
        started: time("started_at")?.with_timezone(&Utc),
        ended: time("ended_at")?.with_timezone(&Utc),
        started_by: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn version(metadata: Value) -> dataset_version::Model {
        dataset_version::Model {
            id: uuid::Uuid::nil(),
            dataset_id: uuid::Uuid::nil(),
            number: 1,
            state: kura_core::VersionState::Published,
            title: "熱ログ".into(),
            description: "A thermal log of an alumina sample measured every second".into(),
            metadata,
            created_at: Utc::now(),
            published_at: Some(Utc::now()),
            deaccessioned_at: None,
            deaccession_reason: None,
            review_comment: None,
        }
    }

    #[test]
    fn legacy_metadata_is_read_leniently() {
        let m = metadata_of(&version(json!({"keywords": ["alumina"], "license": "CC-BY-4.0", "free": {"x": 1}})));
        assert_eq!(m.titles, vec![LangString::new("ja", "熱ログ")]);
        assert_eq!(m.descriptions[0].lang, "en");
        assert_eq!(m.keywords[0].value, "alumina");
        assert_eq!(m.license.as_deref(), Some("CC-BY-4.0"));
    }

    #[test]
    fn profile_metadata_is_kept() {
        let m = metadata_of(&version(json!({
            "titles": [{"lang": "en", "value": "Thermal log"}, {"lang": "ja", "value": "熱ログ"}],
            "descriptions": [{"lang": "en", "value": "A thermal log"}],
            "creators": [{"name": "Sato, Hanako", "orcid": "0000-0002-1825-0097"}]
        })));
        assert_eq!(m.titles.len(), 2);
        assert_eq!(m.creators[0].orcid.as_deref(), Some("0000-0002-1825-0097"));
    }

    #[test]
    fn provenance_reads_members_of_archives() {
        let p = json!({"reader": "jcamp", "reader_version": "1", "started_at": "2026-01-01T00:00:00Z",
            "ended_at": "2026-01-01T00:00:01Z", "source": {"path": "x.eln", "sha256": "aa"},
            "member": {"path": "data/ir.jdx", "sha256": "bb"}});
        let v = provenance(&p).unwrap();
        assert_eq!(v.source_path, "x.eln/data/ir.jdx");
        assert_eq!(v.source_sha256, "bb");
    }
}
