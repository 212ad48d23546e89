//! What federation needs from this node: its trusted peers (admins manage them), what a home node
//! says about its user, and what a target node accepts of it — decided here, with this node's
//! own catalog, so the `kura-federation` crate never reads the catalog itself.

use chrono::{DateTime, Utc};
use kura_catalog::audit::AuditRecord;
use kura_catalog::entity::peer;
use kura_core::access::Governance;
use kura_core::{ErrorCode, PeerConfig, Principal};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::access::{govern, govern_change};
use crate::{ServiceError, Services, Surface};

/// The issuer under which this node records the users of partner node `node`.
pub fn user_issuer(node: &str) -> String {
    format!("kura-node:{node}")
}

/// What a home node asserts about its user besides who they are.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HomeClaims {
    /// The user's home organization (its name, or its ROR id when it has one).
    pub org: Option<String>,
    /// The consortia the user is a member of and whose current agreement they accepted.
    #[serde(default)]
    pub consortia: Vec<ConsortiumClaim>,
}

/// A consortium membership with the agreement version the user accepted. Consortia are named
/// alike on every member node: the name is what nodes agree on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsortiumClaim {
    pub name: String,
    pub agreement_version: i32,
}

/// The trusted peers, by id: what federated queries fan out to.
pub async fn trusted_peers(svc: &Services) -> Result<Vec<peer::Model>, ServiceError> {
    Ok(svc.catalog.peers().await?)
}

/// The trusted peer `id`, if it is one.
pub async fn trusted_peer(svc: &Services, id: &str) -> Result<Option<peer::Model>, ServiceError> {
    Ok(svc.catalog.peer(id).await?)
}

/// The peers, for an administrator.
pub async fn list_peers(svc: &Services, principal: &Principal) -> Result<Vec<peer::Model>, ServiceError> {
    govern(principal, Governance::ManageDirectory, "listing the federation's peers needs an administrator")?;
    trusted_peers(svc).await
}

/// Trusts a peer (or changes what is known of it); administrators only.
pub async fn put_peer(
    svc: &Services,
    principal: &Principal,
    config: PeerConfig,
    surface: Surface,
) -> Result<peer::Model, ServiceError> {
    govern_change(principal, Governance::ManageDirectory, "adding a peer needs an administrator")?;
    check_peer(&config, &svc.config.node_id)?;
    let peer = svc.catalog.put_peer(&config).await?;
    audit(svc, principal, surface, "federation.peer_added", &config.id, serde_json::json!(config)).await?;
    Ok(peer)
}

/// Stops trusting a peer at once: its assertions and the tokens its users hold are refused from
/// now on. Administrators only.
pub async fn remove_peer(
    svc: &Services,
    principal: &Principal,
    id: &str,
    surface: Surface,
) -> Result<(), ServiceError> {
    govern_change(principal, Governance::ManageDirectory, "removing a peer needs an administrator")?;
    if !svc.catalog.remove_peer(id).await? {
        return Err(ServiceError::not_found("peer"));
    }
    audit(svc, principal, surface, "federation.peer_removed", id, serde_json::Value::Null).await
}

/// Writes the peers of the configuration file to the catalog (at start).
pub async fn seed_peers(svc: &Services) -> Result<(), ServiceError> {
    for config in &svc.config.peers {
        check_peer(config, &svc.config.node_id)?;
        svc.catalog.put_peer(config).await?;
    }
    Ok(())
}

/// A peer's id is a plain name, distinct from this node's, and its URLs are HTTP(S).
fn check_peer(config: &PeerConfig, own_id: &str) -> Result<(), ServiceError> {
    let plain = |c: char| c.is_ascii_alphanumeric() || "-_.".contains(c);
    if config.id.is_empty() || config.id.len() > 64 || !config.id.chars().all(plain) {
        return Err(ServiceError::invalid("a peer id is 1 to 64 letters, digits, '-', '_' or '.'"));
    }
    if config.id == own_id {
        return Err(ServiceError::invalid(format!("{own_id:?} is this node's own id")));
    }
    let urls = [Some(config.base_url.clone()), Some(config.jwks_url()), config.flight_url.clone()];
    for url in urls.into_iter().flatten() {
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(ServiceError::invalid(format!("{url:?} is not an http(s) URL")));
        }
    }
    Ok(())
}

