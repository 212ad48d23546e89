//! Dataset names are unique per owner group instead of platform-wide: a platform-wide name told
//! anyone creating a dataset that another group's closed or draft dataset had that name (security
//! issue 17, item 5). Datasets without a group (created by administrators) stay unique among
//! themselves. A plain index keeps lookups by name fast.
//!
//! SQLite cannot drop a column's UNIQUE constraint: the table is rebuilt (SQLite's documented
//! twelve steps) on one connection with foreign keys switched off, since dropping the old table
//! with them on would cascade-delete every version, file and table of every dataset.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::{DatabaseBackend, DatabaseExecutor, sqlx};

use crate::helpers::fk;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The key of group-less datasets in the unique index (NULLs would never collide).
const NO_GROUP_PG: &str = "'00000000-0000-0000-0000-000000000000'::uuid";
const NO_GROUP_SQLITE: &str = "''";

fn unique_per_group(no_group: &str) -> String {
    format!("CREATE UNIQUE INDEX ux_datasets_group_name ON datasets (COALESCE(group_id, {no_group}), name)")
}

const NAME_INDEX: &str = "CREATE INDEX ix_datasets_name ON datasets (name)";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        match manager.get_database_backend() {
            DatabaseBackend::Sqlite => {
                let rebuild = [unique_per_group(NO_GROUP_SQLITE), NAME_INDEX.to_owned()];
                rebuild_sqlite(manager, false, &rebuild).await
            }
            _ => {
                let db = manager.get_connection();
                db.execute_unprepared("ALTER TABLE datasets DROP CONSTRAINT datasets_name_key").await?;
                db.execute_unprepared(&unique_per_group(NO_GROUP_PG)).await?;
                db.execute_unprepared(NAME_INDEX).await?;
                Ok(())
            }
        }
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        match manager.get_database_backend() {
            DatabaseBackend::Sqlite => rebuild_sqlite(manager, true, &[]).await,
            _ => {
                let db = manager.get_connection();
                db.execute_unprepared("DROP INDEX ux_datasets_group_name").await?;
                db.execute_unprepared("DROP INDEX ix_datasets_name").await?;
                db.execute_unprepared("ALTER TABLE datasets ADD CONSTRAINT datasets_name_key UNIQUE (name)").await?;
                Ok(())
            }
        }
    }
}

/// `datasets` as the first migration creates it, named `table`, its name unique or not.
fn datasets_table(table: &'static str, unique_name: bool) -> TableCreateStatement {
    Table::create()
        .table(table)
        .col(pk_uuid("id"))
        .col(if unique_name { string_uniq("name") } else { string("name") })
        .col(uuid_null("group_id"))
        .col(timestamp_with_time_zone("created_at"))
        .foreign_key(&mut fk((table, "group_id"), ("groups", "id")))
        .to_owned()
}

/// Rebuilds `datasets` with or without a unique name, then runs `then` (its new indexes).
async fn rebuild_sqlite(manager: &SchemaManager<'_>, unique_name: bool, then: &[String]) -> Result<(), DbErr> {
    let DatabaseExecutor::Connection(db) = manager.get_connection() else {
        return Err(DbErr::Migration("the dataset name migration runs outside a transaction".into()));
    };
    let mut conn = db.get_sqlite_connection_pool().acquire().await.map_err(sqlx_err)?;
    // Foreign keys are switched off on this connection only; it is closed afterwards rather than
    // handed back to the pool in that state.
    conn.close_on_drop();
    let mut steps = vec![
        "PRAGMA foreign_keys = OFF".to_owned(),
        "BEGIN".to_owned(),
        datasets_table("datasets_new", unique_name).to_string(SqliteQueryBuilder),
        "INSERT INTO datasets_new (id, name, group_id, created_at) SELECT id, name, group_id, created_at FROM datasets"
            .to_owned(),
        "DROP TABLE datasets".to_owned(),
        "ALTER TABLE datasets_new RENAME TO datasets".to_owned(),
    ];
    steps.extend(then.iter().cloned());
    for step in steps {
        // Every step is a constant or sea-query's rendering of a constant definition.
        if let Err(e) = sqlx::query(sqlx::AssertSqlSafe(step)).execute(&mut *conn).await {
            let _ = sqlx::query("ROLLBACK").execute(&mut *conn).await;
            return Err(sqlx_err(e));
        }
    }
    let dangling = sqlx::query("PRAGMA foreign_key_check").fetch_all(&mut *conn).await.map_err(sqlx_err)?;
    if !dangling.is_empty() {
        let _ = sqlx::query("ROLLBACK").execute(&mut *conn).await;
        return Err(DbErr::Migration(format!("{} rows would lose their dataset", dangling.len())));
    }
    sqlx::query("COMMIT").execute(&mut *conn).await.map_err(sqlx_err)?;
    Ok(())
}

fn sqlx_err(e: sqlx::Error) -> DbErr {
    DbErr::Migration(e.to_string())
}
