//! The shared fixture (`kura-testkit`): a real Kura on port 0 with a fresh data directory and
//! catalog (PostgreSQL when `KURA_TEST_DATABASE_URL` is set), plus this crate's test data.

#![allow(dead_code, unused_imports)]

pub use kura_testkit::readable;
pub use kura_testkit::{TestApp, spawn_app, spawn_app_with};

/// Path to a file in the shared test data, or a panic saying what is missing.
pub fn testdata(rel: &str) -> std::path::PathBuf {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/testdata").join(rel);
    assert!(
        path.exists(),
        "test data {} is missing: ../shared/testdata must sit beside the repository",
        path.display()
    );
    path
}
