//! Acknowledged stream appends waiting for their commit (`stream_pending`), and the lease of
//! the one process that commits a stream. An append is admitted in one write transaction that
//! holds the stream's row: its idempotency key checked against committed and waiting batches,
//! the backlog bounded, and the admitted schema widened; so any process may take appends.

use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;

use crate::entity::{stream_batch, stream_pending, stream_table};
use crate::{Catalog, CatalogError};

/// An acknowledged batch to record: its key, where its rows are, and its provenance.
#[derive(Debug, Clone, PartialEq)]
pub struct NewPending {
    pub stream_id: Uuid,
    pub writer_id: String,
    pub sequence: i64,
    /// The batch as an Arrow IPC stream in the object store.
    pub sha256: String,
    pub size: i64,
    pub row_count: i64,
    pub provenance: serde_json::Value,
    pub appended_by: String,
    pub surface: String,
    pub received_at: DateTime<Utc>,
}

/// What became of an append.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// Recorded: acknowledged from now on.
    Admitted,
    /// A batch with the same key was acknowledged before: nothing was recorded.
    Duplicate,
    /// Too many rows wait for a commit: the writer should retry later.
    Behind,
}

impl Catalog {
    /// Records `batch` as acknowledged unless its key is known or `max_waiting_bytes` bytes of
    /// batches wait already. `widen` gets the schema appends are admitted against (IPC schema, base64;
    /// `None` before the first batch) and returns it as this batch widens it, or refuses it.
    pub async fn admit_stream_batch<E: From<CatalogError>>(
        &self,
        batch: NewPending,
        max_waiting_bytes: i64,
        widen: impl FnOnce(Option<&str>) -> Result<String, E>,
    ) -> Result<Admission, E> {
        let txn = self.begin_write().await.map_err(CatalogError::from)?;
        let table = stream_table::Entity::find_by_id(batch.stream_id)
            .lock_exclusive()
            .one(&txn)
            .await
            .map_err(CatalogError::from)?
            .ok_or_else(|| CatalogError::not_found("stream table"))?;
        let key = Condition::all()
            .add(stream_pending::Column::StreamId.eq(batch.stream_id))
            .add(stream_pending::Column::WriterId.eq(&batch.writer_id))
            .add(stream_pending::Column::Sequence.eq(batch.sequence));
        let waiting = stream_pending::Entity::find().filter(key).count(&txn).await.map_err(CatalogError::from)?;
        let committed = stream_batch::Entity::find()
            .filter(stream_batch::Column::StreamId.eq(batch.stream_id))
            .filter(stream_batch::Column::WriterId.eq(&batch.writer_id))
            .filter(stream_batch::Column::Sequence.eq(batch.sequence))
            .count(&txn)
            .await
            .map_err(CatalogError::from)?;
        if waiting + committed > 0 {
            return Ok(Admission::Duplicate);
        }
        if waiting_bytes(&txn, batch.stream_id).await? >= max_waiting_bytes {
            return Ok(Admission::Behind);
        }
        let current = table.pending_schema.as_deref().or(table.arrow_schema.as_deref());
        let widened = widen(current)?;
        if current != Some(widened.as_str()) {
            stream_table::Entity::update_many()
                .col_expr(stream_table::Column::PendingSchema, Expr::value(Some(widened)))
                .filter(stream_table::Column::Id.eq(batch.stream_id))
                .exec(&txn)
                .await
                .map_err(CatalogError::from)?;
        }
        let row = stream_pending::ActiveModel {
            id: Set(Uuid::now_v7()),
            stream_id: Set(batch.stream_id),
            writer_id: Set(batch.writer_id),
            sequence: Set(batch.sequence),
            sha256: Set(batch.sha256),
            size: Set(batch.size),
            row_count: Set(batch.row_count),
            provenance: Set(batch.provenance),
            appended_by: Set(batch.appended_by),
            surface: Set(batch.surface),
            received_at: Set(batch.received_at),
        };
        stream_pending::Entity::insert(row).exec(&txn).await.map_err(CatalogError::from)?;
        txn.commit().await.map_err(CatalogError::from)?;
        Ok(Admission::Admitted)
    }

    /// The oldest waiting batches of a stream, in the order they were acknowledged, until
    /// `rows` rows (at least one batch when any waits), and whether more wait beyond them.
    pub async fn waiting_stream_batches(
        &self,
        stream_id: Uuid,
        rows: i64,
    ) -> Result<(Vec<stream_pending::Model>, bool), CatalogError> {
        let all = stream_pending::Entity::find()
            .filter(stream_pending::Column::StreamId.eq(stream_id))
            .order_by_asc(stream_pending::Column::Id)
            .all(self.connection())
            .await?;
        let mut taken = Vec::new();
        let mut total = 0;
        let mut rest = all.into_iter();
        for batch in rest.by_ref() {
            total += batch.row_count;
            taken.push(batch);
            if total >= rows {
                break;
            }
        }
        Ok((taken, rest.next().is_some()))
    }

    /// Whether any batch of the stream waits for a commit.
    pub async fn stream_has_waiting_batches(&self, stream_id: Uuid) -> Result<bool, CatalogError> {
        let one = stream_pending::Entity::find()
            .select_only()
            .column(stream_pending::Column::Id)
            .filter(stream_pending::Column::StreamId.eq(stream_id))
            .limit(1)
            .into_tuple::<Uuid>()
            .one(self.connection())
            .await?;
        Ok(one.is_some())
    }

    /// The streams that have batches waiting for a commit.
    pub async fn streams_with_waiting_batches(&self) -> Result<Vec<Uuid>, CatalogError> {
        Ok(stream_pending::Entity::find()
            .select_only()
            .column(stream_pending::Column::StreamId)
            .distinct()
            .into_tuple()
            .all(self.connection())
            .await?)
    }

    /// Makes `committer` the process that commits the stream for `lease`, unless another
    /// process's lease still holds; whether it now holds it.
    pub async fn claim_stream_commits(
        &self,
        stream_id: Uuid,
        committer: &str,
        lease: Duration,
    ) -> Result<bool, CatalogError> {
        let now = Utc::now();
        let until = now + chrono::Duration::from_std(lease).unwrap_or_default();
        let free = Condition::any()
            .add(stream_table::Column::Committer.is_null())
            .add(stream_table::Column::Committer.eq(committer))
            .add(stream_table::Column::CommitLeaseUntil.lt(now));
        let result = stream_table::Entity::update_many()
            .col_expr(stream_table::Column::Committer, Expr::value(Some(committer.to_owned())))
            .col_expr(stream_table::Column::CommitLeaseUntil, Expr::value(Some(until)))
            .filter(stream_table::Column::Id.eq(stream_id))
            .filter(free)
            .exec(self.connection())
            .await?;
        Ok(result.rows_affected == 1)
    }
}

async fn waiting_bytes(txn: &impl sea_orm::ConnectionTrait, stream_id: Uuid) -> Result<i64, CatalogError> {
    // PostgreSQL sums bigints as numeric: cast back, on both databases alike.
    let sum: Option<i64> = stream_pending::Entity::find()
        .select_only()
        .expr_as(Expr::cust("CAST(COALESCE(SUM(size), 0) AS BIGINT)"), "bytes")
        .filter(stream_pending::Column::StreamId.eq(stream_id))
        .into_tuple()
        .one(txn)
        .await?;
    Ok(sum.unwrap_or(0))
}
