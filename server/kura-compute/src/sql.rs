//! The SQL runner: DataFusion over exactly the job's declared inputs, each registered under the
//! name the job gave it with only the columns it may read; the one query's result is written as
//! a Parquet table by the ingestion sink (statistics, zstd, the same writer properties).
//!
//! A column passed through unchanged keeps its unit, description and original label: each input
//! field carries a marker in its Arrow metadata, DataFusion keeps field metadata for plain
//! column references (and aliases of them) and drops it for computed expressions, so a field
//! still marked in the result is exactly one that was passed through. The marker is removed
//! before writing.

use std::collections::HashMap;
use std::sync::Arc;

use arrow::datatypes::{Field, Schema, SchemaRef};
use arrow::record_batch::RecordBatch;
use datafusion::datasource::TableProvider;
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::listing::{ListingOptions, ListingTable, ListingTableConfig, ListingTableUrl};
use datafusion::error::DataFusionError;
use datafusion::execution::SessionStateBuilder;
use datafusion::execution::disk_manager::{DiskManagerBuilder, DiskManagerMode};
use datafusion::execution::object_store::ObjectStoreUrl;
use datafusion::execution::runtime_env::{RuntimeEnv, RuntimeEnvBuilder};
use datafusion::prelude::{SQLOptions, SessionConfig, SessionContext};
use futures::StreamExt;
use kura_ingest::reader::{ColumnInfo, TableSink, TableStart};
use kura_ingest::{FinishedTable, ParquetSink};
use kura_storage::ObjectStore;
use tokio_util::sync::CancellationToken;

use crate::{ComputeError, JobKind, PreparedInput, RunOutput, RunSpec, Runner};

/// The URL the object store is registered under in every Kura DataFusion runtime.
pub const STORE_URL: &str = "kura://objects";

/// Field metadata key marking a column as passed through from an input (`input\u{1f}column`).
const PASSED: &str = "kura.compute.input";

/// The Arrow schema of a stored Parquet object.
#[allow(deprecated)] // as Flight reads schemas, until object_store readers are rewritten together
pub async fn parquet_schema(store: &ObjectStore, sha256: &str, size: u64) -> Result<SchemaRef, ComputeError> {
    let mut reader =
        parquet::arrow::async_reader::ParquetObjectReader::new(store.backend(), ObjectStore::path_of(sha256)?)
            .with_file_size(size);
    let md = parquet::arrow::arrow_reader::ArrowReaderMetadata::load_async(&mut reader, Default::default())
        .await
        .map_err(|e| ComputeError::System(format!("reading the schema of object {sha256}: {e}")))?;
    Ok(md.schema().clone())
}

/// A DataFusion table over one stored Parquet object, read with `schema` (the file's schema, or
/// a projection of it that leaves out columns the reader may not see).
pub fn listing_table(sha256: &str, schema: SchemaRef) -> Result<Arc<dyn TableProvider>, ComputeError> {
    let path = ObjectStore::path_of(sha256)?;
    let url = ListingTableUrl::parse(format!("{STORE_URL}/{path}"))?;
    let options = ListingOptions::new(Arc::new(ParquetFormat::default())).with_file_extension("");
    let config = ListingTableConfig::new(url).with_listing_options(options).with_schema(schema);
    Ok(Arc::new(ListingTable::try_new(config)?))
}

/// Runs SQL jobs in this process, all of them sharing one memory pool and no disk.
#[derive(Debug, Clone)]
pub struct SqlRunner {
    runtime: Arc<RuntimeEnv>,
    store: ObjectStore,
}

impl SqlRunner {
    /// A runner whose running queries together use at most `memory_bytes` (beyond it a query
    /// fails, the job's error); queries never spill to disk.
    pub fn new(store: &ObjectStore, memory_bytes: usize) -> Result<Self, ComputeError> {
        let disk = DiskManagerBuilder::default().with_mode(DiskManagerMode::Disabled);
        let runtime = RuntimeEnvBuilder::new()
            .with_memory_limit(memory_bytes.max(16 << 20), 1.0)
            .with_disk_manager_builder(disk)
            .build_arc()?;
        let url = ObjectStoreUrl::parse(STORE_URL)?;
        runtime.register_object_store(url.as_ref(), store.backend());
        Ok(SqlRunner { runtime, store: store.clone() })
    }

    /// A session that knows exactly the job's inputs, each with its readable columns, marked.
    async fn session(&self, inputs: &[PreparedInput]) -> Result<SessionContext, ComputeError> {
        let config = SessionConfig::new().with_information_schema(false);
        let state = SessionStateBuilder::new()
            .with_config(config)
            .with_runtime_env(self.runtime.clone())
            .with_default_features()
            .build();
        let ctx = SessionContext::new_with_state(state);
        for input in inputs {
            let file = parquet_schema(&self.store, &input.sha256, input.size).await?;
            let mut fields = Vec::new();
            for column in &input.columns {
                let field = file.field_with_name(&column.name).map_err(|_| {
                    ComputeError::Executor(format!(
                        "input {}: its file has no column {:?}",
                        input.reference, column.name
                    ))
                })?;
                let mut metadata = field.metadata().clone();
                metadata.insert(PASSED.into(), format!("{}\u{1f}{}", input.name, column.name));
                fields.push(Arc::new(field.as_ref().clone().with_metadata(metadata)));
            }
            let schema = Arc::new(Schema::new_with_metadata(fields, file.metadata().clone()));
            ctx.register_table(input.name.as_str(), listing_table(&input.sha256, schema)?)?;
        }
        Ok(ctx)
    }
}

