//! Distributions (one per file and one per table), the data services that serve them, and table
//! columns described with csvw, QUDT units and concept IRIs.

use oxrdf::NamedOrBlankNode;

use super::dataset::license_document;
use super::{Builder, blank, iri, named, part, policy, prov, term};
use crate::error::MetadataError;
use crate::view::{ColumnView, DatasetView, ServiceView, TableView};
use crate::vocab::{CSVW, DCAT, DCT, IANA_MEDIA, KURA, QUDT, RDFS, SPDX};

/// The registered media type of Parquet (IANA, 2024).
pub const PARQUET_MEDIA_TYPE: &str = "application/vnd.apache.parquet";

pub(super) fn add_distributions(
    b: &mut Builder,
    ds: &NamedOrBlankNode,
    view: &DatasetView,
) -> Result<(), MetadataError> {
    let services = add_services(b, &view.services, std::slice::from_ref(ds), None)?;
    let mut file_nodes = Vec::new();
    for file in &view.files {
        let node = part(&view.pid_url, "file", &file.path)?;
        common(b, ds, &node, view)?;
        b.add_str(&node, term(DCT, "title"), &file.path);
        let url = named(&file.download_url)?;
        b.add(&node, term(DCAT, "accessURL"), url.clone());
        b.add(&node, term(DCAT, "downloadURL"), url);
        media_type(b, &node, &file.media_type)?;
        b.add_typed(&node, term(DCAT, "byteSize"), &file.size.to_string(), "nonNegativeInteger");
        let sum = checksum(b, &file.sha256);
        b.add(&node, term(SPDX, "checksum"), sum);
        b.add_str(&node, term(KURA, "path"), &file.path);
        file_nodes.push((file.path.as_str(), node));
    }
    for table in &view.tables {
        let node = part(&view.pid_url, "table", &table.name)?;
        common(b, ds, &node, view)?;
        b.typed(&node, &[term(KURA, "Table")]);
        b.add_str(&node, term(DCT, "title"), &table.name);
        b.add(&node, term(DCAT, "accessURL"), named(&table.api_url)?);
        b.add(&node, term(DCAT, "downloadURL"), named(&table.parquet_url)?);
        media_type(b, &node, PARQUET_MEDIA_TYPE)?;
        if let Some(size) = table.byte_size {
            b.add_typed(&node, term(DCAT, "byteSize"), &size.to_string(), "nonNegativeInteger");
        }
        if let Some(sha) = &table.sha256 {
            let sum = checksum(b, sha);
            b.add(&node, term(SPDX, "checksum"), sum);
        }
        b.add_typed(&node, term(KURA, "rowCount"), &table.row_count.to_string(), "nonNegativeInteger");
        for service in &services {
            b.add(&node, term(DCAT, "accessService"), service.clone());
        }
        add_columns(b, view, &node, table)?;
        let source = table
            .provenance
            .as_ref()
            .and_then(|p| file_nodes.iter().find(|(path, _)| *path == p.source_path).map(|(_, n)| n.clone()));
        prov::add_ingestion(b, view, &node, table, source)?;
    }
    Ok(())
}

/// What every distribution carries: type, licence, policy, link from the dataset.
fn common(
    b: &mut Builder,
    ds: &NamedOrBlankNode,
    node: &NamedOrBlankNode,
    view: &DatasetView,
) -> Result<(), MetadataError> {
    b.typed(node, &[term(DCAT, "Distribution")]);
    b.add(ds, term(DCAT, "distribution"), node.clone());
    if let Some(license) = view.license() {
        let doc = license_document(b, license)?;
        b.add(node, term(DCT, "license"), doc);
    }
    b.add(node, term(crate::vocab::ODRL, "hasPolicy"), policy::policy_iri(view)?);
    Ok(())
}

/// `dcat:mediaType` as the IANA registry IRI, typed `dct:MediaType`.
fn media_type(b: &mut Builder, node: &NamedOrBlankNode, media_type: &str) -> Result<(), MetadataError> {
    let essence = media_type.split(';').next().unwrap_or(media_type).trim().to_ascii_lowercase();
    let mt = iri(&format!("{IANA_MEDIA}{essence}"))?;
    b.typed(&mt, &[term(DCT, "MediaType")]);
    b.add(node, term(DCAT, "mediaType"), mt);
    Ok(())
}

