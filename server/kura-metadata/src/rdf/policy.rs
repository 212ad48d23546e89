//! The access policy as ODRL: an `odrl:Set` for open, embargoed and closed data (what is allowed,
//! to whom, from when) and an `odrl:Offer` by the owner's organization where a party must do
//! something first (accept a consortium agreement, obtain the stewards' consent).

use oxrdf::NamedOrBlankNode;

use super::{Builder, blank, iri, named, part, term};
use crate::error::MetadataError;
use crate::view::{AccessLevel, DatasetView};
use crate::vocab::{FOAF, KURA, ODRL, RDFS};

/// The policy's IRI (`{pid}#policy-access`), shared by the dataset and each distribution.
pub(super) fn policy_iri(view: &DatasetView) -> Result<NamedOrBlankNode, MetadataError> {
    part(&view.pid_url, "policy", "access")
}

/// Adds the policy and links the dataset to it.
pub(super) fn add_policy(b: &mut Builder, ds: &NamedOrBlankNode, view: &DatasetView) -> Result<(), MetadataError> {
    let policy = policy_iri(view)?;
    let offer = matches!(view.access, AccessLevel::Consortium { .. } | AccessLevel::Restricted);
    let kind = if offer { "Offer" } else { "Set" };
    b.typed(&policy, &[term(ODRL, "Policy"), term(ODRL, kind)]);
    b.add(&policy, term(ODRL, "uid"), policy.clone());
    b.add(ds, term(ODRL, "hasPolicy"), policy.clone());
    let owner = owner_party(b, view)?;
    if offer {
        let assigner = super::agents::organization(b, &view.owner.organization)?;
        b.add(&policy, term(ODRL, "assigner"), assigner);
    }
    // The owner group may always use the data.
    permission(b, &policy, ds, Some(&owner));
    match &view.access {
        AccessLevel::Open => {
            permission(b, &policy, ds, None);
        }
        AccessLevel::Embargoed { until } => {
            let p = permission(b, &policy, ds, None);
            let constraint = blank();
            b.typed(&constraint, &[term(ODRL, "Constraint")]);
            b.add(&constraint, term(ODRL, "leftOperand"), term(ODRL, "dateTime"));
            b.add(&constraint, term(ODRL, "operator"), term(ODRL, "gteq"));
            b.add_datetime(&constraint, term(ODRL, "rightOperand"), until);
            b.add(&p, term(ODRL, "constraint"), constraint);
        }
        AccessLevel::Consortium { consortia } => {
            for consortium in consortia {
                let party = iri(&format!("{}/consortia/{}", view.services.api_url, consortium.id))?;
                b.typed(&party, &[term(ODRL, "PartyCollection"), term(FOAF, "Group")]);
                b.add_str(&party, term(FOAF, "name"), &consortium.name);
                let p = permission(b, &policy, ds, Some(&party));
                let duty = blank();
                b.typed(&duty, &[term(ODRL, "Duty")]);
                b.add(&duty, term(ODRL, "action"), named(&format!("{KURA}acceptAgreement"))?);
                if let Some(url) = &consortium.agreement_url {
                    b.add(&duty, term(ODRL, "target"), named(url)?);
                }
                b.add(&p, term(ODRL, "duty"), duty);
            }
        }
        AccessLevel::Restricted => {
            let p = permission(b, &policy, ds, None);
            let duty = blank();
            b.typed(&duty, &[term(ODRL, "Duty")]);
            b.add(&duty, term(ODRL, "action"), term(ODRL, "obtainConsent"));
            b.add(&duty, term(ODRL, "consentingParty"), owner);
            b.add(&p, term(ODRL, "duty"), duty);
        }
        AccessLevel::Closed => {}
    }
    Ok(())
}

/// The owner group as an ODRL party (its API resource IRI).
fn owner_party(b: &mut Builder, view: &DatasetView) -> Result<NamedOrBlankNode, MetadataError> {
    let party = iri(&format!("{}/groups/{}", view.services.api_url, view.owner.group_id))?;
    b.typed(&party, &[term(ODRL, "PartyCollection"), term(FOAF, "Group")]);
    b.add_str(&party, term(FOAF, "name"), &view.owner.group_name);
    b.add_str(&party, term(RDFS, "label"), &format!("owner group of the dataset: {}", view.owner.group_name));
    Ok(party)
}

/// A permission to use the dataset, for `assignee` or (none) for anyone.
fn permission(
    b: &mut Builder,
    policy: &NamedOrBlankNode,
    ds: &NamedOrBlankNode,
    assignee: Option<&NamedOrBlankNode>,
) -> NamedOrBlankNode {
    let p = blank();
    b.typed(&p, &[term(ODRL, "Permission")]);
    b.add(&p, term(ODRL, "target"), ds.clone());
    b.add(&p, term(ODRL, "action"), term(ODRL, "use"));
    if let Some(assignee) = assignee {
        b.add(&p, term(ODRL, "assignee"), assignee.clone());
    }
    b.add(policy, term(ODRL, "permission"), p.clone());
    p
}
