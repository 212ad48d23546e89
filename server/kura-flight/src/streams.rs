//! Stream tables over Flight, independent of tonic's service trait:
//!
//! - **DoPut** with descriptor path `[dataset, table]` appends each record batch and answers one
//!   `PutResult` per batch once it is durable (its `app_metadata`: JSON `{"writer_id",
//!   "sequence", "rows", "duplicate"}`). The idempotency key of a batch is its `app_metadata`
//!   (JSON `{"writer_id", "sequence"}`, with provenance fields `instrument`, `run_id`,
//!   `protocol`, `sample_ids`, `started_at`, `ended_at` beside them), or else the call's
//!   `kura-writer-id` and `kura-sequence` headers: the first batch takes that sequence number
//!   and each next one the following number.
//! - **GetFlightInfo** with a JSON command `{"dataset", "stream", "version"?, "snapshot"?,
//!   "since"?, "follow"?}` answers the schema, the rows and, in `app_metadata`, the snapshot
//!   read (`{"snapshot", "live"}`); its ticket reads exactly that snapshot, or with `follow`
//!   streams every commit after `since` as it lands until the client stops reading.
//! - **ListFlights** lists the stream tables the caller may read beside the tables.

use arrow::datatypes::SchemaRef;
use arrow_flight::decode::{DecodedPayload, FlightDataDecoder};
use arrow_flight::{FlightData, FlightDescriptor, FlightEndpoint, FlightInfo, PutResult, Ticket};
use bytes::Bytes;
use futures::stream::BoxStream;
use futures::{StreamExt, TryStreamExt};
use kura_core::Principal;
use kura_service::Surface;
use kura_service::streams::{self, AppendKey, Appender, BatchProvenance, Staged, StreamInfo, StreamRef};
use serde::{Deserialize, Serialize};
use tonic::metadata::MetadataMap;

use crate::FlightContext;
use crate::error::FlightError;
use crate::ticket::Work;

/// A read of a stream table, as a GetFlightInfo command names it.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct StreamCommand {
    pub dataset: String,
    pub stream: String,
    /// A version number or `latest`; absent: the live table for its editors.
    #[serde(default)]
    pub version: Option<String>,
    #[serde(default)]
    pub snapshot: Option<i64>,
    #[serde(default)]
    pub since: Option<i64>,
    #[serde(default)]
    pub follow: bool,
}

impl StreamCommand {
    /// The stream command a descriptor holds, if it holds one.
    pub fn from_descriptor(d: &FlightDescriptor) -> Option<Self> {
        if !d.path.is_empty() {
            return None;
        }
        serde_json::from_slice(&d.cmd).ok()
    }

    fn at(&self) -> StreamRef<'_> {
        StreamRef { dataset: &self.dataset, version: self.version.as_deref(), table: &self.stream }
    }
}

fn descriptor(dataset: &str, stream: &str) -> FlightDescriptor {
    let cmd = StreamCommand { dataset: dataset.to_owned(), stream: stream.to_owned(), ..Default::default() };
    FlightDescriptor::new_cmd(serde_json::to_vec(&cmd).unwrap_or_default())
}

fn flight_info(schema: &SchemaRef, info: &StreamInfo, descriptor: FlightDescriptor) -> Result<FlightInfo, FlightError> {
    let meta = serde_json::json!({"snapshot": info.snapshot, "live": info.live});
    Ok(FlightInfo::new()
        .try_with_schema(schema)?
        .with_descriptor(descriptor)
        .with_total_records(info.row_count)
        .with_app_metadata(Bytes::from(meta.to_string())))
}

/// GetFlightInfo of a stream command: one endpoint whose ticket reads the snapshot found now.
pub async fn info(
    ctx: &FlightContext,
    principal: &Principal,
    command: StreamCommand,
    descriptor: &FlightDescriptor,
) -> Result<FlightInfo, FlightError> {
    let (info, schema) = streams::plan(ctx, principal, command.at(), command.snapshot).await?;
    let mut flight = flight_info(&schema, &info, descriptor.clone())?;
    if command.since.is_some_and(|s| s > 0) || command.follow {
        // Only a bound is known without reading the rows.
        flight = flight.with_total_records(-1);
    }
    let work = Work::Stream {
        dataset: command.dataset,
        version: command.version,
        table: command.stream,
        // A follow starts from `since`; a read is pinned to the snapshot found now.
        snapshot: (!command.follow).then_some(info.snapshot),
        since: command.since,
        follow: command.follow,
    };
    let ticket = ctx.tickets.sign(&principal.actor, work, chrono::Utc::now().timestamp());
    Ok(flight.with_endpoint(FlightEndpoint::new().with_ticket(Ticket::new(ticket))))
}

