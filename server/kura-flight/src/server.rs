//! The tonic service: every call authenticates, then calls one service function and maps the
//! result. Plain Flight (table descriptors and Kura tickets) is answered here; Flight SQL
//! commands go to [`SqlService`].

use std::pin::Pin;

use arrow_flight::flight_service_server::FlightService;
use arrow_flight::sql::{Any, Command};
use arrow_flight::{
    Action, ActionType, Criteria, Empty, FlightData, FlightDescriptor, FlightInfo, HandshakeRequest, HandshakeResponse,
    PollInfo, PutResult, SchemaAsIpc, SchemaResult, Ticket,
};
use futures::{Stream, StreamExt, TryStreamExt};
use prost::Message;
use tonic::{Request, Response, Status, Streaming};

use crate::error::FlightError;
use crate::sql_service::SqlService;
use crate::ticket::{PREFIX, Work};
use crate::{FlightContext, auth, sql, streams, tables};

type Boxed<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send + 'static>>;

/// Kura's Flight service: plain Flight over tables, and Flight SQL.
#[derive(Debug, Clone)]
pub struct KuraFlight {
    ctx: FlightContext,
    sql: SqlService,
}

impl KuraFlight {
    pub fn new(ctx: FlightContext) -> Self {
        KuraFlight { sql: SqlService { ctx: ctx.clone() }, ctx }
    }

    /// The process's metrics (DoGet counts the bytes it sends).
    pub(crate) fn metrics(&self) -> &kura_service::metrics::Metrics {
        &self.ctx.metrics
    }
}

/// Whether a descriptor names a table (a path, or a JSON command) rather than a Flight SQL command.
fn is_table_descriptor(d: &FlightDescriptor) -> bool {
    !d.path.is_empty() || d.cmd.first() == Some(&b'{')
}

fn encode(
    schema: arrow::datatypes::SchemaRef,
    batches: futures::stream::BoxStream<'static, Result<arrow::record_batch::RecordBatch, FlightError>>,
) -> Boxed<FlightData> {
    let batches = batches.map_err(|e| arrow_flight::error::FlightError::Tonic(Box::new(e.into_status())));
    arrow_flight::encode::FlightDataEncoderBuilder::new()
        .with_schema(schema)
        .build(batches)
        .map_err(Status::from)
        .boxed()
}

#[tonic::async_trait]
impl FlightService for KuraFlight {
    type HandshakeStream = Boxed<HandshakeResponse>;
    type ListFlightsStream = Boxed<FlightInfo>;
    type DoGetStream = Boxed<FlightData>;
    type DoPutStream = Boxed<PutResult>;
    type DoActionStream = Boxed<arrow_flight::Result>;
    type ListActionsStream = Boxed<ActionType>;
    type DoExchangeStream = Boxed<FlightData>;

    async fn handshake(
        &self,
        request: Request<Streaming<HandshakeRequest>>,
    ) -> Result<Response<Self::HandshakeStream>, Status> {
        let address = request.remote_addr().map(|a| a.ip());
        let metadata = request.metadata().clone();
        let mut incoming = request.into_inner();
        // The payload is optional: pyarrow and ADBC send Basic credentials in the header only.
        let first = if metadata.get("authorization").is_some() { None } else { incoming.message().await? };
        let payload = first.map(|m| m.payload).unwrap_or_default();
        let token = auth::handshake(&self.ctx, &metadata, &payload, address).await?;
        let response = HandshakeResponse { protocol_version: 0, payload: token.clone().into() };
        let mut response =
            Response::new(futures::stream::once(async move { Ok(response) }).boxed() as Self::HandshakeStream);
        let value =
            format!("Bearer {token}").parse().map_err(|_| FlightError::internal("token is not a header value"))?;
        response.metadata_mut().insert("authorization", value);
        Ok(response)
    }

    async fn list_flights(&self, request: Request<Criteria>) -> Result<Response<Self::ListFlightsStream>, Status> {
        let principal = auth::principal(&self.ctx, request.metadata()).await?;
        let mut infos = tables::list(&self.ctx, &principal, &request.get_ref().expression).await?;
        let dataset = std::str::from_utf8(&request.get_ref().expression).unwrap_or("").trim();
        infos.extend(streams::list(&self.ctx, &principal, (!dataset.is_empty()).then_some(dataset)).await?);
        Ok(Response::new(futures::stream::iter(infos.into_iter().map(Ok)).boxed()))
    }

