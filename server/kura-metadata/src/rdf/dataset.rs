//! The `dcat:Dataset` node and everything hanging off it directly.

use oxrdf::{Literal, NamedOrBlankNode};

use super::agents::{agent, contact_point, publisher, relation_predicate};
use super::{Builder, blank, distribution, iri, named, part, policy, prov, term};
use crate::error::MetadataError;
use crate::fos;
use crate::spdx;
use crate::view::{AccessLevel, DatasetView};
use crate::vocab::{
    ACCESS_RIGHT, ADMS, DATA_THEME, DCAT, DCT, FOAF, GSP, ISO639_1, KURA, LOCN, PROV, RDFS, SCHEMA, SKOS,
};

/// Adds the dataset and returns its node (the PID URL).
pub(super) fn add_dataset(b: &mut Builder, view: &DatasetView) -> Result<NamedOrBlankNode, MetadataError> {
    let ds = iri(&view.pid_url)?;
    let md = &view.metadata;
    b.typed(&ds, &[term(DCAT, "Dataset")]);
    for t in &md.titles {
        b.add_lang(&ds, term(DCT, "title"), &t.value, &t.lang)?;
    }
    for d in &md.descriptions {
        b.add_lang(&ds, term(DCT, "description"), &d.value, &d.lang)?;
    }
    b.add_str(&ds, term(DCT, "identifier"), &view.pid_url);
    if let Some(doi) = &md.doi {
        let id = blank();
        b.typed(&id, &[term(ADMS, "Identifier")]);
        b.add_str(&id, term(SKOS, "notation"), doi);
        b.add(&ds, term(ADMS, "identifier"), id);
        let page = document(b, &format!("https://doi.org/{doi}"))?;
        b.add(&ds, term(FOAF, "page"), page);
    }
    if let Some(published) = &view.published {
        b.add_datetime(&ds, term(DCT, "issued"), published);
    }
    b.add_datetime(&ds, term(DCT, "modified"), &view.modified);
    b.add_str(&ds, term(DCAT, "version"), &view.version.to_string());
    if let Some(label) = &md.version {
        b.add_str(&ds, term(ADMS, "versionNotes"), &format!("authors' version {label}"));
    }
    let landing = document(b, &view.landing_url)?;
    b.add(&ds, term(DCAT, "landingPage"), landing);
    publisher(b, &ds, view.publisher())?;
    for creator in &md.creators {
        let node = agent(b, creator)?;
        b.add(&ds, term(DCT, "creator"), node);
    }
    for contributor in &md.contributors {
        let node = agent(b, &contributor.agent)?;
        b.add(&ds, term(DCT, "contributor"), node);
    }
    let contact = contact_point(b, view)?;
    b.add(&ds, term(DCAT, "contactPoint"), contact);
    for k in &md.keywords {
        b.add_lang(&ds, term(DCAT, "keyword"), &k.value, &k.lang)?;
    }
    add_subjects(b, &ds, view)?;
    if let Some(license) = view.license() {
        let node = license_document(b, license)?;
        b.add(&ds, term(DCT, "license"), node);
    }
    add_access(b, &ds, view)?;
    if let Some(lang) = &md.language {
        let primary = lang.split('-').next().unwrap_or(lang).to_ascii_lowercase();
        let node = iri(&format!("{ISO639_1}{primary}"))?;
        b.typed(&node, &[term(DCT, "LinguisticSystem")]);
        b.add(&ds, term(DCT, "language"), node);
    }
    add_coverage(b, &ds, view)?;
    add_related(b, &ds, view)?;
    add_funding(b, &ds, view)?;
    prov::add_acquisition(b, &ds, view)?;
    super::derivation::add_derivation(b, &ds, view)?;
    distribution::add_distributions(b, &ds, view)?;
    Ok(ds)
}

/// A web page as a `foaf:Document`.
pub(super) fn document(b: &mut Builder, url: &str) -> Result<NamedOrBlankNode, MetadataError> {
    let node = iri(url)?;
    b.typed(&node, &[term(FOAF, "Document")]);
    Ok(node)
}

