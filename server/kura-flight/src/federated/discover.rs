//! What a partner shows the caller: the tables of its Flight SQL session, asked for with one
//! `CommandGetTables` (`include_schema`, catalog `kura`) under the token the partner gave the
//! caller. One round trip answers every table with its schema, where `ListFlights` and then
//! `GetSchema` per table would take one per table; the partner's answer is already what the
//! caller may read there, masked columns left out. Naming the partner's own catalog keeps the
//! partner from asking its own partners in turn.

use std::sync::Arc;
use std::time::Duration;

use arrow::array::{Array, AsArray};
use arrow::datatypes::{Schema, SchemaRef};
use arrow::record_batch::RecordBatch;
use arrow_flight::IpcMessage;
use arrow_flight::sql::CommandGetTables;
use arrow_flight::sql::client::FlightSqlServiceClient;
use futures::TryStreamExt;
use kura_catalog::entity::peer;
use kura_core::Principal;
use kura_federation::{Federation, NodeFailure};
use tonic::transport::{Channel, Endpoint};

use crate::sql::CATALOG;

/// A connection to a partner's Flight server as one caller: the channel and the caller's token there.
#[derive(Debug, Clone)]
pub struct Remote {
    /// The partner's node id.
    pub peer: String,
    channel: Channel,
    token: Option<String>,
    /// The federation deadline: how long planning a query at the partner may take.
    pub timeout: Duration,
}

impl Remote {
    /// A Flight SQL client sending the caller's token (none: anonymous there too).
    pub fn client(&self) -> FlightSqlServiceClient<Channel> {
        let mut client = FlightSqlServiceClient::new(self.channel.clone());
        if let Some(token) = &self.token {
            client.set_header("authorization", format!("Bearer {token}"));
        }
        client.set_header(kura_federation::HOPS_HEADER, "1");
        client
    }
}

/// One table of a partner.
#[derive(Debug, Clone)]
pub struct RemoteTable {
    pub dataset: String,
    pub table: String,
    pub schema: SchemaRef,
}

/// A partner that answered: how to reach it and its tables the caller may read.
#[derive(Debug, Clone)]
pub struct Discovered {
    pub remote: Arc<Remote>,
    pub tables: Vec<RemoteTable>,
}

/// Asks `peer` for the tables `principal` may read there, within `timeout`, reading at most
/// `max_bytes` of the answer.
pub async fn discover(
    federation: &Federation,
    principal: &Principal,
    peer: &peer::Model,
    timeout: Duration,
    max_bytes: u64,
) -> Result<Discovered, NodeFailure> {
    let url = peer.flight_url.clone().ok_or_else(|| NodeFailure::Error("it offers no Flight endpoint".into()))?;
    let work = async {
        let token = federation.token_for(principal, peer).await?;
        let channel = Endpoint::from_shared(url.clone())
            .map_err(|e| NodeFailure::Error(format!("{url:?} is not a Flight endpoint: {e}")))?
            .connect_timeout(timeout)
            .connect()
            .await
            .map_err(|e| NodeFailure::Error(format!("unreachable: {e}")))?;
        let remote = Remote { peer: peer.id.clone(), channel, token, timeout };
        let mut client = remote.client();
        let command = CommandGetTables {
            catalog: Some(CATALOG.to_owned()),
            db_schema_filter_pattern: None,
            table_name_filter_pattern: None,
            table_types: Vec::new(),
            include_schema: true,
        };
        let info = client.get_tables(command).await.map_err(node_failure)?;
        let mut tables = Vec::new();
        let mut read = 0u64;
        for endpoint in info.endpoint {
            let ticket = endpoint.ticket.ok_or_else(|| NodeFailure::Error("an endpoint without a ticket".into()))?;
            let mut batches = client.do_get(ticket).await.map_err(node_failure)?;
            while let Some(batch) = batches.try_next().await.map_err(node_failure)? {
                read += batch.get_array_memory_size() as u64;
                if read > max_bytes {
                    return Err(NodeFailure::Error(format!("the answer is larger than {max_bytes} bytes")));
                }
                tables.extend(parse(&batch)?);
            }
        }
        Ok(Discovered { remote: Arc::new(remote), tables })
    };
    let millis = u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX);
    tokio::time::timeout(timeout, work).await.unwrap_or(Err(NodeFailure::Timeout(millis)))
}

/// A refusal of the partner (the token expired, was revoked) or another failure.
pub fn node_failure(e: arrow_flight::error::FlightError) -> NodeFailure {
    match &e {
        arrow_flight::error::FlightError::Tonic(status)
            if matches!(status.code(), tonic::Code::Unauthenticated | tonic::Code::PermissionDenied) =>
        {
            NodeFailure::Refused(status.message().to_owned())
        }
        arrow_flight::error::FlightError::Tonic(status) => {
            NodeFailure::Error(format!("{:?}: {}", status.code(), status.message()))
        }
        other => NodeFailure::Error(other.to_string()),
    }
}

/// The tables of a `CommandGetTables` answer in the partner's own catalog.
fn parse(batch: &RecordBatch) -> Result<Vec<RemoteTable>, NodeFailure> {
    let malformed = |what: &str| NodeFailure::Error(format!("the table list has no {what}"));
    let strings = |name: &str| {
        batch.column_by_name(name).and_then(|c| c.as_string_opt::<i32>().cloned()).ok_or_else(|| malformed(name))
    };
    let (catalogs, datasets, names) = (strings("catalog_name")?, strings("db_schema_name")?, strings("table_name")?);
    let schemas = batch
        .column_by_name("table_schema")
        .and_then(|c| c.as_binary_opt::<i32>().cloned())
        .ok_or_else(|| malformed("table_schema"))?;
    let mut tables = Vec::new();
    for row in 0..batch.num_rows() {
        if catalogs.is_null(row) || catalogs.value(row) != CATALOG {
            continue;
        }
        let schema = Schema::try_from(IpcMessage(bytes::Bytes::copy_from_slice(schemas.value(row))))
            .map_err(|e| NodeFailure::Error(format!("a table schema does not parse: {e}")))?;
        tables.push(RemoteTable {
            dataset: datasets.value(row).to_owned(),
            table: names.value(row).to_owned(),
            schema: Arc::new(schema),
        });
    }
    Ok(tables)
}
