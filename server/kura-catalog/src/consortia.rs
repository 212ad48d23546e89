//! Consortia: member organizations or groups, a versioned data-sharing agreement, and who
//! accepted which version.

use std::collections::HashMap;

use chrono::Utc;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

use crate::audit::{Actor, AuditRecord, record};
use crate::entity::{agreement, agreement_acceptance, consortium, consortium_member, group, organization, user};
use crate::{Catalog, CatalogError};

/// A consortium with its members, current agreement, and who accepted that agreement.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ConsortiumDetail {
    pub consortium: consortium::Model,
    pub members: Vec<consortium_member::Model>,
    pub agreement: Option<agreement::Model>,
    pub accepted_by: Vec<Acceptance>,
}

/// One user's acceptance of the current agreement, with the name the portal and REST show.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Acceptance {
    pub user_id: Uuid,
    /// The user's display name, or their login subject when they have none.
    pub name: String,
    #[schema(value_type = String, format = DateTime)]
    pub accepted_at: chrono::DateTime<Utc>,
}

/// Whom to add to a consortium.
#[derive(Debug, Clone, Copy)]
pub enum Member {
    Organization(Uuid),
    Group(Uuid),
}

fn audit<'a>(actor: Actor<'a>, action: &'a str, consortium_id: Uuid, details: serde_json::Value) -> AuditRecord<'a> {
    AuditRecord {
        actor: actor.who,
        action,
        surface: actor.surface,
        dataset_id: None,
        target: Some(format!("consortium:{consortium_id}")),
        details,
    }
}

impl Catalog {
    /// Creates a consortium with its first agreement version. A `coordinator` group's stewards
    /// manage it, and the group is its first member.
    pub async fn create_consortium(
        &self,
        name: &str,
        description: &str,
        terms: &str,
        url: Option<&str>,
        coordinator: Option<Uuid>,
        actor: Actor<'_>,
    ) -> Result<consortium::Model, CatalogError> {
        if name.trim().is_empty() {
            return Err(CatalogError::Invalid("a consortium needs a name".into()));
        }
        if terms.trim().is_empty() {
            return Err(CatalogError::Invalid("a consortium needs the terms of its data-sharing agreement".into()));
        }
        let txn = self.begin_write().await?;
        if let Some(g) = coordinator {
            group::Entity::find_by_id(g).one(&txn).await?.ok_or_else(|| CatalogError::not_found("group"))?;
        }
        let row = consortium::ActiveModel {
            id: Set(Uuid::now_v7()),
            name: Set(name.trim().to_owned()),
            description: Set(description.to_owned()),
            coordinator_group_id: Set(coordinator),
            created_at: Set(Utc::now()),
        };
        let c = consortium::Entity::insert(row).exec_with_returning(&txn).await?;
        insert_agreement(&txn, c.id, 1, terms, url).await?;
        if let Some(g) = coordinator {
            insert_member(&txn, c.id, None, Some(g)).await?;
        }
        record(&txn, audit(actor, "consortium.create", c.id, json!({"name": name, "coordinator": coordinator})))
            .await?;
        txn.commit().await?;
        Ok(c)
    }

    /// Adds a member organization or group.
    pub async fn add_consortium_member(
        &self,
        consortium_id: Uuid,
        member: Member,
        actor: Actor<'_>,
    ) -> Result<(), CatalogError> {
        let txn = self.begin_write().await?;
        consortium::Entity::find_by_id(consortium_id)
            .one(&txn)
            .await?
            .ok_or_else(|| CatalogError::not_found("consortium"))?;
        let (organization_id, group_id) = match member {
            Member::Organization(o) => {
                organization::Entity::find_by_id(o)
                    .one(&txn)
                    .await?
                    .ok_or_else(|| CatalogError::not_found("organization"))?;
                (Some(o), None)
            }
            Member::Group(g) => {
                group::Entity::find_by_id(g).one(&txn).await?.ok_or_else(|| CatalogError::not_found("group"))?;
                (None, Some(g))
            }
        };
        let already = consortium_member::Entity::find()
            .filter(consortium_member::Column::ConsortiumId.eq(consortium_id))
            .filter(match member {
                Member::Organization(o) => consortium_member::Column::OrganizationId.eq(o),
                Member::Group(g) => consortium_member::Column::GroupId.eq(g),
            })
            .one(&txn)
            .await?;
        if already.is_some() {
            return Err(CatalogError::Conflict("already a member of this consortium".into()));
        }
        insert_member(&txn, consortium_id, organization_id, group_id).await?;
        record(
            &txn,
            audit(
                actor,
                "consortium.member_add",
                consortium_id,
                json!({"organization": organization_id, "group": group_id}),
            ),
        )
        .await?;
        txn.commit().await?;
        Ok(())
    }

    /// Publishes a new agreement version: members must accept it again before reading data.
    pub async fn new_agreement_version(
        &self,
        consortium_id: Uuid,
        terms: &str,
        url: Option<&str>,
        actor: Actor<'_>,
    ) -> Result<agreement::Model, CatalogError> {
        if terms.trim().is_empty() {
            return Err(CatalogError::Invalid("an agreement version needs its terms".into()));
        }
        let txn = self.begin_write().await?;
        consortium::Entity::find_by_id(consortium_id)
            .one(&txn)
            .await?
            .ok_or_else(|| CatalogError::not_found("consortium"))?;
        let current = current_agreement(&txn, consortium_id).await?;
        let version = current.map_or(1, |a| a.version + 1);
        let a = insert_agreement(&txn, consortium_id, version, terms, url).await?;
        record(&txn, audit(actor, "consortium.agreement", consortium_id, json!({"version": version}))).await?;
        txn.commit().await?;
        Ok(a)
    }

