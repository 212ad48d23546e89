//! Access requests for restricted datasets, and the grants stewards give in answer.

use chrono::{DateTime, Utc};
use kura_core::RequestState;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set};
use serde_json::json;
use uuid::Uuid;

use crate::audit::{Actor, AuditRecord, record};
use crate::entity::{access_grant, access_request};
use crate::{Catalog, CatalogError, Page, PageRequest};

/// A steward's answer to a request.
#[derive(Debug, Clone)]
pub enum Answer {
    Approve { expires_at: DateTime<Utc> },
    Deny { reason: String },
}

impl Catalog {
    /// Records a request; one pending request per user and dataset.
    pub async fn request_access(
        &self,
        dataset_id: Uuid,
        user_id: Uuid,
        reason: &str,
    ) -> Result<access_request::Model, CatalogError> {
        if reason.trim().is_empty() {
            return Err(CatalogError::Invalid("an access request needs a reason".into()));
        }
        let pending = access_request::Entity::find()
            .filter(access_request::Column::DatasetId.eq(dataset_id))
            .filter(access_request::Column::UserId.eq(user_id))
            .filter(access_request::Column::State.eq(RequestState::Pending))
            .count(self.connection())
            .await?;
        if pending > 0 {
            return Err(CatalogError::Conflict("you already have a pending request for this dataset".into()));
        }
        let row = access_request::ActiveModel {
            id: Set(Uuid::now_v7()),
            dataset_id: Set(dataset_id),
            user_id: Set(user_id),
            reason: Set(reason.to_owned()),
            state: Set(RequestState::Pending),
            decided_by: Set(None),
            decided_at: Set(None),
            decision_reason: Set(None),
            created_at: Set(Utc::now()),
        };
        Ok(access_request::Entity::insert(row).exec_with_returning(self.connection()).await?)
    }

    /// One request of a dataset.
    pub async fn access_request(
        &self,
        dataset_id: Uuid,
        request_id: Uuid,
    ) -> Result<access_request::Model, CatalogError> {
        access_request::Entity::find_by_id(request_id)
            .filter(access_request::Column::DatasetId.eq(dataset_id))
            .one(self.connection())
            .await?
            .ok_or_else(|| CatalogError::not_found("access request"))
    }

    /// Approves (creating a grant) or denies a pending request, audited, in one transaction.
    pub async fn answer_request(
        &self,
        request: &access_request::Model,
        answer: Answer,
        steward: Option<Uuid>,
        actor: Actor<'_>,
    ) -> Result<access_request::Model, CatalogError> {
        if request.state != RequestState::Pending {
            return Err(CatalogError::Conflict(format!("the request is already {}", request.state)));
        }
        let now = Utc::now();
        let txn = self.begin_write().await?;
        let (state, reason) = match &answer {
            Answer::Approve { expires_at } => {
                if *expires_at <= now {
                    return Err(CatalogError::Invalid("a grant must expire in the future".into()));
                }
                let grant = access_grant::ActiveModel {
                    id: Set(Uuid::now_v7()),
                    dataset_id: Set(request.dataset_id),
                    user_id: Set(request.user_id),
                    request_id: Set(Some(request.id)),
                    granted_by: Set(steward),
                    expires_at: Set(*expires_at),
                    revoked_at: Set(None),
                    created_at: Set(now),
                };
                access_grant::Entity::insert(grant).exec(&txn).await?;
                (RequestState::Approved, None)
            }
            Answer::Deny { reason } => {
                if reason.trim().is_empty() {
                    return Err(CatalogError::Invalid("a denial needs a reason".into()));
                }
                (RequestState::Denied, Some(reason.clone()))
            }
        };
        let updated = access_request::Entity::update_many()
            .col_expr(access_request::Column::State, Expr::value(state))
            .col_expr(access_request::Column::DecidedBy, Expr::value(steward))
            .col_expr(access_request::Column::DecidedAt, Expr::value(now))
            .col_expr(access_request::Column::DecisionReason, Expr::value(reason.clone()))
            .filter(access_request::Column::Id.eq(request.id))
            .filter(access_request::Column::State.eq(RequestState::Pending))
            .exec(&txn)
            .await?;
        if updated.rows_affected != 1 {
            return Err(CatalogError::Conflict("the request was answered meanwhile".into()));
        }
        let details = match &answer {
            Answer::Approve { expires_at } => {
                json!({"request": request.id, "user": request.user_id, "expires_at": expires_at})
            }
            Answer::Deny { reason } => json!({"request": request.id, "user": request.user_id, "reason": reason}),
        };
        let action = if state == RequestState::Approved { "grant.create" } else { "request.deny" };
        record(
            &txn,
            AuditRecord {
                actor: actor.who,
                action,
                surface: actor.surface,
                dataset_id: Some(request.dataset_id),
                target: None,
                details,
            },
        )
        .await?;
        txn.commit().await?;
        self.access_request(request.dataset_id, request.id).await
    }

