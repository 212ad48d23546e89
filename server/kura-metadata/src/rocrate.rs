//! RO-Crate 1.1 metadata (`ro-crate-metadata.json`) of a dataset version, for the `.eln` export
//! (the ELN Consortium's file format: a zip holding one folder with the crate). The integration
//! writes the zip; this module decides what the crate says and where each part lives in it.
//! [`from_ro_crate`] goes the other way, for `.eln` archives users upload.

pub mod graph;
mod import;
mod run;

use serde_json::{Value, json};

use crate::profile::{AgentKind, pick};
use crate::rdf::PARQUET_MEDIA_TYPE;
use crate::spdx;
use crate::view::{DatasetView, FileView, TableView};

pub use import::{Imported, doi_of, fill_empty, from_ro_crate, is_empty, orcid_of, ror_of, spdx_of};
pub use run::PROCESS_RUN_CRATE;

/// The RO-Crate specification the crate conforms to.
pub const RO_CRATE_1_1: &str = "https://w3id.org/ro/crate/1.1";

/// Path of a raw file inside the crate (relative to the crate's root folder, unencoded).
pub fn crate_file_path(file: &FileView) -> String {
    format!("files/{}", file.path)
}

/// Path of a table's Parquet inside the crate.
pub fn crate_table_path(table: &TableView) -> String {
    format!("tables/{}.parquet", table.name)
}

/// The crate's root folder inside the `.eln` zip (`demo-uvvis-v1`).
pub fn crate_folder(view: &DatasetView) -> String {
    let safe: String =
        view.name.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' }).collect();
    format!("{safe}-v{}", view.version)
}

/// The `ro-crate-metadata.json` of the version. `files` and `tables` are the parts actually
/// packed into the crate (those the caller may read); the rest of the description is metadata
/// only, with the landing page and PID to find the data.
pub fn to_ro_crate(view: &DatasetView, files: &[&FileView], tables: &[&TableView]) -> Value {
    let md = &view.metadata;
    let mut graph = vec![json!({
        "@id": "ro-crate-metadata.json",
        "@type": "CreativeWork",
        "conformsTo": {"@id": RO_CRATE_1_1},
        "about": {"@id": "./"},
        "dateCreated": view.as_of.to_rfc3339(),
        "sdPublisher": {"@id": publisher_id(view)},
    })];
    let name = pick(&md.titles, "en").map(|t| t.value.clone()).unwrap_or_else(|| view.name.clone());
    // RO-Crate texts carry no language tag: the crate's `inLanguage` says which one the name is in.
    let language = pick(&md.titles, "en").map(|t| t.lang.clone()).filter(|l| l != "und");
    let description = pick(&md.descriptions, "en").map(|d| d.value.clone()).unwrap_or_else(|| name.clone());
    let mut authors = Vec::new();
    for (i, creator) in md.creators.iter().enumerate() {
        let id = creator.orcid_iri().or_else(|| creator.ror.clone()).unwrap_or_else(|| format!("#creator-{}", i + 1));
        let kind = match creator.kind {
            AgentKind::Person => "Person",
            AgentKind::Organization => "Organization",
        };
        let mut entity = json!({"@id": id, "@type": kind, "name": creator.name});
        if let Some(given) = &creator.given_name {
            entity["givenName"] = json!(given);
        }
        if let Some(family) = &creator.family_name {
            entity["familyName"] = json!(family);
        }
        authors.push(json!({"@id": id}));
        graph.push(entity);
    }
    let mut parts = Vec::new();
    for file in files {
        let id = crate::percent::path(&crate_file_path(file));
        parts.push(json!({"@id": id}));
        graph.push(json!({
            "@id": id,
            "@type": "File",
            "name": file.path,
            "encodingFormat": file.media_type,
            "contentSize": file.size.to_string(),
            "sha256": file.sha256,
            "url": file.download_url,
        }));
    }
    for table in tables {
        let id = crate::percent::path(&crate_table_path(table));
        parts.push(json!({"@id": id}));
        let mut entity = json!({
            "@id": id,
            "@type": "File",
            "name": format!("{}.parquet", table.name),
            "description": format!("Table {} derived by Kura ({} rows)", table.name, table.row_count),
            "encodingFormat": PARQUET_MEDIA_TYPE,
            "url": table.parquet_url,
        });
        if let Some(size) = table.byte_size {
            entity["contentSize"] = json!(size.to_string());
        }
        if let Some(sha) = &table.sha256 {
            entity["sha256"] = json!(sha);
        }
        graph.push(entity);
    }
    let publisher = view.publisher();
    let mut publisher_entity = json!({"@id": publisher_id(view), "@type": "Organization", "name": publisher.name});
    if let Some(ror) = &publisher.ror {
        publisher_entity["identifier"] = json!(ror);
    }
    graph.push(publisher_entity);
    let mut root = json!({
        "@id": "./",
        "@type": "Dataset",
        "name": name,
        "description": description,
        "datePublished": view.published.unwrap_or(view.created).to_rfc3339(),
        "dateModified": view.modified.to_rfc3339(),
        "identifier": crate::citation::cite_as(view),
        "url": view.landing_url,
        "version": view.version.to_string(),
        "author": authors,
        "publisher": {"@id": publisher_id(view)},
        "hasPart": parts,
        "conditionsOfAccess": view.access.name(),
    });
    if let Some(language) = language {
        root["inLanguage"] = json!(language);
    }
    let keywords: Vec<&str> = md.keywords.iter().map(|k| k.value.as_str()).collect();
    if !keywords.is_empty() {
        root["keywords"] = json!(keywords.join(", "));
    }
    if let Some(license) = view.license() {
        let url = spdx::license_url(license);
        root["license"] = json!({"@id": url});
        graph.push(json!({
            "@id": url,
            "@type": "CreativeWork",
            "identifier": license,
            "name": spdx::license_name(license).unwrap_or(license),
        }));
    }
    run::add_process_run(&mut graph, &mut root, view, &run::table_ids(tables));
    graph.insert(1, root);
    // `sha256` (the ELN file format's checksum of every file) is not a term of the RO-Crate 1.1
    // context; compacted JSON-LD needs it defined, so the context adds it with the IRI the
    // Workflow Run RO-Crate terms give it.
    json!({"@context": [RO_CRATE_CONTEXT, {"sha256": SHA256_TERM}], "@graph": graph})
}

/// The RO-Crate version the export conforms to.
pub const RO_CRATE_CONTEXT: &str = "https://w3id.org/ro/crate/1.1/context";

/// The IRI of the `sha256` property.
pub const SHA256_TERM: &str = "https://w3id.org/ro/terms/workflow-run#sha256";

fn publisher_id(view: &DatasetView) -> String {
    view.publisher().ror.clone().unwrap_or_else(|| "#publisher".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_crate_has_a_descriptor_a_root_and_its_parts() {
        let view = crate::samples::open_uvvis();
        let files: Vec<&FileView> = view.files.iter().collect();
        let tables: Vec<&TableView> = view.tables.iter().collect();
        let doc = to_ro_crate(&view, &files, &tables);
        let graph = doc["@graph"].as_array().unwrap();
        assert_eq!(graph[0]["@id"], "ro-crate-metadata.json");
        assert_eq!(graph[1]["@id"], "./");
        let parts = graph[1]["hasPart"].as_array().unwrap();
        assert_eq!(parts.len(), files.len() + tables.len());
        for part in parts {
            let id = part["@id"].as_str().unwrap();
            assert!(graph.iter().any(|e| e["@id"] == id && e["@type"] == "File"), "{id}");
        }
    }
}
