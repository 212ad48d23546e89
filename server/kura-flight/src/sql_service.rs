//! Flight SQL (arrow-flight's `FlightSqlService`): statements, prepared statements and the
//! metadata commands, each authenticating its caller and calling one function of [`crate::sql`].
//! Statement tickets and prepared-statement handles are Kura tickets (signed, bound to the
//! caller, short-lived), so DoGet of a statement is served by [`crate::server`] with the tables'.

use arrow::datatypes::Schema;
use arrow::ipc::writer::IpcWriteOptions;
use arrow::record_batch::RecordBatch;
use arrow_flight::flight_service_server::FlightService;
use arrow_flight::sql::metadata::{SqlInfoData, SqlInfoDataBuilder};
use arrow_flight::sql::server::FlightSqlService;
use arrow_flight::sql::{
    ActionClosePreparedStatementRequest, ActionCreatePreparedStatementRequest, ActionCreatePreparedStatementResult,
    CommandGetCatalogs, CommandGetDbSchemas, CommandGetSqlInfo, CommandGetTableTypes, CommandGetTables,
    CommandPreparedStatementQuery, CommandStatementQuery, ProstMessageExt, SqlInfo,
};
use arrow_flight::{FlightDescriptor, FlightEndpoint, FlightInfo, IpcMessage, SchemaAsIpc, Ticket};
use futures::StreamExt;
use prost::Message;
use std::sync::LazyLock;
use tonic::{Request, Response, Status};

use crate::error::FlightError;
use crate::ticket::Work;
use crate::{FlightContext, auth, sql};

/// The Flight SQL half of Kura's Flight service.
#[derive(Debug, Clone)]
pub struct SqlService {
    pub ctx: FlightContext,
}

static SQL_INFO: LazyLock<SqlInfoData> = LazyLock::new(|| {
    let mut b = SqlInfoDataBuilder::new();
    b.append(SqlInfo::FlightSqlServerName, "Kura");
    b.append(SqlInfo::FlightSqlServerVersion, env!("CARGO_PKG_VERSION"));
    b.append(SqlInfo::FlightSqlServerArrowVersion, "59");
    b.append(SqlInfo::FlightSqlServerReadOnly, true);
    b.append(SqlInfo::FlightSqlServerSql, true);
    b.append(SqlInfo::FlightSqlServerSubstrait, false);
    b.append(SqlInfo::FlightSqlServerTransaction, 0i32);
    b.append(SqlInfo::SqlDdlCatalog, false);
    b.append(SqlInfo::SqlDdlSchema, false);
    b.append(SqlInfo::SqlDdlTable, false);
    b.append(SqlInfo::SqlIdentifierQuoteChar, "\"");
    b.build().expect("static sql info")
});

fn schema_bytes(schema: &Schema) -> Result<bytes::Bytes, Status> {
    let message: IpcMessage = SchemaAsIpc::new(schema, &IpcWriteOptions::default())
        .try_into()
        .map_err(|e: arrow::error::ArrowError| FlightError::from(e).into_status())?;
    Ok(message.0)
}

impl SqlService {
    async fn statement_info(
        &self,
        request: &Request<FlightDescriptor>,
        query: &str,
    ) -> Result<Response<FlightInfo>, Status> {
        let principal = auth::principal(&self.ctx, request.metadata()).await?;
        let (_, df) = sql::plan(&self.ctx, &principal, query).await?;
        let schema = df.schema().as_arrow().clone();
        let ticket = self.ctx.tickets.sign(&principal.actor, Work::Sql { query: query.to_owned() }, now());
        let info = FlightInfo::new()
            .try_with_schema(&schema)
            .map_err(|e| FlightError::from(e).into_status())?
            .with_descriptor(request.get_ref().clone())
            .with_endpoint(FlightEndpoint::new().with_ticket(Ticket::new(ticket)))
            .with_total_records(-1)
            .with_total_bytes(-1);
        Ok(Response::new(info))
    }

