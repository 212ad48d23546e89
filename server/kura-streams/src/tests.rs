//! The engine end to end on a SQLite catalog and a local store: appends, idempotency, commits,
//! snapshot and since reads, widening, compaction, and appends acknowledged by a process that
//! stopped, committed by another.

use std::sync::Arc;

use arrow::array::{AsArray, Float64Array, Int64Array, StringArray};
use arrow::datatypes::{DataType, Field, Float64Type, Int64Type, Schema};
use futures::TryStreamExt;
use kura_catalog::datasets::NewDataset;

use super::*;

struct World {
    dir: tempfile::TempDir,
    catalog: Catalog,
    store: ObjectStore,
    stream: stream_table::Model,
}

/// A policy that never commits on its own: tests commit with `flush`.
const MANUAL: CommitPolicy =
    CommitPolicy { rows: usize::MAX, interval_ms: 3_600_000, compact_files: 1000, backlog_bytes: u64::MAX };

async fn world() -> World {
    let dir = tempfile::tempdir().unwrap();
    let catalog =
        Catalog::connect(&format!("sqlite://{}?mode=rwc", dir.path().join("kura.db").display())).await.unwrap();
    catalog.migrate().await.unwrap();
    let store = ObjectStore::local(&dir.path().join("objects"), &dir.path().join("staging")).unwrap();
    let new = NewDataset {
        name: "lab".into(),
        title: "Lab".into(),
        description: String::new(),
        metadata: serde_json::json!({}),
        group_id: None,
    };
    let (dataset, _) = catalog.create_dataset(new).await.unwrap();
    let stream = catalog.ensure_stream_table(dataset.id, "temps").await.unwrap();
    World { dir, catalog, store, stream }
}

impl World {
    async fn open(&self, policy: CommitPolicy) -> Streams {
        Streams::open(self.catalog.clone(), self.store.clone(), policy).await.unwrap()
    }

    /// Another process on the same catalog and store.
    async fn other_process(&self, policy: CommitPolicy) -> Streams {
        let url = format!("sqlite://{}?mode=rwc", self.dir.path().join("kura.db").display());
        Streams::open(Catalog::connect(&url).await.unwrap(), self.store.clone(), policy).await.unwrap()
    }
}

fn temps(first: i64, n: i64) -> RecordBatch {
    let schema =
        Arc::new(Schema::new(vec![Field::new("i", DataType::Int64, false), Field::new("t", DataType::Float64, true)]));
    RecordBatch::try_new(
        schema,
        vec![
            Arc::new(Int64Array::from_iter_values(first..first + n)),
            Arc::new(Float64Array::from_iter_values((first..first + n).map(|i| i as f64 / 10.0))),
        ],
    )
    .unwrap()
}

fn append(writer: &str, sequence: i64, batch: RecordBatch) -> Append {
    Append {
        key: AppendKey { writer_id: writer.into(), sequence },
        provenance: BatchProvenance { run_id: Some("run-1".into()), ..Default::default() },
        appended_by: "user:test".into(),
        surface: "rest".into(),
        batch,
    }
}

async fn ids(streams: &Streams, stream: &stream_table::Model, request: ReadRequest) -> (i64, Vec<i64>) {
    let rows = streams.read(stream, request).await.unwrap();
    let batches: Vec<RecordBatch> = rows.batches.try_collect().await.unwrap();
    let ids = batches
        .iter()
        .flat_map(|b| b.column_by_name("i").unwrap().as_primitive::<Int64Type>().values().to_vec())
        .collect();
    (rows.snapshot, ids)
}

#[tokio::test]
async fn appends_commit_as_snapshots_read_at_a_snapshot_or_since_one() {
    let w = world().await;
    let streams = w.open(MANUAL).await;
    assert_eq!(ids(&streams, &w.stream, ReadRequest::default()).await, (0, vec![]));
    let done = streams.append(&w.stream, append("r", 1, temps(0, 3))).await.unwrap();
    assert_eq!(done, Appended { rows: 3, duplicate: false });
    // Acknowledged, not yet committed: readers see the last snapshot.
    assert_eq!(ids(&streams, &w.stream, ReadRequest::default()).await, (0, vec![]));
    assert_eq!(streams.flush(&w.stream).await.unwrap(), 1);
    streams.append(&w.stream, append("r", 2, temps(3, 2))).await.unwrap();
    assert_eq!(streams.flush(&w.stream).await.unwrap(), 2);

    assert_eq!(ids(&streams, &w.stream, ReadRequest::default()).await, (2, vec![0, 1, 2, 3, 4]));
    let at_one = ReadRequest { snapshot: Some(1), since: None };
    assert_eq!(ids(&streams, &w.stream, at_one).await, (1, vec![0, 1, 2]));
    let since_one = ReadRequest { snapshot: None, since: Some(1) };
    assert_eq!(ids(&streams, &w.stream, since_one).await, (2, vec![3, 4]));
    let future = streams.read(&w.stream, ReadRequest { snapshot: Some(9), since: None }).await.unwrap_err();
    assert!(matches!(future, StreamError::NotFound(_)), "{future}");

    let batches = w.catalog.stream_batches(w.stream.id, 0, 10).await.unwrap();
    assert_eq!(batches.len(), 2);
    assert_eq!(batches[1].snapshot, 2);
    assert_eq!(batches[1].provenance["run_id"], "run-1");
}

