//! The object store on a real S3-compatible server (CI starts `moto_server` on loopback and sets
//! `KURA_TEST_S3_ENDPOINT`, e.g. `http://127.0.0.1:9000`). Without it these tests say so and
//! pass, as the PostgreSQL tests do without `KURA_TEST_DATABASE_URL`.

use std::collections::HashSet;
use std::time::Duration;

use bytes::Bytes;
use futures::TryStreamExt;
use kura_storage::{ObjectStore, S3Settings};

/// The endpoint, or `None` (and a note) when no S3 server is configured.
fn endpoint() -> Option<String> {
    let endpoint = std::env::var("KURA_TEST_S3_ENDPOINT").ok().filter(|e| !e.is_empty());
    if endpoint.is_none() {
        eprintln!("KURA_TEST_S3_ENDPOINT is not set: the S3 tests run in CI (.ci/run starts moto_server)");
    }
    endpoint
}

/// A fresh bucket on the server (created with a plain PUT; the test server takes any credentials).
async fn bucket(endpoint: &str) -> S3Settings {
    let name = format!("kura-test-{}", uuid::Uuid::new_v4().simple());
    let created = reqwest::Client::new().put(format!("{endpoint}/{name}")).send().await.expect("create bucket");
    assert!(created.status().is_success(), "create bucket: {}", created.status());
    S3Settings {
        bucket: name,
        prefix: Some("node-a/".into()),
        endpoint: Some(endpoint.to_owned()),
        region: Some("us-east-1".into()),
        access_key_id: Some("kura-test".into()),
        secret_access_key: Some("kura-test-secret".into()),
        allow_http: true,
        path_style: true,
    }
}

#[tokio::test]
async fn objects_are_written_read_ranged_and_collected_on_s3() {
    let Some(endpoint) = endpoint() else { return };
    let settings = bucket(&endpoint).await;
    let dir = tempfile::tempdir().unwrap();
    let store = ObjectStore::s3(&settings, &dir.path().join("staging")).await.expect("open the bucket");

    // A small object: one PUT; read back byte for byte.
    let small = store.put_bytes(Bytes::from_static(b"hello s3")).await.unwrap();
    assert!(store.exists(&small.sha256).await.unwrap());
    let read: Vec<Bytes> = store.get_stream(&small.sha256).await.unwrap().try_collect().await.unwrap();
    assert_eq!(read.concat(), b"hello s3");
    assert_eq!(store.local_path(&small.sha256).unwrap(), None, "no local file behind an S3 object");

    // A large object goes up in parts (S3 refuses parts under 5 MiB but the last).
    let big: Vec<u8> = (0..40u32 << 20).map(|i| (i % 251) as u8).collect();
    let chunks = futures::stream::iter(big.chunks(3 << 20).map(|c| Ok::<_, std::io::Error>(Bytes::copy_from_slice(c))));
    let staged = store.stage(Box::pin(chunks), u64::MAX).await.unwrap();
    let stored = store.commit(staged).await.unwrap();
    assert_eq!(stored.size, big.len() as u64);
    let target = dir.path().join("download");
    store.download_to(&stored.sha256, &target).await.unwrap();
    assert!(std::fs::read(&target).unwrap() == big, "the multipart object reads back exactly");
    // Ranged reads (how Parquet and Flight read): the bytes at an offset.
    let path = ObjectStore::path_of(&stored.sha256).unwrap();
    let range =
        object_store::ObjectStoreExt::get_range(store.backend().as_ref(), &path, 33_554_430..33_554_440).await.unwrap();
    assert_eq!(&range[..], &big[33_554_430..33_554_440]);

    // The prefix keeps a node's objects apart: nothing outside it.
    let listing = reqwest::get(format!("{endpoint}/{}?list-type=2", settings.bucket)).await.unwrap();
    let listing = listing.text().await.unwrap();
    let keys: Vec<&str> = listing.split("<Key>").skip(1).map(|k| k.split('<').next().unwrap_or_default()).collect();
    assert!(!keys.is_empty() && keys.iter().all(|k| k.starts_with("node-a/sha256/")), "{keys:?}");

    // Garbage collection lists and deletes on the store.
    let keep: HashSet<String> = [small.sha256.clone()].into();
    let report = store.collect_garbage(&keep, Duration::ZERO).await.unwrap();
    assert_eq!((report.removed, report.kept), (1, 1), "{report:?}");
    assert!(!store.exists(&stored.sha256).await.unwrap());
    assert!(store.exists(&small.sha256).await.unwrap());
}

#[tokio::test]
async fn a_missing_bucket_stops_the_store_at_open_with_a_clear_message() {
    let Some(endpoint) = endpoint() else { return };
    let mut settings = bucket(&endpoint).await;
    settings.bucket = format!("{}-absent", settings.bucket);
    let dir = tempfile::tempdir().unwrap();
    let e = ObjectStore::s3(&settings, dir.path()).await.unwrap_err();
    let message = e.to_string();
    assert!(message.contains(&settings.bucket) && message.contains("cannot write"), "{message}");
}
