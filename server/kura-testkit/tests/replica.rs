//! PostgreSQL with a streaming replica (CI starts one with `tests/pg-start-replica` and sets
//! `KURA_TEST_REPLICA_URL`): anonymous reads come from the replica, and whoever signed in reads
//! the primary, so a writer always sees their own writes. Shown with the replica's replay
//! paused: what was just published is there for its publisher at once, for the public once the
//! replica has replayed it.

use std::time::Duration;

use sea_orm::{ConnectionTrait, Database};

/// The replica's URL for the database `primary` names (physical replication copies every database).
fn on_replica(primary: &str, replica: &str) -> String {
    let name = primary.rsplit('/').next().unwrap_or_default();
    let base = replica.rsplit_once('/').map(|(b, _)| b).unwrap_or(replica);
    format!("{base}/{name}")
}

/// Connects to `url`, waiting until the replica has replayed the database's creation.
async fn connect_when_replayed(url: &str) -> sea_orm::DatabaseConnection {
    for _ in 0..600 {
        if let Ok(db) = Database::connect(url).await {
            return db;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the replica never showed {url}");
}

#[tokio::test]
async fn anonymous_reads_come_from_the_replica_and_writers_read_their_own_writes() {
    let Some(replica) = std::env::var("KURA_TEST_REPLICA_URL").ok().filter(|u| !u.is_empty()) else {
        eprintln!("KURA_TEST_REPLICA_URL is not set: the replica test runs in CI (tests/pg-start-replica)");
        return;
    };
    let primary = kura_testkit::database_url().await.expect("KURA_TEST_DATABASE_URL names the primary");
    let read_url = on_replica(&primary, &replica);
    let standby = connect_when_replayed(&read_url).await;
    let app = kura_testkit::spawn_app_with(|config, _| {
        config.database_url = Some(primary.clone());
        config.database_read_url = Some(read_url.clone());
        config.database_read_max_connections = 4;
    })
    .await;
    app.described_dataset("before-pause", None, "open", true).await;
    let replayed = |name: &'static str| {
        let app = &app;
        async move {
            for _ in 0..600 {
                if app.get(&format!("/datasets/{name}")).await.status() == 200 {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            panic!("{name} never reached the public through the replica");
        }
    };
    replayed("before-pause").await;

    standby.execute_unprepared("SELECT pg_wal_replay_pause()").await.unwrap();
    app.described_dataset("while-paused", None, "open", true).await;
    assert_eq!(app.get_admin("/datasets/while-paused").await.status(), 200, "the publisher reads the primary");
    assert_eq!(app.get("/datasets/while-paused").await.status(), 404, "the public reads the paused replica");
    let listed: serde_json::Value = app.get("/datasets").await.json().await.unwrap();
    assert!(!listed.to_string().contains("while-paused"), "{listed}");

    standby.execute_unprepared("SELECT pg_wal_replay_resume()").await.unwrap();
    replayed("while-paused").await;
    app.assert_healthy().await;
}