#[tokio::test]
async fn a_retried_append_is_applied_once_before_and_after_its_commit() {
    let w = world().await;
    let streams = w.open(MANUAL).await;
    streams.append(&w.stream, append("r", 7, temps(0, 2))).await.unwrap();
    let again = streams.append(&w.stream, append("r", 7, temps(0, 2))).await.unwrap();
    assert!(again.duplicate);
    streams.flush(&w.stream).await.unwrap();
    let later = streams.append(&w.stream, append("r", 7, temps(0, 2))).await.unwrap();
    assert!(later.duplicate);
    // Another writer's sequence 7 is another batch.
    assert!(!streams.append(&w.stream, append("other", 7, temps(2, 1))).await.unwrap().duplicate);
    streams.flush(&w.stream).await.unwrap();
    assert_eq!(ids(&streams, &w.stream, ReadRequest::default()).await.1, vec![0, 1, 2]);
}

#[tokio::test]
async fn widening_keeps_old_snapshots_narrow_and_refusals_write_nothing() {
    let w = world().await;
    let streams = w.open(MANUAL).await;
    streams.append(&w.stream, append("r", 1, temps(0, 2))).await.unwrap();
    streams.flush(&w.stream).await.unwrap();
    let wide = Arc::new(Schema::new(vec![
        Field::new("i", DataType::Int64, false),
        Field::new("t", DataType::Float64, true),
        Field::new("note", DataType::Utf8, true),
    ]));
    let batch = RecordBatch::try_new(
        wide,
        vec![
            Arc::new(Int64Array::from(vec![2])),
            Arc::new(Float64Array::from(vec![0.2])),
            Arc::new(StringArray::from(vec!["hot"])),
        ],
    )
    .unwrap();
    streams.append(&w.stream, append("r", 2, batch)).await.unwrap();
    let retyped = RecordBatch::try_new(
        Arc::new(Schema::new(vec![Field::new("t", DataType::Utf8, true)])),
        vec![Arc::new(StringArray::from(vec!["x"]))],
    )
    .unwrap();
    let refused = streams.append(&w.stream, append("r", 3, retyped)).await.unwrap_err();
    assert!(refused.to_string().contains("\"t\""), "{refused}");
    streams.flush(&w.stream).await.unwrap();

    let old = streams.read(&w.stream, ReadRequest { snapshot: Some(1), since: None }).await.unwrap();
    assert_eq!(old.schema.fields().len(), 2);
    let new = streams.read(&w.stream, ReadRequest::default()).await.unwrap();
    assert_eq!(new.schema.field(2).name(), "note");
    let batches: Vec<RecordBatch> = new.batches.try_collect().await.unwrap();
    let notes: Vec<Option<&str>> = batches.iter().flat_map(|b| b.column(2).as_string::<i32>().iter()).collect();
    assert_eq!(notes, vec![None, None, Some("hot")]);
    // The refused batch's key was not used up.
    assert!(!w.catalog.stream_batch_committed(w.stream.id, "r", 3).await.unwrap());
}

#[tokio::test]
async fn compaction_merges_files_without_changing_rows_or_snapshots() {
    let w = world().await;
    let streams = w.open(MANUAL).await;
    for s in 0..5 {
        streams.append(&w.stream, append("r", s, temps(s * 2, 2))).await.unwrap();
        streams.flush(&w.stream).await.unwrap();
    }
    let before: Vec<_> = futures::future::join_all(
        (1..=5).map(|s| ids(&streams, &w.stream, ReadRequest { snapshot: Some(s), since: Some(s - 1) })),
    )
    .await;
    assert_eq!(w.catalog.stream_files(w.stream.id).await.unwrap().len(), 5);
    assert!(streams.compact(&w.stream).await.unwrap());
    let files = w.catalog.stream_files(w.stream.id).await.unwrap();
    assert_eq!(files.len(), 1);
    assert_eq!((files[0].min_snapshot, files[0].max_snapshot, files[0].row_count), (1, 5, 10));
    let after: Vec<_> = futures::future::join_all(
        (1..=5).map(|s| ids(&streams, &w.stream, ReadRequest { snapshot: Some(s), since: Some(s - 1) })),
    )
    .await;
    assert_eq!(before, after);
    let at_three = ids(&streams, &w.stream, ReadRequest { snapshot: Some(3), since: None }).await;
    assert_eq!(at_three, (3, vec![0, 1, 2, 3, 4, 5]));
}

