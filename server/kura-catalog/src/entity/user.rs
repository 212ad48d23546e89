//! Row of `users`.

use sea_orm::entity::prelude::*;
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, utoipa::ToSchema)]
#[schema(as = User)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub issuer: String,
    pub subject: String,
    pub display_name: Option<String>,
    pub email: Option<String>,
    pub orcid: Option<String>,
    /// Argon2id PHC string for local accounts; none for users of an external identity provider.
    #[serde(skip)]
    pub password_hash: Option<String>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub disabled_at: Option<DateTimeUtc>,
    pub kind: kura_core::UserKind,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
