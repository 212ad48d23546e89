//! Stream tables as use cases: creating one, appending batches (an editor of the dataset, or a
//! robot's token naming the stream; a read credential never writes), reading a snapshot or the
//! rows since one, following new commits, and the batches' provenance. Reads are decided like
//! any data read: a published version's rows are those of the snapshot it froze; editors of the
//! dataset (and readers of its draft) read the live table.

use std::sync::Arc;

use arrow::datatypes::{Schema, SchemaRef};
use arrow::record_batch::RecordBatch;
use futures::stream;
use futures::{StreamExt, TryStreamExt};
use kura_catalog::audit::AuditRecord;
use kura_catalog::entity::{stream_batch, stream_table};
use kura_core::access::Action;
use kura_core::{ErrorCode, Principal};
use kura_storage::StorageError;
use kura_streams::decode::{BodyFormat, decode};
pub use kura_streams::{AppendKey, Appended, BatchProvenance, Staged};
use kura_streams::{ReadRequest, StreamError, Streams};
use serde::Serialize;

use crate::access::{Target, Which, audit_read, authorize, editable_dataset};
use crate::rows::BatchStream;
use crate::{ServiceError, Services, Surface};

/// Longest stream table name and writer id.
const MAX_NAME: usize = 128;
/// Most provenance records one request lists.
pub const MAX_BATCHES: u64 = 10_000;

/// A stream table of a dataset, as a caller names it; `version` `None` is the live table for
/// those who may edit the dataset, else the latest version they may read.
#[derive(Debug, Clone, Copy)]
pub struct StreamRef<'a> {
    pub dataset: &'a str,
    pub version: Option<&'a str>,
    pub table: &'a str,
}

/// What a caller may know of a stream table.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StreamInfo {
    pub name: String,
    /// The snapshot the caller reads (the latest, or the one the version froze); 0: no rows yet.
    pub snapshot: i64,
    /// Rows as of that snapshot.
    pub row_count: i64,
    /// Whether the caller reads the live table (new commits appear) or a frozen snapshot.
    pub live: bool,
}

/// Rows of a stream table read by a caller.
pub struct StreamRows {
    pub stream: StreamInfo,
    pub schema: SchemaRef,
    pub batches: BatchStream,
}

impl std::fmt::Debug for StreamRows {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamRows").field("stream", &self.stream).finish_non_exhaustive()
    }
}

/// A stream table the caller may append to; batches go through [`Appender::append`].
#[derive(Debug, Clone)]
pub struct Appender {
    pub stream: stream_table::Model,
    dataset_id: uuid::Uuid,
    principal: Principal,
    surface: Surface,
}

/// How a writer names a batch's idempotency key and provenance over HTTP headers (REST, and the
/// gRPC metadata of a Flight DoPut), with `kura-` before each name; REST also takes the
/// provenance names as query parameters.
pub const WRITER_ID: &str = "writer_id";
pub const SEQUENCE: &str = "sequence";
pub const PROVENANCE_FIELDS: [&str; 6] = ["instrument", "run_id", "protocol", "sample_ids", "started_at", "ended_at"];

/// The header a field travels in: `kura-run-id` for `run_id`.
pub fn header_name(field: &str) -> String {
    format!("kura-{}", field.replace('_', "-"))
}

/// The idempotency key a writer sent, if it sent one (both fields, or neither).
pub fn key_of(writer: Option<&str>, sequence: Option<&str>) -> Result<Option<AppendKey>, ServiceError> {
    match (writer, sequence) {
        (Some(writer), Some(sequence)) => {
            let sequence = sequence
                .trim()
                .parse()
                .map_err(|_| ServiceError::invalid("the sequence is a whole number, 0 or more"))?;
            Ok(Some(AppendKey { writer_id: writer.trim().to_owned(), sequence }))
        }
        (None, None) => Ok(None),
        _ => Err(ServiceError::invalid("an idempotency key is both a writer id and a sequence number")),
    }
}

/// A batch's provenance from its fields by name (see [`PROVENANCE_FIELDS`]): sample ids
/// comma-separated, times in RFC 3339.
pub fn provenance_of<'a>(field: impl Fn(&str) -> Option<&'a str>) -> Result<BatchProvenance, ServiceError> {
    let text = |name: &str| field(name).map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned);
    let time = |name: &str| {
        text(name)
            .map(|t| {
                chrono::DateTime::parse_from_rfc3339(&t)
                    .map(|t| t.to_utc())
                    .map_err(|_| ServiceError::invalid(format!("{name} is an RFC 3339 time")))
            })
            .transpose()
    };
    Ok(BatchProvenance {
        instrument: text("instrument"),
        run_id: text("run_id"),
        protocol: text("protocol"),
        sample_ids: text("sample_ids")
            .map(|s| s.split(',').map(|x| x.trim().to_owned()).filter(|x| !x.is_empty()).collect())
            .unwrap_or_default(),
        started_at: time("started_at")?,
        ended_at: time("ended_at")?,
    })
}