/// The licence as a `dct:LicenseDocument` with its SPDX name.
pub(super) fn license_document(b: &mut Builder, id: &str) -> Result<NamedOrBlankNode, MetadataError> {
    let node = iri(&spdx::license_iri(id))?;
    b.typed(&node, &[term(DCT, "LicenseDocument")]);
    b.add_str(&node, term(RDFS, "label"), spdx::license_name(id).unwrap_or(id));
    b.add_str(&node, term(DCT, "identifier"), id);
    Ok(node)
}

/// FOS subjects as `dct:subject` concepts and their EU data themes as `dcat:theme`.
fn add_subjects(b: &mut Builder, ds: &NamedOrBlankNode, view: &DatasetView) -> Result<(), MetadataError> {
    let mut themes = Vec::new();
    for subject in &view.metadata.subjects {
        let Some(field) = fos::field(&subject.code) else { continue };
        let concept = blank();
        b.typed(&concept, &[term(SKOS, "Concept")]);
        b.add_lang(&concept, term(SKOS, "prefLabel"), field.en, "en")?;
        b.add_lang(&concept, term(SKOS, "prefLabel"), field.ja, "ja")?;
        b.add_str(&concept, term(SKOS, "notation"), field.code);
        b.add(&concept, term(SKOS, "inScheme"), named(&format!("{KURA}FieldsOfScience"))?);
        b.add(ds, term(DCT, "subject"), concept);
        if !themes.contains(&field.theme) {
            themes.push(field.theme);
        }
    }
    for code in themes {
        let theme = iri(&format!("{DATA_THEME}{code}"))?;
        b.typed(&theme, &[term(SKOS, "Concept")]);
        b.add_lang(&theme, term(SKOS, "prefLabel"), fos::theme_label(code), "en")?;
        b.add(&theme, term(SKOS, "inScheme"), named(DATA_THEME.trim_end_matches('/'))?);
        b.add(ds, term(DCAT, "theme"), theme);
    }
    Ok(())
}

/// `dct:accessRights` from the EU access-right table, Kura's own level, and the ODRL policy.
///
/// open → PUBLIC; embargoed → NON_PUBLIC until the embargo ends (judged at `as_of`), PUBLIC
/// after; consortium and restricted → RESTRICTED (anyone may ask or join); closed → NON_PUBLIC.
fn add_access(b: &mut Builder, ds: &NamedOrBlankNode, view: &DatasetView) -> Result<(), MetadataError> {
    let (code, label) = access_right(view);
    let rights = iri(&format!("{ACCESS_RIGHT}{code}"))?;
    b.typed(&rights, &[term(DCT, "RightsStatement")]);
    b.add_lang(&rights, term(RDFS, "label"), label, "en")?;
    b.add(ds, term(DCT, "accessRights"), rights);
    let level = named(&format!("{KURA}{}", level_local(&view.access)))?;
    b.add(ds, term(KURA, "accessLevel"), level);
    if let AccessLevel::Embargoed { until } = &view.access {
        b.add_datetime(ds, term(KURA, "embargoEnd"), until);
    }
    if let Some(terms) = &view.terms {
        let node = blank();
        b.typed(&node, &[term(DCT, "RightsStatement")]);
        b.add_str(&node, term(RDFS, "label"), terms);
        b.add(ds, term(DCT, "rights"), node);
    }
    policy::add_policy(b, ds, view)?;
    Ok(())
}

/// The EU access-right code and its label for the view's level at `as_of`.
pub(crate) fn access_right(view: &DatasetView) -> (&'static str, &'static str) {
    match &view.access {
        AccessLevel::Open => ("PUBLIC", "public"),
        AccessLevel::Embargoed { .. } if view.data_is_public() => ("PUBLIC", "public"),
        AccessLevel::Embargoed { .. } | AccessLevel::Closed => ("NON_PUBLIC", "non-public"),
        AccessLevel::Consortium { .. } | AccessLevel::Restricted => ("RESTRICTED", "restricted"),
    }
}

