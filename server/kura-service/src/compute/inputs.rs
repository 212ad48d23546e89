//! A job's declared inputs, decided for its submitter: each table found and its data readable
//! (`access::authorize` with `ReadData`, the one decision), the declared columns among those a
//! job may read. Run at submission and again when the job starts, so a right lost in between
//! stops the job. Masked columns never enter a job, whoever submits it: an output must not
//! carry a column its readers may not see, and a job cannot tell where a value came from.

use chrono::{DateTime, Utc};
use kura_catalog::entity::table_column;
use kura_catalog::versions::VersionSelector;
use kura_catalog::{CatalogError, Visibility};
use kura_compute::{InputRef, PreparedInput};
use kura_core::Principal;
use kura_core::access::{AccessLevel, Action, JobScope, ScopedTable};
use kura_ingest::reader::ColumnInfo;
use uuid::Uuid;

use crate::access::{Which, authorize};
use crate::readable::{Readable, readable_table};
use crate::{ServiceError, Services};

/// One input, decided: what the runner gets, what it pins, and the level the output inherits.
#[derive(Debug, Clone)]
pub struct Resolved {
    /// The reference with the version pinned to a number and the name made explicit.
    pub pinned: InputRef,
    pub prepared: PreparedInput,
    pub level: AccessLevel,
    pub readable: Readable,
}

/// What a job's credential reaches (`kura_core::access::JobScope`): the tables `inputs`
/// declare, each dataset found within what `principal` (the submitter) may know exists, at the
/// version pinned at submission. An input not found is left out: reading it through the
/// credential then answers not found, naming it, as [`resolve`] does for the submitter.
pub async fn scope(
    svc: &Services,
    principal: &Principal,
    job: Uuid,
    inputs: &[InputRef],
    expires: DateTime<Utc>,
) -> Result<JobScope, ServiceError> {
    let vis = Visibility::of(principal);
    let mut tables = Vec::with_capacity(inputs.len());
    for input in inputs {
        let dataset = match svc.catalog.dataset_by_name(&input.dataset, &vis).await {
            Ok(dataset) => dataset,
            Err(CatalogError::NotFound(_)) => continue,
            Err(e) => return Err(e.into()),
        };
        let selector: VersionSelector = input.version.parse()?;
        let version = match svc.catalog.version(dataset.id, selector, &vis).await {
            Ok(version) => version,
            Err(CatalogError::NotFound(_)) => continue,
            Err(e) => return Err(e.into()),
        };
        tables.push(ScopedTable { dataset: dataset.id, version: version.number, table: input.table.clone() });
    }
    Ok(JobScope { job, tables, expires })
}

/// Decides every input of a job for `principal`; the first refused input fails it, named.
pub async fn resolve(
    svc: &Services,
    principal: &Principal,
    inputs: &[InputRef],
) -> Result<Vec<Resolved>, ServiceError> {
    let mut out = Vec::with_capacity(inputs.len());
    for input in inputs {
        let resolved = resolve_one(svc, principal, input).await.map_err(|e| {
            ServiceError::new(e.code, format!("input {:?} ({}): {}", input.local_name(), input.reference(), e.message))
        })?;
        out.push(resolved);
    }
    Ok(out)
}

async fn resolve_one(svc: &Services, principal: &Principal, input: &InputRef) -> Result<Resolved, ServiceError> {
    let target = authorize(svc, principal, &input.dataset, Which::Version(&input.version), Action::ReadData).await?;
    let readable = readable_table(svc, principal, &target, &input.table).await?;
    let masked = &target.policy.masked_columns;
    let may_read: Vec<&table_column::Model> = readable
        .table
        .columns
        .iter()
        .filter(|c| !masked.contains(&c.name) && !readable.hidden.contains(&c.name))
        .collect();
    let columns: Vec<ColumnInfo> = match &input.columns {
        None => may_read.iter().map(|c| describe(c)).collect(),
        Some(wanted) => wanted
            .iter()
            .map(|name| {
                may_read.iter().find(|c| &c.name == name).map(|c| describe(c)).ok_or_else(|| {
                    // The same answer for a column that is masked and one that does not exist.
                    ServiceError::invalid(format!("table {} has no column {name:?} a job may read", input.table))
                })
            })
            .collect::<Result<_, _>>()?,
    };
    if columns.is_empty() {
        return Err(ServiceError::invalid(format!("table {} has no column a job may read", input.table)));
    }
    let pinned = InputRef {
        name: Some(input.local_name().to_owned()),
        version: target.version.number.to_string(),
        columns: input.columns.clone(),
        ..input.clone()
    };
    let prepared = PreparedInput {
        name: input.local_name().to_owned(),
        reference: pinned.reference(),
        sha256: readable.sha256.clone(),
        size: readable.size,
        columns,
    };
    Ok(Resolved { pinned, prepared, level: target.policy.level.clone(), readable })
}

/// A catalog column as the runner describes it (its unit and description carry over).
fn describe(c: &table_column::Model) -> ColumnInfo {
    ColumnInfo {
        name: c.name.clone(),
        original_label: c.original_label.clone(),
        unit: c.unit.clone(),
        ucum: c.ucum.clone(),
        qudt: c.qudt.clone(),
        description: c.description.clone(),
    }
}
