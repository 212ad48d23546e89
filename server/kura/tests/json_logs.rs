//! `KURA_LOG_FORMAT=json`: every line `kura serve` writes to stderr is a JSON object.

mod node;

#[test]
fn json_log_lines_are_json_objects() {
    let dir = tempfile::tempdir().unwrap();
    let mut env = node::env(&dir.path().join("data"), None);
    env.retain(|(k, _)| k != "KURA_LOG");
    env.push(("KURA_LOG".into(), "info".into()));
    env.push(("KURA_LOG_FORMAT".into(), "json".into()));
    let server = node::Node::start(&env);
    let lines = server.stop();
    assert!(lines.len() >= 2, "some lines at info level: {lines:?}");
    for line in &lines {
        let value: serde_json::Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
        assert!(value.is_object(), "{line}");
        assert!(value["level"].is_string() && value["timestamp"].is_string(), "{line}");
    }
    assert!(
        lines.iter().any(|l| l.contains("\"message\":\"kura listening on http://")),
        "the listening notice is a JSON line too: {lines:?}"
    );
}

#[test]
fn text_is_the_default_and_a_bad_format_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let env = node::env(&dir.path().join("data"), None);
    let server = node::Node::start(&env);
    let lines = server.stop();
    assert!(lines.iter().any(|l| l.starts_with("kura listening on http://")), "{lines:?}");
    let mut bad = env.clone();
    bad.push(("KURA_LOG_FORMAT".into(), "xml".into()));
    let out = node::kura(&bad, &["migrate"]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("invalid configuration") && stderr.to_lowercase().contains("log_format"), "{stderr}");
}
