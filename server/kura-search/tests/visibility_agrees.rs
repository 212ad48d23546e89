//! One visibility truth: random worlds in a real SQLite catalog, and for every actor the SQL
//! filter (dataset listing, dataset lookup, versions per dataset), the harvest listing (OAI-PMH,
//! DCAT, sitemap), the search visibility tokens and the search index's hits agree with
//! `decide(subject, ReadMetadata, facts, now)`.
//!
//! A world has organizations, groups, users with roles, consortia (members, agreement versions,
//! acceptances of current and superseded agreements), datasets with and without an owner group at
//! every access level (embargoes on both sides of `now`), versions in every state, and grants that
//! are live, expired or revoked. The facts and subjects `decide` gets are the catalog's own
//! (`Catalog::facts`, `Catalog::subject_for`), and both are checked against the world as built.
//!
//! `KURA_VISIBILITY_WORLDS` sets the number of worlds (default 2000, what CI runs), `KURA_VISIBILITY_SEED` the
//! first seed (default 0; world `i` uses seed `first + i`). A failure names its seed: rerun with
//! `KURA_VISIBILITY_SEED=<seed> KURA_VISIBILITY_WORLDS=1`.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use kura_catalog::audit::Actor;
use kura_catalog::consortia::Member;
use kura_catalog::datasets::NewDataset;
use kura_catalog::entity::{dataset, dataset_version};
use kura_catalog::policies::Policy;
use kura_catalog::requests::Answer;
use kura_catalog::users::NewUser;
use kura_catalog::{Catalog, PageRequest, Visibility};
use kura_core::access::{AccessLevel, Action, Decision, Facts, Role, Subject, decide, viewer_tokens};
use kura_core::{Principal, VersionState};
use kura_search::{Projector, SearchIndex, SearchRequest, Viewer};
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use sea_orm::{ConnectionTrait, DatabaseBackend, Statement, TransactionTrait};
use uuid::Uuid;

const CLI: Actor<'static> = Actor { who: "cli", surface: "test" };

/// A version as built: the catalog row and the state the generator gave it.
struct BuiltVersion {
    row: dataset_version::Model,
    state: VersionState,
}

struct BuiltDataset {
    row: dataset::Model,
    level: AccessLevel,
    versions: Vec<BuiltVersion>,
}

/// What the generator knows about one user, to check `subject_for` against.
struct BuiltUser {
    id: Uuid,
    groups: BTreeSet<(Uuid, Role)>,
    consortia: BTreeSet<Uuid>,
    grants: BTreeSet<(Uuid, DateTime<Utc>)>,
}

struct World {
    catalog: Catalog,
    now: DateTime<Utc>,
    datasets: Vec<BuiltDataset>,
    users: Vec<BuiltUser>,
}

/// An in-memory SQLite catalog, migrated once and emptied before each world (migrating takes
/// longer than building and checking a world; so does creating a search index, likewise reused).
async fn migrated_catalog() -> Catalog {
    let catalog = Catalog::connect("sqlite::memory:").await.expect("in-memory catalog");
    catalog.migrate().await.expect("migrations");
    catalog
}

/// Deletes every row but the migration history, in one transaction whose foreign keys are
/// checked at its end.
async fn empty(catalog: &Catalog) {
    let conn = catalog.connection();
    let tables: Vec<String> = conn
        .query_all_raw(Statement::from_string(
            DatabaseBackend::Sqlite,
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> 'seaql_migrations'",
        ))
        .await
        .expect("tables")
        .iter()
        .map(|row| row.try_get_by_index(0).expect("table name"))
        .collect();
    let txn = conn.begin().await.expect("transaction");
    txn.execute_unprepared("PRAGMA defer_foreign_keys = ON").await.expect("defer foreign keys");
    for table in tables {
        txn.execute_unprepared(&format!("DELETE FROM \"{table}\"")).await.expect("delete");
    }
    txn.commit().await.expect("commit");
}

fn role(rng: &mut StdRng) -> Role {
    *[Role::Member, Role::Steward, Role::Admin].choose(rng).expect("roles")
}

