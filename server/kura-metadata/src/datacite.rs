//! DataCite Metadata Schema 4.7 XML (for DOI registration and OAI-PMH `oai_datacite`).
//!
//! `identifier` is required by the schema: the DOI when the dataset has one, otherwise the PID
//! URL with `identifierType="URL"` (the 4.7 XSD does not restrict the type; DataCite itself only
//! registers DOIs, so such a record is for harvesting, not for minting). The PID URL and Kura's
//! dataset id are also given as alternate identifiers.

use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesText, Event};
use std::io;

use crate::error::MetadataError;
use crate::fos;
use crate::profile::{Agent, AgentKind};
use crate::spdx;
use crate::view::{AccessLevel, DatasetView};
use crate::xml::allowed;

type W = Writer<Vec<u8>>;

/// The DataCite XML record of a dataset version.
pub fn to_datacite_xml(view: &DatasetView) -> Result<String, MetadataError> {
    let mut w = Writer::new_with_indent(Vec::new(), b' ', 2);
    write(&mut w, view).map_err(|e| MetadataError::Serialize(e.to_string()))?;
    String::from_utf8(w.into_inner()).map_err(|e| MetadataError::Serialize(e.to_string()))
}

fn text<'a>(w: &'a mut W, name: &'a str, attrs: &[(&str, &str)], value: &str) -> io::Result<&'a mut W> {
    let attrs = attrs.iter().map(|(k, v)| (*k, allowed(v)));
    w.create_element(name).with_attributes(attrs).write_text_content(BytesText::new(&allowed(value)))
}

fn write(w: &mut W, view: &DatasetView) -> io::Result<()> {
    let md = &view.metadata;
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    w.create_element("resource")
        .with_attribute(("xmlns", "http://datacite.org/schema/kernel-4"))
        .with_attribute(("xmlns:xsi", "http://www.w3.org/2001/XMLSchema-instance"))
        .with_attribute((
            "xsi:schemaLocation",
            "http://datacite.org/schema/kernel-4 https://schema.datacite.org/meta/kernel-4.7/metadata.xsd",
        ))
        .write_inner_content(|w| {
            match &md.doi {
                Some(doi) => text(w, "identifier", &[("identifierType", "DOI")], doi)?,
                None => text(w, "identifier", &[("identifierType", "URL")], &view.pid_url)?,
            };
            w.create_element("creators").write_inner_content(|w| {
                for creator in &md.creators {
                    agent(w, "creator", "creatorName", creator, None)?;
                }
                Ok(())
            })?;
            w.create_element("titles").write_inner_content(|w| {
                for (i, t) in md.titles.iter().enumerate() {
                    let mut attrs = vec![("xml:lang", t.lang.as_str())];
                    if i > 0 {
                        attrs.push(("titleType", "TranslatedTitle"));
                    }
                    text(w, "title", &attrs, &t.value)?;
                }
                Ok(())
            })?;
            let publisher = view.publisher();
            let mut attrs = Vec::new();
            if let Some(ror) = &publisher.ror {
                attrs = vec![
                    ("publisherIdentifier", ror.as_str()),
                    ("publisherIdentifierScheme", "ROR"),
                    ("schemeURI", "https://ror.org/"),
                ];
            }
            text(w, "publisher", &attrs, &publisher.name)?;
            let year = view.published.unwrap_or(view.created).format("%Y").to_string();
            text(w, "publicationYear", &[], &year)?;
            text(w, "resourceType", &[("resourceTypeGeneral", "Dataset")], "Dataset")?;
            if !md.subjects.is_empty() || !md.keywords.is_empty() {
                w.create_element("subjects").write_inner_content(|w| {
                    for s in &md.subjects {
                        if let Some(field) = fos::field(&s.code) {
                            let attrs = [
                                ("subjectScheme", fos::DATACITE_SCHEME),
                                ("schemeURI", fos::DATACITE_SCHEME_URI),
                                ("classificationCode", field.code),
                                ("xml:lang", "en"),
                            ];
                            text(w, "subject", &attrs, &format!("FOS: {}", field.en))?;
                        }
                    }
                    for k in &md.keywords {
                        text(w, "subject", &[("xml:lang", k.lang.as_str())], &k.value)?;
                    }
                    Ok(())
                })?;
            }
            if !md.contributors.is_empty() {
                w.create_element("contributors").write_inner_content(|w| {
                    for c in &md.contributors {
                        agent(w, "contributor", "contributorName", &c.agent, Some(&c.role))?;
                    }
                    Ok(())
                })?;
            }
            dates(w, view)?;
            if let Some(lang) = &md.language {
                text(w, "language", &[], lang)?;
            }
            w.create_element("alternateIdentifiers").write_inner_content(|w| {
                if md.doi.is_some() {
                    text(w, "alternateIdentifier", &[("alternateIdentifierType", "URL")], &view.pid_url)?;
                }
                text(w, "alternateIdentifier", &[("alternateIdentifierType", "Kura dataset id")], &view.id)?;
                Ok(())
            })?;
            let related = related_identifiers(view);
            if !related.is_empty() {
                w.create_element("relatedIdentifiers").write_inner_content(|w| {
                    for (kind, relation, identifier) in related {
                        let attrs = [("relatedIdentifierType", kind), ("relationType", relation)];
                        text(w, "relatedIdentifier", &attrs, identifier)?;
                    }
                    Ok(())
                })?;
            }
            sizes_and_formats(w, view)?;
            if let Some(version) = &md.version {
                text(w, "version", &[], version)?;
            } else {
                text(w, "version", &[], &view.version.to_string())?;
            }
            rights(w, view)?;
            w.create_element("descriptions").write_inner_content(|w| {
                for d in &md.descriptions {
                    text(
                        w,
                        "description",
                        &[("xml:lang", d.lang.as_str()), ("descriptionType", "Abstract")],
                        &d.value,
                    )?;
                }
                for m in &md.methods {
                    text(w, "description", &[("xml:lang", m.lang.as_str()), ("descriptionType", "Methods")], &m.value)?;
                }
                if !md.instruments.is_empty() || !md.samples.is_empty() {
                    let mut parts: Vec<String> =
                        md.instruments.iter().map(|i| format!("instrument: {}", i.name)).collect();
                    parts.extend(md.samples.iter().map(|s| format!("sample: {}", s.name)));
                    text(
                        w,
                        "description",
                        &[("xml:lang", "en"), ("descriptionType", "TechnicalInfo")],
                        &parts.join("; "),
                    )?;
                }
                Ok(())
            })?;
            geo(w, view)?;
            if !md.funding.is_empty() {
                w.create_element("fundingReferences").write_inner_content(|w| {
                    for f in &md.funding {
                        w.create_element("fundingReference").write_inner_content(|w| {
                            text(w, "funderName", &[], &f.funder_name)?;
                            if let (Some(id), Some(kind)) = (&f.funder_identifier, &f.funder_identifier_type) {
                                text(w, "funderIdentifier", &[("funderIdentifierType", kind.as_str())], id)?;
                            }
                            if let Some(number) = &f.award_number {
                                let attrs: Vec<(&str, &str)> =
                                    f.award_uri.iter().map(|u| ("awardURI", u.as_str())).collect();
                                text(w, "awardNumber", &attrs, number)?;
                            }
                            if let Some(title) = &f.award_title {
                                text(w, "awardTitle", &[], title)?;
                            }
                            Ok(())
                        })?;
                    }
                    Ok(())
                })?;
            }
            Ok(())
        })?;
    Ok(())
}

