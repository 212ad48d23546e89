//! Reading a file differently: `POST …/draft/ingest` with read parameters per file reads the
//! named raw files again and replaces their tables in the draft (issue 18 item 3).

mod common;

use common::spawn_app;
use serde_json::json;

#[tokio::test]
async fn read_parameters_read_a_file_again_and_replace_its_tables() {
    let app = spawn_app().await;
    app.create_dataset("reread").await;
    let csv = b"x;y\n1,5;2\n3,5;4\n".to_vec();
    assert_eq!(app.upload("reread", vec![("run.csv", csv)]).await.status(), 201);
    assert_eq!(app.ingest("reread").await["state"], "succeeded");
    let first = app.draft_tables("reread").await;
    assert_eq!(first.len(), 1, "{first:?}");
    assert_eq!((first[0].1, first[0].2.clone()), (2, vec!["x".to_owned(), "y".to_owned()]));

    // Read again as a file without a header line: three rows, generated names, one table.
    let job = app.ingest_with("reread", json!({"files": {"run.csv": {"header_line": 0}}})).await;
    assert_eq!(job["state"], "succeeded", "{job}");
    let again = app.draft_tables("reread").await;
    assert_eq!(again.len(), 1, "the file's table is replaced, not doubled: {again:?}");
    assert_eq!(again[0].1, 3, "{again:?}");

    // A file that is not in the draft, or a parameter that means nothing, is refused up front.
    let r = app.post_admin("/datasets/reread/draft/ingest", json!({"files": {"nope.csv": {}}})).await;
    assert_eq!(r.status(), 400);
    let r = app.post_admin("/datasets/reread/draft/ingest", json!({"files": {"run.csv": {"colour": "red"}}})).await;
    assert!(r.status().is_client_error());
    // A parameter the reader cannot use fails that file's job with the reason, and nothing else.
    let job = app.ingest_with("reread", json!({"files": {"run.csv": {"decimal": ";"}}})).await;
    let report = job["errors"].to_string();
    assert!(report.contains("decimal separator"), "{job}");
    assert_eq!(app.draft_tables("reread").await, again, "a failed reading keeps the one before");
    app.assert_healthy().await;
}