/// Builds a random world through the catalog's own operations.
async fn build_world(catalog: Catalog, seed: u64) -> World {
    let mut rng = StdRng::seed_from_u64(seed);
    empty(&catalog).await;
    // Decisions are taken a month from now, so grants (which must expire after the real now when
    // given) can be expired at decision time.
    let now = Utc::now() + Duration::days(30);

    let mut organizations = Vec::new();
    for o in 0..rng.random_range(1..=2) {
        organizations.push(catalog.ensure_organization(&format!("org{o}"), None).await.expect("org").id);
    }
    let mut groups = Vec::new();
    let mut group_org = BTreeMap::new();
    for g in 0..rng.random_range(1..=3) {
        let org = *organizations.choose(&mut rng).expect("an organization");
        let id = catalog.ensure_group(org, &format!("group{g}")).await.expect("group").id;
        groups.push(id);
        group_org.insert(id, org);
    }

    let mut users = Vec::new();
    for u in 0..rng.random_range(0..=3) {
        let new = NewUser { issuer: "local".into(), subject: format!("user{u}"), ..Default::default() };
        let id = catalog.create_user(new).await.expect("user").id;
        let mut member_of = BTreeSet::new();
        for g in &groups {
            if rng.random_bool(0.35) {
                // Sometimes a role is replaced: only the last one counts.
                if rng.random_bool(0.2) {
                    catalog.set_membership(*g, id, role(&mut rng), CLI).await.expect("membership");
                }
                let r = role(&mut rng);
                catalog.set_membership(*g, id, r, CLI).await.expect("membership");
                member_of.insert((*g, r));
            }
        }
        users.push(BuiltUser { id, groups: member_of, consortia: BTreeSet::new(), grants: BTreeSet::new() });
    }

    // Consortia: members, acceptances of the first agreement, sometimes a new agreement version
    // (older acceptances no longer count), and acceptances of that one.
    let mut consortia = Vec::new();
    for c in 0..rng.random_range(0..=2) {
        let coordinator = if rng.random_bool(0.5) { Some(*groups.choose(&mut rng).expect("a group")) } else { None };
        let id = catalog
            .create_consortium(&format!("consortium{c}"), "", "terms v1", None, coordinator, CLI)
            .await
            .expect("consortium")
            .id;
        let mut member_groups: BTreeSet<Uuid> = coordinator.into_iter().collect();
        let mut member_orgs = BTreeSet::new();
        for g in &groups {
            if !member_groups.contains(g) && rng.random_bool(0.3) {
                catalog.add_consortium_member(id, Member::Group(*g), CLI).await.expect("group member");
                member_groups.insert(*g);
            }
        }
        for o in &organizations {
            if rng.random_bool(0.25) {
                catalog.add_consortium_member(id, Member::Organization(*o), CLI).await.expect("org member");
                member_orgs.insert(*o);
            }
        }
        let mut accepted = BTreeSet::new();
        for (i, u) in users.iter().enumerate() {
            if rng.random_bool(0.5) {
                catalog.accept_agreement(id, u.id, CLI).await.expect("accept");
                accepted.insert(i);
            }
        }
        if rng.random_bool(0.3) {
            catalog.new_agreement_version(id, "terms v2", None, CLI).await.expect("agreement");
            accepted.clear();
            for (i, u) in users.iter().enumerate() {
                if rng.random_bool(0.5) {
                    catalog.accept_agreement(id, u.id, CLI).await.expect("accept");
                    accepted.insert(i);
                }
            }
        }
        for i in accepted {
            let user = &mut users[i];
            let member =
                user.groups.iter().any(|(g, _)| member_groups.contains(g) || member_orgs.contains(&group_org[g]));
            // Accepting without being a member gives nothing.
            if member {
                user.consortia.insert(id);
            }
        }
        consortia.push(id);
    }

    let mut datasets = Vec::new();
    for d in 0..rng.random_range(1..=4) {
        let group_id = if rng.random_bool(0.15) { None } else { Some(*groups.choose(&mut rng).expect("a group")) };
        let new = NewDataset { name: format!("ds{d}"), group_id, ..Default::default() };
        let (row, first) = catalog.create_dataset(new).await.expect("dataset");
        let count = rng.random_range(1..=3);
        let mut versions = Vec::new();
        let mut first = Some(first);
        for n in 1..=count {
            let draft = match first.take() {
                Some(v) => v,
                None => catalog.open_draft(row.id).await.expect("new draft"),
            };
            // Only the last version may stay unpublished: a dataset has one open draft.
            let states: &[VersionState] = if n == count {
                &[VersionState::Draft, VersionState::InReview, VersionState::Published, VersionState::Deaccessioned]
            } else {
                &[VersionState::Published, VersionState::Deaccessioned]
            };
            let state = *states.choose(&mut rng).expect("states");
            let row = match state {
                VersionState::Draft => draft,
                VersionState::InReview => catalog.submit_for_review(&draft, CLI).await.expect("submit"),
                VersionState::Published | VersionState::Deaccessioned => {
                    let published = catalog.publish(&draft).await.expect("publish");
                    if state == VersionState::Deaccessioned {
                        catalog.deaccession(&published, "withdrawn", CLI).await.expect("deaccession")
                    } else {
                        published
                    }
                }
            };
            versions.push(BuiltVersion { row, state });
        }
        let level = match rng.random_range(0..7) {
            0 => None,
            1 => Some(AccessLevel::Open),
            2 => Some(AccessLevel::Embargoed { until: now + Duration::days(rng.random_range(1..100)) }),
            3 => Some(AccessLevel::Embargoed { until: now - Duration::days(rng.random_range(1..100)) }),
            4 if !consortia.is_empty() => {
                let mut chosen: Vec<Uuid> = consortia.iter().copied().filter(|_| rng.random_bool(0.5)).collect();
                if chosen.is_empty() {
                    chosen.push(*consortia.choose(&mut rng).expect("a consortium"));
                }
                Some(AccessLevel::Consortium { consortia: chosen })
            }
            5 => Some(AccessLevel::Closed),
            _ => Some(AccessLevel::Restricted),
        };
        if let Some(level) = &level {
            let policy = Policy { level: level.clone(), ..Policy::default() };
            catalog.set_policy(row.id, &policy, CLI).await.expect("policy");
        }
        datasets.push(BuiltDataset { row, level: level.unwrap_or(AccessLevel::Open), versions });
    }

    // Grants: live, expired at decision time, or revoked.
    for user in &mut users {
        for ds in &datasets {
            if !rng.random_bool(0.25) {
                continue;
            }
            let expires = if rng.random_bool(0.5) { now + Duration::days(1) } else { now - Duration::days(1) };
            let request = catalog.request_access(ds.row.id, user.id, "research").await.expect("request");
            catalog
                .answer_request(&request, Answer::Approve { expires_at: expires }, None, CLI)
                .await
                .expect("approve");
            if rng.random_bool(0.2) {
                let grant = catalog.grants(ds.row.id).await.expect("grants");
                let grant = grant.iter().find(|g| g.user_id == user.id).expect("the grant just given");
                catalog.revoke_grant(ds.row.id, grant.id, CLI).await.expect("revoke");
            } else if expires > now {
                user.grants.insert((ds.row.id, expires));
            }
        }
    }

    World { catalog, now, datasets, users }
}