/// The metadata's related identifiers, then each version a compute job derived this one from
/// (by its PID URL): `(relatedIdentifierType, relationType, identifier)`.
fn related_identifiers(view: &DatasetView) -> Vec<(&str, &str, &str)> {
    let listed = view.metadata.related_identifiers.iter();
    let mut related: Vec<_> =
        listed.map(|r| (r.identifier_type.as_str(), r.relation_type.as_str(), r.identifier.as_str())).collect();
    let inputs = view.derivation.iter().flat_map(|d| &d.inputs);
    for input in inputs {
        let entry = ("URL", "IsDerivedFrom", input.pid_url.as_str());
        if !related.contains(&entry) {
            related.push(entry);
        }
    }
    related
}

fn agent(w: &mut W, element: &str, name_element: &str, a: &Agent, role: Option<&str>) -> io::Result<()> {
    let attrs: Vec<(&str, &str)> = role.iter().map(|r| ("contributorType", *r)).collect();
    w.create_element(element).with_attributes(attrs).write_inner_content(|w| {
        let name_type = match a.kind {
            AgentKind::Person => "Personal",
            AgentKind::Organization => "Organizational",
        };
        text(w, name_element, &[("nameType", name_type)], &a.name)?;
        if let Some(given) = &a.given_name {
            text(w, "givenName", &[], given)?;
        }
        if let Some(family) = &a.family_name {
            text(w, "familyName", &[], family)?;
        }
        if let Some(orcid) = a.orcid_iri() {
            text(
                w,
                "nameIdentifier",
                &[("nameIdentifierScheme", "ORCID"), ("schemeURI", "https://orcid.org")],
                &orcid,
            )?;
        }
        if let Some(ror) = &a.ror {
            text(w, "nameIdentifier", &[("nameIdentifierScheme", "ROR"), ("schemeURI", "https://ror.org")], ror)?;
        }
        for aff in &a.affiliations {
            let mut attrs = Vec::new();
            if let Some(ror) = &aff.ror {
                attrs = vec![
                    ("affiliationIdentifier", ror.as_str()),
                    ("affiliationIdentifierScheme", "ROR"),
                    ("schemeURI", "https://ror.org"),
                ];
            }
            text(w, "affiliation", &attrs, &aff.name)?;
        }
        Ok(())
    })?;
    Ok(())
}

