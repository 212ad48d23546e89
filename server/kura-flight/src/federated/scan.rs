//! A partner's table in the caller's session: a DataFusion table provider whose scan sends the
//! projection, the filters it can express faithfully and the limit to the owning node, and
//! streams the batches it answers (read ahead of the consumer, a few at a time).
//!
//! A scan without filters asks for the partner's table descriptor (`{"dataset", "table",
//! "columns", "limit"}`), which the partner serves from its Parquet (and its cache of encoded
//! batches) without planning a query; a scan with filters sends one Flight SQL statement. Both
//! are decided at the owning node by the same rules (its readable tables, its masked columns).

use std::fmt;
use std::sync::Arc;

use arrow::datatypes::SchemaRef;
use arrow::record_batch::{RecordBatch, RecordBatchOptions};
use arrow_flight::FlightDescriptor;
use datafusion::catalog::Session;
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::datasource::{TableProvider, TableType};
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::TaskContext;
use datafusion::logical_expr::{Expr, TableProviderFilterPushDown};
use datafusion::physical_expr::EquivalenceProperties;
use datafusion::physical_plan::execution_plan::{Boundedness, EmissionType};
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{
    DisplayAs, DisplayFormatType, ExecutionPlan, Partitioning, PhysicalExpr, PlanProperties, SendableRecordBatchStream,
};
use futures::{StreamExt, TryStreamExt};
use kura_core::ErrorCode;

use super::discover::{Remote, node_failure};
use super::pushdown;
use crate::error::FlightError;

/// A table of a partner node, read through its Flight SQL.
#[derive(Debug)]
pub struct RemoteTableProvider {
    remote: Arc<Remote>,
    dataset: String,
    table: String,
    schema: SchemaRef,
}

impl RemoteTableProvider {
    pub fn new(remote: Arc<Remote>, dataset: String, table: String, schema: SchemaRef) -> Self {
        RemoteTableProvider { remote, dataset, table, schema }
    }
}

#[async_trait::async_trait]
impl TableProvider for RemoteTableProvider {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    fn table_type(&self) -> TableType {
        TableType::Base
    }

    fn supports_filters_pushdown(&self, filters: &[&Expr]) -> Result<Vec<TableProviderFilterPushDown>> {
        Ok(filters
            .iter()
            .map(|f| {
                if pushdown::translatable(f) {
                    TableProviderFilterPushDown::Exact
                } else {
                    TableProviderFilterPushDown::Unsupported
                }
            })
            .collect())
    }

    async fn scan(
        &self,
        _state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let schema = match projection {
            Some(columns) => Arc::new(self.schema.project(columns)?),
            None => self.schema.clone(),
        };
        let columns: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
        let ask = if filters.is_empty() && !columns.is_empty() {
            Ask::Table(table_command(&self.dataset, &self.table, &columns, limit))
        } else {
            Ask::Sql(pushdown::select(&self.dataset, &self.table, &columns, filters, limit)?)
        };
        Ok(Arc::new(RemoteScanExec::new(self.remote.clone(), ask, schema)))
    }
}

/// The partner's table command for a scan without filters: the columns in the caller's order,
/// the limit, one endpoint (the batches are read as one stream in order).
fn table_command(dataset: &str, table: &str, columns: &[&str], limit: Option<usize>) -> String {
    let mut command = serde_json::json!({"dataset": dataset, "table": table, "columns": columns, "endpoints": 1});
    if let Some(n) = limit {
        command["limit"] = n.into();
    }
    command.to_string()
}

/// What a scan asks the owning node.
#[derive(Debug, Clone)]
pub enum Ask {
    /// A Flight SQL statement.
    Sql(String),
    /// A table descriptor's JSON command.
    Table(String),
}

/// Runs one request at the owning node and streams its answer.
#[derive(Debug)]
pub struct RemoteScanExec {
    remote: Arc<Remote>,
    ask: Ask,
    schema: SchemaRef,
    properties: Arc<PlanProperties>,
}

impl RemoteScanExec {
    fn new(remote: Arc<Remote>, ask: Ask, schema: SchemaRef) -> Self {
        let properties = PlanProperties::new(
            EquivalenceProperties::new(schema.clone()),
            Partitioning::UnknownPartitioning(1),
            EmissionType::Incremental,
            Boundedness::Bounded,
        );
        RemoteScanExec { remote, ask, schema, properties: Arc::new(properties) }
    }

    /// What is sent to the owning node.
    pub fn ask(&self) -> &Ask {
        &self.ask
    }
}

