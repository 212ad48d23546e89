//! Plain Flight over Kura's tables: what ListFlights, GetFlightInfo, GetSchema and DoGet do,
//! independent of tonic. Tables are named by a descriptor path `[dataset, version, table]`
//! (`version` a number or `latest`) or by a JSON command
//! `{"dataset", "version", "table", "columns", "filter", "limit"}` (see [`crate::filter`]).

use std::sync::Arc;

use arrow::datatypes::{Schema, SchemaRef};
use arrow::record_batch::RecordBatch;
use arrow_flight::{FlightData, FlightDescriptor, FlightEndpoint, FlightInfo, Ticket};
use futures::stream::BoxStream;
use futures::{StreamExt, TryStreamExt};
use kura_core::Principal;
use kura_core::access::Action;
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::{ArrowReaderMetadata, ArrowReaderOptions};
#[allow(deprecated)]
use parquet::arrow::async_reader::{ParquetObjectReader, ParquetRecordBatchStreamBuilder};
use serde::Deserialize;

use crate::FlightContext;
use crate::encoded;
use crate::error::FlightError;
use crate::filter;
use crate::ticket::Work;
use kura_service::Surface;
use kura_service::access::{self, Which};
use kura_service::readable::{self, Readable};

/// Most endpoints one GetFlightInfo returns; more row groups are joined into ranges.
pub const MAX_ENDPOINTS: usize = 64;
/// Up to this many row groups, each gets an endpoint of its own: room for parallel readers.
pub const MIN_ENDPOINTS: usize = 8;
/// Beyond [`MIN_ENDPOINTS`], consecutive row groups are joined into ranges of about this much
/// data (uncompressed): every DoGet costs milliseconds before its first byte (authentication,
/// the access decision, the audit record, the stream's setup; about 5 ms measured from pyarrow),
/// which one endpoint per 256 Ki-row group paid 39 times for a 1 GB table.
pub const ENDPOINT_BYTES: i64 = 128 << 20;
/// Rows per record batch sent.
const BATCH_ROWS: usize = 64 * 1024;

/// What a descriptor asks for.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct TableRequest {
    pub dataset: String,
    #[serde(default = "latest")]
    pub version: String,
    pub table: String,
    /// Columns to keep, in table order; all the caller may see when absent.
    #[serde(default)]
    pub columns: Option<Vec<String>>,
    /// See [`crate::filter`].
    #[serde(default)]
    pub filter: Option<String>,
    #[serde(default)]
    pub limit: Option<u64>,
    /// How many endpoints the caller wants, usually the number of readers it runs: a
    /// one-stream reader pays each DoGet's set-up only once. At most one per row group and
    /// [`MAX_ENDPOINTS`]; when absent, see [`endpoint_count`].
    #[serde(default)]
    pub endpoints: Option<usize>,
}

fn latest() -> String {
    "latest".into()
}

impl TableRequest {
    /// The request a descriptor names: a path `[dataset, version, table]` or a JSON command.
    pub fn from_descriptor(d: &FlightDescriptor) -> Result<Self, FlightError> {
        if !d.path.is_empty() {
            return match d.path.as_slice() {
                [dataset, version, table] => Ok(TableRequest {
                    dataset: dataset.clone(),
                    version: version.clone(),
                    table: table.clone(),
                    ..Default::default()
                }),
                [dataset, table] => Ok(TableRequest {
                    dataset: dataset.clone(),
                    version: latest(),
                    table: table.clone(),
                    ..Default::default()
                }),
                _ => Err(FlightError::invalid("a descriptor path is [dataset, version, table]")),
            };
        }
        let req: TableRequest = serde_json::from_slice(&d.cmd).map_err(|e| {
            FlightError::invalid(format!(
                "a command is JSON {{\"dataset\", \"version\", \"table\", \"columns\", \"filter\", \"limit\", \"endpoints\"}}: {e}"
            ))
        })?;
        if req.endpoints == Some(0) {
            return Err(FlightError::invalid("\"endpoints\" is at least 1"));
        }
        Ok(req)
    }
}

/// A table opened for a caller: footer read, projection and filter checked.
struct Opened {
    readable: Readable,
    metadata: ArrowReaderMetadata,
    /// Indices of the file's root columns to send, in file order.
    projection: Vec<usize>,
    schema: SchemaRef,
    filter: filter::Filter,
}

#[allow(deprecated)]
fn reader(ctx: &FlightContext, r: &Readable) -> Result<ParquetObjectReader, FlightError> {
    let path = kura_storage::ObjectStore::path_of(&r.sha256)?;
    Ok(ParquetObjectReader::new(ctx.store.backend(), path).with_file_size(r.size))
}

