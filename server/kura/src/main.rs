//! The `kura` command: serve, ingest, publish, migrate, gc, admin.

mod admin;
mod cli;
mod config;
mod demo;
mod federation;
mod ingest;
mod serve;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    if !cli.reads_hdf5_in_process() {
        // A corrupt HDF5 file can crash the C library; read HDF5 in a child process instead.
        match std::env::current_exe() {
            Ok(program) => kura_ingest::hdf5::isolate_in(program),
            Err(e) => eprintln!("warning: cannot find the kura binary ({e}): HDF5 files are read in process"),
        }
    }
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("KURA_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let mut runtime = tokio::runtime::Builder::new_multi_thread();
    runtime.enable_all();
    if let Some(threads) = cli.threads() {
        runtime.worker_threads(threads.max(1));
        runtime.max_blocking_threads(threads.max(1));
    }
    let runtime = match runtime.build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(cli::run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
