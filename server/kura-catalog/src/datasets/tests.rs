//! Dataset names: unique per owner group, resolved among what the caller sees, and the
//! migration that made them so keeps every dataset with its versions.

use kura_migrations::{Migrator, MigratorTrait};

use kura_core::access::AccessLevel;

use super::*;
use crate::entity::group;
use crate::testing::catalog;

async fn groups(catalog: &Catalog) -> [group::Model; 3] {
    let org = catalog.ensure_organization("Uni", None).await.unwrap();
    let mut out = Vec::new();
    for name in ["Lab A", "Lab B", "Lab C"] {
        out.push(catalog.ensure_group(org.id, name).await.unwrap());
    }
    out.try_into().unwrap()
}

fn member_of(g: &group::Model) -> Visibility {
    Visibility { everything: false, groups: vec![g.id] }
}

fn new(name: &str, group: Option<&group::Model>) -> NewDataset {
    NewDataset { name: name.into(), group_id: group.map(|g| g.id), ..Default::default() }
}

#[tokio::test]
async fn a_hidden_dataset_leaves_its_name_free_and_names_resolve_among_the_visible() {
    let dir = tempfile::tempdir().unwrap();
    let catalog = catalog(dir.path(), None).await;
    let [a, b, c] = groups(&catalog).await;
    let public = Visibility { everything: false, groups: vec![] };

    let (own_a, draft_a) = catalog.create_dataset_visible_to(new("spectra", Some(&a)), &member_of(&a)).await.unwrap();
    // Lab B cannot see Lab A's draft: the name is as free for it as any other.
    let (own_b, draft_b) = catalog.create_dataset_visible_to(new("spectra", Some(&b)), &member_of(&b)).await.unwrap();
    let taken = catalog.create_dataset_visible_to(new("spectra", Some(&a)), &member_of(&a)).await;
    assert!(matches!(taken, Err(CatalogError::Conflict(_))), "a name the caller sees is taken: {taken:?}");
    let same_group = catalog.create_dataset(new("spectra", Some(&b))).await;
    assert!(matches!(same_group, Err(CatalogError::Conflict(_))), "unique within a group: {same_group:?}");
    catalog.create_dataset(new("loose", None)).await.unwrap();
    let loose = catalog.create_dataset(new("loose", None)).await;
    assert!(matches!(loose, Err(CatalogError::Conflict(_))), "unique among group-less datasets: {loose:?}");

    // Each owner reaches its own, by name and by id; nobody reaches the other's draft.
    assert_eq!(catalog.dataset_by_name("spectra", &member_of(&a)).await.unwrap().id, own_a.id);
    assert_eq!(catalog.dataset_by_name("spectra", &member_of(&b)).await.unwrap().id, own_b.id);
    assert_eq!(catalog.dataset_by_name(&own_b.id.to_string(), &member_of(&b)).await.unwrap().id, own_b.id);
    assert!(catalog.dataset_by_name(&own_a.id.to_string(), &member_of(&b)).await.is_err());
    assert!(catalog.dataset_by_name("spectra", &public).await.is_err());
    assert!(catalog.dataset_by_name("spectra", &member_of(&c)).await.is_err());

    // Both published: outsiders get the oldest, members still their own group's.
    catalog.publish(&draft_b).await.unwrap();
    catalog.publish(&draft_a).await.unwrap();
    assert_eq!(catalog.dataset_by_name("spectra", &public).await.unwrap().id, own_a.id);
    assert_eq!(catalog.dataset_by_name("spectra", &member_of(&b)).await.unwrap().id, own_b.id);
    assert_eq!(catalog.dataset_by_name(&own_b.id.to_string(), &public).await.unwrap().id, own_b.id);
    assert_eq!(catalog.handle(&own_a, &public).await.unwrap(), "spectra");
    assert_eq!(catalog.handle(&own_b, &public).await.unwrap(), own_b.id.to_string(), "the name means Lab A's");
    assert_eq!(catalog.handle(&own_b, &member_of(&b)).await.unwrap(), "spectra");
    let seen = catalog.create_dataset_visible_to(new("spectra", Some(&c)), &member_of(&c)).await;
    assert!(matches!(seen, Err(CatalogError::Conflict(_))), "now Lab C sees the name taken: {seen:?}");
}

