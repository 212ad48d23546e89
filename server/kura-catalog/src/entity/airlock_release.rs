//! Row of `airlock_releases`.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, serde::Serialize, utoipa::ToSchema)]
#[schema(as = AirlockRelease)]
#[sea_orm(table_name = "airlock_releases")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The compute job's output dataset whose policy would loosen.
    pub dataset_id: Uuid,
    pub job_id: Uuid,
    /// Who asked, as the audit log names them.
    pub requested_by: String,
    #[sea_orm(column_type = "Text")]
    pub reason: String,
    /// The policy asked for.
    #[schema(value_type = Object)]
    pub policy: Json,
    /// The groups (owning an input) whose steward must approve.
    #[schema(value_type = Vec<String>)]
    pub needed: Json,
    /// `[{"group", "by", "at"}]`: the approvals given so far.
    #[schema(value_type = Vec<Object>)]
    pub approvals: Json,
    /// `pending` until every needed group approved, then `approved` (the policy is in force).
    pub state: kura_core::RequestState,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: DateTimeUtc,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub decided_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
