//! API tokens: random secrets shown once, stored only as SHA-256 hashes.

use chrono::Utc;
use kura_core::Scope;
use rand::RngCore;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, Set};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::entity::api_token;
use crate::{Catalog, CatalogError};

/// Prefix that makes Kura tokens recognisable to secret scanners.
pub const TOKEN_PREFIX: &str = "kura_";

/// A new random secret: 256 bits, hex, with the Kura prefix.
pub fn generate_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!("{TOKEN_PREFIX}{}", hex::encode(bytes))
}

/// The stored form of a secret. A fast hash is enough: secrets are 256-bit random, not passwords.
pub fn hash_secret(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

impl Catalog {
    /// Creates an admin API token and returns its row and the secret (shown once).
    pub async fn create_admin_token(&self, name: &str) -> Result<(api_token::Model, String), CatalogError> {
        let secret = generate_secret();
        let row = api_token::ActiveModel {
            id: Set(Uuid::now_v7()),
            token_hash: Set(hash_secret(&secret)),
            name: Set(name.to_owned()),
            scope: Set(Scope::Admin),
            user_id: Set(None),
            streams: Set(None),
            created_at: Set(Utc::now()),
            expires_at: Set(None),
            revoked_at: Set(None),
            last_used_at: Set(None),
        };
        let row = api_token::Entity::insert(row).exec_with_returning(self.connection()).await?;
        Ok((row, secret))
    }

    /// Creates a personal API token for a user: scope `Read`, `Write` or `Admin` (everything the
    /// user may do), optionally expiring. Returns the row and the secret (shown once).
    pub async fn create_user_token(
        &self,
        user_id: Uuid,
        name: &str,
        scope: Scope,
        expires_at: Option<chrono::DateTime<Utc>>,
    ) -> Result<(api_token::Model, String), CatalogError> {
        self.create_token(user_id, name, scope, None, expires_at).await
    }

    /// Creates a robot's token for a user: it appends to `streams` (`dataset/table`) with the
    /// user's right to edit those datasets, and does nothing else. Returns the row and the secret.
    pub async fn create_robot_token(
        &self,
        user_id: Uuid,
        name: &str,
        streams: Vec<String>,
        expires_at: Option<chrono::DateTime<Utc>>,
    ) -> Result<(api_token::Model, String), CatalogError> {
        if streams.is_empty()
            || streams.iter().any(|s| !s.split_once('/').is_some_and(|(d, t)| !d.is_empty() && !t.is_empty()))
        {
            return Err(CatalogError::Invalid("a robot token names its streams as dataset/table".into()));
        }
        self.create_token(user_id, name, Scope::Append, Some(streams), expires_at).await
    }

    async fn create_token(
        &self,
        user_id: Uuid,
        name: &str,
        scope: Scope,
        streams: Option<Vec<String>>,
        expires_at: Option<chrono::DateTime<Utc>>,
    ) -> Result<(api_token::Model, String), CatalogError> {
        if expires_at.is_some_and(|at| at <= Utc::now()) {
            return Err(CatalogError::Invalid("a token must expire in the future".into()));
        }
        let secret = generate_secret();
        let row = api_token::ActiveModel {
            id: Set(Uuid::now_v7()),
            token_hash: Set(hash_secret(&secret)),
            name: Set(name.to_owned()),
            scope: Set(scope),
            user_id: Set(Some(user_id)),
            streams: Set(streams.map(|s| serde_json::json!(s))),
            created_at: Set(Utc::now()),
            expires_at: Set(expires_at),
            revoked_at: Set(None),
            last_used_at: Set(None),
        };
        let row = api_token::Entity::insert(row).exec_with_returning(self.connection()).await?;
        Ok((row, secret))
    }

    /// A user's tokens, newest first (secrets are never returned).
    pub async fn user_tokens(&self, user_id: Uuid) -> Result<Vec<api_token::Model>, CatalogError> {
        use sea_orm::QueryOrder;
        Ok(api_token::Entity::find()
            .filter(api_token::Column::UserId.eq(user_id))
            .order_by_desc(api_token::Column::Id)
            .all(self.connection())
            .await?)
    }

    /// Revokes one of a user's tokens.
    pub async fn revoke_token(&self, user_id: Option<Uuid>, token_id: Uuid) -> Result<(), CatalogError> {
        let mut update = api_token::Entity::update_many()
            .col_expr(api_token::Column::RevokedAt, Expr::value(Utc::now()))
            .filter(api_token::Column::Id.eq(token_id))
            .filter(api_token::Column::RevokedAt.is_null());
        if let Some(user) = user_id {
            update = update.filter(api_token::Column::UserId.eq(user));
        }
        if update.exec(self.connection()).await?.rows_affected != 1 {
            return Err(CatalogError::not_found("token"));
        }
        Ok(())
    }

    /// The live (unrevoked, unexpired) token with this secret, recording its use.
    pub async fn token_by_secret(&self, secret: &str) -> Result<Option<api_token::Model>, CatalogError> {
        let now = Utc::now();
        let Some(token) = api_token::Entity::find()
            .filter(api_token::Column::TokenHash.eq(hash_secret(secret)))
            .filter(api_token::Column::RevokedAt.is_null())
            .one(self.connection())
            .await?
        else {
            return Ok(None);
        };
        if token.expires_at.is_some_and(|at| at <= now) {
            return Ok(None);
        }
        // Recorded at most once a minute so that reads do not turn into writes on every request.
        if token.last_used_at.is_none_or(|at| now - at > chrono::Duration::minutes(1)) {
            api_token::Entity::update_many()
                .col_expr(api_token::Column::LastUsedAt, Expr::value(now))
                .filter(api_token::Column::Id.eq(token.id))
                .exec(self.connection())
                .await?;
        }
        Ok(Some(token))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_random_and_hashes_stable() {
        let a = generate_secret();
        let b = generate_secret();
        assert_ne!(a, b);
        assert!(a.starts_with(TOKEN_PREFIX) && a.len() == TOKEN_PREFIX.len() + 64);
        assert_eq!(hash_secret(&a), hash_secret(&a));
        assert_ne!(hash_secret(&a), hash_secret(&b));
    }
}