fn engine(svc: &Services) -> Result<&Streams, ServiceError> {
    svc.streams
        .as_ref()
        .ok_or_else(|| ServiceError::new(ErrorCode::Unavailable, "stream tables are served by `kura serve`"))
}

fn check_name(what: &str, name: &str) -> Result<(), ServiceError> {
    let ok = !name.is_empty()
        && name.len() <= MAX_NAME
        && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok { Ok(()) } else { Err(ServiceError::invalid(format!("a {what} is 1 to {MAX_NAME} of A-Z a-z 0-9 - _ ."))) }
}

/// Decides whether the principal may append to stream `table` of `dataset` (creating the table
/// on first use): an editor of the dataset with a credential that writes, or a robot's token
/// naming this stream.
pub async fn open_append(
    svc: &Services,
    principal: &Principal,
    surface: Surface,
    dataset: &str,
    table: &str,
) -> Result<Appender, ServiceError> {
    check_name("stream table name", table)?;
    let ds = editable_dataset(svc, principal, dataset).await?;
    if !principal.may_append(dataset, table) {
        let message = if principal.append_streams.is_empty() {
            "this credential is read-only".to_owned()
        } else {
            format!("this token may append to {} only", principal.append_streams.join(", "))
        };
        return Err(ServiceError::forbidden(message));
    }
    engine(svc)?;
    let stream = svc.catalog.ensure_stream_table(ds.id, table).await?;
    Ok(Appender { stream, dataset_id: ds.id, principal: principal.clone(), surface })
}

/// Creates stream table `table` of `dataset` (nothing changes when it exists); audited.
pub async fn create(
    svc: &Services,
    principal: &Principal,
    surface: Surface,
    dataset: &str,
    table: &str,
) -> Result<StreamInfo, ServiceError> {
    let appender = open_append(svc, principal, surface, dataset, table).await?;
    audit_write(svc, &appender, "stream.create", serde_json::json!({})).await?;
    Ok(StreamInfo { name: appender.stream.name, snapshot: 0, row_count: 0, live: true })
}

impl Appender {
    /// Appends one batch; acknowledged once durable, applied once per idempotency key (a new
    /// key is made up when the writer gives none: such a batch cannot be retried safely).
    pub async fn append(
        &self,
        svc: &Services,
        key: Option<AppendKey>,
        provenance: BatchProvenance,
        batch: RecordBatch,
    ) -> Result<Appended, ServiceError> {
        let staged = self.stage(svc, key, provenance, batch).await?;
        self.admit(svc, staged).await
    }

    /// The first half of [`Appender::append`]: the batch checked and stored durably. A writer
    /// streaming many batches stages a few at once and admits them in its order.
    pub async fn stage(
        &self,
        svc: &Services,
        key: Option<AppendKey>,
        provenance: BatchProvenance,
        batch: RecordBatch,
    ) -> Result<Staged, ServiceError> {
        let key = match key {
            Some(key) => {
                check_name("writer id", &key.writer_id)?;
                if key.sequence < 0 {
                    return Err(ServiceError::invalid("a sequence number is 0 or more"));
                }
                key
            }
            None => AppendKey { writer_id: format!("once-{}", uuid::Uuid::now_v7()), sequence: 0 },
        };
        if batch.num_rows() == 0 {
            return Err(ServiceError::invalid("the batch has no rows"));
        }
        let append = kura_streams::Append {
            key,
            provenance,
            appended_by: self.principal.actor.clone(),
            surface: self.surface.as_str().to_owned(),
            batch,
        };
        Ok(engine(svc)?.stage(&self.stream, append).await?)
    }

    /// The second half of [`Appender::append`]: the staged batch recorded, and so acknowledged.
    pub async fn admit(&self, svc: &Services, staged: Staged) -> Result<Appended, ServiceError> {
        // Audited in the commit that applies it (`stream.append`), not here: one catalog write
        // less per acknowledgement, and a retry that applies nothing is no change.
        Ok(engine(svc)?.admit(staged).await?)
    }

