//! The committed OpenAPI document must match the code. Regenerate with
//! `KURA_UPDATE_OPENAPI=1 cargo test -p kura-api --test openapi`.

#[test]
fn committed_openapi_is_current() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../schema/openapi.json");
    let generated = kura_api::openapi::openapi_json();
    if std::env::var("KURA_UPDATE_OPENAPI").is_ok() {
        std::fs::write(&path, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "schema/openapi.json is stale: run `KURA_UPDATE_OPENAPI=1 cargo test -p kura-api --test openapi` and commit it"
    );
    let doc: serde_json::Value = serde_json::from_str(&generated).unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    assert!(doc["paths"]["/api/v1/datasets/{name}/versions/{version}/tables/{table}/rows"].is_object());
}
