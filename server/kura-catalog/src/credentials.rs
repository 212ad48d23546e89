//! The catalog as the store behind `kura_auth::CredentialResolver`: users, API tokens and
//! sessions, as credential resolution needs them.

use chrono::{DateTime, Utc};
use kura_auth::credentials::{CredentialStore, StoreError, StoredSession, StoredToken, StoredUser};
use kura_core::HasErrorCode;
use kura_core::access::Subject;
use uuid::Uuid;

use crate::entity::user;
use crate::users::{LOCAL_ISSUER, NewUser};
use crate::{Catalog, CatalogError};

impl From<CatalogError> for StoreError {
    fn from(e: CatalogError) -> Self {
        let message = match std::error::Error::source(&e) {
            Some(source) => format!("{e}: {source}"),
            None => e.to_string(),
        };
        StoreError::new(e.code(), message)
    }
}

fn stored(user: user::Model) -> StoredUser {
    StoredUser { id: user.id, disabled: user.disabled_at.is_some(), password_hash: user.password_hash }
}

#[async_trait::async_trait]
impl CredentialStore for Catalog {
    async fn api_token(&self, secret: &str) -> Result<Option<StoredToken>, StoreError> {
        let token = self.token_by_secret(secret).await?;
        // A scope the code does not know reads only.
        Ok(token.map(|t| {
            let streams = t.streams.and_then(|s| serde_json::from_value(s).ok()).unwrap_or_default();
            StoredToken { id: t.id, user_id: t.user_id, scope: t.scope, streams }
        }))
    }

    async fn live_session(&self, secret: &str) -> Result<Option<StoredSession>, StoreError> {
        let session = self.session(secret).await?;
        Ok(session.map(|s| StoredSession { user_id: s.user_id, csrf_token: s.csrf_token }))
    }

    async fn user_by_id(&self, id: Uuid) -> Result<Option<StoredUser>, StoreError> {
        match self.user(id).await {
            Ok(user) => Ok(Some(stored(user))),
            Err(CatalogError::NotFound(_)) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    async fn local_user(&self, username: &str) -> Result<Option<StoredUser>, StoreError> {
        Ok(self.user_by_identity(LOCAL_ISSUER, username).await?.map(stored))
    }

    async fn external_user(&self, issuer: &str, subject: &str) -> Result<StoredUser, StoreError> {
        if let Some(user) = self.user_by_identity(issuer, subject).await? {
            return Ok(stored(user));
        }
        let new = NewUser {
            issuer: issuer.into(),
            subject: subject.into(),
            kind: kura_core::UserKind::Person,
            ..Default::default()
        };
        match self.create_user(new).await {
            Ok(user) => Ok(stored(user)),
            // Two first requests at once: the other one recorded them.
            Err(CatalogError::Conflict(_)) => {
                let user = self.user_by_identity(issuer, subject).await?;
                user.map(stored).ok_or_else(|| CatalogError::NotFound("user".into()).into())
            }
            Err(e) => Err(e.into()),
        }
    }

    async fn subject(&self, user_id: Uuid, now: DateTime<Utc>) -> Result<Subject, StoreError> {
        Ok(self.subject_for(user_id, now).await?)
    }

    async fn peer_trusted(&self, node: &str) -> Result<bool, StoreError> {
        Ok(self.peer(node).await?.is_some())
    }

    async fn begin_sign_in(
        &self,
        account: &str,
        address: Option<std::net::IpAddr>,
        now: DateTime<Utc>,
    ) -> Result<Result<Uuid, std::time::Duration>, StoreError> {
        Ok(Catalog::begin_sign_in(self, account, address, now).await?)
    }

    async fn sign_in_succeeded(&self, attempt: Uuid) -> Result<(), StoreError> {
        Ok(Catalog::sign_in_succeeded(self, attempt).await?)
    }
}

#[cfg(test)]
mod tests;
