//! `kura_auth::CredentialResolver` over a real catalog (SQLite, or PostgreSQL when
//! `KURA_TEST_DATABASE_URL` names one): the store's answers make the resolver's decisions.

use std::sync::Arc;

use kura_auth::{AuthConfig, AuthError, Authority, CredentialResolver, ExternalIssuer, KeyStore};
use kura_core::Scope;

use super::*;
use crate::audit::Actor;
use crate::testing::catalog;

const IDP: &str = "https://login.example.edu";
const PASSWORD: &str = "a long enough password";

/// A resolver over `catalog` that trusts one identity provider, and that provider.
fn resolver(catalog: &Catalog) -> (CredentialResolver, Authority) {
    let idp = Authority {
        keys: KeyStore::generate(),
        config: AuthConfig { issuer: IDP.into(), audience: "kura".into(), leeway: 30, external: Vec::new() },
    };
    let external = ExternalIssuer {
        issuer: IDP.into(),
        audience: "kura".into(),
        jwks: ExternalIssuer::jwks_from_json(&idp.keys.jwks().to_string()).unwrap(),
        algorithms: vec![jsonwebtoken::Algorithm::EdDSA],
    };
    let config = AuthConfig {
        issuer: "https://kura.example".into(),
        audience: "kura".into(),
        leeway: 30,
        external: vec![external],
    };
    let authority = Authority { keys: KeyStore::generate(), config };
    (CredentialResolver::new(authority, Arc::new(catalog.clone())), idp)
}

/// A fresh catalog with a local account `ann` (password [`PASSWORD`]), and a resolver over it.
struct Fixture {
    _dir: tempfile::TempDir,
    catalog: Catalog,
    resolver: CredentialResolver,
    idp: Authority,
    ann: Uuid,
}

async fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let catalog = catalog(dir.path(), None).await;
    let (resolver, idp) = resolver(&catalog);
    let new = NewUser {
        issuer: LOCAL_ISSUER.into(),
        subject: "ann".into(),
        password_hash: Some(kura_auth::hash_password(PASSWORD).unwrap()),
        ..Default::default()
    };
    let ann = catalog.create_user(new).await.unwrap().id;
    Fixture { _dir: dir, catalog, resolver, idp, ann }
}

#[tokio::test]
async fn tokens_sessions_and_passwords_resolve_with_their_scope() {
    let Fixture { catalog, resolver, ann, .. } = &fixture().await;
    let ann = *ann;

    let (read_row, read) = catalog.create_user_token(ann, "r", Scope::Read, None).await.unwrap();
    let reader = resolver.bearer(&read).await.unwrap();
    assert_eq!((reader.user_id, reader.can_write, reader.scope()), (Some(ann), false, Scope::Read));
    let exchanged = resolver.exchange(&reader).unwrap();
    assert!(!resolver.bearer(&exchanged).await.unwrap().can_write, "a read token mints read tokens only");

    let (_, write) = catalog.create_user_token(ann, "w", Scope::Write, None).await.unwrap();
    assert!(resolver.bearer(&write).await.unwrap().can_write);
    let (_, admin) = catalog.create_admin_token("ops").await.unwrap();
    assert!(resolver.bearer(&admin).await.unwrap().is_admin());
    catalog.revoke_token(Some(ann), read_row.id).await.unwrap();
    assert_eq!(resolver.bearer(&read).await, Err(AuthError::InvalidApiToken));

    let session = catalog.create_session(ann).await.unwrap();
    let caller = resolver.session(&session.secret).await.unwrap().expect("a live session");
    assert_eq!((caller.principal.user_id, caller.csrf_token), (Some(ann), session.csrf_token));
    assert_eq!(resolver.session("kura_not_a_session").await, Ok(None));

    let signed_in = resolver.password("ann", PASSWORD, None).await.unwrap();
    assert_eq!((signed_in.user_id, signed_in.can_write), (Some(ann), true));
    assert_eq!(resolver.password("ann", "not the password", None).await, Err(AuthError::WrongPassword));
}

#[tokio::test]
async fn a_disabled_user_is_refused_on_every_credential() {
    let Fixture { catalog, resolver, ann, .. } = &fixture().await;
    let ann = *ann;
    let (_, token) = catalog.create_user_token(ann, "w", Scope::Write, None).await.unwrap();
    let session = catalog.create_session(ann).await.unwrap();
    let jwt = resolver.exchange(&resolver.bearer(&token).await.unwrap()).unwrap();
    catalog.disable_user(ann, Actor::rest("cli")).await.unwrap();
    assert_eq!(resolver.bearer(&token).await, Err(AuthError::Disabled));
    assert_eq!(resolver.bearer(&jwt).await, Err(AuthError::Disabled));
    assert_eq!(resolver.session(&session.secret).await, Err(AuthError::Disabled));
    assert_eq!(resolver.password("ann", PASSWORD, None).await, Err(AuthError::WrongPassword));
}

#[tokio::test]
async fn an_identity_providers_person_is_recorded_once_on_first_sign_in() {
    let Fixture { catalog, resolver, idp, .. } = &fixture().await;
    let token = idp.issue("person-7", Scope::Read, chrono::Duration::minutes(5), Utc::now()).unwrap();
    assert!(catalog.user_by_identity(IDP, "person-7").await.unwrap().is_none());
    let (first, second) = tokio::join!(resolver.bearer(&token), resolver.bearer(&token));
    let (first, second) = (first.unwrap(), second.unwrap());
    let recorded = catalog.user_by_identity(IDP, "person-7").await.unwrap().expect("recorded");
    assert_eq!((first.user_id, second.user_id), (Some(recorded.id), Some(recorded.id)), "one person, one record");
    assert_eq!(recorded.kind, kura_core::UserKind::Person);
    assert!(first.can_write, "an identity provider's token acts with its user's rights");
}
