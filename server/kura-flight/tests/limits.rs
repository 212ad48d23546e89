//! Flight SQL limits: a query beyond the memory pool or the time limit is RESOURCE_EXHAUSTED.

mod common;

use arrow_flight::error::FlightError as ClientError;
use arrow_flight::sql::client::FlightSqlServiceClient;
use futures::{StreamExt, TryStreamExt};
use tonic::Code;

async fn run(sql: &mut FlightSqlServiceClient<tonic::transport::Channel>, query: &str) -> Result<usize, ClientError> {
    let info = sql.execute(query.into(), None).await?;
    let mut rows = 0;
    for e in info.endpoint {
        let batches: Vec<arrow::record_batch::RecordBatch> = sql.do_get(e.ticket.unwrap()).await?.try_collect().await?;
        rows += batches.iter().map(|b| b.num_rows()).sum::<usize>();
    }
    Ok(rows)
}

fn code(e: &ClientError) -> Code {
    match e {
        ClientError::Tonic(s) => s.code(),
        other => panic!("not a status: {other:?}"),
    }
}

// Several worker threads, as in `kura serve`: a query computing without yielding occupies one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queries_beyond_memory_or_time_are_resource_exhausted() {
    let app = common::spawn_app_with(kura_flight::SqlLimits {
        time: std::time::Duration::from_secs(2),
        memory_bytes: 4 << 20,
        per_caller: 2,
    })
    .await;
    let mut sql = FlightSqlServiceClient::new(app.channel().await);
    sql.set_token(app.token.clone());
    assert_eq!(run(&mut sql, "SELECT 1").await.unwrap(), 1);
    let e = run(&mut sql, "SELECT v FROM generate_series(1, 3000000) t(v) ORDER BY v DESC").await.unwrap_err();
    assert_eq!(code(&e), Code::ResourceExhausted, "{e:?}");
    let started = std::time::Instant::now();
    let e = run(
        &mut sql,
        "SELECT count(*) FROM generate_series(1, 100000) a(x) CROSS JOIN generate_series(1, 100000) b(y) WHERE x + y = 0",
    )
    .await
    .unwrap_err();
    assert_eq!(code(&e), Code::ResourceExhausted, "{e:?}");
    assert!(started.elapsed() < std::time::Duration::from_secs(10), "the time limit is kept: {:?}", started.elapsed());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_caller_runs_at_most_its_share_of_queries_at_once() {
    let app = common::spawn_app_with(kura_flight::SqlLimits {
        time: std::time::Duration::from_secs(60),
        memory_bytes: 256 << 20,
        per_caller: 1,
    })
    .await;
    let mut sql = FlightSqlServiceClient::new(app.channel().await);
    sql.set_token(app.token.clone());
    // A long query, held open after its first batch.
    let info = sql.execute("SELECT v FROM generate_series(1, 100000000) t(v)".into(), None).await.unwrap();
    let mut held = sql.do_get(info.endpoint[0].ticket.clone().unwrap()).await.unwrap();
    assert!(held.next().await.unwrap().is_ok());
    let e = run(&mut sql, "SELECT 1").await.unwrap_err();
    assert_eq!(code(&e), Code::ResourceExhausted, "{e:?}");
    // The limit is per caller: someone else (here anonymous) still runs queries.
    let mut anonymous = FlightSqlServiceClient::new(app.channel().await);
    assert_eq!(run(&mut anonymous, "SELECT 1").await.unwrap(), 1, "another caller is not held up");
    // The slot comes back once the stream is gone (the server notices the cancelled call).
    drop(held);
    let mut freed = false;
    for _ in 0..200 {
        if run(&mut sql, "SELECT 1").await.is_ok() {
            freed = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(freed, "the caller's slot was never given back");
}
