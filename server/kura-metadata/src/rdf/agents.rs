//! People and organizations: FOAF agents (ORCID or ROR IRIs where known), affiliations through
//! the W3C organization ontology, and vCard contact points.

use oxrdf::{NamedNode, NamedOrBlankNode};

use super::{Builder, blank, iri, named, term};
use crate::error::MetadataError;
use crate::profile::{Agent, AgentKind, Contact, Organization};
use crate::view::DatasetView;
use crate::vocab::{DCT, FOAF, ORG, VCARD};

/// An organization as a `foaf:Agent` (its ROR IRI when it has one).
pub(super) fn organization(b: &mut Builder, org: &Organization) -> Result<NamedOrBlankNode, MetadataError> {
    let node = match &org.ror {
        Some(ror) => iri(ror)?,
        None => blank(),
    };
    b.typed(&node, &[term(FOAF, "Agent"), term(FOAF, "Organization")]);
    b.add_str(&node, term(FOAF, "name"), &org.name);
    Ok(node)
}

/// A creator or contributor as a `foaf:Agent`, person or organization.
pub(super) fn agent(b: &mut Builder, agent: &Agent) -> Result<NamedOrBlankNode, MetadataError> {
    let node = match (&agent.orcid_iri(), &agent.ror) {
        (Some(orcid), _) => iri(orcid)?,
        (None, Some(ror)) => iri(ror)?,
        _ => blank(),
    };
    let kind = match agent.kind {
        AgentKind::Person => "Person",
        AgentKind::Organization => "Organization",
    };
    b.typed(&node, &[term(FOAF, "Agent"), term(FOAF, kind)]);
    b.add_str(&node, term(FOAF, "name"), &agent.name);
    if let Some(given) = &agent.given_name {
        b.add_str(&node, term(FOAF, "givenName"), given);
    }
    if let Some(family) = &agent.family_name {
        b.add_str(&node, term(FOAF, "familyName"), family);
    }
    for affiliation in &agent.affiliations {
        let org = organization(b, affiliation)?;
        b.add(&node, term(ORG, "memberOf"), org);
    }
    Ok(node)
}

/// The dataset's contact point: the metadata's contact, else the owner group.
pub(super) fn contact_point(b: &mut Builder, view: &DatasetView) -> Result<NamedOrBlankNode, MetadataError> {
    let node = blank();
    match &view.metadata.contact {
        Some(Contact { name, email, url }) => {
            b.typed(&node, &[term(VCARD, "Kind"), term(VCARD, "Individual")]);
            b.add_str(&node, term(VCARD, "fn"), name);
            if let Some(email) = email {
                b.add(&node, term(VCARD, "hasEmail"), named(&format!("mailto:{email}"))?);
            }
            if let Some(url) = url {
                b.add(&node, term(VCARD, "hasURL"), named(url)?);
            }
        }
        None => {
            b.typed(&node, &[term(VCARD, "Kind"), term(VCARD, "Organization")]);
            b.add_str(&node, term(VCARD, "fn"), &view.owner.group_name);
            b.add_str(&node, term(VCARD, "organization-name"), &view.owner.organization.name);
            b.add(&node, term(VCARD, "hasURL"), named(&view.landing_url)?);
        }
    }
    Ok(node)
}

/// `dct:publisher` of a resource.
pub(super) fn publisher(b: &mut Builder, subject: &NamedOrBlankNode, org: &Organization) -> Result<(), MetadataError> {
    let node = organization(b, org)?;
    b.add(subject, term(DCT, "publisher"), node);
    Ok(())
}

/// The predicate for a DataCite relation type; `dct:relation` where DCT has nothing closer.
pub(super) fn relation_predicate(relation_type: &str) -> NamedNode {
    let local = match relation_type {
        "Cites" | "References" => "references",
        "IsCitedBy" | "IsReferencedBy" => "isReferencedBy",
        "IsPartOf" | "IsPublishedIn" => "isPartOf",
        "HasPart" => "hasPart",
        "IsVersionOf" | "IsNewVersionOf" => "isVersionOf",
        "HasVersion" | "IsPreviousVersionOf" => "hasVersion",
        "Requires" => "requires",
        "IsRequiredBy" => "isRequiredBy",
        "Obsoletes" => "replaces",
        "IsObsoletedBy" => "isReplacedBy",
        "IsDocumentedBy" | "IsDescribedBy" => "isReferencedBy",
        _ => "relation",
    };
    term(DCT, local)
}