    /// Appends the rows of a body sent over HTTP: an Arrow IPC stream, NDJSON or CSV by its
    /// media type (text is read with the types of the table's columns).
    pub async fn append_body(
        &self,
        svc: &Services,
        key: Option<AppendKey>,
        provenance: BatchProvenance,
        content_type: &str,
        body: bytes::Bytes,
    ) -> Result<Appended, ServiceError> {
        let format = BodyFormat::from_media_type(content_type).ok_or_else(|| {
            ServiceError::new(
                ErrorCode::UnsupportedMediaType,
                "send rows as application/vnd.apache.arrow.stream, application/x-ndjson or text/csv",
            )
        })?;
        let known = engine(svc)?.schema(&self.stream).await?;
        let batch = tokio::task::spawn_blocking(move || decode(format, &body, known.as_ref()))
            .await
            .map_err(|e| ServiceError::internal(e.to_string()))??;
        self.append(svc, key, provenance, batch).await
    }
}

async fn audit_write(
    svc: &Services,
    appender: &Appender,
    action: &str,
    details: serde_json::Value,
) -> Result<(), ServiceError> {
    svc.catalog
        .audit(AuditRecord {
            actor: &appender.principal.actor,
            action,
            surface: appender.surface.as_str(),
            dataset_id: Some(appender.dataset_id),
            target: Some(appender.stream.name.clone()),
            details,
        })
        .await?;
    Ok(())
}

/// A stream table as the caller may read it: the table, the highest snapshot they may read
/// (`None`: the live table), and the access decided.
async fn readable(
    svc: &Services,
    principal: &Principal,
    at: StreamRef<'_>,
) -> Result<(Target, stream_table::Model, Option<i64>), ServiceError> {
    let target =
        authorize(svc, principal, at.dataset, Which::Version(at.version.unwrap_or("latest")), Action::ReadData).await?;
    let stream = svc.catalog.stream_table(target.dataset.id, at.table).await?;
    let live = reads_live(principal, &target, at.version);
    let ceiling =
        if live { None } else { Some(svc.catalog.stream_pin(target.version.id, stream.id).await?.unwrap_or(0)) };
    Ok((target, stream, ceiling))
}

/// Whether the caller reads the live table: a version not frozen, or no version named by someone
/// who may see the dataset's drafts (its owner group, whatever their credential's scope).
fn reads_live(principal: &Principal, target: &Target, version: Option<&str>) -> bool {
    let sees_drafts = || {
        kura_core::access::decide(
            &principal.subject,
            Action::ReadMetadata,
            &target.facts.as_draft(),
            chrono::Utc::now(),
        ) == kura_core::access::Decision::Allow
    };
    !target.version.state.is_frozen() || (version.is_none() && sees_drafts())
}

async fn info(svc: &Services, stream: &stream_table::Model, ceiling: Option<i64>) -> Result<StreamInfo, ServiceError> {
    let (snapshot, row_count) = match ceiling {
        None => (stream.latest_snapshot, stream.row_count),
        Some(0) => (0, 0),
        Some(pin) => (pin, svc.catalog.stream_snapshot(stream.id, pin).await?.row_count),
    };
    Ok(StreamInfo { name: stream.name.clone(), snapshot, row_count, live: ceiling.is_none() })
}

/// The stream tables of a dataset version (see [`StreamRef`]) the caller may read.
pub async fn list(
    svc: &Services,
    principal: &Principal,
    dataset: &str,
    version: Option<&str>,
) -> Result<Vec<StreamInfo>, ServiceError> {
    let target =
        authorize(svc, principal, dataset, Which::Version(version.unwrap_or("latest")), Action::ReadData).await?;
    let live = reads_live(principal, &target, version);
    let mut out = Vec::new();
    for stream in svc.catalog.stream_tables_of(target.dataset.id).await? {
        let ceiling =
            if live { None } else { Some(svc.catalog.stream_pin(target.version.id, stream.id).await?.unwrap_or(0)) };
        out.push(info(svc, &stream, ceiling).await?);
    }
    Ok(out)
}

/// The schema and row count of a stream table for the caller, without reading rows.
pub async fn describe(svc: &Services, principal: &Principal, at: StreamRef<'_>) -> Result<StreamInfo, ServiceError> {
    let (_, stream, ceiling) = readable(svc, principal, at).await?;
    info(svc, &stream, ceiling).await
}

