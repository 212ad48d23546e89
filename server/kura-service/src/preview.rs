//! The first rows of each table for the landing page, for callers who may read the data
//! (masked columns left out for everyone outside the owner group); one audited read per page.

use arrow::util::display::{ArrayFormatter, FormatOptions};
use futures::StreamExt;
use kura_storage::parquet_io::{RowsRequest, read_rows};

use kura_core::Principal;

use crate::access::Target;
use crate::{ServiceError, Services, Surface};

/// Rows shown per table.
pub const PREVIEW_ROWS: u64 = 5;

/// A table's first rows as text, with its column headers (name and unit).
#[derive(Debug, Default)]
pub struct Preview {
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

/// The first rows of table `name` of the target version, for this caller.
pub async fn first_rows(
    svc: &Services,
    principal: &Principal,
    target: &Target,
    name: &str,
) -> Result<Preview, ServiceError> {
    first_n_rows(svc, principal, target, name, PREVIEW_ROWS).await
}

/// [`first_rows`] with a chosen number of rows.
pub async fn first_n_rows(
    svc: &Services,
    principal: &Principal,
    target: &Target,
    name: &str,
    limit: u64,
) -> Result<Preview, ServiceError> {
    let table = svc.catalog.table(target.version.id, name).await?;
    let file = svc.catalog.file(target.version.id, table.file_id).await?;
    let shown = target.disclosure(principal);
    let columns: Vec<&kura_catalog::entity::table_column::Model> =
        table.columns.iter().filter(|c| !shown.hides(&c.name)).collect();
    let request =
        RowsRequest { columns: Some(columns.iter().map(|c| c.name.clone()).collect()), offset: 0, limit: Some(limit) };
    let (_, mut batches) = read_rows(&svc.store, &file.sha256, file.size as u64, &request).await?;
    let mut preview = Preview {
        headers: columns
            .iter()
            .map(|c| match c.ucum.as_deref().or(c.unit.as_deref()) {
                Some(u) if !u.is_empty() => format!("{} [{u}]", c.name),
                _ => c.name.clone(),
            })
            .collect(),
        rows: Vec::new(),
    };
    while let Some(batch) = batches.next().await {
        preview.rows.extend(rows_as_text(&batch?)?);
    }
    Ok(preview)
}

/// A batch's rows as text, nulls empty.
pub fn rows_as_text(batch: &arrow::record_batch::RecordBatch) -> Result<Vec<Vec<String>>, ServiceError> {
    let options = FormatOptions::default().with_null("");
    let formatters = batch
        .columns()
        .iter()
        .map(|a| ArrayFormatter::try_new(a.as_ref(), &options))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| ServiceError::internal(e.to_string()))?;
    Ok((0..batch.num_rows()).map(|row| formatters.iter().map(|f| f.value(row).to_string()).collect()).collect())
}

/// Records that the page showed data (the first rows of `tables` tables).
pub async fn audit_preview(
    svc: &Services,
    principal: &Principal,
    target: &Target,
    tables: usize,
) -> Result<(), ServiceError> {
    let read = crate::access::Read { dataset: target.dataset.id, version: target.version.number, what: None };
    let details = serde_json::json!({"tables": tables, "rows": PREVIEW_ROWS});
    crate::access::record_read(svc, principal, Surface::Web, "data.preview", read, details).await
}
