//! A version's tables: their descriptions as the principal may see them (masked columns only for
//! the owner group, column statistics only for those who may read the data), and a table as
//! Parquet.

use arrow::datatypes::SchemaRef;
use kura_catalog::entity::file;
use kura_catalog::tables::TableInfo;
use kura_catalog::{Page, PageRequest};
use kura_core::Principal;
use kura_core::access::Action;
use kura_storage::parquet_io::{RowsRequest, read_rows};

use crate::access::{Target, Which, audit_read, authorize};
use crate::files::{ByteStream, object_bytes};
use crate::rows::BatchStream;
use crate::{ServiceError, Services, Surface};

/// A table of a dataset version, as a caller names it.
#[derive(Debug, Clone, Copy)]
pub struct TableRef<'a> {
    /// The dataset's name or id.
    pub dataset: &'a str,
    /// A version number or `latest`.
    pub version: &'a str,
    /// The table's name.
    pub table: &'a str,
}

/// A table the principal may download as Parquet.
#[derive(Debug)]
pub struct TableParquet {
    pub target: Target,
    pub table: TableInfo,
    /// The Parquet file as stored (its media type, size and checksum).
    pub file: file::Model,
    pub data: ParquetData,
}

/// What to send of a table's Parquet file.
pub enum ParquetData {
    /// The stored file, byte for byte: nothing in it is hidden from the principal.
    Whole(ByteStream),
    /// The rows without the columns hidden from the principal, for the transport to encode as
    /// Parquet again.
    Without { schema: SchemaRef, batches: BatchStream },
}

impl std::fmt::Debug for ParquetData {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ParquetData::Whole(_) => f.write_str("Whole"),
            ParquetData::Without { schema, .. } => f.debug_struct("Without").field("schema", schema).finish(),
        }
    }
}

/// The tables of a version (a number or `latest`), a page at a time.
pub async fn list(
    svc: &Services,
    principal: &Principal,
    name: &str,
    version: &str,
    page: PageRequest,
) -> Result<Page<TableInfo>, ServiceError> {
    let target = authorize(svc, principal, name, Which::Version(version), Action::ReadMetadata).await?;
    let shown = target.disclosure(principal);
    let withheld = svc.catalog.withheld_files(target.version.id, &shown).await?;
    let page = svc.catalog.tables_page(target.version.id, page.capped(svc.config.max_page_size)).await?;
    Ok(Page { items: page.items.into_iter().map(|t| shown.table(t, &withheld)).collect(), ..page })
}

/// One table of a version.
pub async fn get(svc: &Services, principal: &Principal, at: TableRef<'_>) -> Result<TableInfo, ServiceError> {
    let target = authorize(svc, principal, at.dataset, Which::Version(at.version), Action::ReadMetadata).await?;
    let shown = target.disclosure(principal);
    let withheld = svc.catalog.withheld_files(target.version.id, &shown).await?;
    let table = svc.catalog.table(target.version.id, at.table).await?;
    Ok(shown.table(table, &withheld))
}

/// A table as Parquet, without the columns hidden from the principal; the read is audited.
pub async fn parquet(
    svc: &Services,
    principal: &Principal,
    surface: Surface,
    at: TableRef<'_>,
) -> Result<TableParquet, ServiceError> {
    let (target, table, file) = data_of(svc, principal, at).await?;
    let details = serde_json::json!({"table": table.id});
    audit_read(svc, principal, surface, &target, "data.parquet", &table.name, details).await?;
    let shown = target.disclosure(principal);
    let data = if shown.hides_part_of(&table) {
        let keep: Vec<String> = table.columns.iter().map(|c| c.name.clone()).filter(|n| !shown.hides(n)).collect();
        let request = RowsRequest { columns: Some(keep), offset: 0, limit: None };
        let (schema, batches) = read_rows(&svc.store, &file.sha256, file.size as u64, &request).await?;
        ParquetData::Without { schema, batches }
    } else {
        ParquetData::Whole(object_bytes(svc, &file.sha256).await?)
    };
    Ok(TableParquet { target, table, file, data })
}

/// The table `at` names, with its Parquet file, when the principal may read its data.
pub(crate) async fn data_of(
    svc: &Services,
    principal: &Principal,
    at: TableRef<'_>,
) -> Result<(Target, TableInfo, file::Model), ServiceError> {
    let target = authorize(svc, principal, at.dataset, Which::Version(at.version), Action::ReadData).await?;
    let table = svc.catalog.table(target.version.id, at.table).await?;
    let file = svc.catalog.file(target.version.id, table.file_id).await?;
    Ok((target, table, file))
}
