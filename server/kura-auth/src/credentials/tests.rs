//! The resolver over a store in memory: scopes, refusals, first sign-ins and passwords. The
//! catalog's implementation of the store is tested against a real database in `kura-catalog`.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use jsonwebtoken::Algorithm;
use kura_core::access::Subject;
use kura_core::{ErrorCode, HasErrorCode, Scope};
use uuid::Uuid;

use super::*;
use crate::login_limit::FREE_ATTEMPTS;
use crate::{AuthConfig, AuthError, Authority, ExternalIssuer, KeyStore};

const IDP: &str = "https://login.example.edu";

#[derive(Debug, Default)]
struct Memory {
    users: Mutex<HashMap<Uuid, (StoredUser, String, String)>>,
    tokens: Mutex<HashMap<String, StoredToken>>,
    sessions: Mutex<HashMap<String, StoredSession>>,
    peers: Mutex<Vec<String>>,
    sign_ins: crate::login_limit::MemoryLedger,
}

impl Memory {
    fn add_user(&self, issuer: &str, subject: &str, password: Option<&str>) -> Uuid {
        let id = Uuid::now_v7();
        let password_hash = password.map(|p| crate::hash_password(p).unwrap());
        let user = StoredUser { id, disabled: false, password_hash };
        self.users.lock().unwrap().insert(id, (user, issuer.into(), subject.into()));
        id
    }

    fn add_token(&self, user_id: Option<Uuid>, scope: Scope) -> String {
        let secret = format!("kura_{}", Uuid::new_v4().simple());
        self.tokens
            .lock()
            .unwrap()
            .insert(secret.clone(), StoredToken { id: Uuid::now_v7(), user_id, scope, streams: Vec::new() });
        secret
    }

    fn disable(&self, id: Uuid) {
        self.users.lock().unwrap().get_mut(&id).unwrap().0.disabled = true;
    }

    fn find(&self, issuer: &str, subject: &str) -> Option<StoredUser> {
        self.users.lock().unwrap().values().find(|(_, i, s)| i == issuer && s == subject).map(|(u, _, _)| u.clone())
    }
}

#[async_trait::async_trait]
impl CredentialStore for Memory {
    async fn api_token(&self, secret: &str) -> Result<Option<StoredToken>, StoreError> {
        Ok(self.tokens.lock().unwrap().get(secret).cloned())
    }
    async fn live_session(&self, secret: &str) -> Result<Option<StoredSession>, StoreError> {
        Ok(self.sessions.lock().unwrap().get(secret).cloned())
    }
    async fn user_by_id(&self, id: Uuid) -> Result<Option<StoredUser>, StoreError> {
        Ok(self.users.lock().unwrap().get(&id).map(|(u, _, _)| u.clone()))
    }
    async fn local_user(&self, username: &str) -> Result<Option<StoredUser>, StoreError> {
        Ok(self.find("local", username))
    }
    async fn external_user(&self, issuer: &str, subject: &str) -> Result<StoredUser, StoreError> {
        if let Some(user) = self.find(issuer, subject) {
            return Ok(user);
        }
        let id = self.add_user(issuer, subject, None);
        Ok(self.users.lock().unwrap()[&id].0.clone())
    }
    async fn subject(&self, _: Uuid, _: DateTime<Utc>) -> Result<Subject, StoreError> {
        Ok(Subject::default())
    }
    async fn peer_trusted(&self, node: &str) -> Result<bool, StoreError> {
        Ok(self.peers.lock().unwrap().iter().any(|p| p == node))
    }
    async fn begin_sign_in(
        &self,
        account: &str,
        address: Option<std::net::IpAddr>,
        now: DateTime<Utc>,
    ) -> Result<Result<Uuid, std::time::Duration>, StoreError> {
        Ok(self.sign_ins.begin(account, address, now))
    }
    async fn sign_in_succeeded(&self, attempt: Uuid) -> Result<(), StoreError> {
        self.sign_ins.succeeded(attempt);
        Ok(())
    }
}

/// A resolver over `store` trusting one external provider, and that provider's authority.
fn resolver(store: Arc<Memory>) -> (CredentialResolver, Authority) {
    let idp_config = AuthConfig { issuer: IDP.into(), audience: "kura".into(), leeway: 30, external: Vec::new() };
    let idp = Authority { keys: KeyStore::generate(), config: idp_config };
    let external = ExternalIssuer {
        issuer: IDP.into(),
        audience: "kura".into(),
        jwks: ExternalIssuer::jwks_from_json(&idp.keys.jwks().to_string()).unwrap(),
        algorithms: vec![Algorithm::EdDSA],
    };
    let config = AuthConfig {
        issuer: "https://kura.example".into(),
        audience: "kura".into(),
        leeway: 30,
        external: vec![external],
    };
    (CredentialResolver::new(Authority { keys: KeyStore::generate(), config }, store), idp)
}

