//! The governance use cases against a real SQLite catalog: each refusal comes from the service,
//! whichever transport would call it.

use chrono::{Duration, Utc};
use kura_catalog::audit::AuditFilter;
use kura_catalog::datasets::NewDataset;
use kura_catalog::policies::Policy;
use kura_catalog::requests::Answer;
use kura_catalog::{PageRequest, Visibility};
use kura_core::access::{AccessLevel, Role};
use kura_core::{ErrorCode, Principal};
use kura_service::Surface::Rest;
use kura_service::consortia::NewConsortium;
use kura_service::directory::{self, NewAccount};
use kura_service::{Services, audit, consortia, grants, policy};
use uuid::Uuid;

/// Two labs of one university, each with a steward and a member, and a published dataset of
/// the first lab.
struct World {
    svc: Services,
    _dir: tempfile::TempDir,
    admin: Principal,
    lab: Uuid,
    other_lab: Uuid,
    steward: Uuid,
    member: Uuid,
    other_steward: Uuid,
    outsider: Uuid,
}

const DATASET: &str = "xps-spectra";

impl World {
    async fn new() -> World {
        let dir = tempfile::tempdir().unwrap();
        let config = kura_core::Config { data_dir: dir.path().to_path_buf(), ..Default::default() };
        let svc = Services::open(config, None).await.unwrap();
        let admin = Principal::admin("test");
        let org = directory::create_organization(&svc, &admin, "Uni", None).await.unwrap();
        let lab = directory::create_group(&svc, &admin, org.id, "Lab").await.unwrap().id;
        let other_lab = directory::create_group(&svc, &admin, org.id, "Other lab").await.unwrap().id;
        let account = |name: &str| NewAccount { username: name.into(), ..NewAccount::default() };
        let mut ids = Vec::new();
        for (name, group, role) in [
            ("stella", Some(lab), Role::Steward),
            ("rita", Some(lab), Role::Member),
            ("otto", Some(other_lab), Role::Steward),
            ("olga", None, Role::Member),
        ] {
            let user = directory::create_user(&svc, &admin, account(name)).await.unwrap().id;
            if let Some(group) = group {
                directory::set_membership(&svc, &admin, Rest, group, user, role).await.unwrap();
            }
            ids.push(user);
        }
        let new = NewDataset {
            name: DATASET.into(),
            title: "XPS spectra".into(),
            description: String::new(),
            metadata: serde_json::json!({}),
            group_id: Some(lab),
        };
        let (_, draft) = svc.catalog.create_dataset(new).await.unwrap();
        svc.catalog.publish(&draft).await.unwrap();
        World {
            svc,
            _dir: dir,
            admin,
            lab,
            other_lab,
            steward: ids[0],
            member: ids[1],
            other_steward: ids[2],
            outsider: ids[3],
        }
    }

    /// The principal of `user` as authentication would make it, with or without write scope.
    async fn principal(&self, user: Uuid, can_write: bool) -> Principal {
        let subject = self.svc.catalog.subject_for(user, Utc::now()).await.unwrap();
        Principal {
            actor: format!("user:{user}"),
            user_id: Some(user),
            can_write,
            subject,
            home_node: None,
            append_streams: Vec::new(),
        }
    }
}

fn restricted() -> Policy {
    Policy { level: AccessLevel::Restricted, masked_columns: Vec::new(), license: None, terms: None }
}

fn code<T: std::fmt::Debug>(result: Result<T, kura_service::ServiceError>) -> ErrorCode {
    result.expect_err("refused").code
}

#[tokio::test]
async fn a_read_only_credential_never_mints_a_write_token() {
    let w = World::new().await;
    let read = w.principal(w.outsider, false).await;
    let write = w.principal(w.outsider, true).await;
    let mint = |p: &Principal, user: Uuid, scope: &'static str| {
        let (svc, p) = (w.svc.clone(), p.clone());
        async move { directory::create_user_token(&svc, &p, user, "t", scope, None).await }
    };
    let refused = mint(&read, w.outsider, "write").await.unwrap_err();
    assert_eq!(refused.code, ErrorCode::Forbidden);
    assert_eq!(refused.message, "a read credential cannot create a write token");
    assert_eq!(code(mint(&read, w.outsider, "admin").await), ErrorCode::Forbidden);
    // A read credential changes nothing, not even by minting its own kind.
    assert_eq!(code(mint(&read, w.outsider, "read").await), ErrorCode::Forbidden);
    assert_eq!(code(mint(&write, w.outsider, "admin").await), ErrorCode::Forbidden);
    assert_eq!(code(mint(&write, w.outsider, "nonsense").await), ErrorCode::BadRequest);
    let (token, _) = mint(&write, w.outsider, "read").await.unwrap();
    assert_eq!(token.scope, kura_core::Scope::Read);
    // Another's account is for administrators only; the anonymous are asked to sign in.
    assert_eq!(code(mint(&write, w.member, "read").await), ErrorCode::Forbidden);
    assert_eq!(code(mint(&Principal::anonymous(), w.member, "read").await), ErrorCode::Unauthenticated);
    assert_eq!(mint(&w.admin, w.member, "admin").await.unwrap().0.scope, kura_core::Scope::Admin);
    // Only one's own tokens are listed and revoked.
    assert_eq!(directory::my_tokens(&w.svc, &write).await.unwrap().len(), 1);
    let other = w.principal(w.member, true).await;
    assert_eq!(code(directory::revoke_my_token(&w.svc, &other, token.id).await), ErrorCode::NotFound);
    assert_eq!(code(directory::revoke_my_token(&w.svc, &read, token.id).await), ErrorCode::Forbidden);
    directory::revoke_my_token(&w.svc, &write, token.id).await.unwrap();
}

