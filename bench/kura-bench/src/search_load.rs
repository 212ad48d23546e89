//! Loads generated search documents (JSON lines of `kura_search::SearchDoc`) straight into a data
//! directory's search index and prints the indexing throughput. The benchmark then starts
//! `kura serve` on that directory and queries it over HTTP.
//!
//!     search-load DOCS.jsonl DATA_DIR

use std::io::BufRead;
use std::time::Instant;

use anyhow::Context;
use kura_search::{SearchDoc, SearchIndex};

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    anyhow::ensure!(args.len() == 3, "usage: search-load DOCS.jsonl DATA_DIR");
    let index = SearchIndex::open(&std::path::Path::new(&args[2]).join("search"))?;
    let file = std::fs::File::open(&args[1]).with_context(|| format!("cannot open {}", args[1]))?;
    let started = Instant::now();
    let mut count = 0u64;
    for line in std::io::BufReader::new(file).lines() {
        let doc: SearchDoc = serde_json::from_str(&line?)?;
        index.replace_dataset(doc.dataset_id, std::slice::from_ref(&doc))?;
        count += 1;
    }
    // Checkpoint 0: the catalog of the benchmark's data directory has no outbox events.
    index.commit(0)?;
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "{{\"documents\": {count}, \"seconds\": {seconds:.3}, \"docs_per_second\": {:.0}}}",
        count as f64 / seconds
    );
    Ok(())
}