/// What a read of a stream table at `snapshot` would return, without reading it (Flight's
/// GetFlightInfo): the snapshot it reads and the columns the caller sees.
pub async fn plan(
    svc: &Services,
    principal: &Principal,
    at: StreamRef<'_>,
    snapshot: Option<i64>,
) -> Result<(StreamInfo, SchemaRef), ServiceError> {
    let (target, stream, ceiling) = readable(svc, principal, at).await?;
    let info = info(svc, &stream, ceiling).await?;
    if let (Some(asked), Some(max)) = (snapshot, ceiling)
        && asked > max
    {
        return Err(ServiceError::not_found(&format!("snapshot {asked} in this version")));
    }
    let request = ReadRequest { snapshot: snapshot.or(ceiling), since: None };
    let rows = engine(svc)?.read(&stream, request).await?;
    let hidden = target.disclosure(principal);
    let row_count = if rows.snapshot == info.snapshot {
        info.row_count
    } else {
        svc.catalog.stream_snapshot(stream.id, rows.snapshot).await?.row_count
    };
    Ok((StreamInfo { snapshot: rows.snapshot, row_count, ..info }, visible(&rows.schema, |c| hidden.hides(c))))
}

/// The stream tables whose data the caller may read, with their datasets' names: of one
/// dataset, or of all (Flight's ListFlights). Datasets the caller may not read are left out.
pub async fn readable_streams(
    svc: &Services,
    principal: &Principal,
    dataset: Option<&str>,
) -> Result<Vec<(String, StreamInfo)>, ServiceError> {
    let mut datasets: Vec<uuid::Uuid> =
        svc.catalog.all_stream_tables().await?.into_iter().map(|s| s.dataset_id).collect();
    datasets.sort();
    datasets.dedup();
    let mut out = Vec::new();
    for id in datasets {
        let name = svc.catalog.dataset_by_id(id).await?.name;
        if dataset.is_some_and(|d| d != name) {
            continue;
        }
        match list(svc, principal, &name, None).await {
            Ok(streams) => out.extend(streams.into_iter().map(|s| (name.clone(), s))),
            Err(e)
                if matches!(
                    e.code,
                    ErrorCode::NotFound | ErrorCode::Forbidden | ErrorCode::Gone | ErrorCode::Unauthenticated
                ) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(out)
}

/// Rows of a stream table at `snapshot` (the latest the caller may read when `None`), only
/// those committed after `since` when given; columns hidden from the caller are left out.
pub async fn read(
    svc: &Services,
    principal: &Principal,
    surface: Surface,
    at: StreamRef<'_>,
    snapshot: Option<i64>,
    since: Option<i64>,
) -> Result<StreamRows, ServiceError> {
    let (target, stream, ceiling) = readable(svc, principal, at).await?;
    let info = info(svc, &stream, ceiling).await?;
    if let (Some(asked), Some(max)) = (snapshot, ceiling)
        && asked > max
    {
        return Err(ServiceError::not_found(&format!("snapshot {asked} in this version")));
    }
    let request = ReadRequest { snapshot: snapshot.or(ceiling), since };
    let rows = engine(svc)?.read(&stream, request).await?;
    let details = serde_json::json!({"stream": stream.id, "snapshot": rows.snapshot, "since": since});
    audit_read(svc, principal, surface, &target, "data.stream_rows", &stream.name, details).await?;
    let hidden = target.disclosure(principal);
    let schema = visible(&rows.schema, |c| hidden.hides(c));
    let out = schema.clone();
    let batches = rows.batches.map_err(storage).and_then(move |b| {
        let out = out.clone();
        async move { kura_streams::schema::project(&b, &out).map_err(storage) }
    });
    Ok(StreamRows { stream: StreamInfo { snapshot: rows.snapshot, ..info }, schema, batches: batches.boxed() })
}

/// Follows a live stream table: waits for a commit after `since` when there is none yet, then
/// streams the rows of every commit as it lands, with the schema of the first commit sent
/// (columns added later need a new follow), until the caller stops reading.
pub async fn follow(
    svc: &Services,
    principal: &Principal,
    surface: Surface,
    at: StreamRef<'_>,
    since: i64,
) -> Result<(SchemaRef, BatchStream), ServiceError> {
    let (target, stream, ceiling) = readable(svc, principal, at).await?;
    if ceiling.is_some() {
        return Err(ServiceError::invalid("this version is frozen at a snapshot: read it, or follow the live table"));
    }
    let streams = engine(svc)?.clone();
    let mut latest = streams.watch(&stream).await?;
    let first = *latest
        .wait_for(|s| *s > since)
        .await
        .map_err(|_| ServiceError::new(ErrorCode::Unavailable, "the server is stopping"))?;
    let details = serde_json::json!({"stream": stream.id, "since": since, "follow": true});
    audit_read(svc, principal, surface, &target, "data.stream_follow", &stream.name, details).await?;
    let hidden = target.disclosure(principal);
    let schema = streams.read(&stream, ReadRequest { snapshot: Some(first), since: Some(first) }).await?.schema;
    let schema = visible(&schema, |c| hidden.hides(c));
    let out = schema.clone();
    let steps = stream::unfold((since, latest), move |(last, mut latest)| {
        let (streams, stream, out) = (streams.clone(), stream.clone(), out.clone());
        async move {
            let now = match latest.wait_for(|s| *s > last).await {
                Ok(now) => *now,
                Err(_) => return None,
            };
            let step = async {
                let rows = streams.read(&stream, ReadRequest { snapshot: Some(now), since: Some(last) }).await?;
                let batches: Vec<RecordBatch> = rows.batches.try_collect().await?;
                batches.iter().map(|b| kura_streams::schema::project(b, &out)).collect::<Result<Vec<_>, _>>()
            };
            let item = step.await.map_err(storage);
            Some((item, (now, latest)))
        }
    });
    let batches = steps
        .map(|step| match step {
            Ok(batches) => stream::iter(batches.into_iter().map(Ok)).boxed(),
            Err(e) => stream::once(async move { Err(e) }).boxed(),
        })
        .flatten();
    Ok((schema, batches.boxed()))
}

/// The provenance of the batches committed after snapshot `since` that the caller may read, of
/// one run when `run_id` is given, oldest first.
pub async fn batches(
    svc: &Services,
    principal: &Principal,
    at: StreamRef<'_>,
    since: i64,
    run_id: Option<&str>,
) -> Result<Vec<stream_batch::Model>, ServiceError> {
    let (_, stream, ceiling) = readable(svc, principal, at).await?;
    let found = svc.catalog.stream_batches(stream.id, since, MAX_BATCHES).await?;
    Ok(found
        .into_iter()
        .filter(|b| ceiling.is_none_or(|max| b.snapshot <= max))
        .filter(|b| run_id.is_none_or(|run| b.provenance.get("run_id").and_then(|r| r.as_str()) == Some(run)))
        .collect())
}

/// Commits what waits in the dataset's stream tables and returns, for each with rows, the
/// snapshot a version published now freezes it at.
pub(crate) async fn pins_for_publish(
    svc: &Services,
    dataset: uuid::Uuid,
) -> Result<Vec<(uuid::Uuid, i64)>, ServiceError> {
    let mut pins = Vec::new();
    for stream in svc.catalog.stream_tables_of(dataset).await? {
        let snapshot = match &svc.streams {
            Some(streams) => streams.flush(&stream).await?,
            None => stream.latest_snapshot,
        };
        if snapshot > 0 {
            pins.push((stream.id, snapshot));
        }
    }
    Ok(pins)
}

fn visible(schema: &SchemaRef, hides: impl Fn(&str) -> bool) -> SchemaRef {
    let fields: Vec<_> = schema.fields().iter().filter(|f| !hides(f.name())).cloned().collect();
    Arc::new(Schema::new(fields))
}

/// A stream error met mid-stream, as the row encoders take it.
fn storage(err: StreamError) -> StorageError {
    match err {
        StreamError::Storage(e) => e,
        StreamError::Arrow(e) => StorageError::Arrow(e),
        StreamError::Parquet(e) => StorageError::Parquet(e),
        other => StorageError::Io(std::io::Error::other(other.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_provenance_are_read_from_named_fields() {
        assert_eq!(key_of(None, None), Ok(None));
        assert_eq!(key_of(Some("r1"), Some(" 7 ")), Ok(Some(AppendKey { writer_id: "r1".into(), sequence: 7 })));
        assert_eq!(key_of(Some("r1"), None).unwrap_err().code, ErrorCode::BadRequest);
        assert_eq!(key_of(Some("r1"), Some("x")).unwrap_err().code, ErrorCode::BadRequest);
        let fields = [("run_id", "r7"), ("sample_ids", "S1, S2,"), ("started_at", "2026-12-07T10:00:00+09:00")];
        let p = provenance_of(|n| fields.iter().find(|(k, _)| *k == n).map(|(_, v)| *v)).unwrap();
        assert_eq!(p.run_id.as_deref(), Some("r7"));
        assert_eq!(p.sample_ids, vec!["S1", "S2"]);
        assert_eq!(p.started_at.unwrap().to_rfc3339(), "2026-12-07T01:00:00+00:00");
        assert!(provenance_of(|n| (n == "ended_at").then_some("yesterday")).is_err());
        assert_eq!(header_name("run_id"), "kura-run-id");
    }
}
