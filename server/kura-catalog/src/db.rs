use std::sync::Arc;
use std::time::Duration;

use kura_migrations::{Migrator, MigratorTrait};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, SqliteTransactionMode,
    TransactionOptions, TransactionTrait,
};

use crate::CatalogError;

/// The PostgreSQL advisory lock key migrations hold ("kura" in ASCII).
const MIGRATION_LOCK: i64 = 0x6b75_7261;

/// How the catalog's schema compares with this build's migrations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SchemaStatus {
    Current,
    /// Migrations this build has that the catalog lacks (`kura migrate` applies them).
    Older {
        pending: Vec<String>,
    },
    /// Migrations applied by a newer build that this one does not know.
    Newer {
        unknown: Vec<String>,
    },
}

/// Called with the SQL of every statement the catalog runs.
pub type StatementHook = Arc<dyn Fn(&str) + Send + Sync>;

/// Handle to the catalog database. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Catalog {
    db: DatabaseConnection,
    /// The migration lock file of a SQLite database file.
    sqlite_path: Option<std::path::PathBuf>,
}

/// `<file>.migrate-lock` for a `sqlite://<file>?…` URL; none for other databases and in-memory ones.
fn sqlite_lock_path(url: &str) -> Option<std::path::PathBuf> {
    let file = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:"))?;
    let file = file.split('?').next().unwrap_or_default();
    (!file.is_empty() && !file.contains(":memory:")).then(|| std::path::PathBuf::from(format!("{file}.migrate-lock")))
}

impl Catalog {
    /// Connects to `url` (`sqlite://…` or `postgres://…`) without migrating.
    pub async fn connect(url: &str) -> Result<Self, CatalogError> {
        Self::connect_with(url, None).await
    }

    /// Connects and calls `on_statement` for every SQL statement run (used by tests that check
    /// the number of statements per request).
    pub async fn connect_with(url: &str, on_statement: Option<StatementHook>) -> Result<Self, CatalogError> {
        Self::connect_pool(url, 0, on_statement).await
    }

    /// Connects with a pool of at most `max_connections` (0: 8 for SQLite, 16 for PostgreSQL).
    pub async fn connect_pool(
        url: &str,
        max_connections: u32,
        on_statement: Option<StatementHook>,
    ) -> Result<Self, CatalogError> {
        let default = if url.starts_with("sqlite") { 8 } else { 16 };
        let mut options = ConnectOptions::new(url.to_owned());
        options
            .sqlx_logging(false)
            .connect_timeout(Duration::from_secs(10))
            .acquire_timeout(Duration::from_secs(30))
            .max_connections(if max_connections == 0 { default } else { max_connections })
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
        Ok(Catalog { db, sqlite_path: sqlite_lock_path(url) })
    }

    /// Applies pending migrations under a lock, so processes that start at once migrate one
    /// after the other: the first applies them, the others then find nothing pending. On
    /// PostgreSQL all run in one transaction holding an advisory lock (DDL is transactional
    /// there, so a failed migration leaves the schema as it was); on SQLite, whose table
    /// rebuilds must switch foreign keys off outside a transaction, an exclusive lock on a file
    /// beside the database serializes them.
    pub async fn migrate(&self) -> Result<(), CatalogError> {
        if self.db.get_database_backend() != sea_orm::DatabaseBackend::Postgres {
            let _lock = self.sqlite_migration_lock().await?;
            Migrator::up(&self.db, None).await?;
            return Ok(());
        }
        let txn = self.db.begin().await?;
        txn.execute_unprepared(&format!("SELECT pg_advisory_xact_lock({MIGRATION_LOCK})")).await?;
        Migrator::up(&txn, None).await?;
        txn.commit().await?;
        Ok(())
    }

    /// Whether the catalog's schema is the one this build expects: no migration pending and
    /// none applied that this build does not know (a newer Kura migrated it).
    pub async fn schema_status(&self) -> Result<SchemaStatus, CatalogError> {
        let known: Vec<String> = Migrator::migrations().iter().map(|m| m.name().to_owned()).collect();
        let applied: Vec<String> = if self.has_migration_table().await? {
            let rows = self.db.query_all_raw(sea_orm::Statement::from_string(
                self.db.get_database_backend(),
                format!("SELECT version FROM {}", Migrator::migration_table_name()),
            ));
            rows.await?.iter().map(|r| r.try_get::<String>("", "version")).collect::<Result<_, _>>()?
        } else {
            Vec::new()
        };
        let unknown: Vec<String> = applied.iter().filter(|v| !known.contains(v)).cloned().collect();
        if !unknown.is_empty() {
            return Ok(SchemaStatus::Newer { unknown });
        }
        let pending: Vec<String> = known.into_iter().filter(|v| !applied.contains(v)).collect();
        Ok(if pending.is_empty() { SchemaStatus::Current } else { SchemaStatus::Older { pending } })
    }

    /// An exclusive lock on `<database file>.migrate-lock`, held while the file is open (none
    /// for an in-memory database).
    async fn sqlite_migration_lock(&self) -> Result<Option<std::fs::File>, CatalogError> {
        let Some(path) = self.sqlite_path.clone() else { return Ok(None) };
        let lock = tokio::task::spawn_blocking(move || {
            let file = std::fs::File::options().create(true).truncate(false).write(true).open(path)?;
            file.lock()?;
            Ok::<_, std::io::Error>(file)
        });
        let file = lock.await.map_err(std::io::Error::other).and_then(|r| r).map_err(CatalogError::Lock)?;
        Ok(Some(file))
    }

    async fn has_migration_table(&self) -> Result<bool, CatalogError> {
        let manager = kura_migrations::SchemaManager::new(&self.db);
        Ok(manager.has_table(Migrator::migration_table_name().to_string()).await?)
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

    #[tokio::test]
    async fn processes_migrating_at_once_apply_each_migration_once_and_the_schema_is_checked() {
        let dir = tempfile::tempdir().unwrap();
        let catalog = crate::testing::catalog(dir.path(), Some(2)).await;
        let older = catalog.schema_status().await.unwrap();
        assert!(matches!(&older, SchemaStatus::Older { pending } if pending.len() + 2 == Migrator::migrations().len()));
        // Four migrations start at the same moment, each on a connection of its own from the
        // pool (on PostgreSQL, four sessions contending for the advisory lock).
        let others = [catalog.clone(), catalog.clone(), catalog.clone()];
        let runs = others.iter().map(|c| c.migrate()).chain([catalog.migrate()]);
        for outcome in futures::future::join_all(runs).await {
            outcome.expect("every process migrates or finds nothing pending");
        }
        assert_eq!(catalog.schema_status().await.unwrap(), SchemaStatus::Current);
        let applied: i64 = catalog
            .connection()
            .query_one_raw(Statement::from_string(
                catalog.connection().get_database_backend(),
                "SELECT COUNT(*) AS n FROM seaql_migrations".to_owned(),
            ))
            .await
            .unwrap()
            .unwrap()
            .try_get("", "n")
            .unwrap();
        assert_eq!(applied as usize, Migrator::migrations().len(), "each migration applied once");

        // A newer Kura's migration makes this build refuse the schema.
        catalog
            .connection()
            .execute_unprepared(
                "INSERT INTO seaql_migrations (version, applied_at) VALUES ('m20991231_000001_future', 0)",
            )
            .await
            .unwrap();
        let newer = catalog.schema_status().await.unwrap();
        assert_eq!(newer, SchemaStatus::Newer { unknown: vec!["m20991231_000001_future".into()] });
    }
}