#[tokio::test]
async fn only_a_steward_of_the_owner_group_changes_the_policy() {
    let w = World::new().await;
    for (user, can_write, expected) in [
        (w.member, true, ErrorCode::Forbidden),
        (w.other_steward, true, ErrorCode::Forbidden),
        (w.outsider, true, ErrorCode::Forbidden),
        (w.steward, false, ErrorCode::Forbidden),
    ] {
        let p = w.principal(user, can_write).await;
        assert_eq!(code(policy::change_policy(&w.svc, &p, Rest, DATASET, &restricted()).await), expected);
    }
    let anonymous = Principal::anonymous();
    assert_eq!(
        code(policy::change_policy(&w.svc, &anonymous, Rest, DATASET, &restricted()).await),
        ErrorCode::Unauthenticated
    );
    assert_eq!(policy::policy(&w.svc, &anonymous, DATASET).await.unwrap().level, AccessLevel::Open);
    let steward = w.principal(w.steward, true).await;
    let changed = policy::change_policy(&w.svc, &steward, Rest, DATASET, &restricted()).await.unwrap();
    assert_eq!(changed.level, AccessLevel::Restricted);
}

#[tokio::test]
async fn only_who_manages_the_dataset_answers_its_requests() {
    let w = World::new().await;
    let steward = w.principal(w.steward, true).await;
    policy::change_policy(&w.svc, &steward, Rest, DATASET, &restricted()).await.unwrap();
    let outsider = w.principal(w.outsider, true).await;
    let request = grants::request_access(&w.svc, &outsider, DATASET, "research").await.unwrap();
    assert_eq!(
        code(grants::request_access(&w.svc, &Principal::anonymous(), DATASET, "x").await),
        ErrorCode::Unauthenticated
    );
    let approve = || Answer::Approve { expires_at: Utc::now() + Duration::days(30) };
    // A steward of another group, a member of the owner group, the requester: none answers.
    for user in [w.other_steward, w.member, w.outsider] {
        let p = w.principal(user, true).await;
        let refused = grants::answer_request(&w.svc, &p, Rest, DATASET, request.id, approve()).await;
        assert_eq!(code(refused), ErrorCode::Forbidden, "{user}");
        assert_eq!(code(grants::grants(&w.svc, &p, DATASET).await), ErrorCode::Forbidden);
    }
    // The requester sees only their own requests; the steward every one.
    let page = PageRequest { offset: 0, limit: 10 };
    let member = w.principal(w.member, true).await;
    assert_eq!(grants::requests(&w.svc, &member, DATASET, None, page).await.unwrap().total, 0);
    assert_eq!(grants::requests(&w.svc, &outsider, DATASET, None, page).await.unwrap().total, 1);
    assert_eq!(grants::my_requests(&w.svc, &outsider, page).await.unwrap().total, 1);
    let answered = grants::answer_request(&w.svc, &steward, Rest, DATASET, request.id, approve()).await.unwrap();
    assert_eq!(answered.state, kura_core::RequestState::Approved);
    let again = grants::answer_request(&w.svc, &steward, Rest, DATASET, request.id, approve()).await;
    assert_eq!(code(again), ErrorCode::Conflict);
    let grant = grants::grants(&w.svc, &steward, DATASET).await.unwrap().remove(0);
    let other = w.principal(w.other_steward, true).await;
    assert_eq!(code(grants::revoke_grant(&w.svc, &other, Rest, DATASET, grant.id).await), ErrorCode::Forbidden);
    grants::revoke_grant(&w.svc, &steward, Rest, DATASET, grant.id).await.unwrap();
}

