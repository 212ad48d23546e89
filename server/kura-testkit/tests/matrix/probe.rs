//! Asking one surface as one actor: HTTP (REST, FAIR, portal, OAI-PMH, SPARQL) with `reqwest`,
//! Flight and Flight SQL with `arrow_flight`'s clients, as users do. Every answer is an HTTP status
//! or a gRPC code, and a body as searchable text (archives and Parquet decoded, record batches
//! printed, errors' messages).

use arrow::record_batch::RecordBatch;
use arrow::util::pretty::pretty_format_batches;
use arrow_flight::error::FlightError as ClientError;
use arrow_flight::sql::client::FlightSqlServiceClient;
use arrow_flight::{FlightClient, FlightDescriptor, FlightInfo, Ticket};
use futures::TryStreamExt;
use kura_core::ErrorCode;
use kura_flight::ticket::{TicketKey, Work};
use kura_testkit::readable::readable;
use kura_testkit::world::World;
use serde_json::{Value, json};

/// What a surface answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    Http(u16),
    /// A gRPC status code (0 for OK).
    Grpc(i32),
}

impl Answer {
    /// Whether this is what the row wants, given as the HTTP status (a gRPC answer must carry
    /// the code `kura_core::ErrorCode` maps that status to: REST and Flight say the same thing).
    pub fn is(self, want: u16) -> bool {
        match self {
            Answer::Http(status) => status == want,
            Answer::Grpc(code) => code == grpc_of(want),
        }
    }

    /// Whether the request succeeded.
    pub fn succeeded(self) -> bool {
        matches!(self, Answer::Http(200..=299) | Answer::Grpc(0))
    }
}

impl std::fmt::Display for Answer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Answer::Http(status) => write!(f, "{status}"),
            Answer::Grpc(code) => write!(f, "gRPC {code}"),
        }
    }
}

/// The gRPC code of the failure that HTTP answers with `status` (0 for success).
pub fn grpc_of(status: u16) -> i32 {
    use ErrorCode::*;
    let codes = [BadRequest, Unauthenticated, Forbidden, NotFound, Conflict, Gone, NotAcceptable, Unprocessable];
    match codes.into_iter().find(|c| c.http_status() == status) {
        Some(code) => code.grpc_code(),
        None if status < 300 => 0,
        None => panic!("no gRPC code for HTTP {status}"),
    }
}

