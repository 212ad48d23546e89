//! Architecture rules checked by reading the source.
//!
//! Each test reads every Rust file under `server/*/src` and fails with the `file:line` of each
//! offender. A rule that needs an exception names the file it allows, with the reason.

use std::fs;
use std::path::{Path, PathBuf};

use kura_core::access::{LevelKind, Role};
use kura_core::{FileRole, JobState, RequestState, Scope, UserKind, VersionState};

/// `server/`, the parent of this crate.
fn server_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("the kura crate lives in server/").to_path_buf()
}

/// Crates that are not the product: the test kit compares answers (JSON, matrix labels) as text.
const NOT_PRODUCT: &[&str] = &["kura-testkit"];

/// Every `.rs` file under `server/*/src` of the product's crates, sorted, so reports are stable.
fn sources() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in fs::read_dir(dir).unwrap_or_else(|e| panic!("read {}: {e}", dir.display())) {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    let mut files = Vec::new();
    for krate in fs::read_dir(server_dir()).expect("read server/") {
        let krate = krate.expect("a directory entry").path();
        if NOT_PRODUCT.iter().any(|name| krate.ends_with(name)) {
            continue;
        }
        let src = krate.join("src");
        if src.is_dir() {
            walk(&src, &mut files);
        }
    }
    files.sort();
    assert!(files.len() > 50, "found only {} source files: is this the Kura tree?", files.len());
    files
}

/// `file:line: text` of every line of the sources (comments excluded) that `offends`, except in
/// the `allowed` files (paths relative to `server/`).
fn offenders(allowed: &[&str], offends: impl Fn(&str) -> bool) -> Vec<String> {
    let server = server_dir();
    let mut found = Vec::new();
    for file in sources() {
        let relative = file.strip_prefix(&server).expect("under server/").to_string_lossy().replace('\\', "/");
        if allowed.contains(&relative.as_str()) {
            continue;
        }
        let text = fs::read_to_string(&file).unwrap_or_else(|e| panic!("read {relative}: {e}"));
        for (n, line) in text.lines().enumerate() {
            let code = line.trim_start();
            if !code.starts_with("//") && offends(code) {
                found.push(format!("server/{relative}:{}: {}", n + 1, code));
            }
        }
    }
    found
}

/// The strings the catalog stores for states, levels, scopes, roles and kinds, read from the
/// enums themselves so that a new variant is covered without touching this file.
fn stored_strings() -> Vec<&'static str> {
    let mut all: Vec<&'static str> = Vec::new();
    all.extend(VersionState::ALL.iter().map(|v| v.as_str()));
    all.extend(FileRole::ALL.iter().map(|v| v.as_str()));
    all.extend(JobState::ALL.iter().map(|v| v.as_str()));
    all.extend(RequestState::ALL.iter().map(|v| v.as_str()));
    all.extend(UserKind::ALL.iter().map(|v| v.as_str()));
    all.extend(LevelKind::ALL.iter().map(|v| v.as_str()));
    all.extend(Role::ALL.iter().map(|v| v.as_str()));
    all.extend(Scope::ALL.iter().map(|v| v.as_str()));
    all.sort_unstable();
    all.dedup();
    all
}

/// Whether a line (whitespace removed) compares something with the literal `"text"`: `==`,
/// `!=` (either side), sea-orm's `.eq`/`.ne`/`.is_in`/`.is_not_in`, or `matches!` on a string.
fn compares_with(compact: &str, text: &str) -> bool {
    let lit = format!("\"{text}\"");
    let comparisons = [
        format!("=={lit}"),
        format!("!={lit}"),
        format!("{lit}=="),
        format!("{lit}!="),
        format!(".eq({lit})"),
        format!(".ne({lit})"),
        format!(".is_in([{lit}"),
        format!(".is_not_in([{lit}"),
    ];
    comparisons.iter().any(|c| compact.contains(c.as_str()))
        || (compact.contains("matches!(") && compact.contains(".as_str(),") && compact.contains(lit.as_str()))
}

