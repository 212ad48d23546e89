//! Configuration: defaults, then a TOML file, then `KURA_*` environment variables.

use std::path::{Path, PathBuf};

use anyhow::Context;
use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use kura_core::Config;

/// Keys settable from the environment as `KURA_<KEY>`.
const ENV_KEYS: &[&str] = &[
    "http_addr",
    "flight_addr",
    "data_dir",
    "database_url",
    "database_read_url",
    "database_max_connections",
    "database_read_max_connections",
    "max_upload_bytes",
    "max_dataset_bytes",
    "max_user_bytes",
    "max_concurrent_ingests",
    "max_page_size",
    "base_url",
    "jwt_issuer",
    "jwt_audience",
    "repository_name",
    "admin_email",
    "log_format",
    "oai_page_size",
    "sparql_timeout_ms",
    "sparql_max_results",
    "flight_cache_bytes",
    "flight_memory_bytes",
    "node_id",
    "federation_timeout_ms",
    "federation_max_response_bytes",
    "federation_concurrency",
    "delta_sharing_url_seconds",
    "roles",
    "job_lease_seconds",
    "job_max_attempts",
    "compute_max_per_node",
    "compute_max_per_user",
    "compute_time_limit_seconds",
    "compute_queue_seconds",
    "compute_initializing_seconds",
    "compute_log_bytes",
    "compute_memory_bytes",
    "compute_script_python",
    "compute_script_cpu_seconds",
    "compute_script_memory_bytes",
    "compute_script_output_bytes",
    "compute_script_max_processes",
    "openlineage_url",
    "s3_bucket",
    "s3_prefix",
    "s3_endpoint",
    "s3_region",
    "s3_access_key_id",
    "s3_secret_access_key",
    "s3_allow_http",
    "s3_path_style",
    "stream_commit_rows",
    "stream_commit_ms",
    "stream_compact_files",
    "stream_backlog_bytes",
];

/// Loads the configuration. `file` is the `--config` path; without it `kura.toml` in the
/// working directory is read when present.
pub fn load(file: Option<&Path>) -> anyhow::Result<Config> {
    let mut figment = Figment::from(Serialized::defaults(Config::default()));
    match file {
        Some(path) => {
            anyhow::ensure!(path.exists(), "config file {} does not exist", path.display());
            figment = figment.merge(Toml::file(path));
        }
        None => figment = figment.merge(Toml::file(PathBuf::from("kura.toml"))),
    }
    figment = figment.merge(Env::prefixed("KURA_").only(ENV_KEYS));
    figment.extract().context("invalid configuration")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[allow(clippy::result_large_err)] // figment::Jail's own error type
    fn file_then_environment_override_defaults() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("k.toml", "http_addr = \"127.0.0.1:9999\"\ndata_dir = \"/tmp/from-file\"\n")?;
            jail.set_env("KURA_DATA_DIR", "/tmp/from-env");
            let config = load(Some(Path::new("k.toml"))).map_err(|e| e.to_string())?;
            assert_eq!(config.http_addr, "127.0.0.1:9999");
            assert_eq!(config.data_dir, PathBuf::from("/tmp/from-env"));
            assert_eq!(config.flight_addr, "127.0.0.1:50051");
            jail.create_file("bad.toml", "no_such_key = 1\n")?;
            assert!(load(Some(Path::new("bad.toml"))).is_err(), "unknown keys are refused");
            Ok(())
        });
    }
}
