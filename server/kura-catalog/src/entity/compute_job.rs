//! Row of `compute_jobs`.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "compute_jobs")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The user who submitted it; access is decided for them at submission and at start.
    pub submitter: Uuid,
    pub actor: String,
    /// The group that owns the output dataset.
    pub group_id: Uuid,
    pub name: String,
    /// `sql` or `script`.
    pub kind: String,
    #[sea_orm(column_type = "Text")]
    pub code: String,
    pub inputs: Json,
    pub outputs: Json,
    pub tags: Json,
    pub output_dataset_id: Option<Uuid>,
    /// The access level the output inherited (JSON of `kura_core::access::AccessLevel`).
    pub inherited_level: Option<Json>,
    pub state: kura_core::TaskState,
    #[sea_orm(column_type = "Text", nullable)]
    pub message: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub log: String,
    pub created_at: DateTimeUtc,
    pub initializing_at: Option<DateTimeUtc>,
    pub running_at: Option<DateTimeUtc>,
    pub finished_at: Option<DateTimeUtc>,
    pub updated_at: DateTimeUtc,
    pub worker: Option<String>,
    pub lease_until: Option<DateTimeUtc>,
    pub attempts: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
