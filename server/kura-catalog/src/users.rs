//! Users (people and service accounts), group memberships, and the access subject of a user.

use chrono::{DateTime, Utc};
use kura_core::UserKind;
use kura_core::access::{Role, Subject};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, Set};
use serde_json::json;
use uuid::Uuid;

use crate::audit::{Actor, AuditRecord, record};
use crate::entity::{access_grant, agreement, agreement_acceptance, consortium_member, group, membership, user};
use crate::{Catalog, CatalogError};

/// Issuer recorded for local accounts (username and password).
pub const LOCAL_ISSUER: &str = "local";

/// A user to create.
#[derive(Debug, Clone, Default)]
pub struct NewUser {
    pub issuer: String,
    pub subject: String,
    pub display_name: Option<String>,
    pub email: Option<String>,
    pub orcid: Option<String>,
    pub password_hash: Option<String>,
    pub kind: UserKind,
}

impl Catalog {
    /// Creates a user; `(issuer, subject)` must be new.
    pub async fn create_user(&self, new: NewUser) -> Result<user::Model, CatalogError> {
        let row = user::ActiveModel {
            id: Set(Uuid::now_v7()),
            issuer: Set(new.issuer),
            subject: Set(new.subject.clone()),
            display_name: Set(new.display_name),
            email: Set(new.email),
            orcid: Set(new.orcid),
            created_at: Set(Utc::now()),
            password_hash: Set(new.password_hash),
            disabled_at: Set(None),
            kind: Set(new.kind),
        };
        user::Entity::insert(row).exec_with_returning(self.connection()).await.map_err(|e| {
            match CatalogError::from(e) {
                CatalogError::Conflict(_) => CatalogError::Conflict(format!("user {:?} already exists", new.subject)),
                other => other,
            }
        })
    }

    /// The user with this issuer and subject, if any (disabled users included: callers check).
    pub async fn user_by_identity(&self, issuer: &str, subject: &str) -> Result<Option<user::Model>, CatalogError> {
        Ok(user::Entity::find()
            .filter(user::Column::Issuer.eq(issuer))
            .filter(user::Column::Subject.eq(subject))
            .one(self.connection())
            .await?)
    }

    /// Sets (or replaces) a local account's password hash.
    pub async fn set_password_hash(&self, id: Uuid, hash: &str) -> Result<(), CatalogError> {
        let result = user::Entity::update_many()
            .col_expr(user::Column::PasswordHash, Expr::value(hash.to_owned()))
            .filter(user::Column::Id.eq(id))
            .exec(self.connection())
            .await?;
        if result.rows_affected != 1 {
            return Err(CatalogError::not_found("user"));
        }
        Ok(())
    }

    /// The user with this id.
    pub async fn user(&self, id: Uuid) -> Result<user::Model, CatalogError> {
        user::Entity::find_by_id(id).one(self.connection()).await?.ok_or_else(|| CatalogError::not_found("user"))
    }

    /// Disables a user: their sessions, tokens and JWTs stop working at once.
    pub async fn disable_user(&self, id: Uuid, actor: Actor<'_>) -> Result<(), CatalogError> {
        let txn = self.begin_write().await?;
        user::Entity::update_many()
            .col_expr(user::Column::DisabledAt, Expr::value(Utc::now()))
            .filter(user::Column::Id.eq(id))
            .exec(&txn)
            .await?;
        let entry = AuditRecord {
            actor: actor.who,
            action: "user.disable",
            surface: actor.surface,
            dataset_id: None,
            target: Some(format!("user:{id}")),
            details: json!({}),
        };
        record(&txn, entry).await?;
        txn.commit().await?;
        Ok(())
    }

