//! What of a version's tables and files one caller may be shown. Masked columns are hidden from
//! everyone outside the owner group ([`kura_core::access::hidden_columns`]); column statistics
//! are data, shown only to callers who may read the data; a file that holds a hidden column is
//! withheld as if it did not exist. Every surface (REST, pages, exports, descriptions, Flight)
//! asks here instead of deciding on its own.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use kura_core::access::{Action, Decision, Facts, Subject, decide, hidden_columns};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use crate::entity::{data_table, file};
use crate::policies::Policy;
use crate::tables::TableInfo;
use crate::{Catalog, CatalogError, Page, PageRequest};

/// What one caller may be shown of one dataset version's tables and files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Disclosure {
    /// Masked columns hidden from this caller.
    hidden: Vec<String>,
    /// Whether column statistics (data about the data) may be shown.
    statistics: bool,
}

impl Disclosure {
    /// What `subject` may be shown of a version with `facts` and `policy` at `now`.
    pub fn of(subject: &Subject, facts: &Facts, policy: &Policy, now: DateTime<Utc>) -> Self {
        Disclosure {
            hidden: hidden_columns(subject, facts, &policy.masked_columns),
            statistics: decide(subject, Action::ReadData, facts, now) == Decision::Allow,
        }
    }

    /// The masked columns hidden from this caller.
    pub fn hidden_columns(&self) -> &[String] {
        &self.hidden
    }

    /// Whether `column` is hidden from this caller.
    pub fn hides(&self, column: &str) -> bool {
        self.hidden.iter().any(|h| h == column)
    }

    /// Whether the table has a column hidden from this caller.
    pub fn hides_part_of(&self, table: &TableInfo) -> bool {
        table.columns.iter().any(|c| self.hides(&c.name))
    }

    /// Whether column statistics may be shown.
    pub fn shows_statistics(&self) -> bool {
        self.statistics
    }

    /// The table as this caller may see it: hidden columns removed, statistics emptied (`null`)
    /// unless the caller may read the data, and, when its source file is `withheld`, the source's
    /// checksums and sizes dropped from the provenance (a checksum would let anyone confirm a
    /// guessed masked value).
    pub fn table(&self, mut table: TableInfo, withheld: &HashSet<Uuid>) -> TableInfo {
        table.columns.retain(|c| !self.hides(&c.name));
        if !self.statistics {
            for c in &mut table.columns {
                c.statistics = serde_json::Value::Null;
            }
        }
        if withheld.contains(&table.source_file_id) {
            for part in ["source", "member"] {
                if let Some(fields) = table.provenance.get_mut(part).and_then(|v| v.as_object_mut()) {
                    fields.remove("sha256");
                    fields.remove("size");
                }
            }
        }
        table
    }

    /// The policy as this caller may see it: the masked list only for those who see the columns.
    pub fn policy(&self, mut policy: Policy) -> Policy {
        policy.masked_columns.retain(|c| !self.hides(c));
        policy
    }

    /// The columns to read for a request of `requested` columns (all when `None`): `None` for
    /// "every column", else the list. A hidden column asked for by name comes back as `Err`
    /// with its name, to be refused exactly like a column that does not exist.
    pub fn projection(&self, table: &TableInfo, requested: Option<Vec<String>>) -> Result<Option<Vec<String>>, String> {
        match requested {
            Some(names) => match names.iter().find(|n| self.hides(n)) {
                Some(hidden) => Err(hidden.clone()),
                None => Ok(Some(names)),
            },
            None if self.hides_part_of(table) => {
                Ok(Some(table.columns.iter().map(|c| c.name.clone()).filter(|n| !self.hides(n)).collect()))
            }
            None => Ok(None),
        }
    }

    /// Of `files` (id and the file it came from), those withheld from this caller; see [`withheld`].
    pub fn withheld_files(&self, files: &[(Uuid, Option<Uuid>)], tables: &[TableInfo]) -> HashSet<Uuid> {
        withheld(&self.hidden, files, tables)
    }
}

