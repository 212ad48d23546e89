//! PROV-O for a version a compute job wrote: the job is a `prov:Activity` that used each input
//! table (of its pinned version, with the checksum it read) and the job's code, was associated
//! with its submitter, and generated the version and its tables, which were derived from the
//! input versions. Input tables are named by the IRIs their own versions' graphs give them, so a
//! SPARQL query follows the lineage from one graph into the next.

use oxrdf::NamedOrBlankNode;

use super::{Builder, iri, part, term};
use crate::derivation::{CodeView, DerivationView};
use crate::error::MetadataError;
use crate::view::DatasetView;
use crate::vocab::{DCT, FOAF, KURA, PROV, RDFS, SCHEMA};

/// The job, its code, its submitter and its inputs, linked to the dataset and its tables.
pub(super) fn add_derivation(b: &mut Builder, ds: &NamedOrBlankNode, view: &DatasetView) -> Result<(), MetadataError> {
    let Some(d) = &view.derivation else { return Ok(()) };
    let activity = part(&view.pid_url, "job", &d.job_id)?;
    b.typed(&activity, &[term(PROV, "Activity"), term(KURA, "ComputeJob")]);
    b.add_lang(&activity, term(RDFS, "label"), &format!("compute job {}", d.job_name), "en")?;
    b.add_str(&activity, term(DCT, "identifier"), &d.job_id);
    b.add_str(&activity, term(KURA, "runner"), &d.runner);
    if let Some(started) = &d.started {
        b.add_datetime(&activity, term(PROV, "startedAtTime"), started);
    }
    if let Some(ended) = &d.ended {
        b.add_datetime(&activity, term(PROV, "endedAtTime"), ended);
    }
    let code = add_code(b, view, d)?;
    b.add(&activity, term(PROV, "used"), code);
    let submitter = add_submitter(b, view, d)?;
    b.add(&activity, term(PROV, "wasAssociatedWith"), submitter);
    for input in &d.inputs {
        let version = iri(&input.pid_url)?;
        let table = part(&input.pid_url, "table", &input.table)?;
        b.typed(&table, &[term(PROV, "Entity")]);
        b.add_str(&table, term(DCT, "title"), &input.table);
        b.add(&table, term(DCT, "isPartOf"), version.clone());
        let checksum = super::distribution::checksum(b, &input.sha256);
        b.add(&table, term(crate::vocab::SPDX, "checksum"), checksum);
        b.add(&activity, term(PROV, "used"), table);
        b.typed(&version, &[term(PROV, "Entity")]);
        b.add(ds, term(PROV, "wasDerivedFrom"), version);
    }
    for table in &view.tables {
        let node = part(&view.pid_url, "table", &table.name)?;
        b.add(&node, term(PROV, "wasGeneratedBy"), activity.clone());
    }
    b.add(ds, term(PROV, "wasGeneratedBy"), activity);
    Ok(())
}

/// The job's code as an entity: the SQL text itself, or the script's checksum and entry point.
fn add_code(b: &mut Builder, view: &DatasetView, d: &DerivationView) -> Result<NamedOrBlankNode, MetadataError> {
    let code = part(&view.pid_url, "code", &d.job_id)?;
    b.typed(&code, &[term(PROV, "Entity"), term(KURA, "JobCode")]);
    let checksum = super::distribution::checksum(b, d.code.sha256());
    b.add(&code, term(crate::vocab::SPDX, "checksum"), checksum);
    match &d.code {
        CodeView::Sql { query, .. } => {
            b.add_str(&code, term(KURA, "query"), query);
            b.add_str(&code, term(SCHEMA, "programmingLanguage"), "SQL");
        }
        CodeView::Script { entry_point, language, .. } => {
            b.add_str(&code, term(KURA, "entryPoint"), entry_point);
            b.add_str(&code, term(SCHEMA, "programmingLanguage"), language);
        }
    }
    Ok(code)
}

/// The submitter: their ORCID when known, else a node of this version.
fn add_submitter(b: &mut Builder, view: &DatasetView, d: &DerivationView) -> Result<NamedOrBlankNode, MetadataError> {
    let node = match &d.submitter.orcid {
        Some(orcid) => iri(orcid)?,
        None => part(&view.pid_url, "agent", &d.submitter.name)?,
    };
    b.typed(&node, &[term(PROV, "Person"), term(PROV, "Agent")]);
    b.add_str(&node, term(FOAF, "name"), &d.submitter.name);
    Ok(node)
}