    /// Gives `user` `role` in `group` (replacing an earlier role), audited.
    pub async fn set_membership(
        &self,
        group_id: Uuid,
        user_id: Uuid,
        role: Role,
        actor: Actor<'_>,
    ) -> Result<(), CatalogError> {
        let txn = self.begin_write().await?;
        group::Entity::find_by_id(group_id).one(&txn).await?.ok_or_else(|| CatalogError::not_found("group"))?;
        membership::Entity::delete_many()
            .filter(membership::Column::GroupId.eq(group_id))
            .filter(membership::Column::UserId.eq(user_id))
            .exec(&txn)
            .await?;
        let row = membership::ActiveModel {
            id: Set(Uuid::now_v7()),
            group_id: Set(group_id),
            user_id: Set(user_id),
            role: Set(role),
            created_at: Set(Utc::now()),
        };
        membership::Entity::insert(row).exec(&txn).await?;
        let entry = AuditRecord {
            actor: actor.who,
            action: "role.set",
            surface: actor.surface,
            dataset_id: None,
            target: Some(format!("group:{group_id}")),
            details: json!({"user": user_id, "role": role}),
        };
        record(&txn, entry).await?;
        txn.commit().await?;
        Ok(())
    }

    /// What the access decision needs to know about a user at `now`: group roles, consortia
    /// whose current agreement they accepted, and live grants. Four statements.
    pub async fn subject_for(&self, user_id: Uuid, now: DateTime<Utc>) -> Result<Subject, CatalogError> {
        let conn = self.connection();
        let memberships = membership::Entity::find().filter(membership::Column::UserId.eq(user_id)).all(conn).await?;
        let groups: Vec<(Uuid, Role)> = memberships.iter().map(|m| (m.group_id, m.role)).collect();
        let group_ids: Vec<Uuid> = groups.iter().map(|(g, _)| *g).collect();
        let organizations: Vec<Uuid> = if group_ids.is_empty() {
            Vec::new()
        } else {
            group::Entity::find()
                .filter(group::Column::Id.is_in(group_ids.clone()))
                .all(conn)
                .await?
                .into_iter()
                .map(|g| g.organization_id)
                .collect()
        };
        let member_of: Vec<Uuid> = consortium_member::Entity::find()
            .filter(
                sea_orm::Condition::any()
                    .add(consortium_member::Column::GroupId.is_in(group_ids))
                    .add(consortium_member::Column::OrganizationId.is_in(organizations)),
            )
            .all(conn)
            .await?
            .into_iter()
            .map(|m| m.consortium_id)
            .collect();
        let consortia =
            if member_of.is_empty() { Vec::new() } else { self.accepted_current(user_id, &member_of).await? };
        let grants = access_grant::Entity::find()
            .filter(access_grant::Column::UserId.eq(user_id))
            .filter(access_grant::Column::RevokedAt.is_null())
            .filter(access_grant::Column::ExpiresAt.gt(now))
            .all(conn)
            .await?
            .into_iter()
            .map(|g| (g.dataset_id, g.expires_at))
            .collect();
        Ok(Subject { admin: false, groups, consortia, grants, job: None })
    }

    /// Of `consortia`, those whose highest agreement version the user accepted.
    async fn accepted_current(&self, user_id: Uuid, consortia: &[Uuid]) -> Result<Vec<Uuid>, CatalogError> {
        let agreements = agreement::Entity::find()
            .filter(agreement::Column::ConsortiumId.is_in(consortia.to_vec()))
            .all(self.connection())
            .await?;
        let mut current: std::collections::HashMap<Uuid, &agreement::Model> = std::collections::HashMap::new();
        for a in &agreements {
            if current.get(&a.consortium_id).is_none_or(|c| c.version < a.version) {
                current.insert(a.consortium_id, a);
            }
        }
        let current_ids: Vec<Uuid> = current.values().map(|a| a.id).collect();
        if current_ids.is_empty() {
            return Ok(Vec::new());
        }
        let accepted: Vec<Uuid> = agreement_acceptance::Entity::find()
            .filter(agreement_acceptance::Column::UserId.eq(user_id))
            .filter(agreement_acceptance::Column::AgreementId.is_in(current_ids))
            .all(self.connection())
            .await?
            .into_iter()
            .map(|a| a.agreement_id)
            .collect();
        Ok(current.values().filter(|a| accepted.contains(&a.id)).map(|a| a.consortium_id).collect())
    }
}
