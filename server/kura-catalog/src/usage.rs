//! Usage: which datasets are read most, counted from the audit log's data reads (downloads,
//! rows, Parquet, exports), among the datasets the caller may see.

use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use crate::datasets::visible_datasets;
use crate::entity::{audit_event, dataset};
use crate::{Catalog, CatalogError, Visibility};

impl Catalog {
    /// Up to `limit` datasets `vis` may see, with their number of data reads, most read first.
    pub async fn most_used_datasets(
        &self,
        vis: &Visibility,
        limit: u64,
    ) -> Result<Vec<(dataset::Model, i64)>, CatalogError> {
        let visible = visible_datasets(dataset::Entity::find(), vis).select_only().column(dataset::Column::Id);
        let counts: Vec<(Option<Uuid>, i64)> = audit_event::Entity::find()
            .select_only()
            .column(audit_event::Column::DatasetId)
            .column_as(Expr::cust("COUNT(*)"), "uses")
            .filter(audit_event::Column::Action.starts_with("data."))
            .filter(audit_event::Column::DatasetId.in_subquery(sea_orm::QueryTrait::into_query(visible)))
            .group_by(audit_event::Column::DatasetId)
            .order_by_desc(Expr::cust("COUNT(*)"))
            .limit(limit)
            .into_tuple()
            .all(self.connection())
            .await?;
        let ids: Vec<Uuid> = counts.iter().filter_map(|(id, _)| *id).collect();
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let datasets = dataset::Entity::find().filter(dataset::Column::Id.is_in(ids)).all(self.connection()).await?;
        Ok(counts
            .into_iter()
            .filter_map(|(id, n)| datasets.iter().find(|d| Some(d.id) == id).map(|d| (d.clone(), n)))
            .collect())
    }
}
