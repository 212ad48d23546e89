//! Row of `table_columns`.

use sea_orm::entity::prelude::*;
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, utoipa::ToSchema)]
#[schema(as = TableColumn)]
#[sea_orm(table_name = "table_columns")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub table_id: Uuid,
    pub position: i32,
    pub name: String,
    pub original_label: String,
    pub arrow_type: String,
    pub unit: Option<String>,
    pub ucum: Option<String>,
    /// QUDT unit IRI, when the unit has one.
    pub qudt: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub description: Option<String>,
    /// min, max, null_count, distinct estimate where known.
    pub statistics: Json,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
