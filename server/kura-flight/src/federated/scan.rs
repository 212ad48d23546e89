//! A partner's table in the caller's session: a DataFusion table provider whose scan sends the
//! projection, the filters it can express faithfully and the limit to the owning node as one
//! Flight SQL statement, and streams the batches it answers (one at a time, as they arrive).

use std::fmt;
use std::sync::Arc;

use arrow::datatypes::SchemaRef;
use arrow::record_batch::{RecordBatch, RecordBatchOptions};
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
        let sql = pushdown::select(&self.dataset, &self.table, &columns, filters, limit)?;
        Ok(Arc::new(RemoteScanExec::new(self.remote.clone(), sql, schema)))
    }
}

/// Runs one statement at the owning node and streams its answer.
#[derive(Debug)]
pub struct RemoteScanExec {
    remote: Arc<Remote>,
    sql: String,
    schema: SchemaRef,
    properties: Arc<PlanProperties>,
}

impl RemoteScanExec {
    fn new(remote: Arc<Remote>, sql: String, schema: SchemaRef) -> Self {
        let properties = PlanProperties::new(
            EquivalenceProperties::new(schema.clone()),
            Partitioning::UnknownPartitioning(1),
            EmissionType::Incremental,
            Boundedness::Bounded,
        );
        RemoteScanExec { remote, sql, schema, properties: Arc::new(properties) }
    }

    /// The statement sent to the owning node.
    pub fn sql(&self) -> &str {
        &self.sql
    }
}

impl DisplayAs for RemoteScanExec {
    fn fmt_as(&self, _t: DisplayFormatType, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "RemoteScanExec: peer={}, sql={}", self.remote.peer, self.sql)
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
        let (remote, sql, schema) = (self.remote.clone(), self.sql.clone(), self.schema.clone());
        let rows = futures::stream::once(answer(remote, sql, schema.clone())).try_flatten();
        Ok(Box::pin(RecordBatchStreamAdapter::new(schema, rows)))
    }
}

/// Plans the statement at the owning node (within the federation deadline) and reads its
/// endpoints one after the other.
async fn answer(
    remote: Arc<Remote>,
    sql: String,
    schema: SchemaRef,
) -> Result<futures::stream::BoxStream<'static, Result<RecordBatch>>> {
    let mut client = remote.client();
    let info = tokio::time::timeout(remote.timeout, client.execute(sql, None))
        .await
        .map_err(|_| failed(&remote, ErrorCode::Unavailable, "no answer within the deadline".into()))?
        .map_err(|e| refused(&remote, e))?;
    let tickets: Vec<_> = info.endpoint.into_iter().filter_map(|e| e.ticket).collect();
    let stream = futures::stream::iter(tickets)
        .then(move |ticket| {
            let remote = remote.clone();
            async move {
                let batches = remote.client().do_get(ticket).await.map_err(|e| refused(&remote, e))?;
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
