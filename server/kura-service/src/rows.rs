//! A table's rows: the columns the principal may see (a hidden column asked for by name is
//! refused like one that does not exist), a window of rows, the read audited. Encoding them
//! (JSON, CSV, Arrow IPC) is the transport's.

use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;
use futures::stream::BoxStream;
use kura_catalog::tables::TableInfo;
use kura_core::Principal;
use kura_storage::StorageError;
use kura_storage::parquet_io::{RowsRequest, read_rows};

use crate::access::audit_read;
use crate::tables::{TableRef, data_of};
use crate::{ServiceError, Services, Surface};

/// Rows returned when the caller gives no limit.
pub const DEFAULT_LIMIT: u64 = 1000;
/// Most rows one request may ask for; larger reads use the Parquet download or Flight.
pub const MAX_LIMIT: u64 = 1_000_000;

/// Record batches as the Parquet reader streams them.
pub type BatchStream = BoxStream<'static, Result<RecordBatch, StorageError>>;

/// Which rows of a table, and which of its columns.
#[derive(Debug, Clone, Default)]
pub struct RowsQuery {
    /// Column names; all columns the principal may see when `None`.
    pub columns: Option<Vec<String>>,
    /// Rows to skip.
    pub offset: u64,
    /// Rows to return ([`DEFAULT_LIMIT`] when `None`, at most [`MAX_LIMIT`]).
    pub limit: Option<u64>,
}

/// The rows asked for, as a stream of batches.
pub struct Rows {
    pub table: TableInfo,
    pub schema: SchemaRef,
    pub batches: BatchStream,
}

impl std::fmt::Debug for Rows {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rows").field("table", &self.table.name).field("schema", &self.schema).finish_non_exhaustive()
    }
}

/// Reads rows of the table `at` names.
pub async fn read(
    svc: &Services,
    principal: &Principal,
    surface: Surface,
    at: TableRef<'_>,
    query: RowsQuery,
) -> Result<Rows, ServiceError> {
    let limit = query.limit.unwrap_or(DEFAULT_LIMIT);
    if limit > MAX_LIMIT {
        return Err(ServiceError::invalid(format!("limit {limit} is above the maximum of {MAX_LIMIT}")));
    }
    let (target, table, file) = data_of(svc, principal, at).await?;
    // Without `columns`, the columns the caller may see; a hidden column asked for by name is
    // refused exactly like a column that does not exist.
    let columns =
        target.disclosure(principal).projection(&table, query.columns).map_err(StorageError::UnknownColumn)?;
    let details = serde_json::json!({"table": table.id, "offset": query.offset, "limit": limit});
    audit_read(svc, principal, surface, &target, "data.rows", &table.name, details).await?;
    let request = RowsRequest { columns, offset: query.offset, limit: Some(limit) };
    let (schema, batches) = read_rows(&svc.store, &file.sha256, file.size as u64, &request).await?;
    Ok(Rows { table, schema, batches })
}
