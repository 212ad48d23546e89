//! Serializations of a graph: Turtle, N-Triples, RDF/XML and JSON-LD, as strings (descriptions
//! are small; the HTTP layer streams nothing here).

use oxrdf::Graph;
use oxrdfio::{JsonLdProfileSet, RdfFormat, RdfSerializer};

use crate::error::MetadataError;
use crate::vocab::PREFIXES;

/// Turtle with Kura's prefixes.
pub fn to_turtle(graph: &Graph) -> Result<String, MetadataError> {
    write(graph, RdfFormat::Turtle)
}

/// N-Triples (one triple a line, no prefixes).
pub fn to_ntriples(graph: &Graph) -> Result<String, MetadataError> {
    write(graph, RdfFormat::NTriples)
}

/// RDF/XML with Kura's prefixes.
pub fn to_rdfxml(graph: &Graph) -> Result<String, MetadataError> {
    write(graph, RdfFormat::RdfXml)
}

/// JSON-LD (expanded form with prefixes as a context, as oxjsonld writes it).
pub fn to_jsonld(graph: &Graph) -> Result<String, MetadataError> {
    write(graph, RdfFormat::JsonLd { profile: JsonLdProfileSet::empty() })
}

fn write(graph: &Graph, format: RdfFormat) -> Result<String, MetadataError> {
    let mut serializer = RdfSerializer::from_format(format);
    if !matches!(format, RdfFormat::NTriples) {
        for (prefix, iri) in PREFIXES {
            serializer = serializer.with_prefix(*prefix, *iri).map_err(|e| MetadataError::Serialize(e.to_string()))?;
        }
    }
    let mut writer = serializer.for_writer(Vec::new());
    for triple in graph {
        writer.serialize_triple(triple).map_err(|e| MetadataError::Serialize(e.to_string()))?;
    }
    let bytes = writer.finish().map_err(|e| MetadataError::Serialize(e.to_string()))?;
    String::from_utf8(bytes).map_err(|e| MetadataError::Serialize(e.to_string()))
}
