//! Access for Flight: the same lookups and the same `decide` as REST's `access::authorize`. The
//! dataset and version are found within what the caller may know exists (else NOT_FOUND, as if
//! absent); then `decide` rules, and PERMISSION_DENIED is only said where existence is public.

use std::collections::HashMap;

use chrono::Utc;
use kura_catalog::Visibility;
use kura_catalog::datasets::preferred;
use kura_catalog::entity::{dataset, dataset_version};
use kura_catalog::tables::TableInfo;
use kura_catalog::versions::VersionSelector;
use kura_core::access::{Action, Decision, Facts, decide, hidden_columns};
use kura_core::{ErrorCode, Principal};

use crate::FlightContext;
use crate::error::FlightError;

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

/// A version the caller may read data from.
#[derive(Debug, Clone)]
pub struct Target {
    pub dataset: dataset::Model,
    pub version: dataset_version::Model,
    pub facts: Facts,
    pub hidden: Vec<String>,
}

/// Looks up `name` at `version` (a number or `latest`) and decides `action` for `principal`.
pub async fn authorize(
    ctx: &FlightContext,
    principal: &Principal,
    name: &str,
    version: &str,
    action: Action,
) -> Result<Target, FlightError> {
    let vis = Visibility::of(principal);
    let dataset = ctx.catalog.dataset_by_name(name, &vis).await?;
    let selector: VersionSelector = version.parse()?;
    let version = ctx.catalog.version(dataset.id, selector, &vis).await?;
    decide_on(ctx, principal, dataset, version, action).await
}

async fn decide_on(
    ctx: &FlightContext,
    principal: &Principal,
    dataset: dataset::Model,
    version: dataset_version::Model,
    action: Action,
) -> Result<Target, FlightError> {
    let (facts, policy) = ctx.catalog.facts(&dataset, &version).await?;
    match decide(&principal.subject, action, &facts, Utc::now()) {
        Decision::Allow => {
            let hidden = hidden_columns(&principal.subject, &facts, &policy.masked_columns);
            Ok(Target { dataset, version, facts, hidden })
        }
        Decision::NotFound => Err(FlightError::not_found("dataset")),
        // As REST's `authorize`: a withdrawn version's data are gone, not forbidden.
        Decision::Forbidden if action == Action::ReadData && version.state == "deaccessioned" => {
            Err(FlightError::new(ErrorCode::Gone, "this version was deaccessioned: its data are no longer available"))
        }
        Decision::Forbidden => Err(FlightError::new(
            ErrorCode::Forbidden,
            "you may not read this dataset's data: see its access conditions",
        )),
    }
}

/// One table of a version the caller may read.
pub async fn readable_table(ctx: &FlightContext, target: &Target, table: &str) -> Result<Readable, FlightError> {
    let table = ctx.catalog.table(target.version.id, table).await?;
    let file = ctx.catalog.file(target.version.id, table.file_id).await?;
    Ok(Readable {
        dataset: target.dataset.clone(),
        version: target.version.clone(),
        hidden: target.hidden.clone(),
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
    ctx: &FlightContext,
    principal: &Principal,
    dataset_name: Option<&str>,
    all_versions: bool,
) -> Result<Vec<(Readable, bool)>, FlightError> {
    let vis = Visibility::of(principal);
    let mut datasets = Vec::new();
    match dataset_name {
        Some(name) => match ctx.catalog.dataset_by_name(name, &vis).await {
            Ok(mut d) => {
                // Found by id, and the name means another visible dataset: listed by id.
                d.name = ctx.catalog.handle(&d, &vis).await?;
                datasets.push(d)
            }
            Err(kura_catalog::CatalogError::NotFound(_)) => return Ok(Vec::new()),
            Err(e) => return Err(e.into()),
        },
        None => {
            let mut offset = 0;
            loop {
                let page = ctx.catalog.list_datasets(&vis, kura_catalog::PageRequest { offset, limit: 500 }).await?;
                let n = page.items.len() as u64;
                for summary in page.items {
                    datasets.push(ctx.catalog.dataset_by_id(summary.id).await?);
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
        let versions = ctx.catalog.versions(dataset.id, &vis).await?;
        let Some(latest_number) = versions.iter().map(|v| v.number).max() else { continue };
        for version in versions {
            let is_latest = version.number == latest_number;
            if !is_latest && !all_versions {
                continue;
            }
            let Ok(target) = decide_on(ctx, principal, dataset.clone(), version, Action::ReadData).await else {
                continue;
            };
            let mut offset = 0;
            loop {
                let page = ctx
                    .catalog
                    .tables_page(target.version.id, kura_catalog::PageRequest { offset, limit: 500 })
                    .await?;
                let n = page.items.len() as u64;
                for table in page.items {
                    let file = ctx.catalog.file(target.version.id, table.file_id).await?;
                    let readable = Readable {
                        dataset: target.dataset.clone(),
                        version: target.version.clone(),
                        hidden: target.hidden.clone(),
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