/// GetSchema of a stream command.
pub async fn schema(
    ctx: &FlightContext,
    principal: &Principal,
    command: StreamCommand,
) -> Result<SchemaRef, FlightError> {
    Ok(streams::plan(ctx, principal, command.at(), command.snapshot).await?.1)
}

/// The stream tables ListFlights shows the caller (of one dataset when `criteria` names one).
pub async fn list(
    ctx: &FlightContext,
    principal: &Principal,
    dataset: Option<&str>,
) -> Result<Vec<FlightInfo>, FlightError> {
    let mut out = Vec::new();
    for (dataset, info) in streams::readable_streams(ctx, principal, dataset).await? {
        let at = StreamRef { dataset: &dataset, version: None, table: &info.name };
        let (info, schema) = streams::plan(ctx, principal, at, None).await?;
        out.push(flight_info(&schema, &info, descriptor(&dataset, &info.name))?);
    }
    Ok(out)
}

/// DoGet of a stream ticket: the rows of its snapshot (after `since`), or a follow.
pub async fn read(
    ctx: &FlightContext,
    principal: &Principal,
    work: Work,
) -> Result<(SchemaRef, BoxStream<'static, Result<arrow::record_batch::RecordBatch, FlightError>>), FlightError> {
    let Work::Stream { dataset, version, table, snapshot, since, follow } = work else {
        return Err(FlightError::invalid("not a stream ticket"));
    };
    let at = StreamRef { dataset: &dataset, version: version.as_deref(), table: &table };
    let (schema, batches) = if follow {
        streams::follow(ctx, principal, Surface::Flight, at, since.unwrap_or(0)).await?
    } else {
        let rows = streams::read(ctx, principal, Surface::Flight, at, snapshot, since).await?;
        (rows.schema, rows.batches)
    };
    Ok((schema, batches.map_err(FlightError::from).boxed()))
}

/// A batch's `app_metadata`: its idempotency key and provenance.
#[derive(Debug, Default, Deserialize)]
struct BatchMetadata {
    writer_id: Option<String>,
    sequence: Option<i64>,
    #[serde(flatten)]
    provenance: BatchProvenance,
}

/// What each batch of a DoPut is keyed and described by when its `app_metadata` is empty.
#[derive(Debug, Clone)]
struct CallDefaults {
    writer: Option<String>,
    next_sequence: i64,
    provenance: BatchProvenance,
}

fn header<'a>(metadata: &'a MetadataMap, name: &str) -> Result<Option<&'a str>, FlightError> {
    metadata
        .get(name)
        .map(|v| v.to_str().map_err(|_| FlightError::invalid(format!("header {name} is not text"))))
        .transpose()
}

fn call_defaults(metadata: &MetadataMap) -> Result<CallDefaults, FlightError> {
    let field = |name: &str| header(metadata, &streams::header_name(name));
    let writer = field(streams::WRITER_ID)?.map(str::to_owned);
    // The key of the first batch; each next one takes the following sequence number.
    let first = streams::key_of(writer.as_deref(), field(streams::SEQUENCE)?.or(writer.as_ref().map(|_| "0")))?;
    let mut fields = std::collections::HashMap::new();
    for name in streams::PROVENANCE_FIELDS {
        if let Some(value) = field(name)? {
            fields.insert(name, value);
        }
    }
    let provenance = streams::provenance_of(|name| fields.get(name).copied())?;
    Ok(CallDefaults { writer, next_sequence: first.map_or(0, |k| k.sequence), provenance })
}

/// The key and provenance of one batch: its own `app_metadata`, else the call's headers.
fn batch_key(
    app_metadata: &[u8],
    defaults: &mut CallDefaults,
) -> Result<(Option<AppendKey>, BatchProvenance), FlightError> {
    if app_metadata.is_empty() {
        let key = defaults.writer.clone().map(|writer_id| AppendKey { writer_id, sequence: defaults.next_sequence });
        defaults.next_sequence += 1;
        return Ok((key, defaults.provenance.clone()));
    }
    let meta: BatchMetadata = serde_json::from_slice(app_metadata).map_err(|e| {
        FlightError::invalid(format!(
            "a batch's app_metadata is JSON {{\"writer_id\", \"sequence\", provenance…}}: {e}"
        ))
    })?;
    let key = match (meta.writer_id.or_else(|| defaults.writer.clone()), meta.sequence) {
        (Some(writer_id), Some(sequence)) => Some(AppendKey { writer_id, sequence }),
        (None, None) => None,
        _ => return Err(FlightError::invalid("an idempotency key is both writer_id and sequence")),
    };
    Ok((key, meta.provenance))
}

