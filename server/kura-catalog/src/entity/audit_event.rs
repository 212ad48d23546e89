//! Row of `audit_events`.

use sea_orm::entity::prelude::*;
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, utoipa::ToSchema)]
#[schema(as = AuditEvent)]
#[sea_orm(table_name = "audit_events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[schema(value_type = String, format = DateTime)]
    pub at: DateTimeUtc,
    /// Who: `user:<id>`, `token:<id>`, `anonymous`.
    pub actor: String,
    /// What: `data.download`, `data.rows`, `policy.change`, `grant.create`…
    pub action: String,
    /// Through which surface: `rest`, `web`, `flight`, `sparql`, `cli`.
    pub surface: String,
    pub dataset_id: Option<Uuid>,
    pub target: Option<String>,
    pub details: Json,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
