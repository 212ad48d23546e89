//! Log lines on stderr, as text for people or as JSON objects for log collectors.
//!
//! The format is chosen before anything is logged, so it cannot wait for the command to load
//! its configuration: `KURA_LOG_FORMAT` wins, then `log_format` from the configuration file
//! (loaded here once more, quietly). A configuration that does not load logs as text, and the
//! command then reports why it does not load. `KURA_LOG` sets the filter in both formats.

use std::path::Path;
use std::sync::OnceLock;

use kura_core::config::LogFormat;
use tracing_subscriber::EnvFilter;

/// The format in force, for messages written outside `tracing` (see [`notice`]).
static FORMAT: OnceLock<LogFormat> = OnceLock::new();

/// Installs the global subscriber; `config_file` is the `--config` path, if any.
pub fn init(config_file: Option<&Path>) {
    let format = chosen_format(config_file);
    let _ = FORMAT.set(format);
    let filter = EnvFilter::try_from_env("KURA_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.init(),
        // Flattened: `message` and the event's fields at the top level, where collectors look.
        LogFormat::Json => builder.json().flatten_event(true).with_current_span(false).init(),
    }
}

fn chosen_format(config_file: Option<&Path>) -> LogFormat {
    // The environment alone first: it holds even when the file does not load.
    match std::env::var("KURA_LOG_FORMAT").as_deref().map(str::trim) {
        Ok("json") => return LogFormat::Json,
        Ok("text") => return LogFormat::Text,
        _ => {}
    }
    crate::config::load(config_file).map(|c| c.log_format).unwrap_or_default()
}

/// Whether log lines are JSON objects.
pub fn json() -> bool {
    FORMAT.get() == Some(&LogFormat::Json)
}

/// A message for the operator (an address listened on, a warning before the runtime starts):
/// as plain text on stderr, or as an info event when every line must be a JSON object.
pub fn notice(message: &str) {
    if json() {
        tracing::info!(target: "kura", "{message}");
    } else {
        eprintln!("{message}");
    }
}

/// An error that ends the command, in the same way.
pub fn fatal(message: &str) {
    if json() {
        tracing::error!(target: "kura", "{message}");
    } else {
        eprintln!("error: {message}");
    }
}
