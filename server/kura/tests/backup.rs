//! Backup and restore as deploy/README.md tells operators: dump the catalog (SQLite's
//! `VACUUM INTO`, or `pg_dump -Fc` when `KURA_TEST_DATABASE_URL` names a PostgreSQL server),
//! copy the objects and the keys, restore into a fresh data directory (and database), run
//! `kura migrate`, start a node on it: it serves the same datasets with the same rows, and
//! `kura verify` is clean. Then a damaged and a lost object in the copy are reported by name.

mod node;

use std::path::{Path, PathBuf};
use std::process::Command;

use sea_orm::{ConnectionTrait, Database};

const THERMAL: &str = "Time,Temperature [K],Phase\n2026-11-20T09:00:00Z,295.15,ramp\n\
2026-11-20T09:01:00Z,301.42,ramp\n2026-11-20T09:02:00Z,309.88,hold\n";

/// Where the catalog lives: SQLite in the data directory, or a fresh PostgreSQL database.
enum Catalog {
    Sqlite,
    Postgres { admin: String },
}

impl Catalog {
    fn from_env() -> Self {
        match std::env::var("KURA_TEST_DATABASE_URL").ok().filter(|u| u.starts_with("postgres")) {
            Some(admin) => Catalog::Postgres { admin },
            None => Catalog::Sqlite,
        }
    }

    /// A new empty database's URL (PostgreSQL), or none (SQLite: the data directory's file).
    async fn fresh(&self) -> Option<String> {
        let Catalog::Postgres { admin } = self else { return None };
        let name = format!("kura_backup_{}", uuid::Uuid::new_v4().simple());
        let conn = Database::connect(admin).await.expect("reach KURA_TEST_DATABASE_URL");
        conn.execute_unprepared(&format!("CREATE DATABASE {name}")).await.expect("create database");
        let base = admin.rsplit_once('/').map(|(b, _)| b.to_owned()).unwrap_or(admin.clone());
        Some(format!("{base}/{name}"))
    }

    /// Step 1 of the backup: the catalog into `target`.
    async fn dump(&self, data: &Path, url: Option<&str>, target: &Path) {
        match (self, url) {
            (Catalog::Postgres { .. }, Some(url)) => {
                run(Command::new(pg_tool("pg_dump")).args(["-Fc", "-d", url, "-f"]).arg(target));
            }
            _ => {
                // `VACUUM INTO` is a consistent copy while the server writes (as `.backup` is).
                let source = format!("sqlite://{}?mode=rw", data.join("kura.db").display());
                let conn = Database::connect(&source).await.expect("open the SQLite catalog");
                let into = target.display().to_string().replace('\'', "''");
                conn.execute_unprepared(&format!("VACUUM INTO '{into}'")).await.expect("VACUUM INTO");
                conn.close().await.expect("close");
            }
        }
    }

    /// Restore: the dump into the fresh database or data directory.
    fn restore(&self, dump: &Path, data: &Path, url: Option<&str>) {
        match (self, url) {
            (Catalog::Postgres { .. }, Some(url)) => {
                run(Command::new(pg_tool("pg_restore")).args(["--no-owner", "-d", url]).arg(dump));
            }
            _ => {
                std::fs::create_dir_all(data).unwrap();
                std::fs::copy(dump, data.join("kura.db")).expect("restore the SQLite file");
            }
        }
    }
}

/// A PostgreSQL client tool: on PATH, else the newest in Debian's versioned directories (the
/// one `tests/pg-start` runs the server with).
fn pg_tool(name: &str) -> PathBuf {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|d| d.filter_map(Result::ok).map(|e| e.path().join("bin")).collect())
        .unwrap_or_default();
    dirs.sort_by_key(|d| {
        d.parent().and_then(|v| v.file_name()).and_then(|v| v.to_str()).and_then(|v| v.parse::<u32>().ok())
    });
    dirs.into_iter().rev().map(|d| d.join(name)).find(|p| p.exists()).unwrap_or_else(|| PathBuf::from(name))
}

fn run(command: &mut Command) {
    let out = command.output().unwrap_or_else(|e| panic!("cannot run {command:?}: {e}"));
    assert!(out.status.success(), "{command:?} failed: {}", String::from_utf8_lossy(&out.stderr));
}

/// `cp -a` in a few lines: every file under `from` to the same place under `to`.
fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// The object holding `sha256` in a local object store.
fn object(objects: &Path, sha256: &str) -> PathBuf {
    objects.join("sha256").join(&sha256[..2]).join(&sha256[2..4]).join(sha256)
}

async fn get_json(base: &str, path: &str, token: &str) -> serde_json::Value {
    let r = reqwest::Client::new().get(format!("{base}{path}")).bearer_auth(token).send().await.expect("request");
    assert!(r.status().is_success(), "GET {path}: {}", r.status());
    r.json().await.expect("JSON")
}