    /// Records that `user` accepts the consortium's current agreement.
    pub async fn accept_agreement(
        &self,
        consortium_id: Uuid,
        user_id: Uuid,
        actor: Actor<'_>,
    ) -> Result<agreement::Model, CatalogError> {
        let txn = self.begin_write().await?;
        let current =
            current_agreement(&txn, consortium_id).await?.ok_or_else(|| CatalogError::not_found("agreement"))?;
        let already = agreement_acceptance::Entity::find()
            .filter(agreement_acceptance::Column::AgreementId.eq(current.id))
            .filter(agreement_acceptance::Column::UserId.eq(user_id))
            .one(&txn)
            .await?;
        if already.is_none() {
            let row = agreement_acceptance::ActiveModel {
                id: Set(Uuid::now_v7()),
                agreement_id: Set(current.id),
                user_id: Set(user_id),
                accepted_at: Set(Utc::now()),
            };
            agreement_acceptance::Entity::insert(row).exec(&txn).await?;
            record(
                &txn,
                audit(actor, "consortium.accept", consortium_id, json!({"version": current.version, "user": user_id})),
            )
            .await?;
        }
        txn.commit().await?;
        Ok(current)
    }

    /// A consortium with members, current agreement and its acceptances.
    pub async fn consortium(&self, consortium_id: Uuid) -> Result<ConsortiumDetail, CatalogError> {
        let conn = self.connection();
        let consortium = consortium::Entity::find_by_id(consortium_id)
            .one(conn)
            .await?
            .ok_or_else(|| CatalogError::not_found("consortium"))?;
        let members = consortium_member::Entity::find()
            .filter(consortium_member::Column::ConsortiumId.eq(consortium_id))
            .all(conn)
            .await?;
        let agreement = current_agreement(conn, consortium_id).await?;
        let accepted = match &agreement {
            Some(a) => {
                agreement_acceptance::Entity::find()
                    .filter(agreement_acceptance::Column::AgreementId.eq(a.id))
                    .order_by_asc(agreement_acceptance::Column::AcceptedAt)
                    .all(conn)
                    .await?
            }
            None => Vec::new(),
        };
        let names: HashMap<Uuid, String> = user::Entity::find()
            .filter(user::Column::Id.is_in(accepted.iter().map(|a| a.user_id)))
            .all(conn)
            .await?
            .into_iter()
            .map(|u| (u.id, u.display_name.unwrap_or(u.subject)))
            .collect();
        let accepted_by = accepted
            .into_iter()
            .map(|a| Acceptance {
                name: names.get(&a.user_id).cloned().unwrap_or_else(|| a.user_id.to_string()),
                user_id: a.user_id,
                accepted_at: a.accepted_at,
            })
            .collect();
        Ok(ConsortiumDetail { consortium, members, agreement, accepted_by })
    }

    /// Every version of a consortium's agreement, newest first.
    pub async fn agreement_versions(&self, consortium_id: Uuid) -> Result<Vec<agreement::Model>, CatalogError> {
        Ok(agreement::Entity::find()
            .filter(agreement::Column::ConsortiumId.eq(consortium_id))
            .order_by_desc(agreement::Column::Version)
            .all(self.connection())
            .await?)
    }

    /// The names of consortium members: (`organization` or `group`, name), in the given order.
    pub async fn member_names(
        &self,
        members: &[consortium_member::Model],
    ) -> Result<Vec<(&'static str, String)>, CatalogError> {
        let mut out = Vec::with_capacity(members.len());
        for m in members {
            let named = match (m.organization_id, m.group_id) {
                (Some(o), _) => {
                    organization::Entity::find_by_id(o).one(self.connection()).await?.map(|o| ("organization", o.name))
                }
                (None, Some(g)) => {
                    group::Entity::find_by_id(g).one(self.connection()).await?.map(|g| ("group", g.name))
                }
                (None, None) => None,
            };
            out.extend(named);
        }
        Ok(out)
    }

    /// Every consortium, by name.
    pub async fn consortia(&self) -> Result<Vec<consortium::Model>, CatalogError> {
        Ok(consortium::Entity::find().order_by_asc(consortium::Column::Name).all(self.connection()).await?)
    }
}

async fn current_agreement(
    conn: &impl sea_orm::ConnectionTrait,
    consortium_id: Uuid,
) -> Result<Option<agreement::Model>, CatalogError> {
    Ok(agreement::Entity::find()
        .filter(agreement::Column::ConsortiumId.eq(consortium_id))
        .order_by_desc(agreement::Column::Version)
        .one(conn)
        .await?)
}

async fn insert_member(
    conn: &impl sea_orm::ConnectionTrait,
    consortium_id: Uuid,
    organization_id: Option<Uuid>,
    group_id: Option<Uuid>,
) -> Result<(), CatalogError> {
    let row = consortium_member::ActiveModel {
        id: Set(Uuid::now_v7()),
        consortium_id: Set(consortium_id),
        organization_id: Set(organization_id),
        group_id: Set(group_id),
        created_at: Set(Utc::now()),
    };
    consortium_member::Entity::insert(row).exec(conn).await?;
    Ok(())
}

async fn insert_agreement(
    conn: &impl sea_orm::ConnectionTrait,
    consortium_id: Uuid,
    version: i32,
    terms: &str,
    url: Option<&str>,
) -> Result<agreement::Model, CatalogError> {
    let row = agreement::ActiveModel {
        id: Set(Uuid::now_v7()),
        consortium_id: Set(consortium_id),
        version: Set(version),
        terms: Set(terms.to_owned()),
        url: Set(url.map(str::to_owned)),
        created_at: Set(Utc::now()),
    };
    Ok(agreement::Entity::insert(row).exec_with_returning(conn).await?)
}
