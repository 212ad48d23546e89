//! Federation partners: the peers this node trusts, and the assertions it accepted from them.

use chrono::{DateTime, Utc};
use kura_core::PeerConfig;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};

use crate::entity::{federation_assertion, peer};
use crate::{Catalog, CatalogError};

impl peer::Model {
    /// The organizations it speaks for.
    pub fn organization_list(&self) -> Vec<String> {
        serde_json::from_value(self.organizations.clone()).unwrap_or_default()
    }

    /// As configured.
    pub fn config(&self) -> PeerConfig {
        PeerConfig {
            id: self.id.clone(),
            base_url: self.base_url.clone(),
            jwks_url: Some(self.jwks_url.clone()),
            flight_url: self.flight_url.clone(),
            organizations: self.organization_list(),
        }
    }
}

impl Catalog {
    /// Every trusted peer, by id.
    pub async fn peers(&self) -> Result<Vec<peer::Model>, CatalogError> {
        Ok(peer::Entity::find().order_by_asc(peer::Column::Id).all(self.connection()).await?)
    }

    /// The trusted peer with this node id.
    pub async fn peer(&self, id: &str) -> Result<Option<peer::Model>, CatalogError> {
        Ok(peer::Entity::find_by_id(id.to_owned()).one(self.connection()).await?)
    }

    /// Adds a peer, or replaces what is known of it.
    pub async fn put_peer(&self, config: &PeerConfig) -> Result<peer::Model, CatalogError> {
        let row = peer::ActiveModel {
            id: Set(config.id.clone()),
            base_url: Set(config.base_url.trim_end_matches('/').to_owned()),
            jwks_url: Set(config.jwks_url()),
            flight_url: Set(config.flight_url.clone()),
            organizations: Set(serde_json::json!(config.organizations)),
            created_at: Set(Utc::now()),
        };
        let update =
            [peer::Column::BaseUrl, peer::Column::JwksUrl, peer::Column::FlightUrl, peer::Column::Organizations];
        peer::Entity::insert(row)
            .on_conflict(OnConflict::column(peer::Column::Id).update_columns(update).to_owned())
            .exec(self.connection())
            .await?;
        self.peer(&config.id).await?.ok_or_else(|| CatalogError::NotFound(format!("peer {}", config.id)))
    }

    /// Stops trusting a peer; whether it was listed.
    pub async fn remove_peer(&self, id: &str) -> Result<bool, CatalogError> {
        let done = peer::Entity::delete_by_id(id.to_owned()).exec(self.connection()).await?;
        Ok(done.rows_affected > 0)
    }

    /// Records that the assertion `jti` of `peer` was accepted; a conflict if it already was
    /// (a replay). Ids of expired assertions are forgotten on the way: an expired assertion is
    /// refused for its expiry anyway.
    pub async fn accept_assertion(&self, jti: &str, peer: &str, expires_at: DateTime<Utc>) -> Result<(), CatalogError> {
        federation_assertion::Entity::delete_many()
            .filter(federation_assertion::Column::ExpiresAt.lt(Utc::now() - chrono::Duration::minutes(5)))
            .exec(self.connection())
            .await?;
        let row = federation_assertion::ActiveModel {
            jti: Set(format!("{peer} {jti}")),
            peer_id: Set(peer.to_owned()),
            expires_at: Set(expires_at),
        };
        federation_assertion::Entity::insert(row).exec(self.connection()).await?;
        Ok(())
    }
}
