//! `serve --demo`: a demo organization, an admin token and a few small published datasets, so a
//! newcomer has something to look at. Sample files are compiled into the binary.

use kura_api::AppState;
use kura_catalog::Visibility;
use kura_catalog::datasets::NewDataset;
use kura_ingest::{LocalFile, Progress};
use serde_json::json;

const SAMPLES: &[(&str, &str, &str, &str)] = &[
    (
        "demo-thermal-log",
        "Furnace thermal log of an alumina pellet",
        "thermal-log.csv",
        include_str!("../demo/thermal-log.csv"),
    ),
    (
        "demo-uvvis",
        "UV-Vis absorbance of methylene blue",
        "uvvis-methylene-blue.tsv",
        include_str!("../demo/uvvis-methylene-blue.tsv"),
    ),
    (
        "demo-resistivity",
        "Resistivity of MgB2 samples against temperature",
        "resistivity-mgb2.csv",
        include_str!("../demo/resistivity-mgb2.csv"),
    ),
];

/// Creates what is missing of the demo, prints the admin token, and publishes the samples.
pub async fn prepare(state: &AppState) -> anyhow::Result<()> {
    let catalog = &state.catalog;
    let org = catalog.ensure_organization("Kura Demo University", None).await?;
    let group = catalog.ensure_group(org.id, "Demo Lab").await?;
    let (_, secret) = catalog.create_admin_token("demo").await?;
    eprintln!("demo admin token (shown once): {secret}");
    println!("KURA_TOKEN={secret}");
    let scratch = tempfile::tempdir()?;
    for (name, title, file, content) in SAMPLES {
        if catalog.dataset_by_name(name, &Visibility::everything()).await.is_ok() {
            continue;
        }
        let new = NewDataset {
            name: (*name).into(),
            title: (*title).into(),
            description: format!("Demo dataset made by `kura serve --demo` from the sample file {file}."),
            metadata: json!({"keywords": ["demo"], "license": "CC0-1.0"}),
            group_id: Some(group.id),
        };
        let (_, draft) = catalog.create_dataset(new).await?;
        let path = scratch.path().join(file);
        std::fs::write(&path, content)?;
        state.ingestor.add_local_files(&draft, &[LocalFile { source: path, path: (*file).into() }]).await?;
        let job = state.ingestor.create_job(&draft).await?;
        let job = state.ingestor.run_job(job, std::sync::Arc::new(Progress::default())).await?;
        if job.errors.as_array().is_some_and(|e| !e.is_empty()) {
            eprintln!("demo sample {file} did not ingest: {}", job.errors);
            continue;
        }
        catalog.publish(&draft).await?;
        eprintln!("demo dataset {name} published");
    }
    Ok(())
}
