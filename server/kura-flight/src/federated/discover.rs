//! What a partner shows the caller: the tables of its Flight SQL session, asked for with one
//! `CommandGetTables` (`include_schema`, catalog `kura`) under the token the partner gave the
//! caller. One round trip answers every table with its schema, where `ListFlights` and then
//! `GetSchema` per table would take one per table; the partner's answer is already what the
//! caller may read there, masked columns left out. Naming the partner's own catalog keeps the
//! partner from asking its own partners in turn.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

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

    /// A plain Flight client with the same headers, for the partner's table descriptors.
    pub fn flight_client(&self) -> arrow_flight::FlightClient {
        let mut client = arrow_flight::FlightClient::new(self.channel.clone());
        let mut headers = vec![(kura_federation::HOPS_HEADER, "1".to_owned())];
        if let Some(token) = &self.token {
            headers.push(("authorization", format!("Bearer {token}")));
        }
        for (key, value) in headers {
            // Both are valid header names and ASCII values (a token is base64url).
            if let Err(e) = client.add_header(key, &value) {
                tracing::warn!(peer = %self.peer, error = %e, "a header was not set for the partner");
            }
        }
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

/// Partners' answers, kept for [`KEEP`] by (peer, the caller's token there): planning a statement
/// (GetFlightInfo) and running it (DoGet) ask once. The owning node decides again on every
/// statement, so a table hidden meanwhile is refused there, never read.
#[derive(Debug, Default)]
pub struct Discoveries(Mutex<HashMap<(String, String), (Instant, Discovered)>>);

/// How long a partner's answer is kept.
pub const KEEP: Duration = Duration::from_secs(30);

/// Answers kept at most (the oldest go first).
const KEPT: usize = 1024;

impl Discoveries {
    fn get(&self, key: &(String, String)) -> Option<Discovered> {
        let kept = self.0.lock().unwrap_or_else(|e| e.into_inner());
        kept.get(key).filter(|(at, _)| at.elapsed() < KEEP).map(|(_, found)| found.clone())
    }

    fn put(&self, key: (String, String), found: Discovered) {
        let mut kept = self.0.lock().unwrap_or_else(|e| e.into_inner());
        kept.retain(|_, (at, _)| at.elapsed() < KEEP);
        if kept.len() >= KEPT
            && let Some(oldest) = kept.iter().min_by_key(|(_, (at, _))| *at).map(|(k, _)| k.clone())
        {
            kept.remove(&oldest);
        }
        kept.insert(key, (Instant::now(), found));
    }
}

/// Asks `peer` for the tables `principal` may read there (or takes its recent answer), within
/// `timeout`, reading at most `max_bytes` of the answer.
pub async fn discover(
    federation: &Federation,
    discoveries: &Discoveries,
    principal: &Principal,
    peer: &peer::Model,
    timeout: Duration,
    max_bytes: u64,
) -> Result<Discovered, NodeFailure> {
    let url = peer.flight_url.clone().ok_or_else(|| NodeFailure::Error("it offers no Flight endpoint".into()))?;
    let work = async {
        let token = federation.token_for(principal, peer).await?;
        let key = (peer.id.clone(), token.clone().unwrap_or_default());
        if let Some(found) = discoveries.get(&key) {
            return Ok(found);
        }
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
        let found = Discovered { remote: Arc::new(remote), tables };
        discoveries.put(key, found.clone());
        Ok(found)
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

/// The tables of a `CommandGetTables` answer in the partner's own catalog (rows of others are
/// skipped: a partner that ignores the catalog filter names nothing of its partners here).
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

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::datatypes::{DataType, Field};
    use arrow_flight::sql::metadata::GetTablesBuilder;

    #[test]
    fn only_the_partners_own_catalog_is_read_with_each_schema() {
        let schema = Schema::new(vec![Field::new("a", DataType::Float64, true)]);
        let mut answer = GetTablesBuilder::new(None::<String>, None::<String>, None::<String>, None::<String>, true);
        answer.append(CATALOG, "ds-open", "t", "TABLE", &schema).unwrap();
        answer.append("c", "elsewhere", "t", "TABLE", &schema).unwrap();
        let tables = parse(&answer.build().unwrap()).unwrap();
        assert_eq!(tables.len(), 1);
        assert_eq!((tables[0].dataset.as_str(), tables[0].table.as_str()), ("ds-open", "t"));
        assert_eq!(tables[0].schema.as_ref(), &schema);
        let without_schemas =
            GetTablesBuilder::new(None::<String>, None::<String>, None::<String>, None::<String>, false);
        assert!(parse(&without_schemas.build().unwrap()).is_err());
    }
}