/// The files of a version that may not be served to a caller from whom `hidden` columns are
/// hidden. A file is withheld when it holds a hidden column: the Parquet of a table with one,
/// the file that table was read from, every file that file was taken from (the archive around
/// it), and every file taken out of a withheld file (an archive member may be the very file
/// holding the column), except Parquet tables known to be free of hidden columns.
pub fn withheld(hidden: &[String], files: &[(Uuid, Option<Uuid>)], tables: &[TableInfo]) -> HashSet<Uuid> {
    let mut out = HashSet::new();
    if hidden.is_empty() {
        return out;
    }
    let holds = |t: &TableInfo| t.columns.iter().any(|c| hidden.contains(&c.name));
    let clean_parquet: HashSet<Uuid> = tables.iter().filter(|t| !holds(t)).map(|t| t.file_id).collect();
    for t in tables.iter().filter(|t| holds(t)) {
        out.insert(t.file_id);
        out.insert(t.source_file_id);
    }
    if out.is_empty() {
        return out;
    }
    let source: HashMap<Uuid, Option<Uuid>> = files.iter().copied().collect();
    loop {
        let before = out.len();
        // Up: what a withheld file was taken from.
        let parents: Vec<Uuid> = out.iter().filter_map(|f| source.get(f).copied().flatten()).collect();
        out.extend(parents);
        // Down: what was taken out of a withheld file.
        let children: Vec<Uuid> = files
            .iter()
            .filter(|(id, from)| from.is_some_and(|s| out.contains(&s)) && !clean_parquet.contains(id))
            .map(|(id, _)| *id)
            .collect();
        out.extend(children);
        if out.len() == before {
            return out;
        }
    }
}

impl Catalog {
    /// The files of a version withheld from a caller by `disclosure` (none, without a query,
    /// when it hides no column).
    pub async fn withheld_files(
        &self,
        version_id: Uuid,
        disclosure: &Disclosure,
    ) -> Result<HashSet<Uuid>, CatalogError> {
        if disclosure.hidden.is_empty() {
            return Ok(HashSet::new());
        }
        let tables = self.tables_of(version_id).await?;
        if !tables.iter().any(|t| disclosure.hides_part_of(t)) {
            return Ok(HashSet::new());
        }
        let files: Vec<(Uuid, Option<Uuid>)> = file::Entity::find()
            .select_only()
            .column(file::Column::Id)
            .column(file::Column::SourceFileId)
            .filter(file::Column::VersionId.eq(version_id))
            .into_tuple()
            .all(self.connection())
            .await?;
        Ok(disclosure.withheld_files(&files, &tables))
    }

    /// One page of a version's files as a caller may see them: withheld files are left out
    /// (of the count too), as if they did not exist.
    pub async fn visible_files_page(
        &self,
        version_id: Uuid,
        page: PageRequest,
        disclosure: &Disclosure,
    ) -> Result<Page<file::Model>, CatalogError> {
        let withheld = self.withheld_files(version_id, disclosure).await?;
        let mut query = file::Entity::find().filter(file::Column::VersionId.eq(version_id));
        if !withheld.is_empty() {
            query = query.filter(file::Column::Id.is_not_in(withheld));
        }
        let total = query.clone().count(self.connection()).await?;
        let items =
            query.order_by_asc(file::Column::Path).offset(page.offset).limit(page.limit).all(self.connection()).await?;
        Ok(Page::new(items, total, page))
    }

    /// One file of a version, when the caller may have it; a withheld file is not found.
    pub async fn visible_file(
        &self,
        version_id: Uuid,
        file_id: Uuid,
        disclosure: &Disclosure,
    ) -> Result<file::Model, CatalogError> {
        if self.withheld_files(version_id, disclosure).await?.contains(&file_id) {
            return Err(CatalogError::not_found("file"));
        }
        self.file(version_id, file_id).await
    }

