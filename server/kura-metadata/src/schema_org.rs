//! schema.org `Dataset` JSON-LD, as embedded in landing pages for search engines.
//!
//! The context maps terms to `http://schema.org/` (not `https`): that is the namespace the
//! science-on-schema.org shapes (and schema.org's own RDF) use, so the output validates against
//! them when parsed without fetching any remote context. Search engines accept both.

use serde_json::{Value, json};

use crate::profile::{Agent, AgentKind, Organization, pick};
use crate::spdx;
use crate::view::{AccessLevel, DatasetView};

/// The JSON-LD context of the output.
pub fn schema_org_context() -> Value {
    json!({ "@vocab": "http://schema.org/" })
}

/// The schema.org description of a dataset version.
pub fn to_schema_org(view: &DatasetView) -> Value {
    let md = &view.metadata;
    let name = pick(&md.titles, "en").map(|t| t.value.clone()).unwrap_or_else(|| view.name.clone());
    let mut alternate: Vec<Value> =
        md.titles.iter().filter(|t| t.value != name).map(|t| json!({"@value": t.value, "@language": t.lang})).collect();
    if alternate.is_empty() {
        alternate.push(json!(view.name));
    }
    let mut doc = json!({
        "@context": schema_org_context(),
        "@type": "Dataset",
        "@id": view.pid_url,
        "name": name,
        "alternateName": alternate,
        "description": description(view),
        "url": view.landing_url,
        "identifier": md.doi.as_ref().map(|d| format!("https://doi.org/{d}")).unwrap_or_else(|| view.pid_url.clone()),
        "sameAs": view.pid_url,
        "version": view.version.to_string(),
        "creator": md.creators.iter().map(agent).collect::<Vec<_>>(),
        "publisher": organization(view.publisher()),
        "keywords": keywords(view),
        "isAccessibleForFree": view.data_is_public(),
        "conditionsOfAccess": conditions(view),
        "dateCreated": view.created.to_rfc3339(),
        "dateModified": view.modified.to_rfc3339(),
        "includedInDataCatalog": {
            "@type": "DataCatalog",
            "name": view.services.catalog_name,
            "url": view.services.catalog_url,
        },
        "citation": citation(view),
        "variableMeasured": variables(view),
        "distribution": distributions(view),
    });
    let obj = doc.as_object_mut().expect("built as an object");
    if let Some(published) = &view.published {
        obj.insert("datePublished".into(), json!(published.to_rfc3339()));
    }
    if !md.contributors.is_empty() {
        obj.insert("contributor".into(), md.contributors.iter().map(|c| agent(&c.agent)).collect());
    }
    if let Some(license) = view.license() {
        obj.insert("license".into(), json!(spdx::license_url(license)));
    }
    if let Some(lang) = &md.language {
        obj.insert("inLanguage".into(), json!(lang));
    }
    if let Some(t) = &md.temporal_coverage {
        let end = t.end.map(|e| e.to_string()).unwrap_or_else(|| "..".into());
        obj.insert("temporalCoverage".into(), json!(format!("{}/{end}", t.start)));
    }
    if let Some(s) = &md.spatial_coverage {
        let mut place = json!({"@type": "Place", "name": s.place});
        if let Some(p) = &s.point {
            place["geo"] = json!({"@type": "GeoCoordinates", "latitude": p.latitude, "longitude": p.longitude});
        } else if let Some(b) = &s.bbox {
            place["geo"] =
                json!({"@type": "GeoShape", "box": format!("{} {} {} {}", b.south, b.west, b.north, b.east)});
        }
        obj.insert("spatialCoverage".into(), place);
    }
    if !md.funding.is_empty() {
        obj.insert("funding".into(), md.funding.iter().map(grant).collect());
    }
    let techniques: Vec<Value> = md
        .methods
        .iter()
        .map(|m| json!({"@value": m.value, "@language": m.lang}))
        .chain(md.instruments.iter().map(|i| json!(i.name)))
        .collect();
    if !techniques.is_empty() {
        obj.insert("measurementTechnique".into(), Value::Array(techniques));
    }
    doc
}

/// The English description, or the longest one when the English one is too short for search
/// engines (the profile guarantees one of at least 50 characters).
fn description(view: &DatasetView) -> String {
    let texts = &view.metadata.descriptions;
    match pick(texts, "en") {
        Some(d) if d.value.chars().count() >= 50 => d.value.clone(),
        _ => texts.iter().max_by_key(|d| d.value.chars().count()).map(|d| d.value.clone()).unwrap_or_default(),
    }
}

fn agent(agent: &Agent) -> Value {
    let kind = match agent.kind {
        AgentKind::Person => "Person",
        AgentKind::Organization => "Organization",
    };
    let mut v = json!({"@type": kind, "name": agent.name});
    if let Some(orcid) = agent.orcid_iri() {
        v["@id"] = json!(orcid);
        v["identifier"] = json!(orcid);
    } else if let Some(ror) = &agent.ror {
        v["@id"] = json!(ror);
        v["identifier"] = json!(ror);
    }
    if let Some(given) = &agent.given_name {
        v["givenName"] = json!(given);
    }
    if let Some(family) = &agent.family_name {
        v["familyName"] = json!(family);
    }
    if !agent.affiliations.is_empty() {
        v["affiliation"] = agent.affiliations.iter().map(organization).collect();
    }
    v
}

