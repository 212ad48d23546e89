//! What credential resolution needs from the catalog, and nothing more.

use chrono::{DateTime, Utc};
use kura_core::access::Subject;
use kura_core::{ErrorCode, Scope};
use uuid::Uuid;

/// A user as resolution sees them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredUser {
    pub id: Uuid,
    /// Disabled users are refused whatever credential they present.
    pub disabled: bool,
    /// The Argon2id PHC string of a local account; `None` for other users.
    pub password_hash: Option<String>,
}

/// A live API token as resolution sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredToken {
    pub id: Uuid,
    /// `None` for the platform's admin tokens, which belong to no user.
    pub user_id: Option<Uuid>,
    /// What the token may do of what its user may do.
    pub scope: Scope,
    /// The stream tables (`dataset/table`) an `append` token may append to.
    pub streams: Vec<String>,
}

/// A live portal session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredSession {
    pub user_id: Uuid,
    /// The token the session's state-changing requests must echo.
    pub csrf_token: String,
}

/// A failure of the store itself (not a refusal): its kind and a message for the log.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct StoreError {
    pub code: ErrorCode,
    pub message: String,
}

impl StoreError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        StoreError { code, message: message.into() }
    }
}

/// The catalog's side of resolving credentials: secrets are looked up by the store (which keeps
/// only their hashes), users by id or identity. Implemented by `kura_catalog::Catalog`.
#[async_trait::async_trait]
pub trait CredentialStore: Send + Sync + std::fmt::Debug {
    /// The live (unrevoked, unexpired) API token with this secret, its use recorded.
    async fn api_token(&self, secret: &str) -> Result<Option<StoredToken>, StoreError>;

    /// The live (unexpired) portal session with this cookie secret.
    async fn live_session(&self, secret: &str) -> Result<Option<StoredSession>, StoreError>;

    /// The user with this id.
    async fn user_by_id(&self, id: Uuid) -> Result<Option<StoredUser>, StoreError>;

    /// The local account (username and password) with this username.
    async fn local_user(&self, username: &str) -> Result<Option<StoredUser>, StoreError>;

    /// The person a trusted identity provider vouches for, recorded as a new user on their first
    /// sign-in.
    async fn external_user(&self, issuer: &str, subject: &str) -> Result<StoredUser, StoreError>;

    /// What the access decision needs to know about a user at `now`: groups, consortia, grants.
    async fn subject(&self, user_id: Uuid, now: DateTime<Utc>) -> Result<Subject, StoreError>;

    /// Whether the partner node `node` is a trusted peer now (a removed peer's users are refused
    /// at once, whatever tokens they hold).
    async fn peer_trusted(&self, node: &str) -> Result<bool, StoreError>;

    /// Begins a sign-in attempt of `account` from `address` at `now`, checked and counted in
    /// one step against the failures every process sharing the store recorded (the rule is
    /// [`crate::login_limit::wait_before`]): `Ok(Err(wait))` when it must wait, else the
    /// attempt's id. The attempt counts as a failure unless [`Self::sign_in_succeeded`] is
    /// called with it.
    async fn begin_sign_in(
        &self,
        account: &str,
        address: Option<std::net::IpAddr>,
        now: DateTime<Utc>,
    ) -> Result<Result<Uuid, std::time::Duration>, StoreError>;

    /// The attempt's password was right: its pair's failures are forgotten and the attempt is
    /// taken back from its address's count.
    async fn sign_in_succeeded(&self, attempt: Uuid) -> Result<(), StoreError>;
}
