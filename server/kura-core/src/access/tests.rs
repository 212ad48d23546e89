//! `decide` against a plain-table oracle: generated subjects are classified into the actors of
//! the design's table, and the expected decision is read from literal rows.

use chrono::{Duration, TimeZone};
use proptest::prelude::*;

use super::*;

/// The actors of the design's access table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Actor {
    Outsider,
    ConsortiumAccepted,
    GrantHolder,
    OwnerMember,
    OwnerSteward,
    OwnerAdmin,
    PlatformAdmin,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Level {
    Open,
    EmbargoActive,
    EmbargoLifted,
    Consortium,
    Restricted,
    Closed,
}

use Decision::{Allow as A, Forbidden as F, NotFound as N};

/// Published versions: (level, actor) → [read metadata, read data, edit, publish, manage, delete].
fn published_row(level: Level, actor: Actor) -> [Decision; 6] {
    use Actor::*;
    match (actor, level) {
        (PlatformAdmin, _) => [A, A, A, A, A, A],
        (OwnerAdmin, _) => [A, A, F, A, A, A],
        (OwnerSteward, _) => [A, A, F, A, A, F],
        (OwnerMember, _) => [A, A, F, F, F, F],
        (_, Level::Closed) => [N, N, N, N, N, N],
        (_, Level::Open | Level::EmbargoLifted) => [A, A, F, F, F, F],
        (ConsortiumAccepted, Level::Consortium) => [A, A, F, F, F, F],
        (GrantHolder, Level::Restricted | Level::Consortium) => [A, A, F, F, F, F],
        (_, Level::EmbargoActive | Level::Consortium | Level::Restricted) => [A, F, F, F, F, F],
    }
}

/// Drafts: the owner group sees and edits them; nobody else knows they exist.
fn draft_row(actor: Actor) -> [Decision; 6] {
    use Actor::*;
    match actor {
        PlatformAdmin => [A, A, A, A, A, A],
        OwnerAdmin => [A, A, A, A, A, A],
        OwnerSteward => [A, A, A, A, A, F],
        OwnerMember => [A, A, A, F, F, F],
        _ => [N, N, N, N, N, N],
    }
}

const ACTIONS: [Action; 6] =
    [Action::ReadMetadata, Action::ReadData, Action::Edit, Action::Publish, Action::ManageAccess, Action::Delete];

fn ids() -> (Uuid, Uuid, Uuid, Uuid) {
    (Uuid::from_u128(1), Uuid::from_u128(2), Uuid::from_u128(3), Uuid::from_u128(4))
}

/// Builds the facts for a level, relative to `now`.
fn facts_for(level: Level, state: VersionState, now: DateTime<Utc>) -> Facts {
    let (dataset, owner, consortium, _) = ids();
    let level = match level {
        Level::Open => AccessLevel::Open,
        Level::EmbargoActive => AccessLevel::Embargoed { until: now + Duration::days(1) },
        Level::EmbargoLifted => AccessLevel::Embargoed { until: now - Duration::seconds(1) },
        Level::Consortium => AccessLevel::Consortium { consortia: vec![Uuid::from_u128(99), consortium] },
        Level::Restricted => AccessLevel::Restricted,
        Level::Closed => AccessLevel::Closed,
    };
    Facts { dataset, version: 1, owner_group: owner, level, state }
}

/// Classifies a generated subject for a dataset: the strongest thing it holds wins.
fn classify(subject: &Subject, facts: &Facts, now: DateTime<Utc>) -> Actor {
    let (dataset, owner, consortium, _) = ids();
    if subject.admin {
        return Actor::PlatformAdmin;
    }
    let role = subject.groups.iter().filter(|(g, _)| *g == owner).map(|(_, r)| *r).max();
    match role {
        Some(Role::Admin) => return Actor::OwnerAdmin,
        Some(Role::Steward) => return Actor::OwnerSteward,
        Some(Role::Member) => return Actor::OwnerMember,
        None => {}
    }
    let consortium_level = matches!(facts.level, AccessLevel::Consortium { .. });
    let restricted_level = facts.level == AccessLevel::Restricted;
    if consortium_level && subject.consortia.contains(&consortium) {
        return Actor::ConsortiumAccepted;
    }
    if (restricted_level || consortium_level) && subject.grants.iter().any(|(d, e)| *d == dataset && *e > now) {
        return Actor::GrantHolder;
    }
    Actor::Outsider
}

