//! Row of `sign_in_failures`: one sign-in attempt counted as a failure (see
//! `kura_auth::login_limit`).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sign_in_failures")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The account name as given, lower-cased.
    pub account: String,
    /// The client address, when known.
    pub address: Option<String>,
    pub at: DateTimeUtc,
    /// Taken back from its pair by a later success; it still counts for its address.
    pub cleared: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