impl DisplayAs for RemoteScanExec {
    fn fmt_as(&self, _t: DisplayFormatType, f: &mut fmt::Formatter) -> fmt::Result {
        match &self.ask {
            Ask::Sql(sql) => write!(f, "RemoteScanExec: peer={}, sql={sql}", self.remote.peer),
            Ask::Table(command) => write!(f, "RemoteScanExec: peer={}, table={command}", self.remote.peer),
        }
    }
}

impl ExecutionPlan for RemoteScanExec {
    fn name(&self) -> &str {
        "RemoteScanExec"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        &self.properties
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        Vec::new()
    }

    fn apply_expressions(
        &self,
        _f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> Result<TreeNodeRecursion>,
    ) -> Result<TreeNodeRecursion> {
        Ok(TreeNodeRecursion::Continue)
    }

    fn with_new_children(self: Arc<Self>, _children: Vec<Arc<dyn ExecutionPlan>>) -> Result<Arc<dyn ExecutionPlan>> {
        Ok(self)
    }

    fn execute(&self, _partition: usize, _context: Arc<TaskContext>) -> Result<SendableRecordBatchStream> {
        let (remote, ask, schema) = (self.remote.clone(), self.ask.clone(), self.schema.clone());
        let rows = futures::stream::once(answer(remote, ask, schema.clone())).try_flatten();
        Ok(Box::pin(RecordBatchStreamAdapter::new(schema, rows)))
    }
}

/// Asks the owning node for its endpoints (within the federation deadline) and reads them one
/// after the other.
async fn answer(
    remote: Arc<Remote>,
    ask: Ask,
    schema: SchemaRef,
) -> Result<futures::stream::BoxStream<'static, Result<RecordBatch>>> {
    let planned = async {
        match ask {
            Ask::Sql(sql) => remote.client().execute(sql, None).await,
            Ask::Table(command) => remote.flight_client().get_flight_info(FlightDescriptor::new_cmd(command)).await,
        }
    };
    let info = tokio::time::timeout(remote.timeout, planned)
        .await
        .map_err(|_| failed(&remote, ErrorCode::Unavailable, "no answer within the deadline".into()))?
        .map_err(|e| refused(&remote, e))?;
    let tickets: Vec<_> = info.endpoint.into_iter().filter_map(|e| e.ticket).collect();
    let stream = futures::stream::iter(tickets)
        .then(move |ticket| {
            let remote = remote.clone();
            async move {
                let batches = remote.flight_client().do_get(ticket).await.map_err(|e| refused(&remote, e))?;
                Ok::<_, DataFusionError>(batches.map_err(move |e| refused(&remote, e)))
            }
        })
        .try_flatten()
        .map(move |batch| conform(batch?, &schema));
    Ok(read_ahead(stream.boxed()))
}

/// Batches the partner sends next are received while this node's plan and its client work on
/// the ones before (a few batches ahead, so memory stays bounded); the reading stops when the
/// query is dropped.
fn read_ahead(
    mut stream: futures::stream::BoxStream<'static, Result<RecordBatch>>,
) -> futures::stream::BoxStream<'static, Result<RecordBatch>> {
    const AHEAD: usize = 4;
    let (mut sender, receiver) = futures::channel::mpsc::channel(AHEAD);
    tokio::spawn(async move {
        use futures::SinkExt;
        while let Some(batch) = stream.next().await {
            if sender.send(batch).await.is_err() {
                break;
            }
        }
    });
    receiver.boxed()
}

/// The partner's batch under the schema this node planned with (the partner may differ in
/// nullability or metadata); a count reads rows only.
fn conform(batch: RecordBatch, schema: &SchemaRef) -> Result<RecordBatch> {
    if schema.fields().is_empty() {
        let options = RecordBatchOptions::new().with_row_count(Some(batch.num_rows()));
        return Ok(RecordBatch::try_new_with_options(schema.clone(), Vec::new(), &options)?);
    }
    Ok(RecordBatch::try_new(schema.clone(), batch.columns().to_vec())?)
}

fn refused(remote: &Remote, e: arrow_flight::error::FlightError) -> DataFusionError {
    let code = match &e {
        arrow_flight::error::FlightError::Tonic(status) => match status.code() {
            tonic::Code::NotFound => ErrorCode::NotFound,
            tonic::Code::InvalidArgument => ErrorCode::BadRequest,
            tonic::Code::ResourceExhausted => ErrorCode::ResourceExhausted,
            tonic::Code::PermissionDenied => ErrorCode::Forbidden,
            _ => ErrorCode::Unavailable,
        },
        _ => ErrorCode::Unavailable,
    };
    failed(remote, code, node_failure(e).to_string())
}

fn failed(remote: &Remote, code: ErrorCode, message: String) -> DataFusionError {
    DataFusionError::External(Box::new(FlightError::new(code, format!("peer {}: {message}", remote.peer))))
}
