//! Consortia: starting one, its members, its agreement versions, accepting the current one. A
//! consortium is managed by platform administrators and the stewards of its coordinating group
//! (`Governance::ManageConsortium`); consortia are public, so a refusal says who may (403, or
//! 401 without credentials) rather than "not found".

use kura_catalog::consortia::{ConsortiumDetail, Member};
use kura_catalog::entity::{agreement, consortium};
use kura_core::Principal;
use kura_core::access::{Decision, Governance, decide_governance};
use uuid::Uuid;

use crate::access::{govern_change, require_write, signed_in};
use crate::{ServiceError, Services, Surface};

fn needs(what: &str) -> String {
    format!("{what} needs a platform administrator or a steward of the coordinating group")
}

/// Whether `principal` manages a consortium coordinated by `coordinator` (pages showing what
/// one may do ask this).
pub fn manages(principal: &Principal, coordinator: Option<Uuid>) -> bool {
    decide_governance(&principal.subject, Governance::ManageConsortium { coordinator }) == Decision::Allow
}

/// The consortium `id` if `principal` may change it; `what` names the change on refusal.
async fn coordinated(
    svc: &Services,
    principal: &Principal,
    id: Uuid,
    what: &str,
) -> Result<consortium::Model, ServiceError> {
    let consortium = svc.catalog.consortium(id).await?.consortium;
    let coordinator = consortium.coordinator_group_id;
    govern_change(principal, Governance::ManageConsortium { coordinator }, &needs(what))?;
    Ok(consortium)
}

/// A consortium to start.
#[derive(Debug, Clone, Copy)]
pub struct NewConsortium<'a> {
    pub name: &'a str,
    pub description: &'a str,
    /// The data-sharing agreement's terms (version 1).
    pub terms: &'a str,
    pub terms_url: Option<&'a str>,
    /// The group whose stewards manage it; its first member. Only administrators start one
    /// without.
    pub coordinator: Option<Uuid>,
}

/// Starts a consortium with its first agreement version: administrators any, stewards one
/// coordinated by a group they steward.
pub async fn create_consortium(
    svc: &Services,
    principal: &Principal,
    surface: Surface,
    new: NewConsortium<'_>,
) -> Result<consortium::Model, ServiceError> {
    let coordinator = new.coordinator;
    govern_change(principal, Governance::ManageConsortium { coordinator }, &needs("creating a consortium"))?;
    let actor = surface.actor(principal);
    Ok(svc.catalog.create_consortium(new.name, new.description, new.terms, new.terms_url, coordinator, actor).await?)
}

/// A consortium as `principal` may see it.
#[derive(Debug, Clone)]
pub struct ConsortiumView {
    /// Members and current agreement; who accepted only for those who manage it.
    pub detail: ConsortiumDetail,
    /// How many accepted the current agreement (for everyone).
    pub accepted_count: usize,
    /// Whether `principal` manages it.
    pub manages: bool,
}

/// The consortium `id`: who accepted is about people, so only those who manage it see names.
pub async fn consortium(svc: &Services, principal: &Principal, id: Uuid) -> Result<ConsortiumView, ServiceError> {
    let mut detail = svc.catalog.consortium(id).await?;
    let manages = manages(principal, detail.consortium.coordinator_group_id);
    let accepted_count = detail.accepted_by.len();
    if !manages {
        detail.accepted_by.clear();
    }
    Ok(ConsortiumView { detail, accepted_count, manages })
}

/// Adds a group or an organization to consortium `id`; one already there is a conflict.
pub async fn add_member(
    svc: &Services,
    principal: &Principal,
    surface: Surface,
    id: Uuid,
    member: Member,
) -> Result<(), ServiceError> {
    let consortium = coordinated(svc, principal, id, "adding a member").await?;
    Ok(svc.catalog.add_consortium_member(consortium.id, member, surface.actor(principal)).await?)
}

/// Publishes a new version of consortium `id`'s agreement: acceptance starts over.
pub async fn new_agreement_version(
    svc: &Services,
    principal: &Principal,
    surface: Surface,
    id: Uuid,
    terms: &str,
    url: Option<&str>,
) -> Result<agreement::Model, ServiceError> {
    let consortium = coordinated(svc, principal, id, "a new agreement version").await?;
    Ok(svc.catalog.new_agreement_version(consortium.id, terms, url, surface.actor(principal)).await?)
}

/// The signed-in principal accepts the current agreement of consortium `id`; returns it.
pub async fn accept_agreement(
    svc: &Services,
    principal: &Principal,
    surface: Surface,
    id: Uuid,
) -> Result<agreement::Model, ServiceError> {
    let user = signed_in(principal, "sign in to accept an agreement")?;
    require_write(principal)?;
    Ok(svc.catalog.accept_agreement(id, user, surface.actor(principal)).await?)
}