/// A query naming a table the job did not declare is told so, with the inputs it has: the
/// session knows nothing else, whatever else the submitter may read.
fn not_an_input(err: DataFusionError, inputs: &[PreparedInput]) -> ComputeError {
    if let DataFusionError::Plan(message) = err.find_root() {
        let named = message.strip_prefix("table '").and_then(|m| m.split_once("' not found")).map(|(name, _)| name);
        if let Some(name) = named {
            let name = name.rsplit('.').next().unwrap_or(name);
            let declared: Vec<&str> = inputs.iter().map(|i| i.name.as_str()).collect();
            return ComputeError::Executor(format!(
                "table {name:?} is not an input of this job: it reads only the tables it declares ({})",
                declared.join(", ")
            ));
        }
    }
    err.into()
}

fn read_only() -> SQLOptions {
    SQLOptions::new().with_allow_ddl(false).with_allow_dml(false).with_allow_statements(false)
}

/// The result's schema without the markers, and each column described: an input column's
/// description where it was passed through, its own name otherwise.
fn described(schema: &Schema, inputs: &[PreparedInput]) -> (SchemaRef, Vec<ColumnInfo>) {
    let by_source: HashMap<String, &ColumnInfo> =
        inputs.iter().flat_map(|i| i.columns.iter().map(move |c| (format!("{}\u{1f}{}", i.name, c.name), c))).collect();
    let mut fields = Vec::new();
    let mut columns = Vec::new();
    for field in schema.fields() {
        let mut metadata = field.metadata().clone();
        let source = metadata.remove(PASSED).and_then(|key| by_source.get(&key).copied());
        let info = match source {
            Some(c) => ColumnInfo { name: field.name().clone(), ..c.clone() },
            None => ColumnInfo {
                name: field.name().clone(),
                original_label: field.name().clone(),
                unit: None,
                ucum: None,
                qudt: None,
                description: None,
            },
        };
        fields.push(Field::clone(field).with_metadata(metadata));
        columns.push(info);
    }
    (Arc::new(Schema::new(fields)), columns)
}

#[async_trait::async_trait]
impl Runner for SqlRunner {
    fn kind(&self) -> JobKind {
        JobKind::Sql
    }

    async fn run(&self, spec: RunSpec<'_>, cancel: CancellationToken) -> Result<RunOutput, ComputeError> {
        let output = spec.outputs.first().cloned().unwrap_or_else(|| crate::model::DEFAULT_OUTPUT.into());
        let ctx = self.session(spec.inputs).await?;
        let df = ctx.sql_with_options(spec.code, read_only()).await.map_err(|e| not_an_input(e, spec.inputs))?;
        let mut stream = df.execute_stream().await?;
        let (schema, columns) = described(&stream.schema(), spec.inputs);
        let mut log = format!("output {output}: {} columns\n", columns.len());
        for c in columns.iter().filter(|c| c.unit.is_some()) {
            log.push_str(&format!("  {} keeps unit {}\n", c.name, c.unit.as_deref().unwrap_or_default()));
        }
        // Parquet encoding is blocking work: it runs on its own thread, fed through a channel.
        let (tx, mut rx) = tokio::sync::mpsc::channel::<RecordBatch>(2);
        let store = self.store.clone();
        let start = TableStart { name: output.clone(), schema: schema.clone(), columns };
        let writer = tokio::task::spawn_blocking(move || -> Result<Vec<FinishedTable>, String> {
            let mut sink = ParquetSink::new(&store, 1, CancellationToken::new());
            sink.begin_table(start).map_err(|e| e.0)?;
            while let Some(batch) = rx.blocking_recv() {
                sink.write_batch(&batch).map_err(|e| e.0)?;
            }
            sink.finish_table().map_err(|e| e.0)?;
            Ok(std::mem::take(&mut sink.finished))
        });
        let mut rows = 0u64;
        loop {
            let next = tokio::select! {
                () = cancel.cancelled() => return Err(ComputeError::Canceled),
                next = stream.next() => next,
            };
            let Some(batch) = next else { break };
            let batch = RecordBatch::try_new(schema.clone(), batch?.columns().to_vec())
                .map_err(|e| ComputeError::System(format!("result batch: {e}")))?;
            rows += batch.num_rows() as u64;
            if tx.send(batch).await.is_err() {
                break;
            }
        }
        drop(tx);
        let tables = writer
            .await
            .map_err(|e| ComputeError::System(format!("parquet writer: {e}")))?
            .map_err(ComputeError::System)?;
        log.push_str(&format!("wrote {rows} rows\n"));
        Ok(RunOutput { tables, log })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_table_the_job_did_not_declare_is_named_as_not_an_input() {
        let input = PreparedInput {
            name: "a".into(),
            reference: "ds/1/a".into(),
            sha256: String::new(),
            size: 0,
            columns: Vec::new(),
        };
        let missing = DataFusionError::Plan("table 'datafusion.public.b' not found".into());
        let message = not_an_input(missing, std::slice::from_ref(&input)).to_string();
        assert_eq!(message, "table \"b\" is not an input of this job: it reads only the tables it declares (a)");
        let other = not_an_input(DataFusionError::Plan("no column x".into()), &[input]);
        assert!(matches!(other, ComputeError::Executor(m) if m.contains("no column x")));
    }
}