#[test]
fn names_shaped_like_ids_are_refused() {
    assert!(validate_name(&Uuid::now_v7().to_string()).is_err());
    assert!(validate_name(&Uuid::now_v7().simple().to_string()).is_err());
    assert!(validate_name("spectra-2024").is_ok());
}

#[tokio::test]
async fn the_migration_keeps_every_dataset_and_its_versions() {
    let dir = tempfile::tempdir().unwrap();
    // Up to the migration before names became per group.
    let catalog = catalog(dir.path(), Some(6)).await;
    let [a, b, _] = groups(&catalog).await;
    let (kept, draft) = catalog.create_dataset(new("kept", Some(&a))).await.unwrap();
    catalog.publish(&draft).await.unwrap();
    let everything = Visibility::everything();
    let before = catalog.versions(kept.id, &everything).await.unwrap();
    // Just this migration (7), so that `down(1)` below undoes it whatever comes after.
    Migrator::up(catalog.connection(), Some(1)).await.unwrap();

    assert_eq!(catalog.dataset_by_name("kept", &everything).await.unwrap(), kept);
    assert_eq!(catalog.versions(kept.id, &everything).await.unwrap(), before, "no version cascaded away");
    catalog.create_dataset(new("kept", Some(&b))).await.unwrap();
    assert!(catalog.create_dataset(new("kept", Some(&a))).await.is_err());
    // Foreign keys still hold after the rebuild.
    assert!(
        catalog.create_dataset(new("orphan", Some(&group::Model { id: Uuid::now_v7(), ..a.clone() }))).await.is_err()
    );

    // And back: names unique platform-wide again once the duplicate is gone.
    let dup = catalog.dataset_by_name("kept", &member_of(&b)).await.unwrap();
    dataset::Entity::delete_by_id(dup.id).exec(catalog.connection()).await.unwrap();
    Migrator::down(catalog.connection(), Some(1)).await.unwrap();
    assert!(catalog.create_dataset(new("kept", Some(&b))).await.is_err());
    assert_eq!(catalog.versions(kept.id, &everything).await.unwrap(), before);
}

/// Found by `kura-search/tests/visibility_agrees.rs` (seed 19): the version filter let an outsider
/// asking by dataset id list the published and deaccessioned versions of a closed dataset, which
/// `decide` hides from everyone outside the owner group.
#[tokio::test]
async fn a_closed_datasets_versions_are_hidden_from_outsiders_asking_by_id() {
    let dir = tempfile::tempdir().unwrap();
    let catalog = catalog(dir.path(), None).await;
    let [a, b, _] = groups(&catalog).await;
    let (ds, draft) = catalog.create_dataset(new("secret", Some(&a))).await.unwrap();
    let published = catalog.publish(&draft).await.unwrap();
    let policy = crate::policies::Policy { level: AccessLevel::Closed, ..Default::default() };
    catalog.set_policy(ds.id, &policy, crate::audit::Actor { who: "cli", surface: "test" }).await.unwrap();

    let anonymous = Visibility { everything: false, groups: vec![] };
    for outsider in [&anonymous, &member_of(&b)] {
        assert!(catalog.versions(ds.id, outsider).await.unwrap().is_empty());
        assert!(catalog.version(ds.id, crate::versions::VersionSelector::Latest, outsider).await.is_err());
    }
    for insider in [member_of(&a), Visibility::everything()] {
        let ids: Vec<Uuid> = catalog.versions(ds.id, &insider).await.unwrap().iter().map(|v| v.id).collect();
        assert_eq!(ids, [published.id]);
    }
}
