//! The landing page's "Derived from" section: the inputs of the compute job that wrote the
//! version (linked only where the viewer may see them) and the job (runner, submitter, times).

use kura_metadata::DatasetView;

/// The section, ready for the template.
#[derive(Debug)]
pub struct DerivationSection {
    pub job_name: String,
    pub runner: String,
    pub submitter: String,
    pub started: String,
    pub ended: String,
    pub inputs: Vec<DerivedRow>,
}

/// One input: its name and landing page when the viewer may see it; else nothing about it.
#[derive(Debug)]
pub struct DerivedRow {
    pub seen: Option<(String, String)>,
    pub version: u32,
    pub table: String,
}

/// The section of `view`, if a job wrote it; its inputs' `seen` was decided for the viewer.
pub fn section(view: &DatasetView) -> Option<DerivationSection> {
    let d = view.derivation.as_ref()?;
    let time = |t: &Option<chrono::DateTime<chrono::Utc>>| {
        t.map(|t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string()).unwrap_or_default()
    };
    Some(DerivationSection {
        job_name: d.job_name.clone(),
        runner: d.runner.clone(),
        submitter: d.submitter.name.clone(),
        started: time(&d.started),
        ended: time(&d.ended),
        inputs: d
            .inputs
            .iter()
            .map(|i| DerivedRow {
                seen: i.seen.as_ref().map(|s| (s.name.clone(), s.landing_url.clone())),
                version: i.version,
                table: i.table.clone(),
            })
            .collect(),
    })
}