#[tokio::test]
async fn appends_acknowledged_by_a_stopped_process_are_committed_by_another_once() {
    let w = world().await;
    {
        let streams = w.open(MANUAL).await;
        streams.append(&w.stream, append("r", 1, temps(0, 2))).await.unwrap();
        streams.flush(&w.stream).await.unwrap();
        streams.append(&w.stream, append("r", 2, temps(2, 2))).await.unwrap();
        // Gone without committing sequence 2 ("kill -9"): it waits in the catalog and the store.
    }
    // The stopped process's commit lease runs out.
    <stream_table::Entity as sea_orm::EntityTrait>::update_many()
        .col_expr(stream_table::Column::CommitLeaseUntil, sea_orm::sea_query::Expr::value(Some(chrono::Utc::now())))
        .exec(w.catalog.connection())
        .await
        .unwrap();

    let other = w.other_process(MANUAL).await;
    // Its committer commits what waits on its own (it looks once at start).
    let mut latest = other.watch(&w.stream).await.unwrap();
    latest.wait_for(|s| *s >= 2).await.unwrap();
    assert_eq!(ids(&other, &w.stream, ReadRequest::default()).await, (2, vec![0, 1, 2, 3]));
    for sequence in [1, 2] {
        assert!(other.append(&w.stream, append("r", sequence, temps(0, 2))).await.unwrap().duplicate);
    }
    let t: Vec<RecordBatch> =
        other.read(&w.stream, ReadRequest::default()).await.unwrap().batches.try_collect().await.unwrap();
    assert_eq!(t[0].column_by_name("t").unwrap().as_primitive::<Float64Type>().value(1), 0.1);
}

#[tokio::test]
async fn two_processes_taking_the_same_append_apply_it_once() {
    let w = world().await;
    let (first, second) = (w.open(MANUAL).await, w.other_process(MANUAL).await);
    let (a, b) = tokio::join!(
        first.append(&w.stream, append("r", 7, temps(0, 3))),
        second.append(&w.stream, append("r", 7, temps(0, 3)))
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    assert!(a.duplicate != b.duplicate, "one applied, one a duplicate: {a:?} {b:?}");
    second.append(&w.stream, append("s", 1, temps(3, 1))).await.unwrap();
    // Either process commits all that waits; the other sees the snapshot.
    let snapshot = first.flush(&w.stream).await.unwrap();
    let mut seen = second.watch(&w.stream).await.unwrap();
    seen.wait_for(|s| *s >= snapshot).await.unwrap();
    assert_eq!(ids(&second, &w.stream, ReadRequest::default()).await, (snapshot, vec![0, 1, 2, 3]));
}

#[tokio::test]
async fn the_committer_commits_by_rows_on_its_own() {
    let w = world().await;
    let policy = CommitPolicy { rows: 4, interval_ms: 3_600_000, compact_files: 1000, backlog_bytes: u64::MAX };
    let streams = w.open(policy).await;
    let mut latest = streams.watch(&w.stream).await.unwrap();
    streams.append(&w.stream, append("r", 1, temps(0, 5))).await.unwrap();
    latest.wait_for(|s| *s >= 1).await.unwrap();
    assert_eq!(ids(&streams, &w.stream, ReadRequest::default()).await.1.len(), 5);
}

#[tokio::test]
async fn appends_are_refused_while_too_many_bytes_wait_and_taken_again_once_committed() {
    let w = world().await;
    let batch_bytes = crate::append::ipc_bytes(&temps(0, 2)).unwrap().len() as u64;
    let policy = CommitPolicy { rows: 2, interval_ms: 3_600_000, compact_files: 1000, backlog_bytes: 20 * batch_bytes };
    let streams = w.open(policy).await;
    // Another process holds the stream's commit lease and is not committing (stopped, say).
    let until = chrono::Utc::now() + chrono::Duration::hours(1);
    <stream_table::Entity as sea_orm::EntityTrait>::update_many()
        .col_expr(stream_table::Column::Committer, sea_orm::sea_query::Expr::value(Some("elsewhere".to_owned())))
        .col_expr(stream_table::Column::CommitLeaseUntil, sea_orm::sea_query::Expr::value(Some(until)))
        .exec(w.catalog.connection())
        .await
        .unwrap();
    // Twenty batches' bytes may wait; the next append is refused, nothing recorded.
    for sequence in 0..20 {
        streams.append(&w.stream, append("r", sequence, temps(sequence * 2, 2))).await.unwrap();
    }
    let refused = streams.append(&w.stream, append("r", 20, temps(40, 2))).await.unwrap_err();
    assert!(matches!(refused, StreamError::Behind), "{refused}");
    assert_eq!(kura_core::HasErrorCode::code(&refused), kura_core::ErrorCode::ResourceExhausted);
    // The lease passes: this process commits what waits, and the writer's retry is taken.
    <stream_table::Entity as sea_orm::EntityTrait>::update_many()
        .col_expr(stream_table::Column::CommitLeaseUntil, sea_orm::sea_query::Expr::value(Some(chrono::Utc::now())))
        .exec(w.catalog.connection())
        .await
        .unwrap();
    streams.flush(&w.stream).await.unwrap();
    assert!(!streams.append(&w.stream, append("r", 20, temps(40, 2))).await.unwrap().duplicate);
    let snapshot = streams.flush(&w.stream).await.unwrap();
    let (_, rows) = ids(&streams, &w.stream, ReadRequest { snapshot: Some(snapshot), since: None }).await;
    assert_eq!(rows, (0..42).collect::<Vec<_>>());
}