fn subject_strategy() -> impl Strategy<Value = Subject> {
    let (dataset, owner, consortium, other) = ids();
    let role = prop_oneof![Just(Role::Member), Just(Role::Steward), Just(Role::Admin)];
    let group = prop_oneof![Just(owner), Just(other)];
    (
        prop::bool::weighted(0.1),
        prop::collection::vec((group, role), 0..3),
        prop::collection::vec(prop_oneof![Just(consortium), Just(other)], 0..2),
        prop::collection::vec((prop_oneof![Just(dataset), Just(other)], -3i64..3), 0..3),
    )
        .prop_map(|(admin, groups, consortia, grants)| {
            let now = fixed_now();
            let grants = grants.into_iter().map(|(d, days)| (d, now + Duration::days(days))).collect();
            Subject { admin, groups, consortia, grants, job: None }
        })
}

fn fixed_now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 24, 12, 0, 0).single().unwrap_or_default()
}

fn level_strategy() -> impl Strategy<Value = Level> {
    prop_oneof![
        Just(Level::Open),
        Just(Level::EmbargoActive),
        Just(Level::EmbargoLifted),
        Just(Level::Consortium),
        Just(Level::Restricted),
        Just(Level::Closed),
    ]
}

fn state_strategy() -> impl Strategy<Value = VersionState> {
    prop_oneof![Just(VersionState::Draft), Just(VersionState::InReview), Just(VersionState::Published)]
}

/// A fixed seed and case count: CI replays the same cases every run and never fails by chance
/// (change the seed here to explore other cases).
fn replayed(cases: u32) -> ProptestConfig {
    ProptestConfig { cases, rng_seed: proptest::test_runner::RngSeed::Fixed(0x6b75_7261), ..ProptestConfig::default() }
}

proptest! {
    #![proptest_config(replayed(4000))]
    #[test]
    fn decide_agrees_with_the_table(subject in subject_strategy(), level in level_strategy(), state in state_strategy()) {
        let now = fixed_now();
        let facts = facts_for(level, state, now);
        let actor = classify(&subject, &facts, now);
        let expected = if state == VersionState::Published { published_row(level, actor) } else { draft_row(actor) };
        for (action, want) in ACTIONS.iter().zip(expected) {
            prop_assert_eq!(decide(&subject, *action, &facts, now), want, "{:?} {:?} {:?} {:?}", actor, level, state, action);
        }
    }
}

fn any_state() -> impl Strategy<Value = VersionState> {
    prop_oneof![
        Just(VersionState::Draft),
        Just(VersionState::InReview),
        Just(VersionState::Published),
        Just(VersionState::Deaccessioned),
    ]
}

proptest! {
    #![proptest_config(replayed(2000))]
    /// The search visibility tokens are `decide` for reading metadata: a caller's tokens meet a
    /// document's exactly when the caller may know the version exists.
    #[test]
    fn search_tokens_agree_with_decide(subject in subject_strategy(), level in level_strategy(), state in any_state()) {
        let now = fixed_now();
        let facts = facts_for(level, state, now);
        let allowed = decide(&subject, Action::ReadMetadata, &facts, now) == Decision::Allow;
        let document = document_tokens(&facts);
        let found = viewer_tokens(&subject).is_none_or(|caller| caller.iter().any(|t| document.contains(t)));
        prop_assert_eq!(found, allowed, "{:?} {:?} {:?}", subject, level, state);
    }
}

#[test]
fn an_embargo_lifts_exactly_at_its_date() {
    let now = fixed_now();
    let facts = Facts {
        dataset: Uuid::from_u128(1),
        version: 1,
        owner_group: Uuid::from_u128(2),
        level: AccessLevel::Embargoed { until: now },
        state: VersionState::Published,
    };
    let anyone = Subject::default();
    assert_eq!(decide(&anyone, Action::ReadData, &facts, now - Duration::milliseconds(1)), Decision::Forbidden);
    assert_eq!(decide(&anyone, Action::ReadData, &facts, now), Decision::Allow);
}