/// States, levels, scopes, roles and kinds are enums (`kura_core`), stored as strings by the
/// entity mapping alone; code compares the enums. A literal comparison such as
/// `version.state == "published"` or `Column::State.eq("pending")` compiles against a `String`
/// but silently stops matching when a name changes, so none may remain.
#[test]
fn no_state_literals_outside_the_entity_mapping() {
    // The one table of stored strings (`string_enum!`, which also implements the ActiveEnums).
    let allowed = ["kura-core/src/domain.rs"];
    let stored = stored_strings();
    let found = offenders(&allowed, |code| {
        let compact: String = code.chars().filter(|c| !c.is_whitespace()).collect();
        stored.iter().any(|text| compares_with(&compact, text))
    });
    assert!(
        found.is_empty(),
        "compare the kura_core enum instead of its stored string ({} offenders):\n{}",
        found.len(),
        found.join("\n")
    );
}

/// The check itself finds what it is meant to find, and lets enum comparisons through.
#[test]
fn the_literal_check_recognises_comparisons() {
    for offending in [
        r#"if version.state == "deaccessioned" {"#,
        r#"if "published" != v.state {"#,
        r#".filter(access_request::Column::State.eq("pending"))"#,
        r#".filter(ingest_job::Column::State.is_in(["queued", "running"]))"#,
        r#"editable: !matches!(v.state.as_str(), "published" | "deaccessioned"),"#,
    ] {
        let compact: String = offending.chars().filter(|c| !c.is_whitespace()).collect();
        assert!(stored_strings().iter().any(|t| compares_with(&compact, t)), "missed: {offending}");
    }
    for fine in [
        "if version.state == VersionState::Deaccessioned {",
        ".filter(access_request::Column::State.eq(RequestState::Pending))",
        r#"let wanted = "published".parse::<VersionState>();"#,
    ] {
        let compact: String = fine.chars().filter(|c| !c.is_whitespace()).collect();
        assert!(!stored_strings().iter().any(|t| compares_with(&compact, t)), "flagged: {fine}");
    }
}

/// The transports: they parse, call one service function and render (`kura-service`).
const TRANSPORTS: &[&str] = &["kura-api/src/", "kura-flight/src/", "kura/src/"];

fn in_transport(relative: &str) -> bool {
    TRANSPORTS.iter().any(|t| relative.starts_with(t))
}

/// Every file of the sources outside the transports (paths relative to `server/`), for rules
/// that apply to the transports only.
fn outside_transports() -> Vec<String> {
    let server = server_dir();
    sources()
        .iter()
        .map(|f| f.strip_prefix(&server).expect("under server/").to_string_lossy().replace('\\', "/"))
        .filter(|r| !in_transport(r))
        .collect()
}

/// The names of the catalog's functions that change it, read from kura-catalog's source: by the
/// house naming rule, a function that writes says so with its first word.
fn catalog_writes() -> Vec<String> {
    const WRITING_VERBS: &[&str] = &[
        "create",
        "add",
        "set",
        "update",
        "ensure",
        "answer",
        "revoke",
        "accept",
        "submit",
        "return",
        "publish",
        "deaccession",
        "disable",
        "start",
        "fail",
        "cancel",
        "commit",
        "end",
        "reopen",
        "new",
        "request",
        "open",
        "put",
        "remove",
    ];
    // Writers named by a noun: the audit log's `audit`/`record` (not `audit_page`, a read).
    const WRITING_NAMES: &[&str] = &["audit", "record", "job_progress"];
    let catalog = server_dir().join("kura-catalog/src");
    let mut names = Vec::new();
    for file in sources().into_iter().filter(|f| f.starts_with(&catalog)) {
        for line in fs::read_to_string(&file).expect("read a catalog source").lines() {
            let Some(rest) = line.trim_start().strip_prefix("pub async fn ") else { continue };
            let name: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
            let verb = name.split('_').next().unwrap_or("");
            if WRITING_VERBS.contains(&verb) || WRITING_NAMES.contains(&name.as_str()) {
                names.push(name);
            }
        }
    }
    names.sort();
    names.dedup();
    assert!(names.len() > 20, "found only {names:?}: did the catalog's naming change?");
    names
}