    /// A FlightInfo whose ticket is the metadata command itself (answered by DoGet below).
    fn command_info(
        &self,
        command: impl ProstMessageExt,
        schema: &Schema,
        request: &Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        let ticket = Ticket::new(command.as_any().encode_to_vec());
        let info = FlightInfo::new()
            .try_with_schema(schema)
            .map_err(|e| FlightError::from(e).into_status())?
            .with_descriptor(request.get_ref().clone())
            .with_endpoint(FlightEndpoint::new().with_ticket(ticket));
        Ok(Response::new(info))
    }

    fn batch_stream(
        batch: Result<RecordBatch, arrow_flight::error::FlightError>,
    ) -> Result<Response<<Self as FlightService>::DoGetStream>, Status> {
        let batch = batch.map_err(Status::from)?;
        let stream = arrow_flight::encode::FlightDataEncoderBuilder::new()
            .with_schema(batch.schema())
            .build(futures::stream::once(async move { Ok(batch) }))
            .map(|r| r.map_err(Status::from));
        Ok(Response::new(stream.boxed()))
    }
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

#[tonic::async_trait]
impl FlightSqlService for SqlService {
    type FlightService = SqlService;

    async fn get_flight_info_statement(
        &self,
        query: CommandStatementQuery,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        self.statement_info(&request, &query.query).await
    }

    async fn get_flight_info_prepared_statement(
        &self,
        cmd: CommandPreparedStatementQuery,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        let principal = auth::principal(&self.ctx, request.metadata()).await?;
        match self.ctx.tickets.open(&cmd.prepared_statement_handle, &principal.actor, now())? {
            Work::Sql { query } => self.statement_info(&request, &query).await,
            Work::Table { .. } | Work::Stream { .. } => {
                Err(FlightError::invalid("not a prepared statement").into_status())
            }
        }
    }

    async fn do_action_create_prepared_statement(
        &self,
        query: ActionCreatePreparedStatementRequest,
        request: Request<arrow_flight::Action>,
    ) -> Result<ActionCreatePreparedStatementResult, Status> {
        let principal = auth::principal(&self.ctx, request.metadata()).await?;
        let (_, df) = sql::plan(&self.ctx, &principal, &query.query).await?;
        let schema = df.schema().as_arrow().clone();
        let handle = self.ctx.tickets.sign(&principal.actor, Work::Sql { query: query.query }, now());
        Ok(ActionCreatePreparedStatementResult {
            prepared_statement_handle: handle.into(),
            dataset_schema: schema_bytes(&schema)?,
            parameter_schema: schema_bytes(&Schema::empty())?,
        })
    }

    async fn do_action_close_prepared_statement(
        &self,
        _query: ActionClosePreparedStatementRequest,
        request: Request<arrow_flight::Action>,
    ) -> Result<(), Status> {
        auth::principal(&self.ctx, request.metadata()).await?;
        Ok(())
    }

    async fn get_flight_info_catalogs(
        &self,
        query: CommandGetCatalogs,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        auth::principal(&self.ctx, request.metadata()).await?;
        let schema = query.into_builder().schema();
        self.command_info(query, &schema, &request)
    }

    async fn do_get_catalogs(
        &self,
        query: CommandGetCatalogs,
        request: Request<Ticket>,
    ) -> Result<Response<<Self as FlightService>::DoGetStream>, Status> {
        let principal = auth::principal(&self.ctx, request.metadata()).await?;
        let session = sql::session(&self.ctx, &principal, &sql::wanted_by(None)).await?;
        let mut builder = query.into_builder();
        builder.append(sql::CATALOG);
        for (peer, _) in &session.peers.catalogs {
            builder.append(peer);
        }
        Self::batch_stream(builder.build())
    }

