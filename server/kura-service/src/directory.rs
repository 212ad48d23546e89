//! Who is who: organizations, groups and roles, user accounts and their API tokens. Platform
//! administrators manage the directory; a group's admins give roles in their group; everyone
//! mints, lists and revokes their own tokens, never wider than the credential they present.

use chrono::{DateTime, Utc};
use kura_catalog::entity::{api_token, group, organization, user};
use kura_catalog::users::{LOCAL_ISSUER, NewUser};
use kura_core::access::{Governance, Role};
use kura_core::{HasErrorCode, Principal, Scope};
use uuid::Uuid;

use crate::access::{NEEDS_ADMIN, govern, govern_change, require_write, signed_in};
use crate::{ServiceError, Services, Surface};

/// What a refusal of one's own things (tokens, requests) without an account says.
pub const NEEDS_ACCOUNT: &str = "sign in to see your own things";

/// Creates an organization, or finds the one of that name.
pub async fn create_organization(
    svc: &Services,
    principal: &Principal,
    name: &str,
    ror_id: Option<&str>,
) -> Result<organization::Model, ServiceError> {
    govern_change(principal, Governance::ManageDirectory, NEEDS_ADMIN)?;
    Ok(svc.catalog.ensure_organization(name, ror_id).await?)
}

/// Creates a group of `organization`, or finds the one of that name.
pub async fn create_group(
    svc: &Services,
    principal: &Principal,
    organization: Uuid,
    name: &str,
) -> Result<group::Model, ServiceError> {
    govern_change(principal, Governance::ManageDirectory, NEEDS_ADMIN)?;
    Ok(svc.catalog.ensure_group(organization, name).await?)
}

/// Gives `user` the role `role` in `group`: platform administrators, and the group's admins.
pub async fn set_membership(
    svc: &Services,
    principal: &Principal,
    surface: Surface,
    group: Uuid,
    user: Uuid,
    role: Role,
) -> Result<(), ServiceError> {
    govern_change(principal, Governance::ManageGroup { group }, NEEDS_ADMIN)?;
    Ok(svc.catalog.set_membership(group, user, role, surface.actor(principal)).await?)
}

/// A local account to create.
#[derive(Debug, Clone, Default)]
pub struct NewAccount {
    /// Login name.
    pub username: String,
    pub display_name: Option<String>,
    pub email: Option<String>,
    pub orcid: Option<String>,
    /// `person` (also when empty) or `service` (a service account).
    pub kind: String,
    /// For signing in to the portal (at least 12 characters); none for token-only users.
    pub password: Option<String>,
}

/// Creates a local account; its password is stored hashed.
pub async fn create_user(
    svc: &Services,
    principal: &Principal,
    account: NewAccount,
) -> Result<user::Model, ServiceError> {
    govern_change(principal, Governance::ManageDirectory, NEEDS_ADMIN)?;
    if !["", "person", "service"].contains(&account.kind.as_str()) {
        return Err(ServiceError::invalid("kind is person or service"));
    }
    let password_hash = match &account.password {
        Some(p) => Some(kura_auth::hash_password(p).map_err(|e| ServiceError::new(e.code(), e.to_string()))?),
        None => None,
    };
    let new = NewUser {
        issuer: LOCAL_ISSUER.into(),
        subject: account.username,
        display_name: account.display_name,
        email: account.email,
        orcid: account.orcid,
        password_hash,
        kind: match account.kind.as_str() {
            "" => kura_core::UserKind::default(),
            kind => kind.parse().map_err(|_| ServiceError::invalid("kind is person or service"))?,
        },
    };
    Ok(svc.catalog.create_user(new).await?)
}

/// Disables an account: its sessions and tokens stop working at once.
pub async fn disable_user(
    svc: &Services,
    principal: &Principal,
    surface: Surface,
    user: Uuid,
) -> Result<(), ServiceError> {
    govern_change(principal, Governance::ManageDirectory, NEEDS_ADMIN)?;
    Ok(svc.catalog.disable_user(user, surface.actor(principal)).await?)
}

/// The scope of a token `principal` asks to create, refused when it is unknown or wider than
/// the principal's own credential (a read credential mints read tokens at most).
pub fn mintable_scope(principal: &Principal, wanted: &str) -> Result<Scope, ServiceError> {
    let wanted: Scope = wanted.parse().map_err(ServiceError::invalid)?;
    if principal.scope().may_mint(wanted) {
        Ok(wanted)
    } else {
        Err(ServiceError::forbidden(format!("a {} credential cannot create a {} token", principal.scope(), wanted)))
    }
}

/// A new API token, with its secret (shown this once; stored hashed).
pub type MintedToken = (api_token::Model, String);

/// Creates an API token of `scope` for `user`: one's own, or anyone's for platform
/// administrators; never wider than the principal's credential.
pub async fn create_user_token(
    svc: &Services,
    principal: &Principal,
    user: Uuid,
    name: &str,
    scope: &str,
    expires_at: Option<DateTime<Utc>>,
) -> Result<MintedToken, ServiceError> {
    govern(principal, Governance::MintToken { own: principal.user_id == Some(user) }, NEEDS_ADMIN)?;
    let scope = mintable_scope(principal, scope)?;
    if scope == Scope::Append {
        return Err(ServiceError::invalid("an append token names the streams it appends to (\"streams\")"));
    }
    // Minting is a change: a read credential mints nothing, not even its own kind.
    require_write(principal)?;
    Ok(svc.catalog.create_user_token(user, name, scope, expires_at).await?)
}

/// Creates a robot's token for `user`: it appends to `streams` (`dataset/table`, with the
/// user's right to edit those datasets) and does nothing else. Minted like any token: one's
/// own, or anyone's for platform administrators, by a credential that writes.
pub async fn create_robot_token(
    svc: &Services,
    principal: &Principal,
    user: Uuid,
    name: &str,
    streams: Vec<String>,
    expires_at: Option<DateTime<Utc>>,
) -> Result<MintedToken, ServiceError> {
    govern(principal, Governance::MintToken { own: principal.user_id == Some(user) }, NEEDS_ADMIN)?;
    mintable_scope(principal, Scope::Append.as_str())?;
    require_write(principal)?;
    Ok(svc.catalog.create_robot_token(user, name, streams, expires_at).await?)
}

/// Creates a platform-admin API token that belongs to no user.
pub async fn create_admin_token(
    svc: &Services,
    principal: &Principal,
    name: &str,
) -> Result<MintedToken, ServiceError> {
    govern_change(principal, Governance::ManageDirectory, NEEDS_ADMIN)?;
    Ok(svc.catalog.create_admin_token(name).await?)
}

/// The principal's own API tokens, newest first (revoked ones too).
pub async fn my_tokens(svc: &Services, principal: &Principal) -> Result<Vec<api_token::Model>, ServiceError> {
    let user = signed_in(principal, NEEDS_ACCOUNT)?;
    Ok(svc.catalog.user_tokens(user).await?)
}

/// Revokes one of the principal's own API tokens (another's is not found).
pub async fn revoke_my_token(svc: &Services, principal: &Principal, token: Uuid) -> Result<(), ServiceError> {
    let user = signed_in(principal, NEEDS_ACCOUNT)?;
    require_write(principal)?;
    Ok(svc.catalog.revoke_token(Some(user), token).await?)
}
