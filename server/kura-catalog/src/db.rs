use std::sync::Arc;
use std::time::Duration;

use kura_migrations::{Migrator, MigratorTrait};
use sea_orm::{ConnectOptions, Database, DatabaseConnection};

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
            .max_connections(if url.starts_with("sqlite") { 8 } else { 16 });
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
}