#[test]
fn an_expired_grant_gives_nothing() {
    let now = fixed_now();
    let facts = facts_for(Level::Restricted, VersionState::Published, now);
    let expired = Subject { grants: vec![(facts.dataset, now)], ..Default::default() };
    assert_eq!(decide(&expired, Action::ReadData, &facts, now), Decision::Forbidden);
    let live = Subject { grants: vec![(facts.dataset, now + Duration::seconds(1))], ..Default::default() };
    assert_eq!(decide(&live, Action::ReadData, &facts, now), Decision::Allow);
}

#[test]
fn masked_columns_are_for_the_owner_group_and_admins() {
    let now = fixed_now();
    let facts = facts_for(Level::Open, VersionState::Published, now);
    assert!(!sees_masked_columns(&Subject::default(), &facts));
    assert!(sees_masked_columns(
        &Subject { groups: vec![(facts.owner_group, Role::Member)], ..Default::default() },
        &facts
    ));
    assert!(sees_masked_columns(&Subject { admin: true, ..Default::default() }, &facts));
    // A grant opens the data, never the masked columns.
    let masked = vec!["secret".to_string()];
    let grantee = Subject { grants: vec![(facts.dataset, now + Duration::days(1))], ..Default::default() };
    assert_eq!(hidden_columns(&grantee, &facts, &masked), masked);
    assert!(hidden_columns(&Subject { admin: true, ..Default::default() }, &facts, &masked).is_empty());
}

#[test]
fn deaccessioned_versions_keep_metadata_but_no_data() {
    let now = fixed_now();
    let facts = facts_for(Level::Open, VersionState::Deaccessioned, now);
    let anyone = Subject::default();
    assert_eq!(decide(&anyone, Action::ReadMetadata, &facts, now), Decision::Allow);
    assert_eq!(decide(&anyone, Action::ReadData, &facts, now), Decision::Forbidden);
}

#[test]
fn a_consortium_is_managed_by_admins_and_its_coordinating_groups_stewards() {
    let (coordinator, other, _, _) = ids();
    let role = |group, role| Subject { groups: vec![(group, role)], ..Default::default() };
    assert!(coordinates(&Subject { admin: true, ..Default::default() }, None));
    assert!(coordinates(&role(coordinator, Role::Steward), Some(coordinator)));
    assert!(coordinates(&role(coordinator, Role::Admin), Some(coordinator)));
    assert!(!coordinates(&role(coordinator, Role::Member), Some(coordinator)));
    assert!(!coordinates(&role(other, Role::Steward), Some(coordinator)));
    assert!(!coordinates(&role(coordinator, Role::Steward), None));
    assert!(!coordinates(&Subject::default(), Some(coordinator)));
    let both = Subject { groups: vec![(coordinator, Role::Member), (other, Role::Steward)], ..Default::default() };
    assert_eq!(stewarded_groups(&both), vec![other]);
}

#[test]
fn the_audit_is_read_by_admins_whole_and_by_stewards_for_their_groups() {
    let (lab, other, _, _) = ids();
    let admin = Subject { admin: true, groups: vec![(lab, Role::Member)], ..Default::default() };
    assert_eq!(audit_scope(&admin), AuditScope::Everything);
    let steward = Subject { groups: vec![(lab, Role::Steward), (other, Role::Member)], ..Default::default() };
    assert_eq!(audit_scope(&steward), AuditScope::OwnedBy(vec![lab]));
    let member = Subject { groups: vec![(lab, Role::Member)], ..Default::default() };
    assert_eq!(audit_scope(&member), AuditScope::Nothing);
    assert_eq!(audit_scope(&Subject::default()), AuditScope::Nothing);
}

const GOVERNANCE: usize = 7;

/// The governance actions, about the group `ids().1`.
fn governance_actions() -> [Governance; GOVERNANCE] {
    let (_, group, _, _) = ids();
    [
        Governance::ManageDirectory,
        Governance::ManageGroup { group },
        Governance::MintToken { own: true },
        Governance::MintToken { own: false },
        Governance::ManageConsortium { coordinator: Some(group) },
        Governance::ManageConsortium { coordinator: None },
        Governance::ReadAudit,
    ]
}

/// Governance: (platform admin, strongest role in the group, stewards some group) → the
/// decision on each of [`governance_actions`].
fn governance_row(admin: bool, role: Option<Role>, stewards_any: bool) -> [Decision; GOVERNANCE] {
    match (admin, role, stewards_any) {
        (true, _, _) => [A, A, A, A, A, A, A],
        (false, Some(Role::Admin), _) => [F, A, A, F, A, F, A],
        (false, Some(Role::Steward), _) => [F, F, A, F, A, F, A],
        (false, _, true) => [F, F, A, F, F, F, A],
        (false, _, false) => [F, F, A, F, F, F, F],
    }
}

