//! `serve --demo`: a demo organization, an admin token and a few small published datasets, so a
//! newcomer has something to look at. Sample files are compiled into the binary.

use kura_catalog::Visibility;
use kura_catalog::datasets::NewDataset;
use kura_ingest::{LocalFile, Progress};
use kura_service::ingest::{self, LocalIngest, Ran};
use kura_service::{Services, datasets, versions};
use serde_json::json;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

/// (name, title, file, content, metadata in Kura's profile): each demo dataset carries full
/// FAIR metadata (English and Japanese titles and descriptions, creators with ORCID iDs,
/// keywords, FOS subjects, licence) so the conformance checks run against realistic records.
fn samples() -> Vec<(&'static str, &'static str, &'static str, &'static str, serde_json::Value)> {
    let tokyo = json!({"name": "The University of Tokyo", "ror": "https://ror.org/057zh3y96"});
    let kyoto = json!({"name": "Kyoto University", "ror": "https://ror.org/02kpeqv85"});
    let sato = json!({"name": "Sato, Hanako", "given_name": "Hanako", "family_name": "Sato",
        "orcid": "0000-0002-1825-0097", "affiliations": [tokyo]});
    let tanaka = json!({"name": "Tanaka, Kenji", "given_name": "Kenji", "family_name": "Tanaka",
        "orcid": "0000-0001-5109-3700", "affiliations": [kyoto]});
    let ito = json!({"name": "Ito, Yui", "given_name": "Yui", "family_name": "Ito",
        "orcid": "0000-0002-1694-233X", "affiliations": [tokyo]});
    vec![
        (
            "demo-thermal-log",
            "Furnace thermal log of an alumina pellet",
            "thermal-log.csv",
            include_str!("../demo/thermal-log.csv"),
            json!({
                "titles": [{"lang": "en", "value": "Furnace thermal log of an alumina pellet"},
                           {"lang": "ja", "value": "アルミナペレットの炉内温度ログ"}],
                "descriptions": [
                    {"lang": "en", "value": "Temperature of an alumina pellet and of the furnace set point, logged once per second during a sintering run in air."},
                    {"lang": "ja", "value": "大気中での焼結実験において、アルミナペレットの温度と炉の設定温度を毎秒記録したログデータです。焼結条件の再現に利用できます。"}],
                "creators": [sato, tanaka],
                "keywords": [{"lang": "en", "value": "alumina"}, {"lang": "en", "value": "sintering"},
                             {"lang": "en", "value": "thermal log"}, {"lang": "ja", "value": "焼結"}],
                "subjects": [{"scheme": "FOS", "code": "2.5"}],
                "license": "CC-BY-4.0",
                "language": "en",
                "temporal_coverage": {"start": "2025-04-02", "end": "2025-04-02"},
                "spatial_coverage": {"place": "Yoshida campus, Kyoto University", "point": {"latitude": 35.0262, "longitude": 135.7808}},
                "methods": [{"lang": "en", "value": "Type K thermocouple at the pellet surface, logged by the furnace controller."}]
            }),
        ),
        (
            "demo-uvvis",
            "UV-Vis absorbance of methylene blue",
            "uvvis-methylene-blue.tsv",
            include_str!("../demo/uvvis-methylene-blue.tsv"),
            json!({
                "titles": [{"lang": "en", "value": "UV-Vis absorbance of methylene blue"},
                           {"lang": "ja", "value": "メチレンブルーの紫外可視吸光度"}],
                "descriptions": [
                    {"lang": "en", "value": "Absorbance spectrum of aqueous methylene blue between 200 and 800 nm, measured at room temperature in a 10 mm quartz cuvette."},
                    {"lang": "ja", "value": "メチレンブルー水溶液の 200〜800 nm における吸光度スペクトル。室温で光路長 10 mm の石英セルを用いて測定しました。"}],
                "creators": [ito, sato],
                "keywords": [{"lang": "en", "value": "UV-Vis spectroscopy"}, {"lang": "en", "value": "methylene blue"},
                             {"lang": "ja", "value": "紫外可視分光法"}],
                "subjects": [{"scheme": "FOS", "code": "1.4"}],
                "license": "CC0-1.0",
                "language": "en",
                "temporal_coverage": {"start": "2025-01-10", "end": "2025-02-20"},
                "spatial_coverage": {"place": "Hongo campus, The University of Tokyo", "point": {"latitude": 35.7126, "longitude": 139.7620}},
                "instruments": [{"name": "Shimadzu UV-2600i", "manufacturer": "Shimadzu"}]
            }),
        ),
        (
            "demo-resistivity",
            "Resistivity of MgB2 samples against temperature",
            "resistivity-mgb2.csv",
            include_str!("../demo/resistivity-mgb2.csv"),
            json!({
                "titles": [{"lang": "en", "value": "Resistivity of MgB2 samples against temperature"},
                           {"lang": "ja", "value": "MgB2 試料の電気抵抗率の温度依存性"}],
                "descriptions": [
                    {"lang": "en", "value": "Four-probe electrical resistivity of polycrystalline MgB2 samples from 10 K to 300 K, showing the superconducting transition near 39 K."},
                    {"lang": "ja", "value": "多結晶 MgB2 試料の四端子法による電気抵抗率（10〜300 K）。39 K 付近の超伝導転移が確認できます。"}],
                "creators": [tanaka, ito],
                "keywords": [{"lang": "en", "value": "MgB2"}, {"lang": "en", "value": "superconductivity"},
                             {"lang": "en", "value": "resistivity"}, {"lang": "ja", "value": "超伝導"}],
                "subjects": [{"scheme": "FOS", "code": "1.3"}],
                "license": "CC-BY-4.0",
                "language": "en",
                "temporal_coverage": {"start": "2024-11-01", "end": "2024-12-15"},
                "spatial_coverage": {"place": "Katsura campus, Kyoto University", "point": {"latitude": 34.9925, "longitude": 135.6798}}
            }),
        ),
    ]
}