/// The object's footer, read once per object while remembered (see [`crate::footers`]).
async fn footer(ctx: &FlightContext, r: &Readable) -> Result<ArrowReaderMetadata, FlightError> {
    if let Some(metadata) = ctx.footers.get(&r.sha256) {
        return Ok(metadata);
    }
    let mut reader = reader(ctx, r)?;
    let options = ArrowReaderOptions::new().with_page_index_policy(parquet::file::metadata::PageIndexPolicy::Optional);
    let metadata = ArrowReaderMetadata::load_async(&mut reader, options).await?;
    ctx.footers.insert(&r.sha256, &metadata);
    Ok(metadata)
}

async fn open(
    ctx: &FlightContext,
    readable: Readable,
    columns: Option<&[String]>,
    filter_text: Option<&str>,
) -> Result<Opened, FlightError> {
    let metadata = footer(ctx, &readable).await?;
    let file_schema = metadata.schema().clone();
    let visible: Vec<String> =
        file_schema.fields().iter().map(|f| f.name().clone()).filter(|n| !readable.hidden.contains(n)).collect();
    let mut projection = Vec::new();
    match columns {
        None => projection.extend(
            file_schema.fields().iter().enumerate().filter(|(_, f)| visible.contains(f.name())).map(|(i, _)| i),
        ),
        Some(names) => {
            for name in names {
                if !visible.contains(name) {
                    return Err(FlightError::invalid(format!("no column named {name:?}")));
                }
                projection.push(file_schema.index_of(name).map_err(|_| FlightError::invalid("no such column"))?);
            }
            projection.sort_unstable();
            projection.dedup();
        }
    }
    let filter = filter::parse(filter_text.unwrap_or(""))?;
    filter::check_columns(&filter, &visible)?;
    let schema = Arc::new(file_schema.project(&projection)?);
    Ok(Opened { readable, metadata, projection, schema, filter })
}

/// Row groups that may hold matching rows.
fn kept_groups(o: &Opened) -> Result<Vec<usize>, FlightError> {
    let keep = filter::prune(&o.filter, o.metadata.schema(), o.metadata.metadata())?;
    Ok(keep.iter().enumerate().filter(|(_, k)| **k).map(|(i, _)| i).collect())
}

async fn opened_for(ctx: &FlightContext, principal: &Principal, req: &TableRequest) -> Result<Opened, FlightError> {
    let target =
        access::authorize(ctx, principal, &req.dataset, Which::Version(&req.version), Action::ReadData).await?;
    let readable = readable::readable_table(ctx, principal, &target, &req.table).await?;
    open(ctx, readable, req.columns.as_deref(), req.filter.as_deref()).await
}

/// The path that names this exact table version.
fn path_of(r: &Readable) -> FlightDescriptor {
    FlightDescriptor::new_path(vec![r.dataset.name.clone(), r.version.number.to_string(), r.table.name.clone()])
}

/// ListFlights: every table the caller may read (newest version they may see of each dataset),
/// with schema (hidden columns removed), rows and bytes; no endpoints (ask GetFlightInfo).
/// `criteria`, when not empty, is a dataset name.
pub async fn list(ctx: &FlightContext, principal: &Principal, criteria: &[u8]) -> Result<Vec<FlightInfo>, FlightError> {
    let name = std::str::from_utf8(criteria).map_err(|_| FlightError::invalid("criteria is a dataset name"))?.trim();
    let tables = readable::readable_tables(ctx, principal, (!name.is_empty()).then_some(name), false).await?;
    let mut out = Vec::with_capacity(tables.len());
    for (readable, _) in tables {
        let descriptor = path_of(&readable);
        let rows = readable.table.row_count;
        let size = readable.size;
        let opened = open(ctx, readable, None, None).await?;
        out.push(
            FlightInfo::new()
                .try_with_schema(&opened.schema)?
                .with_descriptor(descriptor)
                .with_total_records(rows)
                .with_total_bytes(i64::try_from(size).unwrap_or(-1)),
        );
    }
    Ok(out)
}

/// GetSchema: the schema a read of `descriptor` would return.
pub async fn schema(
    ctx: &FlightContext,
    principal: &Principal,
    descriptor: &FlightDescriptor,
) -> Result<Schema, FlightError> {
    let req = TableRequest::from_descriptor(descriptor)?;
    let opened = opened_for(ctx, principal, &req).await?;
    Ok(opened.schema.as_ref().clone())
}

/// How many endpoints `groups` row groups holding `bytes` (uncompressed) are served in: one per
/// group up to [`MIN_ENDPOINTS`], then ranges of about [`ENDPOINT_BYTES`], at most
/// [`MAX_ENDPOINTS`].
fn endpoint_count(groups: usize, bytes: i64) -> usize {
    let by_size = usize::try_from(bytes / ENDPOINT_BYTES).unwrap_or(0);
    by_size.clamp(MIN_ENDPOINTS, MAX_ENDPOINTS).min(groups).max(1)
}