proptest! {
    #![proptest_config(replayed(2000))]
    /// Groups, consortia, accounts and the audit log are decided by `decide_governance`, which
    /// agrees with the table; `coordinates` and `audit_scope` agree with it.
    #[test]
    fn decide_governance_agrees_with_the_table(subject in subject_strategy()) {
        let (_, group, _, _) = ids();
        let role = subject.groups.iter().filter(|(g, _)| *g == group).map(|(_, r)| *r).max();
        let stewards_any = subject.groups.iter().any(|(_, r)| *r >= Role::Steward);
        let expected = governance_row(subject.admin, role, stewards_any);
        for (action, want) in governance_actions().into_iter().zip(expected) {
            prop_assert_eq!(decide_governance(&subject, action), want, "{:?} {:?}", subject, action);
        }
        for coordinator in [Some(group), None] {
            let decided = decide_governance(&subject, Governance::ManageConsortium { coordinator });
            prop_assert_eq!(coordinates(&subject, coordinator), decided == A);
        }
        let reads = decide_governance(&subject, Governance::ReadAudit);
        let scope = audit_scope(&subject);
        match scope {
            AuditScope::Everything => prop_assert!(subject.admin),
            AuditScope::OwnedBy(groups) => {
                prop_assert!(!subject.admin && reads == A);
                prop_assert_eq!(groups, stewarded_groups(&subject));
            }
            AuditScope::Nothing => prop_assert_eq!(reads, F),
        }
    }
}

#[test]
fn governance_is_never_not_found() {
    let (lab, other, _, _) = ids();
    for subject in [
        Subject::default(),
        Subject { groups: vec![(lab, Role::Member), (other, Role::Admin)], ..Default::default() },
        Subject { admin: true, ..Default::default() },
    ] {
        for action in governance_actions() {
            assert_ne!(decide_governance(&subject, action), N, "{subject:?} {action:?}");
        }
    }
}

fn scope_strategy() -> impl Strategy<Value = JobScope> {
    let (dataset, _, _, other) = ids();
    let table = (prop_oneof![Just(dataset), Just(other)], 1i32..3, prop_oneof![Just("a"), Just("b")])
        .prop_map(|(dataset, version, table)| ScopedTable { dataset, version, table: table.into() });
    (prop::collection::vec(table, 0..3), -2i64..2).prop_map(|(tables, minutes)| JobScope {
        job: Uuid::from_u128(7),
        tables,
        expires: fixed_now() + Duration::minutes(minutes),
    })
}

proptest! {
    #![proptest_config(replayed(3000))]
    /// A job's credential is its submitter's rights narrowed: it reads only what the submitter
    /// may, only the declared tables of the declared versions, only until it expires; it changes
    /// nothing, governs nothing, finds nothing by search and never sees masked columns.
    #[test]
    fn a_job_credential_only_narrows(
        subject in subject_strategy(), scope in scope_strategy(), level in level_strategy(), state in any_state(),
        version in 1i32..3,
    ) {
        let now = fixed_now();
        let facts = Facts { version, ..facts_for(level, state, now) };
        let job = Subject { job: Some(scope.clone()), ..subject.clone() };
        for action in ACTIONS {
            for table in ["a", "b"] {
                let narrowed = decide_table(&job, action, &facts, table, now);
                let declared = scope.tables.iter().any(|t| {
                    t.dataset == facts.dataset && t.version == facts.version && t.table == table
                });
                let want = if matches!(action, Action::ReadMetadata | Action::ReadData) && declared && now < scope.expires {
                    decide(&subject, action, &facts, now)
                } else {
                    Decision::NotFound
                };
                prop_assert_eq!(narrowed, want, "{:?} {:?} {:?}", action, table, scope);
            }
        }
        prop_assert!(!sees_masked_columns(&job, &facts));
        prop_assert_eq!(viewer_tokens(&job), Some(Vec::new()));
        prop_assert_eq!(decide_governance(&job, Governance::ReadAudit), Decision::Forbidden);
    }
}