/// An `spdx:Checksum` node for a SHA-256 digest.
pub(super) fn checksum(b: &mut Builder, sha256: &str) -> NamedOrBlankNode {
    let node = blank();
    b.typed(&node, &[term(SPDX, "Checksum")]);
    let algorithm: NamedOrBlankNode = term(SPDX, "checksumAlgorithm_sha256").into();
    b.typed(&algorithm, &[term(SPDX, "ChecksumAlgorithm")]);
    b.add(&node, term(SPDX, "algorithm"), term(SPDX, "checksumAlgorithm_sha256"));
    b.add_typed(&node, term(SPDX, "checksumValue"), &sha256.to_ascii_lowercase(), "hexBinary");
    node
}

/// The REST API and, if served, the Flight endpoint as `dcat:DataService`s serving `datasets`.
pub(super) fn add_services(
    b: &mut Builder,
    services: &ServiceView,
    datasets: &[NamedOrBlankNode],
    publisher: Option<&crate::profile::Organization>,
) -> Result<Vec<NamedOrBlankNode>, MetadataError> {
    let mut out = Vec::new();
    let mut endpoints =
        vec![(services.api_url.as_str(), "Kura REST API", "Kura REST API（データ・メタデータ・表の行）")];
    if let Some(flight) = &services.flight_url {
        endpoints.push((flight.as_str(), "Kura Arrow Flight endpoint", "Kura Arrow Flight エンドポイント"));
    }
    for (i, (url, en, ja)) in endpoints.into_iter().enumerate() {
        let node = iri(url)?;
        b.typed(&node, &[term(DCAT, "DataService")]);
        b.add_lang(&node, term(DCT, "title"), en, "en")?;
        b.add_lang(&node, term(DCT, "title"), ja, "ja")?;
        let endpoint = iri(url)?;
        b.typed(&endpoint, &[term(RDFS, "Resource")]);
        b.add(&node, term(DCAT, "endpointURL"), endpoint);
        if i == 0
            && let Some(description) = &services.api_description_url
        {
            let d = iri(description)?;
            b.typed(&d, &[term(RDFS, "Resource")]);
            b.add(&node, term(DCAT, "endpointDescription"), d);
        }
        // Only the catalog names the services' publisher: a dataset's publisher is not the node's.
        if let Some(publisher) = publisher {
            super::agents::publisher(b, &node, publisher)?;
        }
        for ds in datasets {
            b.add(&node, term(DCAT, "servesDataset"), ds.clone());
        }
        out.push(node);
    }
    Ok(out)
}

/// `csvw:tableSchema` with one `csvw:Column` per visible column (masked ones only for the owner
/// group, and then linked as `kura:maskedColumn`).
fn add_columns(
    b: &mut Builder,
    view: &DatasetView,
    table_node: &NamedOrBlankNode,
    table: &TableView,
) -> Result<(), MetadataError> {
    let schema = blank();
    b.typed(&schema, &[term(CSVW, "Schema")]);
    b.add(table_node, term(CSVW, "tableSchema"), schema.clone());
    for (i, column) in table.columns.iter().enumerate() {
        if column.masked && !view.include_masked {
            continue;
        }
        let node = part(&view.pid_url, "column", &format!("{}/{}", table.name, column.name))?;
        b.typed(&node, &[term(CSVW, "Column"), term(KURA, "Column")]);
        b.add_str(&node, term(CSVW, "name"), &column.name);
        b.add_typed(&node, term(KURA, "position"), &i.to_string(), "nonNegativeInteger");
        describe_column(b, &node, column)?;
        if column.masked {
            b.add(table_node, term(KURA, "maskedColumn"), node.clone());
        } else {
            b.add(table_node, term(KURA, "column"), node.clone());
            b.add(&schema, term(CSVW, "column"), node);
        }
    }
    Ok(())
}

fn describe_column(b: &mut Builder, node: &NamedOrBlankNode, column: &ColumnView) -> Result<(), MetadataError> {
    if let Some(label) = &column.original_label {
        b.add_str(node, term(CSVW, "title"), label);
        b.add_str(node, term(KURA, "originalLabel"), label);
    }
    b.add_str(node, term(KURA, "dataType"), &column.data_type);
    if let Some(unit) = &column.unit {
        b.add_str(node, term(KURA, "unitLabel"), unit);
    }
    if let Some(ucum) = &column.ucum {
        b.add_str(node, term(KURA, "ucumCode"), ucum);
    }
    if let Some(qudt) = &column.qudt {
        b.add(node, term(QUDT, "unit"), named(qudt)?);
    }
    if let Some(concept) = &column.concept {
        b.add(node, term(KURA, "concept"), named(concept)?);
    }
    if let Some(description) = &column.description {
        b.add_str(node, term(DCT, "description"), description);
    }
    Ok(())
}