fn organization(org: &Organization) -> Value {
    let mut v = json!({"@type": "Organization", "name": org.name});
    if let Some(ror) = &org.ror {
        v["@id"] = json!(ror);
        v["identifier"] = json!(ror);
    }
    v
}

fn keywords(view: &DatasetView) -> Vec<Value> {
    let mut out: Vec<Value> = view.metadata.keywords.iter().map(|k| json!(k.value)).collect();
    for subject in &view.metadata.subjects {
        if let Some(field) = crate::fos::field(&subject.code) {
            out.push(json!(field.en));
        }
    }
    out
}

fn conditions(view: &DatasetView) -> String {
    let base = match &view.access {
        AccessLevel::Open => "open access: anyone may download the data".to_owned(),
        AccessLevel::Embargoed { until } if view.data_is_public() => {
            format!("open access since the embargo ended on {}", until.format("%Y-%m-%d"))
        }
        AccessLevel::Embargoed { until } => {
            format!("embargoed: the data open to everyone on {}; the metadata is public now", until.format("%Y-%m-%d"))
        }
        AccessLevel::Consortium { consortia } => {
            let names: Vec<&str> = consortia.iter().map(|c| c.name.as_str()).collect();
            format!("consortium access: members of {} who accepted the data-sharing agreement", names.join(", "))
        }
        AccessLevel::Restricted => "restricted access: request access; the data stewards decide".to_owned(),
        AccessLevel::Closed => "closed: only the owner group may see this dataset".to_owned(),
    };
    match &view.terms {
        Some(terms) => format!("{base}. Terms: {terms}"),
        None => base,
    }
}

/// One citation (the shapes want exactly one): the first related publication, else the data
/// citation of the dataset itself as text.
fn citation(view: &DatasetView) -> Value {
    const PUBLICATION: &[&str] = &["IsSupplementTo", "IsDescribedBy", "IsDocumentedBy", "IsCitedBy", "IsReferencedBy"];
    let related = view.metadata.related_identifiers.iter().find(|r| PUBLICATION.contains(&r.relation_type.as_str()));
    if let Some(url) = related.and_then(|r| r.iri()) {
        return json!({"@type": "CreativeWork", "@id": url, "url": url});
    }
    Value::String(data_citation(view))
}

/// "Family, G., Other, H. (2025). Title (Version 2) [Data set]. Publisher. PID".
pub(crate) fn data_citation(view: &DatasetView) -> String {
    let md = &view.metadata;
    let authors: Vec<&str> = md.creators.iter().map(|c| c.name.as_str()).collect();
    let year = view.published.unwrap_or(view.created).format("%Y");
    let title = pick(&md.titles, "en").map(|t| t.value.as_str()).unwrap_or(&view.name);
    let id = md.doi.as_ref().map(|d| format!("https://doi.org/{d}")).unwrap_or_else(|| view.pid_url.clone());
    format!(
        "{} ({year}). {title} (Version {}) [Data set]. {}. {id}",
        authors.join("; "),
        view.version,
        view.publisher().name
    )
}

fn variables(view: &DatasetView) -> Vec<Value> {
    let mut out = Vec::new();
    for table in &view.tables {
        for column in table.columns.iter().filter(|c| !c.masked || view.include_masked) {
            let mut v = json!({"@type": "PropertyValue", "name": column.name});
            if let Some(label) = &column.original_label {
                v["alternateName"] = json!(label);
            }
            if let Some(qudt) = &column.qudt {
                v["unitCode"] = json!(qudt);
            } else if let Some(ucum) = &column.ucum {
                v["unitCode"] = json!(ucum);
            }
            if let Some(unit) = column.ucum.as_ref().or(column.unit.as_ref()) {
                v["unitText"] = json!(unit);
            }
            if let Some(concept) = &column.concept {
                v["propertyID"] = json!(concept);
            }
            if let Some(description) = &column.description {
                v["description"] = json!(description);
            }
            out.push(v);
        }
    }
    for name in &view.metadata.variables_measured {
        out.push(json!(name));
    }
    out
}

fn distributions(view: &DatasetView) -> Vec<Value> {
    let files = view.files.iter().map(|f| {
        json!({
            "@type": "DataDownload",
            "name": f.path,
            "contentUrl": f.download_url,
            "encodingFormat": f.media_type,
            "contentSize": format!("{} B", f.size),
            "sha256": f.sha256,
        })
    });
    let tables = view.tables.iter().map(|t| {
        json!({
            "@type": "DataDownload",
            "name": t.name,
            "contentUrl": t.parquet_url,
            "encodingFormat": crate::rdf::PARQUET_MEDIA_TYPE,
        })
    });
    files.chain(tables).collect()
}

fn grant(f: &crate::profile::Funding) -> Value {
    let mut funder = json!({"@type": "Organization", "name": f.funder_name});
    if let Some(id) = &f.funder_identifier {
        funder["@id"] = json!(id);
        funder["identifier"] = json!(id);
    }
    let mut g = json!({"@type": "MonetaryGrant", "funder": funder});
    if let Some(number) = &f.award_number {
        g["identifier"] = json!(number);
    }
    if let Some(title) = &f.award_title {
        g["name"] = json!(title);
    }
    if let Some(uri) = &f.award_uri {
        g["url"] = json!(uri);
    }
    g
}