/// What a node serves of the thermal dataset: its list entry, tables and rows.
async fn served(base: &str, token: &str) -> (Vec<String>, serde_json::Value, serde_json::Value) {
    let list = get_json(base, "/api/v1/datasets", token).await;
    let mut names: Vec<String> =
        list["items"].as_array().into_iter().flatten().filter_map(|d| d["name"].as_str().map(String::from)).collect();
    names.sort();
    let tables = get_json(base, "/api/v1/datasets/thermal/versions/1/tables", token).await;
    let rows = get_json(base, "/api/v1/datasets/thermal/versions/1/tables/thermal/rows?limit=100", token).await;
    (names, tables, rows)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restored_node_serves_the_same_datasets_and_verifies_clean() {
    let catalog = Catalog::from_env();
    let dir = tempfile::tempdir().unwrap();
    let (data_a, data_b, backup) = (dir.path().join("a"), dir.path().join("b"), dir.path().join("backup"));
    std::fs::create_dir_all(&backup).unwrap();

    // The original node: a published dataset and an admin token.
    let url_a = catalog.fresh().await;
    let env_a = node::env(&data_a, url_a.as_deref());
    node::kura_ok(&env_a, &["migrate"]);
    let csv = dir.path().join("thermal.csv");
    std::fs::write(&csv, THERMAL).unwrap();
    node::kura_ok(&env_a, &["ingest", "--dataset", "thermal", "--publish", "--quiet", csv.to_str().unwrap()]);
    let token = node::kura_ok(&env_a, &["admin", "token"]).trim().to_owned();
    let a = node::Node::start(&env_a);
    let original = served(&a.base, &token).await;
    assert_eq!(original.0, ["thermal"]);
    assert_eq!(original.2.as_array().map(Vec::len), Some(3), "{}", original.2);

    // Backup while the node runs: the catalog first, then the objects (content-addressed and
    // never changed in place, so every object the dump references is copied), then the keys.
    let dump = backup.join(if url_a.is_some() { "kura.dump" } else { "kura.db" });
    catalog.dump(&data_a, url_a.as_deref(), &dump).await;
    copy_tree(&data_a.join("objects"), &backup.join("objects"));
    copy_tree(&data_a.join("keys"), &backup.join("keys"));
    a.stop();

    // Restore into a fresh data directory (and database), then migrate and start.
    let url_b = catalog.fresh().await;
    catalog.restore(&dump, &data_b, url_b.as_deref());
    copy_tree(&backup.join("objects"), &data_b.join("objects"));
    copy_tree(&backup.join("keys"), &data_b.join("keys"));
    let env_b = node::env(&data_b, url_b.as_deref());
    node::kura_ok(&env_b, &["migrate"]);
    let b = node::Node::start(&env_b);
    let ready = reqwest::get(format!("{}/readyz", b.base)).await.unwrap();
    assert_eq!(ready.status(), 200, "{}", ready.text().await.unwrap_or_default());
    assert_eq!(served(&b.base, &token).await, original, "the restored node serves what the original did");

    // Verified while it serves (as `kubectl exec … kura verify` would), then with it stopped.
    let clean = node::kura(&env_b, &["verify"]);
    let text = String::from_utf8_lossy(&clean.stdout);
    assert!(clean.status.success(), "{text}{}", String::from_utf8_lossy(&clean.stderr));
    assert!(text.contains("search index: 1 documents, 1 expected") && text.ends_with("clean\n"), "{text}");
    b.stop();
    let report: serde_json::Value = serde_json::from_str(&node::kura_ok(&env_b, &["verify", "--json"])).unwrap();
    assert_eq!(report["object_problems"], serde_json::json!([]), "{report}");
    assert_eq!((report["rdf"]["found"].as_u64(), report["rdf"]["expected"].as_u64()), (Some(1), Some(1)), "{report}");
    assert!(report["files"].as_u64() >= Some(2), "the raw file and its table at least: {report}");

    // Damage the copy: one object changed in place, one lost.
    let raw = sha256_hex(THERMAL.as_bytes());
    std::fs::write(object(&data_b.join("objects"), &raw), THERMAL.replace("309.88", "309.89")).unwrap();
    let other = other_object(&data_b.join("objects"), &raw);
    std::fs::remove_file(object(&data_b.join("objects"), &other)).unwrap();
    let damaged = node::kura(&env_b, &["verify"]);
    let text = String::from_utf8_lossy(&damaged.stdout);
    assert_eq!(damaged.status.code(), Some(1), "{text}");
    assert!(text.contains("problem: thermal v1 thermal.csv (raw") && text.contains("corrupt"), "{text}");
    assert!(text.contains("missing from the object store") && text.ends_with("NOT clean\n"), "{text}");
    let report: serde_json::Value =
        serde_json::from_slice(&node::kura(&env_b, &["verify", "--json"]).stdout).expect("a JSON report");
    let mut problems: Vec<&str> =
        report["object_problems"].as_array().into_iter().flatten().filter_map(|p| p["problem"].as_str()).collect();
    problems.sort();
    assert_eq!(problems, ["corrupt", "missing"], "{report}");
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

/// An object other than `raw` (the table's Parquet file, or another derived file).
fn other_object(objects: &Path, raw: &str) -> String {
    fn walk(dir: &Path, found: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).unwrap().map(Result::unwrap) {
            if entry.file_type().unwrap().is_dir() {
                walk(&entry.path(), found);
            } else {
                found.push(entry.file_name().to_string_lossy().into_owned());
            }
        }
    }
    let mut found = Vec::new();
    walk(&objects.join("sha256"), &mut found);
    found.sort();
    found.into_iter().find(|o| o != raw).expect("a derived object besides the raw file")
}