    /// Every table of a version with the columns (names only matter here).
    async fn tables_of(&self, version_id: Uuid) -> Result<Vec<TableInfo>, CatalogError> {
        let tables = data_table::Entity::find()
            .filter(data_table::Column::VersionId.eq(version_id))
            .all(self.connection())
            .await?;
        self.with_columns(tables).await
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::entity::table_column;

    fn table(file_id: Uuid, source_file_id: Uuid, columns: &[&str]) -> TableInfo {
        let id = Uuid::now_v7();
        TableInfo {
            id,
            name: "t".into(),
            file_id,
            source_file_id,
            row_count: 1,
            metadata: json!({}),
            provenance: json!({}),
            created_at: Utc::now(),
            columns: columns
                .iter()
                .enumerate()
                .map(|(i, name)| table_column::Model {
                    id: Uuid::now_v7(),
                    table_id: id,
                    position: i as i32,
                    name: (*name).into(),
                    original_label: (*name).into(),
                    arrow_type: "Utf8".into(),
                    unit: None,
                    ucum: None,
                    qudt: None,
                    description: None,
                    statistics: json!({"min": "x", "max": "y"}),
                })
                .collect(),
        }
    }

    fn outsider() -> Disclosure {
        Disclosure { hidden: vec!["secret".into()], statistics: false }
    }

    #[test]
    fn files_holding_a_hidden_column_are_withheld_with_their_archive_and_its_members() {
        let ids: Vec<Uuid> = (0..7).map(|_| Uuid::now_v7()).collect();
        let [archive, member, image, masked_pq, clean_pq, other_raw, other_pq] = ids[..] else { unreachable!() };
        // An archive whose member holds the secret column (its table is read from the archive),
        // another table of the archive without it, and an unrelated raw file with its table.
        let files = vec![
            (archive, None),
            (member, Some(archive)),
            (image, Some(archive)),
            (masked_pq, Some(archive)),
            (clean_pq, Some(archive)),
            (other_raw, None),
            (other_pq, Some(other_raw)),
        ];
        let tables = vec![
            table(masked_pq, archive, &["a", "secret"]),
            table(clean_pq, archive, &["a"]),
            table(other_pq, other_raw, &["a"]),
        ];
        let withheld = outsider().withheld_files(&files, &tables);
        let want: HashSet<Uuid> = [archive, member, image, masked_pq].into_iter().collect();
        assert_eq!(withheld, want);
        let owner = Disclosure { hidden: Vec::new(), statistics: true };
        assert!(owner.withheld_files(&files, &tables).is_empty());
        // Nothing is withheld when no table holds the hidden column.
        assert!(outsider().withheld_files(&files, &tables[1..]).is_empty());
    }

    #[test]
    fn tables_lose_hidden_columns_and_statistics_without_data_access() {
        let t = table(Uuid::now_v7(), Uuid::now_v7(), &["a", "secret"]);
        let shown = outsider().table(t.clone(), &HashSet::new());
        assert_eq!(shown.columns.len(), 1);
        assert_eq!(shown.columns[0].statistics, serde_json::Value::Null);
        let reader = Disclosure { hidden: vec!["secret".into()], statistics: true };
        assert_eq!(reader.table(t.clone(), &HashSet::new()).columns[0].statistics["max"], "y");
        let mut sourced = t.clone();
        sourced.provenance = json!({"source": {"path": "t.csv", "sha256": "ab", "size": 3}});
        let withheld: HashSet<Uuid> = [t.source_file_id].into_iter().collect();
        assert_eq!(reader.table(sourced, &withheld).provenance, json!({"source": {"path": "t.csv"}}));
        assert_eq!(reader.projection(&t, None), Ok(Some(vec!["a".to_string()])));
        assert_eq!(reader.projection(&t, Some(vec!["secret".into()])), Err("secret".to_string()));
        let owner = Disclosure { hidden: Vec::new(), statistics: true };
        assert_eq!(owner.projection(&t, None), Ok(None));
        let policy = Policy { masked_columns: vec!["secret".into()], ..Policy::default() };
        assert!(outsider().policy(policy.clone()).masked_columns.is_empty());
        assert_eq!(owner.policy(policy).masked_columns, ["secret"]);
    }
}
