//! Row of `dataset_versions`.

use sea_orm::entity::prelude::*;
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, utoipa::ToSchema)]
#[schema(as = DatasetVersion)]
#[sea_orm(table_name = "dataset_versions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub dataset_id: Uuid,
    /// 1, 2, 3… within the dataset.
    pub number: i32,
    pub state: kura_core::VersionState,
    pub title: String,
    #[sea_orm(column_type = "Text")]
    pub description: String,
    /// Descriptive metadata, including what readers extracted from files.
    pub metadata: Json,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: DateTimeUtc,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub published_at: Option<DateTimeUtc>,
    /// When a published version was withdrawn (its state is then `deaccessioned`).
    #[schema(value_type = Option<String>, format = DateTime)]
    pub deaccessioned_at: Option<DateTimeUtc>,
    /// Why it was withdrawn, shown on its tombstone page.
    #[sea_orm(column_type = "Text", nullable)]
    pub deaccession_reason: Option<String>,
    /// A steward's comment when sending the version back from review to draft.
    #[sea_orm(column_type = "Text", nullable)]
    pub review_comment: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