fn level_local(level: &AccessLevel) -> &'static str {
    match level {
        AccessLevel::Open => "OpenAccess",
        AccessLevel::Embargoed { .. } => "EmbargoedAccess",
        AccessLevel::Consortium { .. } => "ConsortiumAccess",
        AccessLevel::Restricted => "RestrictedAccess",
        AccessLevel::Closed => "ClosedAccess",
    }
}

fn add_coverage(b: &mut Builder, ds: &NamedOrBlankNode, view: &DatasetView) -> Result<(), MetadataError> {
    if let Some(t) = &view.metadata.temporal_coverage {
        let period = blank();
        b.typed(&period, &[term(DCT, "PeriodOfTime")]);
        b.add_date(&period, term(DCAT, "startDate"), &t.start);
        if let Some(end) = &t.end {
            b.add_date(&period, term(DCAT, "endDate"), end);
        }
        b.add(ds, term(DCT, "temporal"), period);
    }
    if let Some(s) = &view.metadata.spatial_coverage {
        let location = blank();
        b.typed(&location, &[term(DCT, "Location")]);
        b.add_str(&location, term(LOCN, "geographicName"), &s.place);
        b.add_str(&location, term(SKOS, "prefLabel"), &s.place);
        let wkt = term(GSP, "wktLiteral");
        if let Some(p) = &s.point {
            let point = format!("POINT({} {})", p.longitude, p.latitude);
            b.add(&location, term(DCAT, "centroid"), Literal::new_typed_literal(point, wkt.clone()));
        }
        if let Some(bb) = &s.bbox {
            let (w, e, so, n) = (bb.west, bb.east, bb.south, bb.north);
            let polygon = format!("POLYGON(({w} {so},{e} {so},{e} {n},{w} {n},{w} {so}))");
            b.add(&location, term(DCAT, "bbox"), Literal::new_typed_literal(polygon, wkt));
        }
        b.add(ds, term(DCT, "spatial"), location);
    }
    Ok(())
}

fn add_related(b: &mut Builder, ds: &NamedOrBlankNode, view: &DatasetView) -> Result<(), MetadataError> {
    for related in &view.metadata.related_identifiers {
        // Identifiers without a resolver (ISBN, PMID, …) appear only in DataCite XML.
        let Some(target) = related.iri() else { continue };
        let predicate = match related.relation_type.as_str() {
            "IsDerivedFrom" => term(PROV, "wasDerivedFrom"),
            other => relation_predicate(other),
        };
        b.add(ds, predicate, named(&target)?);
    }
    Ok(())
}

/// Grants as schema.org `MonetaryGrant`s (DCAT-AP has no funding property).
fn add_funding(b: &mut Builder, ds: &NamedOrBlankNode, view: &DatasetView) -> Result<(), MetadataError> {
    for (i, funding) in view.metadata.funding.iter().enumerate() {
        let grant = match &funding.award_uri {
            Some(uri) => iri(uri)?,
            None => part(&view.pid_url, "grant", &i.to_string())?,
        };
        b.typed(&grant, &[term(SCHEMA, "MonetaryGrant")]);
        if let Some(number) = &funding.award_number {
            b.add_str(&grant, term(SCHEMA, "identifier"), number);
        }
        if let Some(title) = &funding.award_title {
            b.add_str(&grant, term(SCHEMA, "name"), title);
        }
        let funder = match &funding.funder_identifier {
            Some(id) => iri(id)?,
            None => blank(),
        };
        b.typed(&funder, &[term(SCHEMA, "Organization"), term(FOAF, "Agent"), term(FOAF, "Organization")]);
        b.add_str(&funder, term(FOAF, "name"), &funding.funder_name);
        b.add_str(&funder, term(SCHEMA, "name"), &funding.funder_name);
        b.add(&grant, term(SCHEMA, "funder"), funder);
        b.add(ds, term(SCHEMA, "funding"), grant);
    }
    Ok(())
}