/// `DELTA share/schema/table`: a Delta Sharing query as `actor`, then (when it succeeds) the
/// download of its file URL, as sharing clients do it, without credentials.
async fn delta_sharing_file(world: &World, actor: &str, path: &str) -> (Answer, String) {
    let app = &world.app;
    let parts: Vec<&str> = path.split('/').collect();
    let url = format!("{}/delta-sharing/shares/{}/schemas/{}/tables/{}/query", app.base, parts[0], parts[1], parts[2]);
    let mut request = app.client.post(url).json(&json!({}));
    if let Some(token) = world.token(actor) {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("request");
    let status = response.status().as_u16();
    let text = response.text().await.unwrap_or_default();
    if status != 200 {
        return (Answer::Http(status), text);
    }
    let file: Value = serde_json::from_str(text.lines().nth(2).expect("a file line")).expect("a JSON line");
    let url = file["file"]["url"].as_str().expect("a file URL");
    let response = app.client.get(url).send().await.expect("download");
    let status = response.status().as_u16();
    (Answer::Http(status), format!("{text}\n{}", readable(&response.bytes().await.unwrap_or_default())))
}

/// Asks `path` with `method` as `actor`. `FLIGHT` calls the Flight operation named by the path
/// (`GetFlightInfo {dataset}/{version}/{table}[?columns=…]`, `GetSchema …`, `DoGet …`,
/// `ListFlights`, `SQL {query}`); other methods are HTTP, where `~/…` is a path at the site
/// root and anything else is under `/api/v1`. A `body` that is a JSON string is sent as a
/// portal form (urlencoded).
pub async fn ask(world: &World, actor: &str, method: &str, path: &str, body: Option<Value>) -> (Answer, String) {
    if method == "FLIGHT" {
        let (code, text) = flight(world, actor, path).await;
        return (Answer::Grpc(code), text);
    }
    if method == "DELTA" {
        return delta_sharing_file(world, actor, path).await;
    }
    let app = &world.app;
    let url = match path.strip_prefix('~') {
        Some(root) => format!("{}{root}", app.base),
        None => app.url(path),
    };
    let mut request = match method {
        "GET" => app.client.get(&url),
        "POST" => app.client.post(&url),
        "PUT" => app.client.put(&url),
        "PATCH" => app.client.patch(&url),
        other => panic!("unknown method {other}"),
    };
    if let Some(token) = world.token(actor) {
        request = request.bearer_auth(token);
    }
    // A string is a portal form (urlencoded), anything else JSON.
    match body {
        Some(Value::String(form)) => {
            request = request.header("content-type", "application/x-www-form-urlencoded").body(form);
        }
        Some(body) => request = request.json(&body),
        None => {}
    }
    let response = request.send().await.expect("request");
    let status = response.status().as_u16();
    let text = readable(&response.bytes().await.unwrap_or_default());
    // OAI-PMH answers its errors inside a 200: a record that does not exist is its 404.
    if path.starts_with("~/oai?") && status == 200 && text.contains("code=\"idDoesNotExist\"") {
        return (Answer::Http(404), text);
    }
    (Answer::Http(status), text)
}

async fn flight(world: &World, actor: &str, call: &str) -> (i32, String) {
    let (op, target) = call.split_once(' ').unwrap_or((call, ""));
    let token = world.token(actor);
    let mut client = world.app.flight_client(token).await;
    let answer = match op {
        "ListFlights" => list_flights(&mut client).await,
        "GetFlightInfo" => client.get_flight_info(descriptor(target)).await.map(|info| info_text(&info)),
        "GetSchema" => client.get_schema(descriptor(target)).await.map(|schema| format!("{schema:?}")),
        "DoGet" => do_get(world, actor, &mut client, target).await,
        "SQL" => sql(world, token, target).await,
        other => panic!("unknown Flight operation {other}"),
    };
    match answer {
        Ok(text) => (0, text),
        Err(ClientError::Tonic(status)) => (status.code() as i32, status.message().to_owned()),
        Err(other) => panic!("{actor} {call}: not a gRPC status: {other:?}"),
    }
}

/// `dataset/version/table` as a path descriptor, or with `?columns=a,b` as a command.
fn descriptor(target: &str) -> FlightDescriptor {
    let (path, columns) = target.split_once("?columns=").map_or((target, None), |(p, c)| (p, Some(c)));
    let parts: Vec<String> = path.split('/').map(String::from).collect();
    match columns {
        None => FlightDescriptor::new_path(parts),
        Some(columns) => {
            let columns: Vec<&str> = columns.split(',').collect();
            let cmd = json!({"dataset": parts[0], "version": parts[1], "table": parts[2], "columns": columns});
            FlightDescriptor::new_cmd(cmd.to_string())
        }
    }
}

fn info_text(info: &FlightInfo) -> String {
    let schema = info.clone().try_decode_schema().map(|s| format!("{s:?}")).unwrap_or_default();
    format!("{:?} records {} schema {schema}", info.flight_descriptor, info.total_records)
}

async fn list_flights(client: &mut FlightClient) -> Result<String, ClientError> {
    let infos: Vec<FlightInfo> = client.list_flights("").await?.try_collect().await?;
    Ok(infos.iter().map(info_text).collect::<Vec<_>>().join("\n"))
}

/// DoGet with the tickets GetFlightInfo hands out; where it refuses, with a ticket signed for
/// this actor (as a ticket from a moment ago would be), so that DoGet decides for itself.
async fn do_get(world: &World, actor: &str, client: &mut FlightClient, target: &str) -> Result<String, ClientError> {
    let tickets = match client.get_flight_info(descriptor(target)).await {
        Ok(info) => info.endpoint.iter().map(|e| e.ticket.clone().expect("ticket")).collect(),
        Err(_) => {
            let key_file = world.app.state.config.data_dir.join("keys/flight-tickets.key");
            let key = TicketKey::load_or_create(&key_file).expect("ticket key");
            let parts: Vec<&str> = target.split('/').collect();
            let work = Work::Table {
                dataset: parts[0].into(),
                version: parts[1].parse().expect("a version number"),
                table: parts[2].into(),
                columns: None,
                filter: None,
                limit: None,
                row_groups: (0, 1),
            };
            let now = chrono::Utc::now().timestamp();
            vec![Ticket::new(key.sign(&world.principal(actor), work, now))]
        }
    };
    let mut batches: Vec<RecordBatch> = Vec::new();
    for ticket in tickets {
        batches.extend(client.do_get(ticket).await?.try_collect::<Vec<_>>().await?);
    }
    Ok(batches_text(&batches))
}

async fn sql(world: &World, token: Option<&str>, query: &str) -> Result<String, ClientError> {
    let mut client = FlightSqlServiceClient::new(world.app.channel().await);
    if let Some(token) = token {
        client.set_token(token.to_owned());
    }
    let info = client.execute(query.to_owned(), None).await?;
    let mut batches: Vec<RecordBatch> = Vec::new();
    for endpoint in &info.endpoint {
        let stream = client.do_get(endpoint.ticket.clone().expect("ticket")).await?;
        batches.extend(stream.try_collect::<Vec<_>>().await?);
    }
    Ok(format!("{}\n{}", info_text(&info), batches_text(&batches)))
}

fn batches_text(batches: &[RecordBatch]) -> String {
    let schema = batches.first().map(|b| format!("{:?}", b.schema())).unwrap_or_default();
    format!("{schema}\n{}", pretty_format_batches(batches).map(|t| t.to_string()).unwrap_or_default())
}