fn dates(w: &mut W, view: &DatasetView) -> io::Result<()> {
    w.create_element("dates").write_inner_content(|w| {
        text(w, "date", &[("dateType", "Created")], &view.created.format("%Y-%m-%d").to_string())?;
        if let Some(published) = &view.published {
            text(w, "date", &[("dateType", "Issued")], &published.format("%Y-%m-%d").to_string())?;
        }
        text(w, "date", &[("dateType", "Updated")], &view.modified.format("%Y-%m-%d").to_string())?;
        if let AccessLevel::Embargoed { until } = &view.access {
            text(w, "date", &[("dateType", "Available")], &until.format("%Y-%m-%d").to_string())?;
        }
        if let Some(t) = &view.metadata.temporal_coverage {
            let end = t.end.map(|e| e.to_string()).unwrap_or_else(|| "open".into());
            text(w, "date", &[("dateType", "Collected")], &format!("{}/{end}", t.start))?;
        }
        Ok(())
    })?;
    Ok(())
}

fn sizes_and_formats(w: &mut W, view: &DatasetView) -> io::Result<()> {
    if view.files.is_empty() && view.tables.is_empty() {
        return Ok(());
    }
    let bytes: u64 = view.files.iter().map(|f| f.size).sum();
    let rows: u64 = view.tables.iter().map(|t| t.row_count).sum();
    w.create_element("sizes").write_inner_content(|w| {
        text(w, "size", &[], &format!("{} files", view.files.len()))?;
        text(w, "size", &[], &format!("{bytes} bytes"))?;
        if !view.tables.is_empty() {
            text(w, "size", &[], &format!("{} tables, {rows} rows", view.tables.len()))?;
        }
        Ok(())
    })?;
    let mut formats: Vec<&str> = view.files.iter().map(|f| f.media_type.as_str()).collect();
    if !view.tables.is_empty() {
        formats.push(crate::rdf::PARQUET_MEDIA_TYPE);
    }
    formats.sort_unstable();
    formats.dedup();
    w.create_element("formats").write_inner_content(|w| {
        for f in formats {
            text(w, "format", &[], f)?;
        }
        Ok(())
    })?;
    Ok(())
}

/// The licence, and the access level in the COAR access-rights vocabulary DataCite records use.
fn rights(w: &mut W, view: &DatasetView) -> io::Result<()> {
    let (coar, label) = match &view.access {
        AccessLevel::Open => ("c_abf2", "open access"),
        AccessLevel::Embargoed { .. } if view.data_is_public() => ("c_abf2", "open access"),
        AccessLevel::Embargoed { .. } => ("c_f1cf", "embargoed access"),
        AccessLevel::Consortium { .. } | AccessLevel::Restricted => ("c_16ec", "restricted access"),
        AccessLevel::Closed => ("c_14cb", "metadata only access"),
    };
    w.create_element("rightsList").write_inner_content(|w| {
        if let Some(id) = view.license() {
            let name = spdx::license_name(id).unwrap_or(id);
            let url = spdx::license_url(id);
            let attrs = [
                ("xml:lang", "en"),
                ("rightsURI", url.as_str()),
                ("rightsIdentifier", id),
                ("rightsIdentifierScheme", "SPDX"),
                ("schemeURI", "https://spdx.org/licenses/"),
            ];
            text(w, "rights", &attrs, name)?;
        }
        let uri = format!("http://purl.org/coar/access_right/{coar}");
        text(w, "rights", &[("xml:lang", "en"), ("rightsURI", uri.as_str())], label)?;
        Ok(())
    })?;
    Ok(())
}

fn geo(w: &mut W, view: &DatasetView) -> io::Result<()> {
    let Some(s) = &view.metadata.spatial_coverage else { return Ok(()) };
    w.create_element("geoLocations").write_inner_content(|w| {
        w.create_element("geoLocation").write_inner_content(|w| {
            text(w, "geoLocationPlace", &[], &s.place)?;
            if let Some(p) = &s.point {
                w.create_element("geoLocationPoint").write_inner_content(|w| {
                    text(w, "pointLongitude", &[], &p.longitude.to_string())?;
                    text(w, "pointLatitude", &[], &p.latitude.to_string())?;
                    Ok(())
                })?;
            }
            if let Some(b) = &s.bbox {
                w.create_element("geoLocationBox").write_inner_content(|w| {
                    text(w, "westBoundLongitude", &[], &b.west.to_string())?;
                    text(w, "eastBoundLongitude", &[], &b.east.to_string())?;
                    text(w, "southBoundLatitude", &[], &b.south.to_string())?;
                    text(w, "northBoundLatitude", &[], &b.north.to_string())?;
                    Ok(())
                })?;
            }
            Ok(())
        })?;
        Ok(())
    })?;
    Ok(())
}
