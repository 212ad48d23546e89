//! `kura job …`: compute jobs through a running node's REST API (`/api/v1/jobs`), as the user
//! whose API token is given: a job runs for a person and its output belongs to their group, so
//! unlike the commands on the data directory this one never acts as the operator.

use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use serde_json::{Value, json};

/// Where the node is and who asks.
#[derive(Debug, Args)]
pub struct Remote {
    /// The node's base URL.
    #[arg(long, env = "KURA_URL", default_value = "http://127.0.0.1:8080")]
    url: String,
    /// An API token of the user submitting (KURA_TOKEN).
    #[arg(long, env = "KURA_TOKEN", hide_env_values = true)]
    token: String,
}

#[derive(Debug, Subcommand)]
pub enum JobCommand {
    /// Submits a SQL job; prints the job.
    Sql {
        /// The query, over the inputs by their names.
        query: String,
        /// An input: NAME=DATASET/VERSION/TABLE (VERSION a number or latest); repeat for several.
        #[arg(long = "input", required = true)]
        inputs: Vec<String>,
        /// The output table's name (default result).
        #[arg(long)]
        output: Option<String>,
        /// The group that owns the output, when you belong to several.
        #[arg(long)]
        group: Option<String>,
        /// Waits until the job ends; exit 1 unless it is COMPLETE.
        #[arg(long)]
        wait: bool,
    },
    /// Shows a job.
    Get { id: String },
    /// Lists your jobs (an administrator's token: everyone's).
    List,
    /// Cancels a job that has not ended.
    Cancel { id: String },
    /// Prints a job's log (yours only).
    Log { id: String },
}

/// `NAME=DATASET/VERSION/TABLE` as a job input.
fn input(text: &str) -> anyhow::Result<Value> {
    let (name, reference) = text.split_once('=').context("an input is NAME=DATASET/VERSION/TABLE")?;
    let parts: Vec<&str> = reference.splitn(3, '/').collect();
    let [dataset, version, table] = parts.as_slice() else { bail!("an input is NAME=DATASET/VERSION/TABLE: {text}") };
    Ok(json!({"name": name, "dataset": dataset, "version": version, "table": table}))
}

/// Runs a `kura job` command.
pub async fn run(remote: Remote, command: JobCommand) -> anyhow::Result<ExitCode> {
    let client = reqwest::Client::new();
    let api = format!("{}/api/v1", remote.url.trim_end_matches('/'));
    let call = |method: reqwest::Method, path: String, body: Option<Value>| {
        let mut request = client.request(method, format!("{api}{path}")).bearer_auth(&remote.token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        async move {
            let response = request.send().await.context("the node did not answer")?;
            let status = response.status();
            let text = response.text().await.unwrap_or_default();
            if !status.is_success() {
                bail!("{status}: {text}");
            }
            Ok::<String, anyhow::Error>(text)
        }
    };
    use reqwest::Method;
    match command {
        JobCommand::Sql { query, inputs, output, group, wait } => {
            let inputs = inputs.iter().map(|i| input(i)).collect::<anyhow::Result<Vec<_>>>()?;
            let body = json!({"kind": "sql", "code": query, "inputs": inputs,
                "outputs": output.into_iter().collect::<Vec<_>>(), "group": group});
            let job: Value = serde_json::from_str(&call(Method::POST, "/jobs".into(), Some(body)).await?)?;
            let id = job["id"].as_str().context("the node answered no job id")?.to_owned();
            if !wait {
                println!("{}", serde_json::to_string_pretty(&job)?);
                return Ok(ExitCode::SUCCESS);
            }
            loop {
                let job: Value = serde_json::from_str(&call(Method::GET, format!("/jobs/{id}"), None).await?)?;
                let state = job["state"].as_str().unwrap_or_default();
                if ["COMPLETE", "EXECUTOR_ERROR", "SYSTEM_ERROR", "CANCELED"].contains(&state) {
                    println!("{}", serde_json::to_string_pretty(&job)?);
                    return Ok(if state == "COMPLETE" { ExitCode::SUCCESS } else { ExitCode::FAILURE });
                }
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        }
        JobCommand::Get { id } => println!("{}", call(Method::GET, format!("/jobs/{id}"), None).await?),
        JobCommand::List => println!("{}", call(Method::GET, "/jobs".into(), None).await?),
        JobCommand::Cancel { id } => {
            println!("{}", call(Method::POST, format!("/jobs/{id}/cancel"), Some(json!({}))).await?)
        }
        JobCommand::Log { id } => print!("{}", call(Method::GET, format!("/jobs/{id}/log"), None).await?),
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inputs_are_name_equals_a_table_reference() {
        assert_eq!(input("s=uvvis/latest/spectra").unwrap()["table"], "spectra");
        assert_eq!(input("s=uvvis/2/a/b").unwrap()["table"], "a/b");
        assert!(input("uvvis/latest/spectra").is_err());
        assert!(input("s=uvvis/latest").is_err());
    }
}