#[tokio::test]
async fn a_read_token_gives_a_principal_that_cannot_write() {
    let store = Arc::new(Memory::default());
    let (resolver, _) = resolver(store.clone());
    let user = store.add_user("local", "ann", None);
    for (scope, writes) in [(Scope::Read, false), (Scope::Write, true), (Scope::Admin, true)] {
        let secret = store.add_token(Some(user), scope);
        let principal = resolver.bearer(&secret).await.unwrap();
        assert_eq!((principal.user_id, principal.can_write), (Some(user), writes), "{scope:?}");
        assert!(!principal.is_admin(), "a user's admin token is not the platform admin");
    }
    let admin = store.add_token(None, Scope::Admin);
    assert!(resolver.api_token(&admin).await.unwrap().is_admin());
    let orphan = store.add_token(None, Scope::Write);
    assert_eq!(resolver.api_token(&orphan).await, Err(AuthError::InvalidApiToken));
    assert_eq!(resolver.bearer("kura_unknown").await, Err(AuthError::InvalidApiToken));
}

#[tokio::test]
async fn no_credential_mints_a_wider_one() {
    let store = Arc::new(Memory::default());
    let (resolver, _) = resolver(store.clone());
    let user = store.add_user("local", "ann", None);
    let read = resolver.bearer(&store.add_token(Some(user), Scope::Read)).await.unwrap();
    assert!(!read.scope().may_mint(Scope::Write));
    let exchanged = resolver.exchange(&read).unwrap();
    assert_eq!(resolver.authority().verify(&exchanged).unwrap().scope, Scope::Read);
    let again = resolver.jwt(&exchanged).await.unwrap();
    assert!(!again.can_write, "the exchanged token reads only, like the token it came from");
    let write = resolver.bearer(&store.add_token(Some(user), Scope::Admin)).await.unwrap();
    let exchanged = resolver.exchange(&write).unwrap();
    assert_eq!(resolver.authority().verify(&exchanged).unwrap().scope, Scope::Write, "never admin");
    assert_eq!(resolver.exchange(&kura_core::Principal::admin("token:x")), Err(AuthError::NotAUser));

    // A robot's append token (a Flight Handshake) becomes a JWT for the same streams, nothing more.
    let secret = format!("kura_{}", Uuid::new_v4().simple());
    let streams = vec!["lab/temps".to_owned()];
    let token = StoredToken { id: Uuid::now_v7(), user_id: Some(user), scope: Scope::Append, streams: streams.clone() };
    store.tokens.lock().unwrap().insert(secret.clone(), token);
    let robot = resolver.bearer(&secret).await.unwrap();
    let exchanged = resolver.exchange(&robot).unwrap();
    assert_eq!(resolver.authority().verify(&exchanged).unwrap().scope, Scope::Append);
    let again = resolver.jwt(&exchanged).await.unwrap();
    assert_eq!((again.can_write, again.append_streams.clone()), (false, streams), "the same streams, no writes");
    assert!(again.may_append("lab", "temps") && !again.may_append("lab", "other"));
    // A write token's JWT carries no streams, even if its claims were to name some.
    let exchanged = resolver.exchange(&write).unwrap();
    assert!(resolver.jwt(&exchanged).await.unwrap().append_streams.is_empty());
}

#[tokio::test]
async fn a_disabled_user_is_refused_whatever_the_credential() {
    let store = Arc::new(Memory::default());
    let (resolver, _) = resolver(store.clone());
    let user = store.add_user("local", "ann", Some("a long enough password"));
    let token = store.add_token(Some(user), Scope::Write);
    let jwt =
        resolver.authority().issue(&user.to_string(), Scope::Write, chrono::Duration::minutes(5), Utc::now()).unwrap();
    let session = StoredSession { user_id: user, csrf_token: "c".into() };
    store.sessions.lock().unwrap().insert("s".into(), session);
    assert_eq!(resolver.session("s").await.unwrap().unwrap().csrf_token, "c");
    assert_eq!(resolver.session("gone").await, Ok(None), "an unknown session reads as signed out");
    store.disable(user);
    assert_eq!(resolver.bearer(&token).await, Err(AuthError::Disabled));
    assert_eq!(resolver.bearer(&jwt).await, Err(AuthError::Disabled));
    assert_eq!(resolver.session("s").await, Err(AuthError::Disabled));
    let refused = resolver.password("ann", "a long enough password", None).await;
    assert_eq!(refused, Err(AuthError::WrongPassword), "a disabled account's password is not checked");
    let unknown = Uuid::now_v7().to_string();
    let jwt = resolver.authority().issue(&unknown, Scope::Write, chrono::Duration::minutes(5), Utc::now()).unwrap();
    assert_eq!(resolver.jwt(&jwt).await, Err(AuthError::UnknownUser));
    assert_eq!(AuthError::Disabled.code(), ErrorCode::Unauthenticated);
}

