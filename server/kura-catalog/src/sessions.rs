//! Portal sessions: a random secret in an HttpOnly cookie, stored only as its SHA-256, with a
//! CSRF token that every state-changing form must echo.

use chrono::{Duration, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, Set};
use uuid::Uuid;

use crate::entity::session;
use crate::tokens::{generate_secret, hash_secret};
use crate::{Catalog, CatalogError};

/// How long a session lasts without signing in again.
pub const SESSION_HOURS: i64 = 12;

/// A new session: the cookie secret and the CSRF token, both shown once.
#[derive(Debug, Clone)]
pub struct NewSession {
    pub secret: String,
    pub csrf_token: String,
    pub user_id: Uuid,
}

impl Catalog {
    /// Opens a session for a user who just proved who they are.
    pub async fn create_session(&self, user_id: Uuid) -> Result<NewSession, CatalogError> {
        let secret = generate_secret();
        let csrf_token = generate_secret();
        let now = Utc::now();
        let row = session::ActiveModel {
            id_hash: Set(hash_secret(&secret)),
            user_id: Set(user_id),
            csrf_token: Set(csrf_token.clone()),
            created_at: Set(now),
            expires_at: Set(now + Duration::hours(SESSION_HOURS)),
        };
        session::Entity::insert(row).exec(self.connection()).await?;
        Ok(NewSession { secret, csrf_token, user_id })
    }

    /// The live session with this cookie secret.
    pub async fn session(&self, secret: &str) -> Result<Option<session::Model>, CatalogError> {
        Ok(session::Entity::find_by_id(hash_secret(secret))
            .filter(session::Column::ExpiresAt.gt(Utc::now()))
            .one(self.connection())
            .await?)
    }

    /// Ends a session (sign-out).
    pub async fn end_session(&self, secret: &str) -> Result<(), CatalogError> {
        session::Entity::delete_by_id(hash_secret(secret)).exec(self.connection()).await?;
        Ok(())
    }
}
