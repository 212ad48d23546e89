//! Small builders shared by the migrations.

use sea_orm_migration::prelude::*;

/// A foreign key `from` → `to` that cascades deletes.
pub(crate) fn fk(from: (&'static str, &'static str), to: (&'static str, &'static str)) -> ForeignKeyCreateStatement {
    ForeignKey::create().from(from.0, from.1).to(to.0, to.1).on_delete(ForeignKeyAction::Cascade).to_owned()
}

/// An index on `cols` of `table`, unique or not.
pub(crate) fn index(name: &str, table: &'static str, cols: &[&'static str], unique: bool) -> IndexCreateStatement {
    let mut index = Index::create();
    index.name(name).table(table);
    if unique {
        index.unique();
    }
    for col in cols {
        index.col(*col);
    }
    index.to_owned()
}

/// Drops the tables that `tables` creates, in reverse order.
pub(crate) async fn drop_all(manager: &SchemaManager<'_>, tables: Vec<TableCreateStatement>) -> Result<(), DbErr> {
    for table in tables.into_iter().rev() {
        let name = table.get_table_name().cloned().ok_or_else(|| DbErr::Custom("unnamed table".into()))?;
        manager.drop_table(Table::drop().table(name).to_owned()).await?;
    }
    Ok(())
}

/// Creates `tables`, then `indexes` on them.
pub(crate) async fn create_all(
    manager: &SchemaManager<'_>,
    tables: Vec<TableCreateStatement>,
    indexes: Vec<IndexCreateStatement>,
) -> Result<(), DbErr> {
    for table in tables {
        manager.create_table(table).await?;
    }
    for index in indexes {
        manager.create_index(index).await?;
    }
    Ok(())
}
