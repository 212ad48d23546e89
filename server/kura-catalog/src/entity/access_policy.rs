//! Row of `access_policies`.

use sea_orm::entity::prelude::*;
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, utoipa::ToSchema)]
#[schema(as = AccessPolicy)]
#[sea_orm(table_name = "access_policies")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub dataset_id: Uuid,
    /// The level without its data: those are `embargo_until` and the `policy_consortia` rows.
    pub level: kura_core::access::LevelKind,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub embargo_until: Option<DateTimeUtc>,
    /// SPDX licence id.
    pub license: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub terms: Option<String>,
    /// Names of columns only the owner group may see.
    pub masked_columns: Json,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