/// No transport changes the catalog itself, or starts, runs or cancels ingest jobs: every write
/// is a use case in `kura-service`, where access is decided and projections are kept in step.
#[test]
fn transports_never_write_the_catalog() {
    let writes = catalog_writes();
    let outside = outside_transports();
    let allowed: Vec<&str> = outside.iter().map(String::as_str).collect();
    let found = offenders(&allowed, |code| {
        let compact: String = code.chars().filter(|c| !c.is_whitespace()).collect();
        let runs_jobs =
            (compact.contains(".jobs.") || compact.contains(".ingestor.")) && !compact.contains("with_threads(");
        runs_jobs || writes.iter().any(|w| compact.contains(&format!(".{w}(")))
    });
    assert!(
        found.is_empty(),
        "call a kura-service use case instead ({} offenders):\n{}",
        found.len(),
        found.join("\n")
    );
}

/// The access decision lives beside `decide` in kura-core and is asked through `kura-service`:
/// no transport calls `decide` (or its relatives) itself.
#[test]
fn transports_decide_nothing_themselves() {
    let outside = outside_transports();
    let allowed: Vec<&str> = outside.iter().map(String::as_str).collect();
    let found = offenders(&allowed, |code| {
        ["decide(", "decide_on(", "hidden_columns(", "Decision::Allow"].iter().any(|d| code.contains(d))
    });
    assert!(
        found.is_empty(),
        "ask kura-service (Target::allows, authorize) ({} offenders):\n{}",
        found.len(),
        found.join("\n")
    );
}

/// Transports do not import each other: the portal's pages never call REST handlers, the portal
/// and the FAIR routes share only `routes::html`, and the CLI runs on the services, not on the
/// HTTP crate's state.
#[test]
fn transports_do_not_import_each_other() {
    let rest = ["datasets", "versions", "files", "jobs", "tables", "rows", "search", "access_admin", "consortia", "me"];
    let mut found = offenders(&[], |_| false);
    let server = server_dir();
    for file in sources() {
        let relative = file.strip_prefix(&server).expect("under server/").to_string_lossy().replace('\\', "/");
        let text = fs::read_to_string(&file).expect("read a source");
        for (n, line) in text.lines().enumerate() {
            let code = line.trim_start();
            let portal_uses_rest = relative.starts_with("kura-api/src/routes/portal/")
                && rest
                    .iter()
                    .any(|r| code.contains(&format!("routes::{r}::")) || code.contains(&format!("super::super::{r}")));
            let cli_uses_http_state = relative.starts_with("kura/src/") && code.contains("AppState");
            // The portal's pages and the FAIR routes share `routes::html`, never each other.
            let pages_cross = (relative.starts_with("kura-api/src/routes/portal/") && code.contains("routes::fair"))
                || (relative.starts_with("kura-api/src/routes/fair/") && code.contains("routes::portal"));
            if !code.starts_with("//") && (portal_uses_rest || cli_uses_http_state || pages_cross) {
                found.push(format!("server/{relative}:{}: {code}", n + 1));
            }
        }
    }
    assert!(found.is_empty(), "{} imports across transports:\n{}", found.len(), found.join("\n"));
}

/// Federation and Delta Sharing are transports over the services too: `kura-federation` asks
/// `kura-service` (which holds the catalog's side of trust and every access decision) and never
/// reads or writes the catalog itself.
#[test]
fn federation_calls_the_services_only() {
    let server = server_dir();
    let mut found = Vec::new();
    for file in sources() {
        let relative = file.strip_prefix(&server).expect("under server/").to_string_lossy().replace('\\', "/");
        if !relative.starts_with("kura-federation/src/") {
            continue;
        }
        let text = fs::read_to_string(&file).expect("read a source");
        for (n, line) in text.lines().enumerate() {
            let code = line.trim_start();
            let reaches_catalog = code.contains(".catalog.") || code.contains("kura_catalog::Catalog");
            let decides = ["decide(", "decide_on(", "hidden_columns("].iter().any(|d| code.contains(d));
            if !code.starts_with("//") && (reaches_catalog || decides) {
                found.push(format!("server/{relative}:{}: {code}", n + 1));
            }
        }
    }
    assert!(found.is_empty(), "call kura-service instead:\n{}", found.join("\n"));
}