    async fn get_flight_info_schemas(
        &self,
        query: CommandGetDbSchemas,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        auth::principal(&self.ctx, request.metadata()).await?;
        let schema = query.clone().into_builder().schema();
        self.command_info(query, &schema, &request)
    }

    async fn do_get_schemas(
        &self,
        query: CommandGetDbSchemas,
        request: Request<Ticket>,
    ) -> Result<Response<<Self as FlightService>::DoGetStream>, Status> {
        let principal = auth::principal(&self.ctx, request.metadata()).await?;
        let session = sql::session(&self.ctx, &principal, &sql::wanted_by(query.catalog.as_deref())).await?;
        let mut builder = query.into_builder();
        let mut seen = std::collections::BTreeSet::new();
        for (schema, _, _) in &session.tables {
            if seen.insert((sql::CATALOG, schema.as_str())) {
                builder.append(sql::CATALOG, schema);
            }
        }
        for t in &session.peers.tables {
            if seen.insert((t.peer.as_str(), t.dataset.as_str())) {
                builder.append(&t.peer, &t.dataset);
            }
        }
        Self::batch_stream(builder.build())
    }

    async fn get_flight_info_tables(
        &self,
        query: CommandGetTables,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        auth::principal(&self.ctx, request.metadata()).await?;
        let schema = query.clone().into_builder().schema();
        self.command_info(query, &schema, &request)
    }

    async fn do_get_tables(
        &self,
        query: CommandGetTables,
        request: Request<Ticket>,
    ) -> Result<Response<<Self as FlightService>::DoGetStream>, Status> {
        let principal = auth::principal(&self.ctx, request.metadata()).await?;
        let session = sql::session(&self.ctx, &principal, &sql::wanted_by(query.catalog.as_deref())).await?;
        let include_schema = query.include_schema;
        // Only a partner's tables are asked for: no local schema is read.
        let local = query.catalog.as_deref().is_none_or(|c| c == sql::CATALOG);
        let mut builder = query.into_builder();
        for (schema, table, readable) in session.tables.iter().filter(|_| local) {
            let table_schema = if include_schema {
                sql::visible_schema(&self.ctx, readable).await?.as_ref().clone()
            } else {
                Schema::empty()
            };
            builder.append(sql::CATALOG, schema, table, "TABLE", &table_schema).map_err(Status::from)?;
        }
        for t in &session.peers.tables {
            let table_schema = if include_schema { t.schema.as_ref().clone() } else { Schema::empty() };
            builder.append(&t.peer, &t.dataset, &t.table, "TABLE", &table_schema).map_err(Status::from)?;
        }
        Self::batch_stream(builder.build())
    }

    async fn get_flight_info_table_types(
        &self,
        query: CommandGetTableTypes,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        auth::principal(&self.ctx, request.metadata()).await?;
        let schema = query.into_builder().schema();
        self.command_info(query, &schema, &request)
    }

    async fn do_get_table_types(
        &self,
        query: CommandGetTableTypes,
        request: Request<Ticket>,
    ) -> Result<Response<<Self as FlightService>::DoGetStream>, Status> {
        auth::principal(&self.ctx, request.metadata()).await?;
        let mut builder = query.into_builder();
        builder.append("TABLE");
        Self::batch_stream(builder.build())
    }

    async fn get_flight_info_sql_info(
        &self,
        query: CommandGetSqlInfo,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        auth::principal(&self.ctx, request.metadata()).await?;
        let schema = query.clone().into_builder(&SQL_INFO).schema();
        self.command_info(query, &schema, &request)
    }

    async fn do_get_sql_info(
        &self,
        query: CommandGetSqlInfo,
        request: Request<Ticket>,
    ) -> Result<Response<<Self as FlightService>::DoGetStream>, Status> {
        auth::principal(&self.ctx, request.metadata()).await?;
        Self::batch_stream(query.into_builder(&SQL_INFO).build())
    }

    async fn register_sql_info(&self, _id: i32, _result: &SqlInfo) {}
}