#[tokio::test]
async fn the_audit_log_is_scoped_to_the_stewarded_groups() {
    let w = World::new().await;
    let steward = w.principal(w.steward, true).await;
    policy::change_policy(&w.svc, &steward, Rest, DATASET, &restricted()).await.unwrap();
    let page = PageRequest { offset: 0, limit: 100 };
    let read = |p: Principal| {
        let svc = w.svc.clone();
        async move { audit::audit_log(&svc, &p, AuditFilter::default(), page).await }
    };
    let dataset = w.svc.catalog.dataset_by_name(DATASET, &Visibility::everything()).await.unwrap().id;
    // The steward of the owner group reads its dataset's events, and only dataset events.
    let own = read(steward.clone()).await.unwrap();
    assert!(own.total > 0);
    assert!(own.items.iter().all(|e| e.dataset_id == Some(dataset)), "{:?}", own.items);
    // A steward of another group reads none of them; even a filter asking for them finds nothing.
    let other = w.principal(w.other_steward, true).await;
    assert_eq!(read(other.clone()).await.unwrap().total, 0);
    let asked = AuditFilter { dataset_id: Some(dataset), ..AuditFilter::default() };
    assert_eq!(audit::audit_log(&w.svc, &other, asked, page).await.unwrap().total, 0);
    // Administrators read everything (membership changes too); members and the anonymous nothing.
    let everything = read(w.admin.clone()).await.unwrap();
    assert!(everything.total > own.total && everything.items.iter().any(|e| e.dataset_id.is_none()));
    assert_eq!(code(read(w.principal(w.member, true).await).await), ErrorCode::Forbidden);
    assert_eq!(code(read(Principal::anonymous()).await), ErrorCode::Unauthenticated);
}

#[tokio::test]
async fn the_directory_is_the_administrators_and_a_groups_roles_its_admins() {
    let w = World::new().await;
    let steward = w.principal(w.steward, true).await;
    assert_eq!(code(directory::create_organization(&w.svc, &steward, "Mine", None).await), ErrorCode::Forbidden);
    let account = NewAccount { username: "eve".into(), ..NewAccount::default() };
    assert_eq!(code(directory::create_user(&w.svc, &steward, account).await), ErrorCode::Forbidden);
    assert_eq!(code(directory::disable_user(&w.svc, &steward, Rest, w.member).await), ErrorCode::Forbidden);
    // A steward gives no roles; an admin of the group does, in that group only.
    let promote = |p: Principal, group: Uuid| {
        let (svc, member) = (w.svc.clone(), w.member);
        async move { directory::set_membership(&svc, &p, Rest, group, member, Role::Steward).await }
    };
    assert_eq!(code(promote(steward.clone(), w.lab).await), ErrorCode::Forbidden);
    directory::set_membership(&w.svc, &w.admin, Rest, w.lab, w.steward, Role::Admin).await.unwrap();
    let group_admin = w.principal(w.steward, true).await;
    promote(group_admin.clone(), w.lab).await.unwrap();
    assert_eq!(code(promote(group_admin.clone(), w.other_lab).await), ErrorCode::Forbidden);
    let read_only = w.principal(w.steward, false).await;
    assert_eq!(code(promote(read_only, w.lab).await), ErrorCode::Forbidden);
    let bad = NewAccount { username: "x".into(), kind: "robot".into(), ..NewAccount::default() };
    assert_eq!(code(directory::create_user(&w.svc, &w.admin, bad).await), ErrorCode::BadRequest);
}

#[tokio::test]
async fn a_consortium_is_run_by_its_coordinating_groups_stewards() {
    let w = World::new().await;
    let steward = w.principal(w.steward, true).await;
    let new = |coordinator| NewConsortium {
        name: "XPS network",
        description: "",
        terms: "Cite the source.",
        terms_url: None,
        coordinator,
    };
    let member = w.principal(w.member, true).await;
    assert_eq!(code(consortia::create_consortium(&w.svc, &member, Rest, new(Some(w.lab))).await), ErrorCode::Forbidden);
    assert_eq!(code(consortia::create_consortium(&w.svc, &steward, Rest, new(None)).await), ErrorCode::Forbidden);
    let c = consortia::create_consortium(&w.svc, &steward, Rest, new(Some(w.lab))).await.unwrap();
    let other = w.principal(w.other_steward, true).await;
    let join = kura_catalog::consortia::Member::Group(w.other_lab);
    let refused = consortia::add_member(&w.svc, &other, Rest, c.id, join).await.unwrap_err();
    assert_eq!(refused.code, ErrorCode::Forbidden);
    assert_eq!(
        refused.message,
        "adding a member needs a platform administrator or a steward of the coordinating group"
    );
    consortia::add_member(&w.svc, &steward, Rest, c.id, join).await.unwrap();
    consortia::accept_agreement(&w.svc, &other, Rest, c.id).await.unwrap();
    // Who accepted is for those who manage it; the count is for everyone.
    let seen = consortia::consortium(&w.svc, &other, c.id).await.unwrap();
    assert!(!seen.manages && seen.detail.accepted_by.is_empty() && seen.accepted_count == 1);
    let managed = consortia::consortium(&w.svc, &steward, c.id).await.unwrap();
    assert!(managed.manages && managed.detail.accepted_by.len() == 1);
    let v2 = consortia::new_agreement_version(&w.svc, &other, Rest, c.id, "v2", None).await;
    assert_eq!(code(v2), ErrorCode::Forbidden);
    assert_eq!(consortia::new_agreement_version(&w.svc, &steward, Rest, c.id, "v2", None).await.unwrap().version, 2);
}