#[tokio::test]
async fn an_identity_providers_person_is_recorded_on_first_sign_in() {
    let store = Arc::new(Memory::default());
    let (resolver, idp) = resolver(store.clone());
    let token = idp.issue("person-7", Scope::Read, chrono::Duration::minutes(5), Utc::now()).unwrap();
    assert_eq!(store.find(IDP, "person-7"), None);
    let first = resolver.bearer(&token).await.unwrap();
    let recorded = store.find(IDP, "person-7").expect("recorded on first sign-in");
    assert_eq!(first.user_id, Some(recorded.id));
    assert!(first.can_write, "an external token acts with its user's rights");
    let second = resolver.bearer(&token).await.unwrap();
    assert_eq!(second.user_id, first.user_id, "the same person, not a second record");
    let tampered = format!("{}x", &token[..token.len() - 1]);
    assert!(matches!(resolver.bearer(&tampered).await, Err(AuthError::RefusedJwt(_))));
}

#[tokio::test]
async fn wrong_passwords_are_counted_until_even_the_right_one_waits() {
    let store = Arc::new(Memory::default());
    let (resolver, _) = resolver(store.clone());
    let user = store.add_user("local", "ann", Some("a long enough password"));
    let address = Some("192.0.2.7".parse().unwrap());
    let ok = resolver.password("ann", "a long enough password", address).await.unwrap();
    assert_eq!((ok.user_id, ok.can_write), (Some(user), true));
    assert_eq!(resolver.password("nobody", "whatever password", address).await, Err(AuthError::WrongPassword));
    for _ in 1..FREE_ATTEMPTS {
        assert_eq!(resolver.password("ann", "wrong password!", address).await, Err(AuthError::WrongPassword));
    }
    // The unknown account counted for the address only; ann's pair has had FREE_ATTEMPTS - 1.
    assert_eq!(resolver.password("ann", "wrong password!", address).await, Err(AuthError::WrongPassword));
    let waited = resolver.password("ann", "a long enough password", address).await;
    assert!(matches!(waited, Err(AuthError::TooManyAttempts(_))), "{waited:?}");
    assert_eq!(waited.unwrap_err().code(), ErrorCode::ResourceExhausted);
    let basic = Authorization::Basic { username: "ann".into(), password: "a long enough password".into() };
    let elsewhere = resolver.handshake(&basic, Some("198.51.100.1".parse().unwrap())).await.unwrap();
    assert_eq!(elsewhere.user_id, Some(user), "another address is not locked out");
}

#[tokio::test(flavor = "current_thread")]
async fn passwords_are_checked_off_the_async_threads() {
    let store = Arc::new(Memory::default());
    let (resolver, _) = resolver(store.clone());
    store.add_user("local", "ann", Some("a long enough password"));
    // On a single-threaded runtime, a ticker only advances while the password check runs if
    // the check is not on the runtime's thread.
    let ticks = Arc::new(AtomicUsize::new(0));
    let counter = ticks.clone();
    let ticker = tokio::spawn(async move {
        loop {
            counter.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(std::time::Duration::from_micros(100)).await;
        }
    });
    tokio::task::yield_now().await;
    let before = ticks.load(Ordering::SeqCst);
    resolver.password("ann", "a long enough password", None).await.unwrap();
    let during = ticks.load(Ordering::SeqCst) - before;
    ticker.abort();
    assert!(during > 0, "the runtime was blocked while Argon2 ran");
}

#[tokio::test]
async fn a_federated_users_token_reads_only_and_ends_with_the_peer() {
    let store = Arc::new(Memory::default());
    let (resolver, _) = resolver(store.clone());
    store.peers.lock().unwrap().push("univ-a".into());
    let user = store.add_user("kura-node:univ-a", "ann", None);
    let consortium = Uuid::now_v7();
    let fed = crate::FederatedClaim { node: "univ-a".into(), consortia: vec![consortium] };
    let token =
        resolver.authority().issue_federated(&user.to_string(), fed, chrono::Duration::minutes(5), Utc::now()).unwrap();
    let principal = resolver.bearer(&token).await.unwrap();
    assert_eq!(principal.home_node.as_deref(), Some("univ-a"));
    assert_eq!(principal.actor, format!("user:{user}@univ-a"), "the audit names the user and the home node");
    assert!(!principal.can_write, "a federated user reads only");
    assert_eq!(principal.subject.consortia, [consortium]);
    assert_eq!(resolver.exchange(&principal), Err(AuthError::FederatedExchange), "no wider or longer token");
    store.peers.lock().unwrap().clear();
    assert_eq!(resolver.bearer(&token).await, Err(AuthError::PeerNotTrusted("univ-a".into())), "refused at once");
}