/// DoPut: authorizes the call once for the descriptor's stream, then appends batch by batch,
/// answering each with a `PutResult` once it is durable. A refused batch ends the call with its
/// error; the batches acknowledged before it stay.
pub async fn put(
    ctx: &FlightContext,
    principal: &Principal,
    metadata: &MetadataMap,
    mut incoming: tonic::Streaming<FlightData>,
) -> Result<BoxStream<'static, Result<PutResult, tonic::Status>>, FlightError> {
    let first = incoming.message().await.map_err(|s| FlightError::invalid(s.message().to_owned()))?;
    let first = first.ok_or_else(|| FlightError::invalid("DoPut sent nothing"))?;
    let path = first.flight_descriptor.as_ref().map(|d| d.path.clone()).unwrap_or_default();
    let [dataset, table] = path.as_slice() else {
        return Err(FlightError::invalid("a DoPut descriptor path is [dataset, stream table]"));
    };
    let mut defaults = call_defaults(metadata)?;
    let appender = streams::open_append(ctx, principal, Surface::Flight, dataset, table).await?;
    let writer = std::sync::Arc::new(tokio::sync::Mutex::new(Writer {
        appender,
        checked: std::time::Instant::now(),
        metadata: metadata.clone(),
        names: (dataset.clone(), table.clone()),
    }));
    let messages = futures::stream::once(async move { Ok(first) })
        .chain(incoming)
        .map_err(|s| arrow_flight::error::FlightError::Tonic(Box::new(s)));
    let decoder = FlightDataDecoder::new(messages);
    let (stage_ctx, admit_ctx) = (ctx.clone(), ctx.clone());
    let results = decoder
        .map_err(|e| FlightError::invalid(format!("unreadable Flight data: {e}")))
        .try_filter_map(move |decoded| {
            let key = match &decoded.payload {
                DecodedPayload::RecordBatch(_) => Some(batch_key(&decoded.inner.app_metadata, &mut defaults)),
                _ => None,
            };
            futures::future::ready(match (key, decoded.payload) {
                (Some(key), DecodedPayload::RecordBatch(batch)) => {
                    key.map(|(key, provenance)| Some((key, provenance, batch)))
                }
                _ => Ok(None),
            })
        })
        // The object writes of a few batches overlap (each waits for its sync); the batches are
        // admitted, and so acknowledged, one by one in the order they came.
        .map(move |batch| {
            let (ctx, writer) = (stage_ctx.clone(), writer.clone());
            async move {
                let (key, provenance, batch) = batch?;
                let appender = writer.lock().await.current(&ctx).await?;
                let named = key.clone();
                let staged = appender.stage(&ctx, key, provenance, batch).await?;
                Ok::<_, FlightError>((appender, named, staged))
            }
        })
        .buffered(STAGED_AT_ONCE)
        .and_then(move |(appender, named, staged)| {
            let ctx = admit_ctx.clone();
            async move { acknowledge(&ctx, &appender, named, staged).await }
        })
        .map_err(FlightError::into_status);
    Ok(results.boxed())
}

/// Batches of one DoPut stored at once while earlier ones wait to be admitted.
const STAGED_AT_ONCE: usize = 4;

/// How long a DoPut's authorization holds before its credentials are resolved and the append
/// decided again: a revoked token or a lost right stops a long-running writer within this.
const REAUTHORIZE_EVERY: std::time::Duration = std::time::Duration::from_secs(10);

/// A DoPut's appender, decided again every [`REAUTHORIZE_EVERY`].
struct Writer {
    appender: Appender,
    checked: std::time::Instant,
    metadata: MetadataMap,
    names: (String, String),
}

impl Writer {
    async fn current(&mut self, ctx: &FlightContext) -> Result<Appender, FlightError> {
        if self.checked.elapsed() >= REAUTHORIZE_EVERY {
            let principal = crate::auth::principal(ctx, &self.metadata).await?;
            let (dataset, table) = &self.names;
            self.appender = streams::open_append(ctx, &principal, Surface::Flight, dataset, table).await?;
            self.checked = std::time::Instant::now();
        }
        Ok(self.appender.clone())
    }
}

async fn acknowledge(
    ctx: &FlightContext,
    appender: &Appender,
    named: Option<AppendKey>,
    staged: Staged,
) -> Result<PutResult, FlightError> {
    let appended = appender.admit(ctx, staged).await?;
    let answer = serde_json::json!({
        "writer_id": named.as_ref().map(|k| &k.writer_id),
        "sequence": named.as_ref().map(|k| k.sequence),
        "rows": appended.rows,
        "duplicate": appended.duplicate,
    });
    Ok(PutResult { app_metadata: Bytes::from(answer.to_string()) })
}
