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
use kura_ingest::{ColumnOptions, LocalFile, Progress, ReadOptions};

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
    /// Read the files with this delimiter (`,` `;` `|` `tab` `space` `whitespace`) instead of
    /// detecting it. The read parameters below apply to every file given and are recorded in
    /// each table's provenance.
    #[arg(long)]
    pub delimiter: Option<String>,
    /// Quote character (only `"` today).
    #[arg(long)]
    pub quote: Option<String>,
    /// Decimal separator: `.` or `,`.
    #[arg(long)]
    pub decimal: Option<String>,
    /// Text encoding (`utf-8`, `utf-16le`, `shift_jis`, `windows-1252`, `latin1`).
    #[arg(long)]
    pub encoding: Option<String>,
    /// 1-based line of the header; 0 when the files have no header line.
    #[arg(long)]
    pub header_line: Option<u64>,
    /// Lines at the top that are never table rows.
    #[arg(long)]
    pub skip_lines: Option<u64>,
    /// Lines starting with this are comments.
    #[arg(long)]
    pub comment_prefix: Option<String>,
    /// A column's type and unit: `NAME=TYPE`, `NAME=TYPE:UNIT` or `NAME=:UNIT` (repeatable;
    /// types: integer, float, boolean, timestamp, text).
    #[arg(long = "column", value_name = "NAME=TYPE[:UNIT]")]
    pub columns: Vec<String>,
    /// Read files already in the draft again (with the parameters above), replacing their
    /// tables, instead of adding them.
    #[arg(long)]
    pub reingest: bool,
}

impl IngestArgs {
    /// The read parameters given on the command line.
    fn read_options(&self) -> anyhow::Result<ReadOptions> {
        let mut columns = std::collections::BTreeMap::new();
        for spec in &self.columns {
            let (name, rest) =
                spec.split_once('=').with_context(|| format!("--column {spec:?}: expected NAME=TYPE[:UNIT]"))?;
            let (data_type, unit) = match rest.split_once(':') {
                Some((t, u)) => (t, Some(u)),
                None => (rest, None),
            };
            let column = ColumnOptions {
                data_type: Some(data_type.trim()).filter(|t| !t.is_empty()).map(str::to_string),
                unit: unit.map(str::trim).filter(|u| !u.is_empty()).map(str::to_string),
            };
            columns.insert(name.trim().to_string(), column);
        }
        Ok(ReadOptions {
            delimiter: self.delimiter.clone(),
            quote: self.quote.clone(),
            decimal: self.decimal.clone(),
            encoding: self.encoding.clone(),
            header_line: self.header_line,
            skip_lines: self.skip_lines,
            comment_prefix: self.comment_prefix.clone(),
            columns,
        })
    }
}

pub async fn run(config: Config, args: IngestArgs) -> anyhow::Result<ExitCode> {
    let options = args.read_options()?;
    let mut files = Vec::with_capacity(args.paths.len());
    for source in &args.paths {
        anyhow::ensure!(args.reingest || source.is_file(), "{} is not a file", source.display());
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
    if args.reingest {
        let paths: Vec<String> = files.iter().map(|f| f.path.clone()).collect();
        state.ingestor.reopen(&draft, &paths).await?;
    } else {
        state.ingestor.add_local_files(&draft, &files).await?;
    }
    let job = state.ingestor.create_job(&draft).await?;
    let per_file = if options.is_empty() {
        std::collections::BTreeMap::new()
    } else {
        files.iter().map(|f| (f.path.clone(), options.clone())).collect()
    };

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
    let job = state.ingestor.run_job_with(job, progress, per_file).await?;
    ticker.abort();
    bar.finish_and_clear();

    let tables = catalog.tables_page(draft.id, kura_catalog::PageRequest { offset: 0, limit: 1000 }).await?;
    for t in &tables.items {
        println!("table {} ({} rows, {} columns)", t.name, t.row_count, t.columns.len());
    }
    let notes = job.errors.as_array().cloned().unwrap_or_default();
    let text = |v: &serde_json::Value| v.as_str().unwrap_or("?").to_string();
    let mut errors = Vec::new();
    for e in &notes {
        if let Some(warning) = e.get("warning") {
            eprintln!("warning: {}: {}", text(&e["file"]), text(warning));
        } else if let Some(member) = e.get("member") {
            eprintln!(
                "failed member (kept as a raw file): {}: {}: {}",
                text(&e["file"]),
                text(member),
                text(&e["error"])
            );
        } else {
            eprintln!("failed: {}: {}", text(&e["file"]), text(&e["error"]));
            errors.push(e);
        }
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
