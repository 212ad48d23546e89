//! Portal sessions: opened once a password was checked (by kura-auth's credential resolver),
//! ended at sign-out. The secret is only ever stored hashed.

use kura_catalog::sessions::NewSession;
use uuid::Uuid;

use crate::{ServiceError, Services};

/// A new session for `user`, who has just proved who they are.
pub async fn open(svc: &Services, user: Uuid) -> Result<NewSession, ServiceError> {
    Ok(svc.catalog.create_session(user).await?)
}

/// Ends the session with this secret (nothing happens for one that is unknown or over).
pub async fn close(svc: &Services, secret: &str) -> Result<(), ServiceError> {
    Ok(svc.catalog.end_session(secret).await?)
}