/// `groups` (ascending, not empty) in `wanted` ranges of consecutive row groups, as even as
/// possible; at most one per group and [`MAX_ENDPOINTS`]. A range may span groups the filter ruled
/// out: DoGet skips them again.
fn endpoint_ranges(groups: &[usize], wanted: usize) -> Vec<(usize, usize)> {
    let per = groups.len().div_ceil(wanted.clamp(1, MAX_ENDPOINTS.min(groups.len())));
    groups.chunks(per).map(|c| (c[0], c[c.len() - 1] + 1)).collect()
}

/// GetFlightInfo: schema, rows and bytes, and endpoints for the row groups that may hold
/// matching rows: as many as the command's `endpoints`, else see [`endpoint_count`]; one
/// endpoint when a limit is given.
pub async fn info(
    ctx: &FlightContext,
    principal: &Principal,
    descriptor: &FlightDescriptor,
) -> Result<FlightInfo, FlightError> {
    let req = TableRequest::from_descriptor(descriptor)?;
    let opened = opened_for(ctx, principal, &req).await?;
    let groups = kept_groups(&opened)?;
    let md = opened.metadata.metadata();
    let rows: i64 = groups.iter().map(|g| md.row_group(*g).num_rows()).sum();
    let leaves = ProjectionMask::roots(md.file_metadata().schema_descr(), opened.projection.iter().copied());
    let (mut bytes, mut uncompressed) = (0i64, 0i64);
    for g in &groups {
        let rg = md.row_group(*g);
        for column in (0..rg.num_columns()).filter(|c| leaves.leaf_included(*c)).map(|c| rg.column(c)) {
            bytes += column.compressed_size();
            uncompressed += column.uncompressed_size();
        }
    }
    let ranges: Vec<(usize, usize)> = if groups.is_empty() {
        Vec::new()
    } else if req.limit.is_some() {
        vec![(groups[0], groups[groups.len() - 1] + 1)]
    } else {
        endpoint_ranges(&groups, req.endpoints.unwrap_or_else(|| endpoint_count(groups.len(), uncompressed)))
    };
    let now = chrono::Utc::now().timestamp();
    let r = &opened.readable;
    let mut info = FlightInfo::new()
        .try_with_schema(&opened.schema)?
        .with_descriptor(descriptor.clone())
        // Exact without a filter; with one, only an upper bound is known.
        .with_total_records(match (&req.filter, req.limit) {
            (Some(f), _) if !f.trim().is_empty() => -1,
            (_, Some(limit)) => rows.min(i64::try_from(limit).unwrap_or(i64::MAX)),
            _ => rows,
        })
        .with_total_bytes(bytes)
        .with_ordered(false);
    for range in ranges {
        let work = Work::Table {
            dataset: r.dataset.name.clone(),
            version: r.version.number,
            table: r.table.name.clone(),
            columns: Some(opened.schema.fields().iter().map(|f| f.name().clone()).collect()),
            filter: req.filter.clone(),
            limit: req.limit,
            row_groups: range,
        };
        let ticket = ctx.tickets.sign(&principal.actor, work, now);
        info = info.with_endpoint(FlightEndpoint::new().with_ticket(Ticket::new(ticket)));
    }
    Ok(info)
}

