//! Subcommands and what each does.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::{Parser, Subcommand};
use kura_core::Principal;

use crate::{admin, config, federation, ingest, serve};

/// Kura: a FAIR research-data platform and consortium catalog.
#[derive(Debug, Parser)]
#[command(name = "kura", version, about)]
pub struct Cli {
    /// TOML configuration file (default: ./kura.toml when present).
    #[arg(long, global = true, env = "KURA_CONFIG")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Runs the HTTP server (default 127.0.0.1:8080, data in ./kura-data) and the Arrow Flight
    /// server (default 127.0.0.1:50051).
    Serve {
        /// Creates a demo organization and admin token and ingests sample files first.
        #[arg(long)]
        demo: bool,
        /// What this process does: a comma-separated subset of api, flight and worker
        /// (default: the `roles` setting, all three unless set).
        #[arg(long, value_parser = parse_roles_arg)]
        roles: Option<String>,
    },
    /// Ingests files into a dataset's draft (creating the dataset if absent).
    Ingest(ingest::IngestArgs),
    /// Reads files with Kura's readers into Parquet without a catalog (one folder per file in
    /// OUT: `<table>.parquet`, `extracted/`, `report.json`); exit 1 if any file failed.
    Read {
        /// Files to read.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Output folder.
        #[arg(long)]
        out: PathBuf,
        /// Internal: read one HDF5 file in this process straight into OUT (how the isolated
        /// HDF5 reader runs its child; see `kura_ingest::hdf5::isolate_in`).
        #[arg(long = "in-process-hdf5", hide = true)]
        in_process_hdf5: bool,
    },
    /// Publishes a dataset's open draft.
    Publish {
        /// Dataset name.
        dataset: String,
    },
    /// Applies catalog migrations and exits; the only command that changes a shared catalog's
    /// schema (servers on PostgreSQL refuse one older or newer than their own).
    Migrate {
        /// Changes nothing: exit 0 when the schema is current, 1 when migrations are pending,
        /// 2 when the catalog was migrated by a newer Kura.
        #[arg(long)]
        check: bool,
    },
    /// Rebuilds the search index from the catalog (stop the server first: it holds the index).
    Reindex,
    /// Searches the catalog as the public sees it (add --admin to see everything).
    Search {
        /// The query: free text, "phrases", creator:, unit:, format:, keyword:, year: …
        query: Vec<String>,
        /// Search as a platform administrator.
        #[arg(long)]
        admin: bool,
        #[arg(long, default_value_t = 20)]
        limit: usize,
    },
    /// Removes objects no catalog row references.
    Gc {
        /// Objects younger than this many seconds are kept (they may belong to an ingest in flight).
        #[arg(long, default_value_t = 3600)]
        grace_seconds: u64,
    },
    /// Checks that every object the catalog references is in the object store with its size
    /// and SHA-256, and that the search index and the RDF store match the catalog; exit 1 with
    /// a report naming each problem.
    Verify {
        /// The report as JSON on stdout.
        #[arg(long)]
        json: bool,
    },
    /// Administration: tokens, users, groups, consortia, access.
    Admin {
        #[command(subcommand)]
        command: admin::AdminCommand,
    },
    /// Federation: the partner nodes this node trusts.
    Federation {
        #[command(subcommand)]
        command: federation::FederationCommand,
    },
    /// Compute jobs on a running node, as the user whose API token is given (REST).
    Job {
        #[command(flatten)]
        remote: crate::job::Remote,
        #[command(subcommand)]
        command: crate::job::JobCommand,
    },
}

impl Cli {
    /// Whether this run reads HDF5 in process: only the isolated reader's child does, every
    /// other command reads it in a child process so a crash of the HDF5 library fails one file.
    pub fn reads_hdf5_in_process(&self) -> bool {
        matches!(self.command, Command::Read { in_process_hdf5: true, .. })
    }

    /// Worker threads asked for on the command line, if any.
    pub fn threads(&self) -> Option<usize> {
        match &self.command {
            Command::Ingest(args) => args.threads,
            _ => None,
        }
    }
}

