//! The `kura` command: serve, ingest, publish, migrate, gc, admin.

mod admin;
mod cli;
mod config;
mod demo;
mod federation;
mod ingest;
mod job;
mod logging;
mod serve;
mod verify;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    logging::init(cli.config.as_deref());
    if !cli.reads_hdf5_in_process() {
        // A corrupt HDF5 file can crash the C library; read HDF5 in a child process instead.
        match std::env::current_exe() {
            Ok(program) => kura_ingest::hdf5::isolate_in(program),
            Err(e) => {
                logging::notice(&format!("warning: cannot find the kura binary ({e}): HDF5 files are read in process"))
            }
        }
    }
    let mut runtime = tokio::runtime::Builder::new_multi_thread();
    runtime.enable_all();
    if let Some(threads) = cli.threads() {
        runtime.worker_threads(threads.max(1));
        runtime.max_blocking_threads(threads.max(1));
    }
    let runtime = match runtime.build() {
        Ok(r) => r,
        Err(e) => {
            logging::fatal(&format!("cannot start the runtime: {e}"));
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(cli::run(cli)) {
        Ok(code) => code,
        Err(e) => {
            logging::fatal(&format!("{e:#}"));
            ExitCode::FAILURE
        }
    }
}
