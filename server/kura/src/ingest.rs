//! `kura ingest`: the same pipeline the API runs, in-process, with a progress bar.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use kura_core::Config;
use kura_ingest::{ColumnOptions, LocalFile, Progress, ReadOptions};
use kura_service::ingest::{self, LocalIngest, Ran};
use tokio_util::sync::CancellationToken;

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
    /// Owner group (its id) of a new dataset (none: owned by no group).
    #[arg(long)]
    pub group: Option<uuid::Uuid>,
    /// Publish the draft when every file succeeded.
    #[arg(long)]
    pub publish: bool,
    /// Worker threads (default: one per core).
    #[arg(long)]
    pub threads: Option<usize>,
    /// No progress bar (also off when stderr is not a terminal).
    #[arg(long)]
    pub quiet: bool,
    /// How to read the files, instead of detecting it (a file already in the draft is read
    /// again with these, and its tables are replaced).
    #[command(flatten)]
    pub read: ReadArgs,
}

/// Read parameters for every file of one `kura ingest`; unset ones are detected.
#[derive(Debug, Default, clap::Args)]
pub struct ReadArgs {
    /// Delimiter: one character, `tab`, `space` or `whitespace`.
    #[arg(long)]
    pub delimiter: Option<String>,
    /// Quote character: `"`, `'`, or `none` for no quoting.
    #[arg(long)]
    pub quote: Option<String>,
    /// Decimal separator: `.` or `,`.
    #[arg(long)]
    pub decimal: Option<String>,
    /// Thousands separator: `,`, `.`, `'`, or `none` (with --decimal).
    #[arg(long)]
    pub thousands: Option<String>,
    /// Text encoding (a WHATWG label: utf-8, utf-16le, shift_jis, windows-1252, latin1).
    #[arg(long)]
    pub encoding: Option<String>,
    /// 1-based line of the column header; 0 when there is none.
    #[arg(long)]
    pub header_line: Option<u64>,
    /// Lines at the top that are never table rows (kept as the header block).
    #[arg(long)]
    pub skip_lines: Option<u64>,
    /// Lines starting with this are comments (`#`, `%`, `//`).
    #[arg(long)]
    pub comment_prefix: Option<String>,
    /// A column's type: `NAME=integer|float|boolean|timestamp|text` (repeatable).
    #[arg(long = "column-type", value_name = "NAME=TYPE")]
    pub column_types: Vec<String>,
    /// A column's unit as written: `NAME=UNIT` (repeatable), e.g. `E=mV`.
    #[arg(long = "column-unit", value_name = "NAME=UNIT")]
    pub column_units: Vec<String>,
}

impl ReadArgs {
    /// The parameters as the pipeline takes them.
    fn options(&self) -> anyhow::Result<ReadOptions> {
        let mut columns: BTreeMap<String, ColumnOptions> = BTreeMap::new();
        for (pairs, is_type) in [(&self.column_types, true), (&self.column_units, false)] {
            for pair in pairs {
                let (name, value) = pair.split_once('=').with_context(|| format!("{pair:?}: write NAME=VALUE"))?;
                let column = columns.entry(name.to_owned()).or_default();
                if is_type {
                    column.data_type = Some(value.to_owned());
                } else {
                    column.unit = Some(value.to_owned());
                }
            }
        }
        Ok(ReadOptions {
            delimiter: self.delimiter.clone(),
            quote: self.quote.clone(),
            decimal: self.decimal.clone(),
            thousands: self.thousands.clone(),
            encoding: self.encoding.clone(),
            header_line: self.header_line,
            skip_lines: self.skip_lines,
            comment_prefix: self.comment_prefix.clone(),
            columns,
        })
    }
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
    let mut state = crate::cli::services(config).await?;
    if let Some(threads) = args.threads {
        state.ingestor = state.ingestor.clone().with_threads(threads);
    }
    let request = LocalIngest {
        dataset: args.dataset.clone(),
        title: args.title.clone().unwrap_or_default(),
        group: args.group,
        files,
        read: args.read.options()?,
    };
    let principal = crate::cli::cli_principal();
    let local = ingest::start_local(&state, &principal, request).await?;
    let (dataset, draft) = (local.dataset.clone(), local.draft.clone());

    let progress = Arc::new(Progress::default());
    let bar = progress_bar(args.quiet, local.job.bytes_total.max(0) as u64);
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
    // Ctrl-C cancels the job: it stops at the next file or batch, commits nothing and ends
    // `cancelled` instead of being left `running` until the next `kura serve`.
    let cancel = CancellationToken::new();
    let on_interrupt = tokio::spawn({
        let cancel = cancel.clone();
        async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                cancel.cancel();
            }
        }
    });
    let result = ingest::run_local(&state, local, progress, &cancel).await;
    on_interrupt.abort();
    ticker.abort();
    bar.finish_and_clear();
    let job = match result? {
        Ran::Cancelled => {
            eprintln!("cancelled: nothing was committed; the files stay in the draft");
            return Ok(ExitCode::from(130));
        }
        Ran::Ended(job) => job,
    };

    let tables = state.catalog.tables_page(draft.id, kura_catalog::PageRequest { offset: 0, limit: 1000 }).await?;
    for t in &tables.items {
        println!("table {} ({} rows, {} columns)", t.name, t.row_count, t.columns.len());
    }
    // The job's report holds failures (of a file, or of an archive member that failed alone)
    // and warnings (an ambiguous reading, with what was chosen and the runner-up).
    let notes = job.errors.as_array().cloned().unwrap_or_default();
    let text = |v: &serde_json::Value, key: &str| v[key].as_str().unwrap_or("?").to_owned();
    for n in &notes {
        match (n.get("warning"), n.get("member")) {
            (Some(_), _) => eprintln!("warning: {}: {}", text(n, "file"), text(n, "warning")),
            (None, Some(_)) => {
                eprintln!(
                    "failed: {} in {}: {} (kept as a raw file)",
                    text(n, "member"),
                    text(n, "file"),
                    text(n, "error")
                );
            }
            (None, None) => eprintln!("failed: {}: {}", text(n, "file"), text(n, "error")),
        }
    }
    let errors = kura_ingest::failures(&job.errors);
    println!("job {} {}: dataset {} version {}", job.id, job.state, dataset.name, draft.number);
    if !errors.is_empty() {
        return Ok(ExitCode::FAILURE);
    }
    if args.publish {
        let published = kura_service::versions::publish(&state, &principal, &dataset.id.to_string()).await?;
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
