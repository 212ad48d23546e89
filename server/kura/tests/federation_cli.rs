//! `kura federation add / list / check / remove` on a fresh data directory.

use std::process::Command;

fn kura(data: &std::path::Path, args: &[&str]) -> (bool, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_kura"))
        .args(args)
        .env("KURA_DATA_DIR", data)
        .env("KURA_NODE_ID", "home")
        .env("KURA_FEDERATION_TIMEOUT_MS", "2000")
        .current_dir(data)
        .output()
        .expect("run kura");
    let text = String::from_utf8_lossy(&output.stdout).into_owned() + &String::from_utf8_lossy(&output.stderr);
    (output.status.success(), text)
}

#[test]
fn peers_are_added_listed_checked_and_removed() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let add = [
        "federation",
        "add",
        "univ-b",
        "http://127.0.0.1:9/",
        "--organization",
        "Univ B",
        "--organization",
        "https://ror.org/0abc",
    ];
    let (ok, out) = kura(data, &add);
    assert!(ok, "{out}");
    assert!(
        out.contains("trusting univ-b at http://127.0.0.1:9 (keys: http://127.0.0.1:9/.well-known/jwks.json)"),
        "{out}"
    );
    let (ok, out) = kura(data, &["federation", "list"]);
    assert!(
        ok && out.contains("univ-b\thttp://127.0.0.1:9\tflight -\tspeaks for: Univ B, https://ror.org/0abc"),
        "{out}"
    );
    // Nothing listens on port 9: the check names what failed and exits 1.
    let (ok, out) = kura(data, &["federation", "check", "univ-b"]);
    assert!(!ok && out.contains("problem: http://127.0.0.1:9/api/v1/federation/node: unreachable"), "{out}");
    let (ok, out) = kura(data, &["federation", "add", "home", "http://127.0.0.1:9"]);
    assert!(!ok && out.contains("\"home\" is this node's own id"), "{out}");
    let (ok, out) = kura(data, &["federation", "add", "x/y", "http://127.0.0.1:9"]);
    assert!(!ok && out.contains("a peer id is 1 to 64 letters"), "{out}");
    let (ok, out) = kura(data, &["federation", "add", "ftp-peer", "ftp://example.org"]);
    assert!(!ok && out.contains("is not an http(s) URL"), "{out}");
    let (ok, out) = kura(data, &["federation", "remove", "univ-b"]);
    assert!(ok && out.contains("univ-b is no longer trusted"), "{out}");
    let (ok, out) = kura(data, &["federation", "remove", "univ-b"]);
    assert!(!ok && out.contains("not found"), "{out}");
}
