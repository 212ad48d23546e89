//! The enum columns read and write exactly the strings the catalog has always stored, so
//! databases written before the columns were typed keep working without a migration.

use chrono::Utc;
use kura_core::access::{LevelKind, Role};
use kura_core::{FileRole, JobState, RequestState, Scope, UserKind, VersionState};
use sea_orm::{ConnectionTrait, EntityTrait, Statement};

use super::{access_policy, access_request, api_token, dataset_version, file, ingest_job, membership, user};
use crate::Catalog;
use crate::audit::Actor;
use crate::datasets::NewDataset;
use crate::files::NewFile;
use crate::policies::Policy;
use crate::users::NewUser;

/// The text in `table.column` of the table's only row, read by plain SQL.
async fn stored(catalog: &Catalog, table: &str, column: &str) -> String {
    let conn = catalog.connection();
    let sql = format!("SELECT {column} FROM {table}");
    let row = conn.query_one_raw(Statement::from_string(conn.get_database_backend(), sql)).await.unwrap();
    row.expect("one row").try_get::<String>("", column).unwrap()
}

/// Writes `text` into `table.column` of every row by plain SQL, as an older Kura would have.
async fn write(catalog: &Catalog, table: &str, column: &str, text: &str) {
    catalog.connection().execute_unprepared(&format!("UPDATE {table} SET {column} = '{text}'")).await.unwrap();
}

#[tokio::test]
async fn enum_columns_hold_the_same_strings_as_before() {
    let dir = tempfile::tempdir().unwrap();
    let catalog = crate::testing::catalog(dir.path(), None).await;
    let actor = Actor { who: "test", surface: "test" };
    let org = catalog.ensure_organization("Uni", None).await.unwrap();
    let group = catalog.ensure_group(org.id, "Lab").await.unwrap();
    let person = catalog.create_user(NewUser { subject: "ada".into(), ..Default::default() }).await.unwrap();
    catalog.set_membership(group.id, person.id, Role::Steward, actor).await.unwrap();
    catalog.create_user_token(person.id, "t", Scope::Write, None).await.unwrap();
    let new = NewDataset { name: "enums".into(), group_id: Some(group.id), ..Default::default() };
    let (dataset, draft) = catalog.create_dataset(new).await.unwrap();
    catalog.create_job(&draft, 1, 1, None).await.unwrap();
    catalog.request_access(dataset.id, person.id, "for a review").await.unwrap();
    let policy = Policy { level: kura_core::access::AccessLevel::Restricted, ..Default::default() };
    catalog.set_policy(dataset.id, &policy, actor).await.unwrap();
    let raw = NewFile {
        path: "raw/a.csv".into(),
        role: FileRole::Raw,
        sha256: "0".repeat(64),
        size: 1,
        media_type: "text/csv".into(),
        format: None,
        source_file_id: None,
        uploaded_by: None,
    };
    file::Entity::insert(raw.into_active(draft.id)).exec(catalog.connection()).await.unwrap();

    // Written through the entities: the strings of old.
    for (table, column, text) in [
        ("users", "kind", "person"),
        ("memberships", "role", "steward"),
        ("api_tokens", "scope", "write"),
        ("dataset_versions", "state", "draft"),
        ("ingest_jobs", "state", "queued"),
        ("access_requests", "state", "pending"),
        ("access_policies", "level", "restricted"),
        ("files", "role", "raw"),
    ] {
        assert_eq!(stored(&catalog, table, column).await, text, "{table}.{column}");
    }

    // Written as plain strings: read back as the enums.
    write(&catalog, "users", "kind", "service").await;
    write(&catalog, "memberships", "role", "admin").await;
    write(&catalog, "api_tokens", "scope", "read").await;
    write(&catalog, "dataset_versions", "state", "in_review").await;
    write(&catalog, "ingest_jobs", "state", "partially_failed").await;
    write(&catalog, "access_requests", "state", "denied").await;
    write(&catalog, "access_policies", "level", "closed").await;
    write(&catalog, "files", "role", "extracted").await;
    let conn = catalog.connection();
    let only = "one row";
    assert_eq!(user::Entity::find().one(conn).await.unwrap().expect(only).kind, UserKind::Service);
    assert_eq!(membership::Entity::find().one(conn).await.unwrap().expect(only).role, Role::Admin);
    assert_eq!(api_token::Entity::find().one(conn).await.unwrap().expect(only).scope, Scope::Read);
    assert_eq!(dataset_version::Entity::find().one(conn).await.unwrap().expect(only).state, VersionState::InReview);
    assert_eq!(ingest_job::Entity::find().one(conn).await.unwrap().expect(only).state, JobState::PartiallyFailed);
    assert_eq!(access_request::Entity::find().one(conn).await.unwrap().expect(only).state, RequestState::Denied);
    assert_eq!(access_policy::Entity::find().one(conn).await.unwrap().expect(only).level, LevelKind::Closed);
    assert_eq!(file::Entity::find().one(conn).await.unwrap().expect(only).role, FileRole::Extracted);
    assert!(catalog.subject_for(person.id, Utc::now()).await.unwrap().groups == vec![(group.id, Role::Admin)]);

    // A string no enum knows is an error naming it, not a silent default.
    write(&catalog, "users", "kind", "robot").await;
    let unknown = user::Entity::find().one(conn).await.unwrap_err().to_string();
    assert!(unknown.contains("robot"), "{unknown}");
}