/// Runs the parsed command; the exit code says whether everything succeeded.
pub async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    // Reading files needs no configuration (and the isolated HDF5 reader's child must not fail
    // on one its parent was not started with).
    if let Command::Read { files, out, in_process_hdf5 } = &cli.command {
        return Ok(read(files, out, *in_process_hdf5));
    }
    let config = config::load(cli.config.as_deref())?;
    match cli.command {
        Command::Serve { demo, roles } => {
            let mut config = config;
            if let Some(roles) = roles {
                config.roles = roles;
            }
            serve::run(config, demo).await
        }
        Command::Ingest(args) => ingest::run(config, args).await,
        Command::Read { files, out, in_process_hdf5 } => Ok(read(&files, &out, in_process_hdf5)),
        Command::Publish { dataset } => {
            let state = services(config).await?;
            let published = kura_service::versions::publish(&state, &cli_principal(), &dataset).await?;
            println!("published {dataset} version {}", published.number);
            Ok(ExitCode::SUCCESS)
        }
        Command::Migrate { check } => migrate(&config, check).await,
        Command::Reindex => {
            let state = services(config).await?;
            let index = kura_search::SearchIndex::open(&state.config.data_dir.join("search"))?;
            let projector = kura_search::Projector::new(state.catalog.clone(), std::sync::Arc::new(index));
            let datasets = projector.rebuild().await?;
            println!("reindexed {datasets} datasets ({} documents)", projector.index().num_docs());
            // The RDF store lives in memory and `kura serve` rebuilds it at start; building it here
            // checks that every published version maps to RDF.
            let describer = kura_rdf::Describer::new(
                state.catalog.clone(),
                &state.config.base_url(),
                &state.config.repository_name,
                None,
            );
            let rdf = kura_rdf::RdfProjector::new(state.catalog.clone(), describer)?;
            rdf.rebuild().await?;
            println!(
                "RDF store: {} graphs, {} triples (in memory; kura serve builds it at start)",
                rdf.store().graph_count(),
                rdf.store().triple_count()?
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Search { query, admin, limit } => {
            let dir = config.data_dir.join("search");
            let index = kura_search::SearchIndex::open_read_only(&dir).with_context(|| {
                format!("no search index in {}: run `kura serve` or `kura reindex` first", dir.display())
            })?;
            let principal = if admin { Principal::admin("cli") } else { Principal::anonymous() };
            let request = kura_search::SearchRequest { query: query.join(" "), limit, ..Default::default() };
            let results = kura_service::search::search_in(std::sync::Arc::new(index), &principal, request).await?;
            println!("{} datasets", results.total);
            for hit in &results.hits {
                println!("{}\tv{}\t{}", hit.name, hit.version, hit.title);
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Gc { grace_seconds } => {
            let state = services(config).await?;
            let referenced = state.catalog.referenced_hashes().await?;
            let report = state.store.collect_garbage(&referenced, Duration::from_secs(grace_seconds)).await?;
            println!(
                "removed {} objects ({} bytes) and {} staging files; kept {}",
                report.removed, report.bytes_freed, report.staging_removed, report.kept
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Verify { json } => crate::verify::run(config, json).await,
        Command::Admin { command } => {
            let state = services(config).await?;
            admin::run(&state, command).await
        }
        Command::Federation { command } => {
            let state = services(config).await?;
            federation::run(&state, command).await
        }
        Command::Job { remote, command } => crate::job::run(remote, command).await,
    }
}

/// Who the commands act as: the operator of the data directory, a platform administrator.
pub fn cli_principal() -> kura_core::Principal {
    kura_core::Principal::admin("cli")
}

/// The use cases on the data directory, as the commands other than `serve` reach them.
fn parse_roles_arg(text: &str) -> Result<String, String> {
    kura_core::parse_roles(text).map(|_| text.to_owned())
}

/// `kura migrate [--check]`.
async fn migrate(config: &kura_core::Config, check: bool) -> anyhow::Result<ExitCode> {
    use kura_catalog::SchemaStatus;
    std::fs::create_dir_all(&config.data_dir)?;
    let catalog = kura_catalog::Catalog::connect(&config.database_url()).await?;
    if !check {
        catalog.migrate().await?;
    }
    Ok(match catalog.schema_status().await? {
        SchemaStatus::Current => {
            println!("catalog is up to date");
            ExitCode::SUCCESS
        }
        SchemaStatus::Older { pending } => {
            println!("{} migration(s) pending: {}", pending.len(), pending.join(", "));
            ExitCode::from(1)
        }
        SchemaStatus::Newer { unknown } => {
            eprintln!("the catalog was migrated by a newer Kura (unknown: {})", unknown.join(", "));
            ExitCode::from(2)
        }
    })
}

pub async fn services(config: kura_core::Config) -> anyhow::Result<kura_service::Services> {
    kura_service::Services::open(config, None).await.map_err(|e| anyhow::anyhow!("{e}"))
}

fn read(files: &[PathBuf], out: &std::path::Path, in_process_hdf5: bool) -> ExitCode {
    if in_process_hdf5 { read_hdf5_in_process(files, out) } else { read_files(files, out) }
}

/// `kura read`: each file into `out/<file name>/`.
fn read_files(files: &[PathBuf], out: &std::path::Path) -> ExitCode {
    let mut failed = false;
    for file in files {
        let name = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        match kura_ingest::convert::read_to_dir(file, &name, &out.join(&name)) {
            Ok(c) => println!(
                "{name}: {} ({} tables, {} extracted files)",
                c.format.unwrap_or("unknown format, kept raw"),
                c.tables.len(),
                c.extracted.len()
            ),
            Err(e) => {
                eprintln!("error: {e}");
                failed = true;
            }
        }
    }
    if failed { ExitCode::FAILURE } else { ExitCode::SUCCESS }
}

/// `kura read --in-process-hdf5 --out DIR -- FILE`: the isolated HDF5 reader's child. Reads the
/// one file with the HDF5 reader (the parent already chose it) straight into `out`; a failure is
/// `error: NAME: MESSAGE` on stderr and exit 1, which the parent turns back into the reader's
/// error.
fn read_hdf5_in_process(files: &[PathBuf], out: &std::path::Path) -> ExitCode {
    let [file] = files else {
        eprintln!("error: --in-process-hdf5 reads exactly one file");
        return ExitCode::FAILURE;
    };
    #[cfg(feature = "hdf5")]
    if let Err(e) = kura_ingest::hdf5::limit_own_memory() {
        eprintln!("error: cannot limit the hdf5 reader's memory: {e}");
        return ExitCode::FAILURE;
    }
    let name = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    match kura_ingest::convert::read_with(&kura_ingest::hdf5::Hdf5Reader, file, &name, out) {
        Ok(_) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Waits for Ctrl-C (SIGINT) or SIGTERM (what container runtimes and systemd send).
pub async fn shutdown_signal() {
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = terminate => {}
    }
    crate::logging::notice("shutting down");
}
