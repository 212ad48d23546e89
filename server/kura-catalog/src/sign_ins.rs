//! Sign-in failures in the catalog (`kura_auth::login_limit` holds the rule): every process
//! sharing the catalog checks and counts an attempt against the same rows, in one write
//! transaction, so parallel attempts through different processes cannot slip past the count.

use std::net::IpAddr;
use std::time::Duration;

use chrono::{DateTime, Utc};
use kura_auth::login_limit::{Failures, account_key, wait_before};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use crate::entity::sign_in_failure::{self, Column};
use crate::{Catalog, CatalogError};

/// Serializes sign-in checks on PostgreSQL (SQLite's write lock does it there): sign-ins are
/// rare and slow (Argon2), so one lock for all costs nothing.
const SIGN_IN_LOCK: i64 = 0x6b75_7261_0002;

/// How long any failure is kept: far beyond the rule's window, so a pair's long run of
/// failures keeps its delay; older rows are removed as attempts come in.
const RETENTION_DAYS: i64 = 2;

impl Catalog {
    /// See `kura_auth::CredentialStore::begin_sign_in`.
    pub async fn begin_sign_in(
        &self,
        account: &str,
        address: Option<IpAddr>,
        now: DateTime<Utc>,
    ) -> Result<Result<Uuid, Duration>, CatalogError> {
        let (account, address) = (account_key(account), address.map(|a| a.to_string()));
        let txn = self.begin_write().await?;
        if txn.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
            txn.execute_unprepared(&format!("SELECT pg_advisory_xact_lock({SIGN_IN_LOCK})")).await?;
        }
        sign_in_failure::Entity::delete_many()
            .filter(Column::At.lt(now - chrono::Duration::days(RETENTION_DAYS)))
            .exec(&txn)
            .await?;
        let pair = sign_in_failure::Entity::find()
            .filter(Column::Account.eq(&account))
            .filter(match &address {
                Some(a) => Column::Address.eq(a.clone()),
                None => Column::Address.is_null(),
            })
            .filter(Column::Cleared.eq(false))
            .order_by_asc(Column::At)
            .all(&txn)
            .await?;
        let window = chrono::Duration::from_std(kura_auth::login_limit::WINDOW).unwrap_or_default();
        let by_address = match &address {
            Some(a) => {
                let rows = sign_in_failure::Entity::find()
                    .filter(Column::Address.eq(a.clone()))
                    .filter(Column::At.gte(now - window))
                    .all(&txn)
                    .await?;
                rows.into_iter().map(|r| r.at).collect()
            }
            None => Vec::new(),
        };
        let last = pair.last().map(|r| r.at);
        let failures = Failures { pair: last.map(|at| (pair.len() as u32, at)), address: by_address };
        let wait = wait_before(&failures, now);
        if !wait.is_zero() {
            return Ok(Err(wait));
        }
        if last.is_some_and(|at| now - at >= window) {
            // The pair's earlier run is forgotten: it no longer delays, only its address counts it.
            let ids: Vec<Uuid> = pair.iter().map(|r| r.id).collect();
            clear(&txn, ids).await?;
        }
        let id = Uuid::now_v7();
        let row = sign_in_failure::ActiveModel {
            id: Set(id),
            account: Set(account),
            address: Set(address),
            at: Set(now),
            cleared: Set(false),
        };
        sign_in_failure::Entity::insert(row).exec(&txn).await?;
        txn.commit().await?;
        Ok(Ok(id))
    }

    /// See `kura_auth::CredentialStore::sign_in_succeeded`.
    pub async fn sign_in_succeeded(&self, attempt: Uuid) -> Result<(), CatalogError> {
        let txn = self.begin_write().await?;
        if let Some(done) = sign_in_failure::Entity::find_by_id(attempt).one(&txn).await? {
            sign_in_failure::Entity::delete_by_id(attempt).exec(&txn).await?;
            let pair = sign_in_failure::Entity::find()
                .filter(Column::Account.eq(&done.account))
                .filter(match &done.address {
                    Some(a) => Column::Address.eq(a.clone()),
                    None => Column::Address.is_null(),
                })
                .all(&txn)
                .await?;
            clear(&txn, pair.into_iter().map(|r| r.id).collect()).await?;
        }
        txn.commit().await?;
        Ok(())
    }
}

async fn clear(txn: &impl ConnectionTrait, ids: Vec<Uuid>) -> Result<(), CatalogError> {
    if !ids.is_empty() {
        sign_in_failure::Entity::update_many()
            .col_expr(Column::Cleared, true.into())
            .filter(Column::Id.is_in(ids))
            .exec(txn)
            .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use kura_auth::login_limit::FREE_ATTEMPTS;

    use super::*;

    /// Two connection pools on one database stand for two Kura processes behind a load
    /// balancer: attempts through either count against the same failures.
    #[tokio::test]
    async fn processes_sharing_a_catalog_count_the_same_sign_in_failures() {
        let dir = tempfile::tempdir().unwrap();
        let (first, url) = crate::testing::catalog_and_url(dir.path(), None).await;
        let second = Catalog::connect(&url).await.unwrap();
        let ip: IpAddr = "192.0.2.7".parse().unwrap();
        let now = Utc::now();

        let attempts = (0..12).map(|i| {
            let catalog = if i % 2 == 0 { &first } else { &second };
            catalog.begin_sign_in("Alice", Some(ip), now)
        });
        let outcomes = futures::future::join_all(attempts).await;
        let admitted: Vec<Uuid> = outcomes.into_iter().filter_map(|o| o.unwrap().ok()).collect();
        assert_eq!(admitted.len(), FREE_ATTEMPTS as usize, "parallel attempts through both count once each");
        assert!(second.begin_sign_in("alice", Some(ip), now).await.unwrap().is_err());
        let elsewhere = first.begin_sign_in("alice", Some("198.51.100.3".parse().unwrap()), now).await.unwrap();
        let owner = elsewhere.expect("another address is not locked out");

        // A success through one process forgets the pair's failures for both.
        second.sign_in_succeeded(owner).await.unwrap();
        let at_ip = first.begin_sign_in("alice", Some(ip), now).await.unwrap();
        assert!(at_ip.is_err(), "the success was from another address: this pair still waits");
        let attempt = second.begin_sign_in("alice", Some("198.51.100.3".parse().unwrap()), now).await.unwrap().unwrap();
        second.sign_in_succeeded(attempt).await.unwrap();
        let later = now + chrono::Duration::from_std(kura_auth::login_limit::WINDOW).unwrap();
        assert!(first.begin_sign_in("alice", Some(ip), later).await.unwrap().is_ok(), "forgotten after the window");
    }
}