/// What a DoGet of a table sends.
pub enum Rows {
    /// Record batches, to be encoded as Flight messages.
    Batches(SchemaRef, BoxStream<'static, Result<RecordBatch, FlightError>>),
    /// Flight messages ready to send, schema first (see [`crate::encoded`]).
    Encoded(BoxStream<'static, Result<FlightData, FlightError>>),
}

/// DoGet of a table ticket: access decided again (a policy may have changed since the ticket
/// was issued), the read audited, then row groups streamed with projection, pruning by
/// statistics and the row filter; never the whole table in memory. Whole row groups (no filter,
/// no limit) go through the encoded-row-group cache when it is on.
pub async fn read(ctx: &FlightContext, principal: &Principal, work: Work) -> Result<Rows, FlightError> {
    let Work::Table { dataset, version, table, columns, filter, limit, row_groups } = work else {
        return Err(FlightError::invalid("not a table ticket"));
    };
    let req = TableRequest { dataset, version: version.to_string(), table, columns, filter, limit, endpoints: None };
    let opened = opened_for(ctx, principal, &req).await?;
    let n_groups = opened.metadata.metadata().num_row_groups();
    let (first, end) = row_groups;
    if first > end || end > n_groups {
        return Err(FlightError::invalid("ticket names row groups the table does not have"));
    }
    let groups: Vec<usize> = kept_groups(&opened)?.into_iter().filter(|g| (first..end).contains(g)).collect();
    let r = &opened.readable;
    let details = serde_json::json!({
        "row_groups": [first, end],
        "columns": opened.schema.fields().iter().map(|f| f.name().clone()).collect::<Vec<_>>(),
        "filter": req.filter,
        "limit": req.limit,
    });
    readable::audit_table_read(ctx, principal, Surface::Flight, r, "data.flight", details).await?;
    let schema = opened.schema.clone();
    if groups.is_empty() {
        return Ok(Rows::Batches(schema, futures::stream::empty().boxed()));
    }
    if let Some(cache) = &ctx.encoded
        && opened.filter.is_empty()
        && req.limit.is_none()
        && encoded::cacheable(&schema)
    {
        let source = group_source(ctx, &opened)?;
        let object = r.sha256.clone();
        return Ok(Rows::Encoded(encoded::stream(cache.clone(), schema, object, opened.projection, groups, source)));
    }
    #[allow(deprecated)]
    let builder = ParquetRecordBatchStreamBuilder::new_with_metadata(reader(ctx, r)?, opened.metadata.clone());
    let parquet_schema = builder.parquet_schema().clone();
    let mut builder = builder
        .with_batch_size(BATCH_ROWS)
        .with_row_groups(groups)
        .with_projection(ProjectionMask::roots(&parquet_schema, opened.projection.iter().copied()));
    if !opened.filter.is_empty() {
        builder =
            builder.with_row_filter(filter::row_filter(&opened.filter, opened.metadata.schema(), &parquet_schema)?);
    }
    if let Some(limit) = req.limit {
        builder = builder.with_limit(usize::try_from(limit).unwrap_or(usize::MAX));
    }
    let stream = builder.build()?;
    Ok(Rows::Batches(schema, stream.map_err(FlightError::from).boxed()))
}

/// Decodes one row group of an opened table, projected (a cache miss).
fn group_source(ctx: &FlightContext, opened: &Opened) -> Result<encoded::GroupSource, FlightError> {
    let reader = reader(ctx, &opened.readable)?;
    let metadata = opened.metadata.clone();
    let projection = opened.projection.clone();
    Ok(Arc::new(move |group| {
        let (reader, metadata, projection) = (reader.clone(), metadata.clone(), projection.clone());
        Box::pin(async move {
            #[allow(deprecated)]
            let builder = ParquetRecordBatchStreamBuilder::new_with_metadata(reader, metadata);
            let mask = ProjectionMask::roots(builder.parquet_schema(), projection);
            let stream =
                builder.with_batch_size(BATCH_ROWS).with_row_groups(vec![group]).with_projection(mask).build()?;
            Ok(stream.map_err(FlightError::from).boxed())
        })
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_are_row_groups_for_small_tables_and_ranges_of_about_128_mib_beyond() {
        const GIB: i64 = 1 << 30;
        // Small tables: one endpoint per row group, for parallel readers.
        assert_eq!(endpoint_count(1, 1000), 1);
        assert_eq!(endpoint_count(3, 10_000_000), 3);
        assert_eq!(endpoint_count(39, GIB / 2), MIN_ENDPOINTS);
        // The benchmark's table: 39 groups, about 1 GiB, in 8 ranges of 5 groups.
        assert_eq!(endpoint_count(39, GIB), 8);
        assert_eq!(endpoint_count(40, 2 * GIB), 16);
        // Never more endpoints than row groups, nor more than the cap.
        assert_eq!(endpoint_count(39, 20 * GIB), 39);
        assert_eq!(endpoint_count(500, 100 * GIB), MAX_ENDPOINTS);
    }

    #[test]
    fn endpoint_ranges_cover_the_groups_in_as_many_ranges_as_wanted() {
        let all: Vec<usize> = (0..39).collect();
        assert_eq!(endpoint_ranges(&all, 1), vec![(0, 39)]);
        assert_eq!(endpoint_ranges(&all, 2), vec![(0, 20), (20, 39)]);
        assert_eq!(endpoint_ranges(&all, 8).len(), 8);
        assert_eq!(endpoint_ranges(&all, 1000).len(), 39);
        let many: Vec<usize> = (0..500).collect();
        let capped = endpoint_ranges(&many, 1000);
        assert!(capped.len() <= MAX_ENDPOINTS && capped.len() > MAX_ENDPOINTS / 2, "{}", capped.len());
        assert_eq!((capped[0].0, capped[capped.len() - 1].1), (0, 500));
        // Groups the statistics ruled out stay inside a range or fall outside all of them.
        assert_eq!(endpoint_ranges(&[2, 3, 7, 9], 2), vec![(2, 4), (7, 10)]);
    }
}