    /// One page of a dataset's requests (optionally by state), newest first.
    pub async fn requests_page(
        &self,
        dataset_id: Option<Uuid>,
        user_id: Option<Uuid>,
        state: Option<RequestState>,
        page: PageRequest,
    ) -> Result<Page<access_request::Model>, CatalogError> {
        let mut query = access_request::Entity::find();
        if let Some(d) = dataset_id {
            query = query.filter(access_request::Column::DatasetId.eq(d));
        }
        if let Some(u) = user_id {
            query = query.filter(access_request::Column::UserId.eq(u));
        }
        if let Some(s) = state {
            query = query.filter(access_request::Column::State.eq(s));
        }
        let total = query.clone().count(self.connection()).await?;
        let items = query
            .order_by_desc(access_request::Column::Id)
            .offset(page.offset)
            .limit(page.limit)
            .all(self.connection())
            .await?;
        Ok(Page::new(items, total, page))
    }

    /// The grants of a dataset, live and past.
    pub async fn grants(&self, dataset_id: Uuid) -> Result<Vec<access_grant::Model>, CatalogError> {
        Ok(access_grant::Entity::find()
            .filter(access_grant::Column::DatasetId.eq(dataset_id))
            .order_by_desc(access_grant::Column::Id)
            .all(self.connection())
            .await?)
    }

    /// The live (unrevoked, unexpired at `now`) grants a user holds.
    pub async fn live_grants_of(
        &self,
        user_id: Uuid,
        now: chrono::DateTime<Utc>,
    ) -> Result<Vec<access_grant::Model>, CatalogError> {
        Ok(access_grant::Entity::find()
            .filter(access_grant::Column::UserId.eq(user_id))
            .filter(access_grant::Column::RevokedAt.is_null())
            .filter(access_grant::Column::ExpiresAt.gt(now))
            .order_by_asc(access_grant::Column::Id)
            .all(self.connection())
            .await?)
    }

    /// Revokes a grant at once, audited.
    pub async fn revoke_grant(&self, dataset_id: Uuid, grant_id: Uuid, actor: Actor<'_>) -> Result<(), CatalogError> {
        let txn = self.begin_write().await?;
        let result = access_grant::Entity::update_many()
            .col_expr(access_grant::Column::RevokedAt, Expr::value(Utc::now()))
            .filter(access_grant::Column::Id.eq(grant_id))
            .filter(access_grant::Column::DatasetId.eq(dataset_id))
            .filter(access_grant::Column::RevokedAt.is_null())
            .exec(&txn)
            .await?;
        if result.rows_affected != 1 {
            return Err(CatalogError::not_found("grant"));
        }
        record(
            &txn,
            AuditRecord {
                actor: actor.who,
                action: "grant.revoke",
                surface: actor.surface,
                dataset_id: Some(dataset_id),
                target: Some(format!("grant:{grant_id}")),
                details: json!({}),
            },
        )
        .await?;
        txn.commit().await?;
        Ok(())
    }
}
