//! `kura serve`: the HTTP server, the Flight server and the job worker, as the process's roles
//! say. Every process answers HTTP (a process without the `api` role only what operators and
//! load balancers ask: health); Flight and the worker run only where their role is given.

use std::process::ExitCode;

use anyhow::Context;
use kura_api::{Application, open_state};
use kura_core::Role;

use crate::demo;

/// Runs until Ctrl-C (SIGINT) or SIGTERM.
pub async fn run(config: kura_core::Config, demo: bool) -> anyhow::Result<ExitCode> {
    let roles = config.roles().map_err(anyhow::Error::msg)?;
    let state = open_state(config).await.map_err(|e| anyhow::anyhow!("{e:?}"))?;
    if demo {
        demo::prepare(&state.services).await?;
    }
    let app = Application::build(state).await.map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let flight = if roles.contains(&Role::Flight) { Some(bind_flight(&app).await?) } else { None };
    let names: Vec<&str> = roles
        .iter()
        .map(|r| match r {
            Role::Api => "api",
            Role::Flight => "flight",
            Role::Worker => "worker",
        })
        .collect();
    crate::logging::notice(&format!("kura listening on http://{} (roles: {})", app.address(), names.join(",")));
    if let Some(flight) = &flight {
        crate::logging::notice(&format!("kura flight listening on grpc://{}", flight.address()));
    }
    // One signal stops every server.
    let (stop, stopped) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        crate::cli::shutdown_signal().await;
        let _ = stop.send(true);
    });
    let wait = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|v| *v).await;
    };
    let flight_task = flight.map(|flight| tokio::spawn(flight.run_until(wait(stopped.clone()))));
    app.run_until(wait(stopped)).await.context("server failed")?;
    if let Some(task) = flight_task {
        task.await.context("flight server panicked")?.context("flight server failed")?;
    }
    Ok(ExitCode::SUCCESS)
}

/// The Flight server over the built state: it shares the federation the build created.
async fn bind_flight(app: &Application) -> anyhow::Result<kura_flight::FlightServer> {
    let state = app.state();
    let mut flight_ctx = kura_flight::FlightContext::new(
        state.services.clone(),
        state.credentials.clone(),
        &state.config.data_dir,
        kura_flight::SqlLimits::default(),
    )
    .and_then(|ctx| ctx.with_encoded_cache(state.config.flight_cache_bytes, state.config.flight_memory_bytes))
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    if let Some(federation) = state.federation.clone() {
        flight_ctx = flight_ctx.with_federation(federation);
    }
    kura_flight::FlightServer::bind(flight_ctx, &state.config.flight_addr).await.map_err(|e| anyhow::anyhow!("{e}"))
}
