//! Events that feed the projections (search index, RDF store), written in the same transaction
//! as the change they describe.

use chrono::Utc;
use sea_orm::ColumnTrait;
use sea_orm::{ActiveValue::NotSet, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set};
use serde_json::Value;
use uuid::Uuid;

use crate::entity::outbox;
use crate::{Catalog, CatalogError};

/// Appends an event using `conn`, which should be the transaction of the change itself.
pub(crate) async fn append(
    conn: &impl ConnectionTrait,
    topic: &str,
    dataset_id: Option<Uuid>,
    payload: Value,
) -> Result<(), CatalogError> {
    let event = outbox::ActiveModel {
        id: NotSet,
        topic: Set(topic.to_owned()),
        dataset_id: Set(dataset_id),
        payload: Set(payload),
        created_at: Set(Utc::now()),
    };
    outbox::Entity::insert(event).exec(conn).await?;
    Ok(())
}

impl Catalog {
    /// The id of the newest event (0 when there is none).
    pub async fn outbox_head(&self) -> Result<i64, CatalogError> {
        Ok(outbox::Entity::find().order_by_desc(outbox::Column::Id).one(self.connection()).await?.map_or(0, |e| e.id))
    }

    /// Events with an id greater than `after`, oldest first.
    pub async fn outbox_after(&self, after: i64, limit: u64) -> Result<Vec<outbox::Model>, CatalogError> {
        Ok(outbox::Entity::find()
            .filter(outbox::Column::Id.gt(after))
            .order_by_asc(outbox::Column::Id)
            .limit(limit)
            .all(self.connection())
            .await?)
    }
}