/// Creates what is missing of the demo, prints the admin token, and publishes the samples.
pub async fn prepare(state: &Services) -> anyhow::Result<()> {
    let catalog = &state.catalog;
    let admin = &kura_core::Principal::admin("demo");
    let org = kura_service::directory::create_organization(state, admin, "Kura Demo University", None).await?;
    let group = kura_service::directory::create_group(state, admin, org.id, "Demo Lab").await?;
    let (_, secret) = kura_service::directory::create_admin_token(state, admin, "demo").await?;
    crate::logging::notice(&format!("demo admin token (shown once): {secret}"));
    println!("KURA_TOKEN={secret}");
    let scratch = tempfile::tempdir()?;
    let admin = crate::cli::cli_principal();
    for (name, title, file, content, metadata) in samples() {
        if catalog.dataset_by_name(name, &Visibility::everything()).await.is_ok() {
            continue;
        }
        if let Err(e) = kura_metadata::validate(&metadata) {
            anyhow::bail!("demo metadata of {name} does not follow the profile: {e}");
        }
        let new = NewDataset {
            name: name.into(),
            title: title.into(),
            description: format!("Demo dataset made by `kura serve --demo` from the sample file {file}."),
            metadata,
            group_id: Some(group.id),
        };
        let created = datasets::create(state, &admin, new).await?;
        let path = scratch.path().join(file);
        std::fs::write(&path, content)?;
        let request = LocalIngest {
            dataset: created.dataset.id.to_string(),
            files: vec![LocalFile { source: path, path: file.into() }],
            ..Default::default()
        };
        let local = ingest::start_local(state, &admin, request).await?;
        let ran = ingest::run_local(state, local, Arc::new(Progress::default()), &CancellationToken::new()).await?;
        let Ran::Ended(job) = ran else { anyhow::bail!("demo sample {file} was cancelled") };
        // Warnings (an ambiguous reading) do not keep a sample from being published.
        if !kura_ingest::failures(&job.errors).is_empty() {
            crate::logging::notice(&format!("demo sample {file} did not ingest: {}", job.errors));
            continue;
        }
        versions::publish(state, &admin, &created.dataset.id.to_string()).await?;
        crate::logging::notice(&format!("demo dataset {name} published"));
    }
    Ok(())
}
