//! Row of `access_requests`.

use sea_orm::entity::prelude::*;
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, utoipa::ToSchema)]
#[schema(as = AccessRequest)]
#[sea_orm(table_name = "access_requests")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub dataset_id: Uuid,
    pub user_id: Uuid,
    #[sea_orm(column_type = "Text")]
    pub reason: String,
    pub state: kura_core::RequestState,
    pub decided_by: Option<Uuid>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub decided_at: Option<DateTimeUtc>,
    #[sea_orm(column_type = "Text", nullable)]
    pub decision_reason: Option<String>,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
