//! Row of `peers`: a partner node this node trusts.

use sea_orm::entity::prelude::*;
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, utoipa::ToSchema)]
#[schema(as = Peer)]
#[sea_orm(table_name = "peers")]
pub struct Model {
    /// The peer's node id, the issuer of its assertions.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub base_url: String,
    pub jwks_url: String,
    pub flight_url: Option<String>,
    /// The organizations (names or ROR ids) it speaks for: a JSON array of strings.
    #[schema(value_type = Vec<String>)]
    pub organizations: Json,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
