//! What the tests of this crate share.

use kura_migrations::{Migrator, MigratorTrait};
use sea_orm::{ConnectionTrait, Database};
use uuid::Uuid;

use crate::Catalog;

/// A migrated catalog: on the PostgreSQL server `KURA_TEST_DATABASE_URL` names (a fresh
/// database), else SQLite in `dir`. Not migrated when `migrations` says how many to apply.
pub(crate) async fn catalog(dir: &std::path::Path, migrations: Option<u32>) -> Catalog {
    catalog_and_url(dir, migrations).await.0
}

/// [`catalog`] and its URL, for a second connection pool to the same database (another
/// process, as far as the database can tell).
pub(crate) async fn catalog_and_url(dir: &std::path::Path, migrations: Option<u32>) -> (Catalog, String) {
    let url = match std::env::var("KURA_TEST_DATABASE_URL").ok().filter(|u| u.starts_with("postgres")) {
        Some(admin) => {
            let name = format!("kura_test_{}", Uuid::new_v4().simple());
            let conn = Database::connect(&admin).await.expect("cannot reach KURA_TEST_DATABASE_URL");
            conn.execute_unprepared(&format!("CREATE DATABASE {name}")).await.expect("create test database");
            let base = admin.rsplit_once('/').map(|(b, _)| b.to_owned()).unwrap_or(admin.clone());
            format!("{base}/{name}")
        }
        None => format!("sqlite://{}?mode=rwc", dir.join("kura.db").display()),
    };
    let catalog = Catalog::connect(&url).await.unwrap();
    Migrator::up(catalog.connection(), migrations).await.unwrap();
    (catalog, url)
}
