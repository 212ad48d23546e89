//! Grants travel as visas, in the manner of GA4GH Passport visas: when a node answers a token
//! exchange, it gives the partner's user a signed visa per grant it gave them (dataset IRI,
//! granting node, expiry). The home node keeps them and carries them in the assertions it sends
//! later (in the POST body of the exchange: many visas never go in a header). A node honours
//! only visas it signed itself, for the user presenting them, whose grant is still live in its
//! own catalog: a visa never creates access, and another node's visa is never honoured.

use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, Validation};
use kura_service::federation::{self, GrantHeld};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::Federation;

/// The JWT `typ` of visas.
pub const VISA_TYPE: &str = "kura-visa+jwt";

/// The claims of a visa.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VisaClaims {
    /// The granting node.
    pub iss: String,
    /// The holder: `{home node}:{user id at the home node}`.
    pub sub: String,
    /// The dataset's persistent IRI at the granting node.
    pub dataset: String,
    /// The grant's expiry.
    pub exp: i64,
    pub iat: i64,
    /// The grant's id at the granting node.
    pub jti: String,
}

/// What the visas presented in an assertion came to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct VisaCount {
    /// Signed here, for this user, with a live grant here.
    pub honoured: usize,
    /// Anything else: another node's, another user's, expired, revoked, altered.
    pub ignored: usize,
}

fn holder(home_node: &str, home_user: &str) -> String {
    format!("{home_node}:{home_user}")
}

impl Federation {
    /// Signed visas for the live grants this node gave `user` (recorded from `home_node`'s
    /// `home_user`).
    pub(crate) async fn visas_for(&self, user: Uuid, home_node: &str, home_user: &str) -> Vec<String> {
        let grants = match federation::grants_held(self.services(), user).await {
            Ok(grants) => grants,
            Err(e) => {
                tracing::error!(error = %e, "cannot list a federated user's grants for their visas");
                return Vec::new();
            }
        };
        let now = Utc::now().timestamp();
        let keys = &self.credentials.authority().keys;
        grants
            .into_iter()
            .filter_map(|GrantHeld { grant, dataset, expires_at }| {
                let claims = VisaClaims {
                    iss: self.node_id().to_owned(),
                    sub: holder(home_node, home_user),
                    dataset,
                    exp: expires_at.timestamp(),
                    iat: now,
                    jti: grant.to_string(),
                };
                keys.sign_typed(VISA_TYPE, &claims).ok()
            })
            .collect()
    }

    /// Checks the visas a partner presented for its user: each must be signed by this node, for
    /// this holder, unexpired, with its grant still live here.
    pub(crate) async fn count_visas(
        &self,
        visas: &[String],
        user: Uuid,
        home_node: &str,
        home_user: &str,
    ) -> VisaCount {
        let live: Vec<String> = match federation::grants_held(self.services(), user).await {
            Ok(grants) => grants.into_iter().map(|g| g.grant.to_string()).collect(),
            Err(_) => Vec::new(),
        };
        let mut count = VisaCount::default();
        for visa in visas {
            match self.own_visa(visa, Utc::now()) {
                Some(claims) if claims.sub == holder(home_node, home_user) && live.contains(&claims.jti) => {
                    count.honoured += 1
                }
                _ => count.ignored += 1,
            }
        }
        count
    }

    /// The claims of a visa this node signed, if it did and it has not expired.
    fn own_visa(&self, visa: &str, now: DateTime<Utc>) -> Option<VisaClaims> {
        let header = jsonwebtoken::decode_header(visa).ok()?;
        if header.typ.as_deref() != Some(VISA_TYPE) || header.alg != Algorithm::EdDSA {
            return None;
        }
        let key = self.credentials.authority().keys.decoding_key(header.kid.as_deref()?)?;
        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.set_issuer(&[self.node_id()]);
        validation.set_required_spec_claims(&["exp", "iss", "sub"]);
        validation.validate_aud = false;
        let claims = jsonwebtoken::decode::<VisaClaims>(visa, &key, &validation).ok()?.claims;
        (claims.exp > now.timestamp()).then_some(claims)
    }
}
