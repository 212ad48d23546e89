//! Writes every sample dataset's descriptions into a directory, for the conformance checks in
//! `tests/test_metadata_conformance.py`: `NAME.ttl`, `.nt`, `.rdf`, `.jsonld` (DCAT),
//! `NAME.schema.jsonld` (schema.org), `NAME.datacite.xml`, and `catalog.ttl` for the catalog page.
//!
//!     cargo run -p kura-metadata --example write_samples -- OUTDIR

use std::path::PathBuf;

use kura_metadata::{
    catalog_graph, dataset_graph, samples, to_datacite_xml, to_jsonld, to_ntriples, to_rdfxml, to_schema_org, to_turtle,
};

fn main() -> anyhow::Result<()> {
    let dir = PathBuf::from(std::env::args().nth(1).ok_or_else(|| anyhow::anyhow!("usage: write_samples OUTDIR"))?);
    std::fs::create_dir_all(&dir)?;
    for view in samples::all() {
        let graph = dataset_graph(&view)?;
        std::fs::write(dir.join(format!("{}.ttl", view.name)), to_turtle(&graph)?)?;
        std::fs::write(dir.join(format!("{}.nt", view.name)), to_ntriples(&graph)?)?;
        std::fs::write(dir.join(format!("{}.rdf", view.name)), to_rdfxml(&graph)?)?;
        std::fs::write(dir.join(format!("{}.jsonld", view.name)), to_jsonld(&graph)?)?;
        let schema = serde_json::to_string_pretty(&to_schema_org(&view))?;
        std::fs::write(dir.join(format!("{}.schema.jsonld", view.name)), schema)?;
        std::fs::write(dir.join(format!("{}.datacite.xml", view.name)), to_datacite_xml(&view)?)?;
    }
    std::fs::write(dir.join("catalog.ttl"), to_turtle(&catalog_graph(&samples::catalog())?)?)?;
    println!("wrote samples to {}", dir.display());
    Ok(())
}
