//! The tables a principal may read, for the surfaces that list and stream them (Flight, Flight
//! SQL): each found within the principal's visibility, decided by [`access::decide_on`], with the
//! masked columns hidden from this principal.

use std::collections::HashMap;

use chrono::Utc;
use kura_catalog::Visibility;
use kura_catalog::datasets::preferred;
use kura_catalog::entity::{dataset, dataset_version};
use kura_catalog::tables::TableInfo;
use kura_core::Principal;
use kura_core::access::{Action, Decision, decide_table};

use crate::access::{Target, decide_on};
use crate::{ServiceError, Services};

/// A table the caller may read, with the columns hidden from them.
#[derive(Debug, Clone)]
pub struct Readable {
    pub dataset: dataset::Model,
    pub version: dataset_version::Model,
    pub table: TableInfo,
    /// The Parquet object's address and size.
    pub sha256: String,
    pub size: u64,
    /// Masked columns this caller may not see; removed on every path.
    pub hidden: Vec<String>,
}

impl Readable {
    /// Columns the caller sees, in table order.
    pub fn visible_columns(&self) -> Vec<String> {
        self.table.columns.iter().map(|c| c.name.clone()).filter(|n| !self.hidden.contains(n)).collect()
    }
}

/// One table of a version the caller may read.
pub async fn readable_table(
    svc: &Services,
    principal: &Principal,
    target: &Target,
    table: &str,
) -> Result<Readable, ServiceError> {
    if !table_allowed(principal, target, table) {
        return Err(ServiceError::not_found("table"));
    }
    let table = svc.catalog.table(target.version.id, table).await?;
    let file = svc.catalog.file(target.version.id, table.file_id).await?;
    Ok(Readable {
        dataset: target.dataset.clone(),
        version: target.version.clone(),
        hidden: hidden_from(principal, target),
        sha256: file.sha256,
        size: u64::try_from(file.size).unwrap_or(0),
        table,
    })
}

/// Renames each dataset to the handle that finds it again: its name when the name stands for it
/// (`kura_catalog::datasets::preferred`, as REST resolves names), else its id. So two visible
/// datasets sharing a name are two flights and two Flight SQL schemas, never one merged.
fn name_by_handle(datasets: &mut [dataset::Model], vis: &Visibility) {
    let mut by_name: HashMap<String, Vec<dataset::Model>> = HashMap::new();
    for d in datasets.iter() {
        by_name.entry(d.name.clone()).or_default().push(d.clone());
    }
    for d in datasets.iter_mut() {
        let preferred = by_name.get(&d.name).and_then(|same| preferred(same.clone(), vis)).map(|p| p.id);
        if preferred != Some(d.id) {
            d.name = d.id.to_string();
        }
    }
}