/// What this node asserts about `principal` to its peers: their home organization (of their
/// first group, by name) and the consortia whose current agreement they accepted.
pub async fn home_claims(svc: &Services, principal: &Principal) -> Result<HomeClaims, ServiceError> {
    let mut orgs = Vec::new();
    for (group, _) in &principal.subject.groups {
        let (_, org) = svc.catalog.group_with_organization(*group).await?;
        orgs.push(org.ror_id.unwrap_or(org.name));
    }
    orgs.sort();
    let mut consortia = Vec::new();
    for id in &principal.subject.consortia {
        let detail = svc.catalog.consortium(*id).await?;
        if let Some(agreement) = detail.agreement {
            consortia.push(ConsortiumClaim { name: detail.consortium.name, agreement_version: agreement.version });
        }
    }
    Ok(HomeClaims { org: orgs.into_iter().next(), consortia })
}

/// Records that a peer's assertion was used; a replayed one is refused.
pub async fn accept_assertion(
    svc: &Services,
    peer: &str,
    jti: &str,
    expires_at: DateTime<Utc>,
) -> Result<(), ServiceError> {
    match svc.catalog.accept_assertion(jti, peer, expires_at).await {
        Err(kura_catalog::CatalogError::Conflict(_)) => {
            Err(ServiceError::new(ErrorCode::Unauthenticated, "this assertion was already used"))
        }
        other => Ok(other?),
    }
}

/// This node's record of the partner node's user `subject` (created on their first visit), and
/// the consortia of this node whose data they may read as a member: those the assertion names,
/// of which their home organization is a member here, at the agreement version in force here.
pub async fn admit_user(
    svc: &Services,
    peer: &peer::Model,
    subject: &str,
    claims: &HomeClaims,
) -> Result<(Uuid, Vec<Uuid>), ServiceError> {
    let speaks_for = peer.organization_list();
    if let Some(org) = &claims.org
        && !speaks_for.contains(org)
    {
        return Err(ServiceError::new(
            ErrorCode::Unauthenticated,
            format!("node {:?} does not speak for organization {org:?}", peer.id),
        ));
    }
    let user = kura_auth::CredentialStore::external_user(&svc.catalog, &user_issuer(&peer.id), subject)
        .await
        .map_err(|e| ServiceError::new(e.code, e.message))?;
    let Some(org) = &claims.org else { return Ok((user.id, Vec::new())) };
    let organizations = svc.catalog.organizations().await?;
    let home: Vec<Uuid> =
        organizations.iter().filter(|o| o.name == *org || o.ror_id.as_deref() == Some(org)).map(|o| o.id).collect();
    let mut accepted = Vec::new();
    for consortium in svc.catalog.consortia().await? {
        let Some(claim) = claims.consortia.iter().find(|c| c.name == consortium.name) else { continue };
        let detail = svc.catalog.consortium(consortium.id).await?;
        let member = detail.members.iter().any(|m| m.organization_id.is_some_and(|o| home.contains(&o)));
        let current = detail.agreement.as_ref().map(|a| a.version);
        if member && current == Some(claim.agreement_version) {
            accepted.push(consortium.id);
        }
    }
    Ok((user.id, accepted))
}

/// A grant this node gave a partner's user, as a visa carries it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrantHeld {
    pub grant: Uuid,
    /// The dataset's persistent IRI at this node (`{base}/pid/{id}`).
    pub dataset: String,
    pub expires_at: DateTime<Utc>,
}

/// The live grants this node gave its user `user` (a partner's user as recorded here).
pub async fn grants_held(svc: &Services, user: Uuid) -> Result<Vec<GrantHeld>, ServiceError> {
    let base = svc.config.base_url();
    let grants = svc.catalog.live_grants_of(user, Utc::now()).await?;
    Ok(grants
        .into_iter()
        .map(|g| GrantHeld { grant: g.id, dataset: format!("{base}/pid/{}", g.dataset_id), expires_at: g.expires_at })
        .collect())
}

/// Records a federation event in the audit log.
pub async fn audit(
    svc: &Services,
    principal: &Principal,
    surface: Surface,
    action: &str,
    target: &str,
    details: serde_json::Value,
) -> Result<(), ServiceError> {
    let record = AuditRecord {
        actor: &principal.actor,
        action,
        surface: surface.as_str(),
        dataset_id: None,
        target: Some(target.to_owned()),
        details,
    };
    Ok(svc.catalog.audit(record).await?)
}