/// One caller of the world: who, and what `decide` knows about them.
struct Caller {
    label: String,
    subject: Subject,
}

fn principal(subject: &Subject) -> Principal {
    Principal {
        actor: "test".into(),
        user_id: None,
        can_write: true,
        subject: subject.clone(),
        home_node: None,
        append_streams: Vec::new(),
    }
}

/// Checks every surface against `decide` for every caller of one world, built in `catalog` and
/// indexed in `index` where the datasets `previous` were; returns the world's datasets.
async fn check_world(catalog: Catalog, index: Arc<SearchIndex>, previous: Vec<Uuid>, seed: u64) -> Vec<Uuid> {
    let world = build_world(catalog, seed).await;
    let catalog = &world.catalog;
    let now = world.now;

    let mut callers = vec![
        Caller { label: "anonymous".into(), subject: Subject::default() },
        Caller { label: "platform admin".into(), subject: Subject { admin: true, ..Subject::default() } },
    ];
    for (i, user) in world.users.iter().enumerate() {
        let subject = catalog.subject_for(user.id, now).await.expect("subject");
        let groups: BTreeSet<_> = subject.groups.iter().copied().collect();
        let consortia: BTreeSet<_> = subject.consortia.iter().copied().collect();
        let grants: BTreeSet<_> =
            subject.grants.iter().map(|(d, e)| (*d, e.timestamp_micros())).collect::<BTreeSet<_>>();
        let want_grants: BTreeSet<_> = user.grants.iter().map(|(d, e)| (*d, e.timestamp_micros())).collect();
        assert_eq!(groups, user.groups, "seed {seed}: user{i}'s groups");
        assert_eq!(consortia, user.consortia, "seed {seed}: user{i}'s accepted consortia");
        assert_eq!(grants, want_grants, "seed {seed}: user{i}'s live grants");
        callers.push(Caller { label: format!("user{i} {subject:?}"), subject });
    }

    // The facts of every version, as the catalog states them, checked against the world.
    let mut facts: BTreeMap<Uuid, Facts> = BTreeMap::new();
    for ds in &world.datasets {
        for v in &ds.versions {
            let (f, _) = catalog.facts(&ds.row, &v.row).await.expect("facts");
            let want = Facts {
                dataset: ds.row.id,
                version: v.row.number,
                owner_group: ds.row.group_id.unwrap_or(Uuid::nil()),
                level: ds.level.clone(),
                state: v.state,
            };
            assert_eq!(f, want, "seed {seed}: facts of {} v{}", ds.row.name, v.row.number);
            facts.insert(v.row.id, f);
        }
    }
    let describe = |ds: &BuiltDataset| {
        let states: Vec<_> = ds.versions.iter().map(|v| v.state.as_str()).collect();
        format!("{} (group {:?}, {:?}, versions {states:?})", ds.row.name, ds.row.group_id, ds.level)
    };

    // Search documents as the projection builds them, in an index.
    let projector = Projector::new(catalog.clone(), index.clone());
    // The previous world's datasets leave the index as deleted datasets do.
    for gone in previous {
        index.replace_dataset(gone, &[]).expect("remove documents");
    }
    let mut documents = Vec::new();
    for ds in &world.datasets {
        let docs = projector.documents_for(ds.row.id).await.expect("documents");
        index.replace_dataset(ds.row.id, &docs).expect("index documents");
        for doc in docs {
            let version = ds.versions.iter().find(|v| v.row.number == doc.version).expect("indexed version exists");
            documents.push((ds, version, doc));
        }
    }
    index.commit(0).expect("index commit");

    for caller in &callers {
        let who = &caller.label;
        let may_see = |version: &BuiltVersion| {
            decide(&caller.subject, Action::ReadMetadata, &facts[&version.row.id], now) == Decision::Allow
        };
        let vis = Visibility::of(&principal(&caller.subject));

        // (a) The SQL filter: the dataset listing with each dataset's newest visible version.
        let listing = catalog.list_datasets(&vis, PageRequest { offset: 0, limit: 100 }).await.expect("list");
        let listed: BTreeMap<Uuid, Option<i32>> =
            listing.items.iter().map(|d| (d.id, d.latest_version.as_ref().map(|v| v.number))).collect();
        let mut want = BTreeMap::new();
        for ds in &world.datasets {
            let newest = ds.versions.iter().filter(|v| may_see(v)).map(|v| v.row.number).max();
            if newest.is_some() {
                want.insert(ds.row.id, newest);
            }
        }
        assert_eq!(listed, want, "seed {seed}: dataset listing for {who}");
        assert_eq!(listing.total, want.len() as u64, "seed {seed}: dataset total for {who}");

        for ds in &world.datasets {
            let visible = want.contains_key(&ds.row.id);
            let found = catalog.dataset_by_name(&ds.row.id.to_string(), &vis).await.is_ok();
            assert_eq!(found, visible, "seed {seed}: lookup of {} for {who}", describe(ds));
            // Versions per dataset, asked directly by id (as projections and Flight paths do).
            let versions: Vec<i32> =
                catalog.versions(ds.row.id, &vis).await.expect("versions").iter().map(|v| v.number).collect();
            let want: Vec<i32> = ds.versions.iter().filter(|v| may_see(v)).map(|v| v.row.number).collect();
            assert_eq!(versions, want, "seed {seed}: versions of {} for {who}", describe(ds));
        }

        // (c) Search: the caller's tokens meet a document's exactly when `decide` allows, and the
        // index query with the caller's filter finds exactly those documents.
        let tokens = viewer_tokens(&caller.subject);
        let viewer = tokens.clone().map_or(Viewer::Everything, Viewer::Tokens);
        let results = index.search(&SearchRequest { limit: 100, ..Default::default() }, &viewer).expect("search");
        let hits: BTreeSet<(String, i32)> =
            results.hits.iter().map(|h| (h.name.clone(), i32::try_from(h.version).expect("version"))).collect();
        let want: BTreeSet<(String, i32)> = documents
            .iter()
            .filter(|(_, version, _)| may_see(version))
            .map(|(ds, version, _)| (ds.row.name.clone(), version.row.number))
            .collect();
        assert_eq!(hits, want, "seed {seed}: search hits for {who}");
        assert_eq!(results.total, want.len() as u64, "seed {seed}: search total for {who}");
        for (ds, version, doc) in &documents {
            let found = tokens.as_ref().is_none_or(|mine| mine.iter().any(|t| doc.visibility.contains(t)));
            assert_eq!(
                found,
                may_see(version),
                "seed {seed}: search tokens {:?} of {} v{} for {who}",
                doc.visibility,
                describe(ds),
                version.row.number
            );
        }
    }

    // (b) Harvesting shows exactly what an anonymous caller may see of public versions.
    let anonymous = Subject::default();
    let harvested: BTreeSet<Uuid> =
        catalog.harvestable().await.expect("harvest").iter().map(|h| h.version.id).collect();
    let want: BTreeSet<Uuid> = world
        .datasets
        .iter()
        .flat_map(|ds| &ds.versions)
        .filter(|v| decide(&anonymous, Action::ReadMetadata, &facts[&v.row.id], now) == Decision::Allow)
        .map(|v| v.row.id)
        .collect();
    assert_eq!(harvested, want, "seed {seed}: harvest listing");
    world.datasets.iter().map(|ds| ds.row.id).collect()
}

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_surface_agrees_with_decide() {
    let first = env_u64("KURA_VISIBILITY_SEED", 0);
    let worlds = env_u64("KURA_VISIBILITY_WORLDS", 2000);
    // Two catalogs, each taking every other seed: the worlds are independent.
    let mut lanes = Vec::new();
    for lane in 0..2 {
        lanes.push(tokio::spawn(async move {
            let catalog = migrated_catalog().await;
            let index = Arc::new(SearchIndex::in_memory().expect("index"));
            let mut previous = Vec::new();
            for seed in (first + lane..first + worlds).step_by(2) {
                let run = tokio::spawn(check_world(catalog.clone(), index.clone(), previous, seed));
                match run.await {
                    Ok(datasets) => previous = datasets,
                    Err(e) => {
                        let message = e.into_panic().downcast_ref::<String>().cloned().unwrap_or_default();
                        panic!("rerun with KURA_VISIBILITY_SEED={seed} KURA_VISIBILITY_WORLDS=1: {message}");
                    }
                }
            }
        }));
    }
    for lane in lanes {
        if let Err(e) = lane.await {
            std::panic::resume_unwind(e.into_panic());
        }
    }
}