/// Every table whose data the caller may read, per dataset the caller may see: the tables of the
/// newest version the caller may see (what REST calls `latest`: drafts count for the owner group)
/// and, with `all_versions`, of every older version too. Sorted by dataset, version, table.
pub async fn readable_tables(
    svc: &Services,
    principal: &Principal,
    dataset_name: Option<&str>,
    all_versions: bool,
) -> Result<Vec<(Readable, bool)>, ServiceError> {
    let vis = Visibility::of(principal);
    let mut datasets = Vec::new();
    match dataset_name {
        Some(name) => match svc.catalog.dataset_by_name(name, &vis).await {
            Ok(mut d) => {
                // Found by id, and the name means another visible dataset: listed by id.
                d.name = svc.catalog.handle(&d, &vis).await?;
                datasets.push(d)
            }
            Err(kura_catalog::CatalogError::NotFound(_)) => return Ok(Vec::new()),
            Err(e) => return Err(e.into()),
        },
        None => {
            let mut offset = 0;
            loop {
                let page = svc.catalog.list_datasets(&vis, kura_catalog::PageRequest { offset, limit: 500 }).await?;
                let n = page.items.len() as u64;
                for summary in page.items {
                    datasets.push(svc.catalog.dataset_by_id(summary.id).await?);
                }
                offset += n;
                if n == 0 || offset >= page.total {
                    break;
                }
            }
        }
    }
    name_by_handle(&mut datasets, &vis);
    datasets.sort_by(|a, b| a.name.cmp(&b.name));
    let mut out = Vec::new();
    for dataset in datasets {
        let versions = svc.catalog.versions(dataset.id, &vis).await?;
        let Some(latest_number) = versions.iter().map(|v| v.number).max() else { continue };
        for version in versions {
            let is_latest = version.number == latest_number;
            if !is_latest && !all_versions {
                continue;
            }
            let Ok(target) = decide_on(svc, principal, dataset.clone(), version, Action::ReadData).await else {
                continue;
            };
            let hidden = hidden_from(principal, &target);
            let mut offset = 0;
            loop {
                let page = svc
                    .catalog
                    .tables_page(target.version.id, kura_catalog::PageRequest { offset, limit: 500 })
                    .await?;
                let n = page.items.len() as u64;
                for table in page.items {
                    if !table_allowed(principal, &target, &table.name) {
                        continue;
                    }
                    let file = svc.catalog.file(target.version.id, table.file_id).await?;
                    let readable = Readable {
                        dataset: target.dataset.clone(),
                        version: target.version.clone(),
                        hidden: hidden.clone(),
                        sha256: file.sha256,
                        size: u64::try_from(file.size).unwrap_or(0),
                        table,
                    };
                    out.push((readable, is_latest));
                }
                offset += n;
                if n == 0 || offset >= page.total {
                    break;
                }
            }
        }
    }
    Ok(out)
}

/// The masked columns `principal` may not see in `target`'s tables.
/// Whether the principal may read `table` of a version whose data it may read: always, but for
/// a compute job's credential, which reaches only the tables its job declared.
fn table_allowed(principal: &Principal, target: &Target, table: &str) -> bool {
    let decision = decide_table(&principal.subject, Action::ReadData, &target.facts, table, Utc::now());
    decision == Decision::Allow
}

fn hidden_from(principal: &Principal, target: &Target) -> Vec<String> {
    kura_core::access::hidden_columns(&principal.subject, &target.facts, &target.policy.masked_columns)
}

/// Records a read of `readable` (a stream of its rows, a query over it) in the audit log.
pub async fn audit_table_read(
    svc: &Services,
    principal: &Principal,
    surface: crate::Surface,
    readable: &Readable,
    action: &str,
    details: serde_json::Value,
) -> Result<(), ServiceError> {
    let mut details = details;
    details["table"] = serde_json::json!(readable.table.id);
    let read = crate::access::Read {
        dataset: readable.dataset.id,
        version: readable.version.number,
        what: Some(readable.table.name.clone()),
    };
    crate::access::record_read(svc, principal, surface, action, read, details).await
}

/// For each of `datasets`, the names of the collections it belongs to: its owner group and the
/// consortia its access policy names (what Delta Sharing calls its shares).
pub async fn collections_of(
    svc: &Services,
    datasets: &[&dataset::Model],
) -> Result<HashMap<uuid::Uuid, std::collections::BTreeSet<String>>, ServiceError> {
    let groups: HashMap<uuid::Uuid, String> =
        svc.catalog.groups_with_organizations().await?.into_iter().map(|(g, _)| (g.id, g.name)).collect();
    let consortia: HashMap<uuid::Uuid, String> =
        svc.catalog.consortia().await?.into_iter().map(|c| (c.id, c.name)).collect();
    let mut out = HashMap::new();
    for dataset in datasets {
        if out.contains_key(&dataset.id) {
            continue;
        }
        let mut names = std::collections::BTreeSet::new();
        if let Some(name) = dataset.group_id.and_then(|g| groups.get(&g)) {
            names.insert(name.clone());
        }
        if let kura_core::access::AccessLevel::Consortium { consortia: named } =
            svc.catalog.policy(dataset.id).await?.level
        {
            names.extend(named.iter().filter_map(|c| consortia.get(c)).cloned());
        }
        out.insert(dataset.id, names);
    }
    Ok(out)
}