    async fn get_flight_info(&self, request: Request<FlightDescriptor>) -> Result<Response<FlightInfo>, Status> {
        if !is_table_descriptor(request.get_ref()) {
            return FlightService::get_flight_info(&self.sql, request).await;
        }
        let principal = auth::principal(&self.ctx, request.metadata()).await?;
        if let Some(command) = streams::StreamCommand::from_descriptor(request.get_ref()) {
            return Ok(Response::new(streams::info(&self.ctx, &principal, command, request.get_ref()).await?));
        }
        Ok(Response::new(tables::info(&self.ctx, &principal, request.get_ref()).await?))
    }

    async fn poll_flight_info(&self, _request: Request<FlightDescriptor>) -> Result<Response<PollInfo>, Status> {
        Err(Status::unimplemented("PollFlightInfo: use GetFlightInfo"))
    }

    async fn get_schema(&self, request: Request<FlightDescriptor>) -> Result<Response<SchemaResult>, Status> {
        let principal = auth::principal(&self.ctx, request.metadata()).await?;
        let d = request.get_ref();
        let schema = if let Some(command) = streams::StreamCommand::from_descriptor(d) {
            streams::schema(&self.ctx, &principal, command).await?.as_ref().clone()
        } else if is_table_descriptor(d) {
            tables::schema(&self.ctx, &principal, d).await?
        } else {
            let any = Any::decode(&*d.cmd).map_err(|_| FlightError::invalid("unknown descriptor"))?;
            match Command::try_from(any).map_err(|_| FlightError::invalid("unknown descriptor"))? {
                Command::CommandStatementQuery(q) => {
                    sql::plan(&self.ctx, &principal, &q.query).await?.1.schema().as_arrow().clone()
                }
                _ => return Err(FlightError::invalid("GetSchema takes a table or a SQL statement").into()),
            }
        };
        let options = arrow::ipc::writer::IpcWriteOptions::default();
        let result: SchemaResult = SchemaAsIpc::new(&schema, &options)
            .try_into()
            .map_err(|e: arrow::error::ArrowError| FlightError::from(e))?;
        Ok(Response::new(result))
    }

    async fn do_get(&self, request: Request<Ticket>) -> Result<Response<Self::DoGetStream>, Status> {
        if !request.get_ref().ticket.starts_with(PREFIX) {
            return FlightService::do_get(&self.sql, request).await;
        }
        let principal = auth::principal(&self.ctx, request.metadata()).await?;
        let now = chrono::Utc::now().timestamp();
        let work = self.ctx.tickets.open(&request.get_ref().ticket, &principal.actor, now)?;
        let rows = match work {
            Work::Sql { query } => {
                let (schema, batches) = sql::execute(&self.ctx, &principal, &query).await?;
                tables::Rows::Batches(schema, batches)
            }
            stream @ Work::Stream { .. } => {
                let (schema, batches) = streams::read(&self.ctx, &principal, stream).await?;
                tables::Rows::Batches(schema, batches)
            }
            table => tables::read(&self.ctx, &principal, table).await?,
        };
        Ok(Response::new(match rows {
            tables::Rows::Batches(schema, batches) => encode(schema, batches),
            tables::Rows::Encoded(messages) => messages.map_err(FlightError::into_status).boxed(),
        }))
    }

    async fn do_put(&self, request: Request<Streaming<FlightData>>) -> Result<Response<Self::DoPutStream>, Status> {
        let principal = auth::principal(&self.ctx, request.metadata()).await?;
        let metadata = request.metadata().clone();
        Ok(Response::new(streams::put(&self.ctx, &principal, &metadata, request.into_inner()).await?))
    }

    async fn do_action(&self, request: Request<Action>) -> Result<Response<Self::DoActionStream>, Status> {
        FlightService::do_action(&self.sql, request).await
    }

    async fn list_actions(&self, request: Request<Empty>) -> Result<Response<Self::ListActionsStream>, Status> {
        FlightService::list_actions(&self.sql, request).await
    }

    async fn do_exchange(
        &self,
        _request: Request<Streaming<FlightData>>,
    ) -> Result<Response<Self::DoExchangeStream>, Status> {
        Err(Status::unimplemented("DoExchange is not offered"))
    }
}
