//! Row of `sessions`.

use sea_orm::entity::prelude::*;
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, utoipa::ToSchema)]
#[schema(as = Session)]
#[sea_orm(table_name = "sessions")]
pub struct Model {
    /// SHA-256 of the session cookie's secret.
    #[sea_orm(primary_key, auto_increment = false)]
    #[serde(skip)]
    pub id_hash: String,
    pub user_id: Uuid,
    #[serde(skip)]
    pub csrf_token: String,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: DateTimeUtc,
    #[schema(value_type = String, format = DateTime)]
    pub expires_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
