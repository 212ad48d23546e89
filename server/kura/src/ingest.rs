//! `kura ingest`: the same pipeline the API runs, in-process, with a progress bar.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use kura_catalog::datasets::NewDataset;
use kura_catalog::{CatalogError, Visibility};
use kura_core::Config;
use kura_ingest::{LocalFile, Progress};

#[derive(Debug, clap::Args)]
pub struct IngestArgs {
    /// Files to ingest; each keeps its file name inside the dataset.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Dataset name (created if absent).
    #[arg(long)]
    pub dataset: String,
    /// Title for a new dataset.
    #[arg(long)]
    pub title: Option<String>,
    /// Publish the draft when every file succeeded.
    #[arg(long)]
    pub publish: bool,
    /// Worker threads (default: one per core).
    #[arg(long)]
    pub threads: Option<usize>,
    /// No progress bar (also off when stderr is not a terminal).
    #[arg(long)]
    pub quiet: bool,
}

pub async fn run(config: Config, args: IngestArgs) -> anyhow::Result<ExitCode> {
    let mut files = Vec::with_capacity(args.paths.len());
    for source in &args.paths {
        anyhow::ensure!(source.is_file(), "{} is not a file", source.display());
        let name = source
            .file_name()
            .and_then(|n| n.to_str())
            .with_context(|| format!("{} has no usable file name", source.display()))?;
        files.push(LocalFile { source: source.clone(), path: name.to_owned() });
    }
    let mut state = kura_api::open_state(config).await.map_err(|e| anyhow::anyhow!("{e:?}"))?;
    if let Some(threads) = args.threads {
        state.ingestor = state.ingestor.clone().with_threads(threads);
    }
    let catalog = &state.catalog;
    let dataset = match catalog.dataset_by_name(&args.dataset, &Visibility::everything()).await {
        Ok(ds) => ds,
        Err(CatalogError::NotFound(_)) => {
            let new = NewDataset {
                name: args.dataset.clone(),
                title: args.title.clone().unwrap_or_default(),
                ..Default::default()
            };
            catalog.create_dataset(new).await?.0
        }
        Err(e) => return Err(e.into()),
    };
    let draft = catalog.open_draft(dataset.id).await?;
    state.ingestor.add_local_files(&draft, &files).await?;
    let job = state.ingestor.create_job(&draft).await?;

    let progress = Arc::new(Progress::default());
    let bar = progress_bar(args.quiet, job.bytes_total.max(0) as u64);
    let ticker = {
        let (bar, progress) = (bar.clone(), progress.clone());
        tokio::spawn(async move {
            loop {
                bar.set_position(progress.bytes_done.load(Ordering::Relaxed));
                bar.set_message(format!(
                    "{}/{} files",
                    progress.files_done.load(Ordering::Relaxed),
                    progress.files_total.load(Ordering::Relaxed)
                ));
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        })
    };
    let job = state.ingestor.run_job(job, progress).await?;
    ticker.abort();
    bar.finish_and_clear();

    let tables = catalog.tables_page(draft.id, kura_catalog::PageRequest { offset: 0, limit: 1000 }).await?;
    for t in &tables.items {
        println!("table {} ({} rows, {} columns)", t.name, t.row_count, t.columns.len());
    }
    let errors = job.errors.as_array().cloned().unwrap_or_default();
    for e in &errors {
        eprintln!("failed: {}: {}", e["file"].as_str().unwrap_or("?"), e["error"].as_str().unwrap_or("?"));
    }
    println!("job {} {}: dataset {} version {}", job.id, job.state, dataset.name, draft.number);
    if !errors.is_empty() {
        return Ok(ExitCode::FAILURE);
    }
    if args.publish {
        let published = catalog.publish(&draft).await?;
        println!("published {} version {}", dataset.name, published.number);
    }
    Ok(ExitCode::SUCCESS)
}

fn progress_bar(quiet: bool, total: u64) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
    if quiet {
        bar.set_draw_target(ProgressDrawTarget::hidden());
    }
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {bar:40} {bytes}/{total_bytes} {bytes_per_sec} {msg}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar
}
