//! Row of `access_grants`.

use sea_orm::entity::prelude::*;
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, utoipa::ToSchema)]
#[schema(as = AccessGrant)]
#[sea_orm(table_name = "access_grants")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub dataset_id: Uuid,
    pub user_id: Uuid,
    pub request_id: Option<Uuid>,
    pub granted_by: Option<Uuid>,
    #[schema(value_type = String, format = DateTime)]
    pub expires_at: DateTimeUtc,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub revoked_at: Option<DateTimeUtc>,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
