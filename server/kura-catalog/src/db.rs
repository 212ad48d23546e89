use std::sync::Arc;
use std::time::Duration;

use kura_migrations::{Migrator, MigratorTrait};
use sea_orm::{
    ConnectOptions, Database, DatabaseConnection, DatabaseTransaction, SqliteTransactionMode, TransactionOptions,
    TransactionTrait,
};

use crate::CatalogError;

/// Called with the SQL of every statement the catalog runs.
pub type StatementHook = Arc<dyn Fn(&str) + Send + Sync>;

/// Handle to the catalog database. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Catalog {
    db: DatabaseConnection,
}

impl Catalog {
    /// Connects to `url` (`sqlite://…` or `postgres://…`) without migrating.
    pub async fn connect(url: &str) -> Result<Self, CatalogError> {
        Self::connect_with(url, None).await
    }

    /// Connects and calls `on_statement` for every SQL statement run (used by tests that check
    /// the number of statements per request).
    pub async fn connect_with(url: &str, on_statement: Option<StatementHook>) -> Result<Self, CatalogError> {
        let mut options = ConnectOptions::new(url.to_owned());
        options
            .sqlx_logging(false)
            .connect_timeout(Duration::from_secs(10))
            .acquire_timeout(Duration::from_secs(30))
            .max_connections(if url.starts_with("sqlite") { 8 } else { 16 })
            // Write-ahead logging: readers and the writer do not block each other across the
            // pool, and a commit is one append and one sync of the log instead of a rollback
            // journal created, synced and deleted around every write (about a millisecond per
            // audited read). Durability stays `FULL`, SQLite's default: a committed audit event
            // survives a power loss.
            .map_sqlx_sqlite_opts(|o| o.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal));
        let mut db = Database::connect(options).await?;
        if let Some(callback) = on_statement {
            db.set_metric_callback(move |info| callback(&info.statement.sql));
        }
        Ok(Catalog { db })
    }

    /// Applies pending migrations.
    pub async fn migrate(&self) -> Result<(), CatalogError> {
        Migrator::up(&self.db, None).await?;
        Ok(())
    }

    /// Checks the database answers; returns the backend's name.
    pub async fn ping(&self) -> Result<&'static str, CatalogError> {
        self.db.ping().await?;
        Ok(match self.db.get_database_backend() {
            sea_orm::DatabaseBackend::Postgres => "postgres",
            sea_orm::DatabaseBackend::Sqlite => "sqlite",
            _ => "other",
        })
    }

    /// The underlying connection, for the few queries that live outside this crate's modules.
    pub fn connection(&self) -> &DatabaseConnection {
        &self.db
    }

    /// Starts a transaction that writes. On SQLite it takes the write lock at once (`BEGIN
    /// IMMEDIATE`), waiting for it like any write: a deferred transaction that reads first and
    /// writes later fails at once with "database is locked" when another connection wrote in
    /// between (SQLite cannot upgrade its stale snapshot), as an ingest commit did while the
    /// job's progress was being recorded. PostgreSQL ignores the mode.
    pub(crate) async fn begin_write(&self) -> Result<DatabaseTransaction, sea_orm::DbErr> {
        let options = TransactionOptions {
            sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
            ..TransactionOptions::default()
        };
        self.db.begin_with_options(options).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm::{ConnectionTrait, Statement};

    #[tokio::test]
    async fn a_sqlite_catalog_writes_ahead_and_keeps_full_durability() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("kura.db").display());
        let catalog = Catalog::connect(&url).await.unwrap();
        catalog.migrate().await.unwrap();
        let db = catalog.connection();
        let pragma = |name: &'static str| async move {
            let row = db.query_one_raw(Statement::from_string(db.get_database_backend(), format!("PRAGMA {name}")));
            row.await.unwrap().unwrap()
        };
        let mode: String = pragma("journal_mode").await.try_get_by_index(0).unwrap();
        assert_eq!(mode, "wal");
        // 2 is FULL: a committed audit event survives a power loss.
        let synchronous: i32 = pragma("synchronous").await.try_get_by_index(0).unwrap();
        assert_eq!(synchronous, 2);
        assert!(dir.path().join("kura.db-wal").exists());
    }
}
