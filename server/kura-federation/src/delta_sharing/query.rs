//! A table's version, metadata and query answers: the `protocol` and `metaData` lines, and a
//! `file` line with a short-lived signed URL per Parquet file.
//!
//! Hints: a Kura table is one Parquet file, so `limitHint` and predicate hints (which a server
//! may ignore) never shorten the list; clients apply them to the rows they read. A `version` is
//! a dataset version number (that version's table, if the caller may read it); reading as of a
//! timestamp and change data feeds are refused, not ignored.

use kura_core::{ErrorCode, Principal};
use kura_service::ServiceError;
use kura_service::readable::{Readable, readable_tables};
use serde_json::{Value, json};

use super::files::{Served, served};
use super::protocol::{QueryRequest, TableAnswer, protocol_line};
use super::signed::FileClaims;
use super::{DeltaSharing, PREFIX, TableName};

impl DeltaSharing {
    /// The table `at` names, of its newest version or of `version`, when the caller may read it.
    async fn find(
        &self,
        principal: &Principal,
        at: TableName<'_>,
        version: Option<i64>,
    ) -> Result<Readable, ServiceError> {
        let newest = self.in_share(principal, at.share, Some(at.schema)).await?;
        let Some(newest) = newest.into_iter().find(|t| t.readable.table.name == at.table) else {
            return Err(ServiceError::not_found("table"));
        };
        let newest = newest.readable;
        match version {
            None => Ok(newest),
            Some(v) if v == i64::from(newest.version.number) => Ok(newest),
            Some(v) => readable_tables(&self.services, principal, Some(&newest.dataset.id.to_string()), true)
                .await?
                .into_iter()
                .map(|(r, _)| r)
                .find(|r| i64::from(r.version.number) == v && r.table.name == at.table)
                .ok_or_else(|| ServiceError::not_found("table version")),
        }
    }

    /// The table's version: its dataset version number.
    pub async fn version(&self, principal: &Principal, at: TableName<'_>) -> Result<i64, ServiceError> {
        Ok(i64::from(self.find(principal, at, None).await?.version.number))
    }

    /// The `protocol` and `metaData` lines of the table.
    pub async fn metadata(&self, principal: &Principal, at: TableName<'_>) -> Result<TableAnswer, ServiceError> {
        let readable = self.find(principal, at, None).await?;
        let served = served(&self.services, &readable, &self.rewrites).await?;
        let version = i64::from(readable.version.number);
        Ok(TableAnswer { version, lines: vec![protocol_line(), metadata_line(&readable, &served)] })
    }

    /// The table's lines and a `file` line with a URL for this caller below `base` (the node's
    /// public base URL), valid for the node's `delta_sharing_url_seconds`.
    pub async fn query(
        &self,
        principal: &Principal,
        at: TableName<'_>,
        request: &QueryRequest,
        base: &str,
    ) -> Result<TableAnswer, ServiceError> {
        if request.timestamp.is_some() || request.starting_version.is_some() || request.ending_version.is_some() {
            return Err(ServiceError::invalid(
                "Kura shares table snapshots by version: timestamp, startingVersion and endingVersion are not supported",
            ));
        }
        if let Some(limit) = request.limit_hint
            && limit < 0
        {
            return Err(ServiceError::invalid("limitHint must not be negative"));
        }
        let admin = principal.user_id.is_none() && principal.is_admin();
        if principal.user_id.is_none() && !admin && !principal.is_anonymous() {
            return Err(ServiceError::new(
                ErrorCode::Forbidden,
                "Delta Sharing serves users, admin tokens and anonymous callers",
            ));
        }
        let readable = self.find(principal, at, request.version).await?;
        let served = served(&self.services, &readable, &self.rewrites).await?;
        let expires_ms = chrono::Utc::now().timestamp_millis()
            + i64::try_from(self.services.config.delta_sharing_url_seconds.saturating_mul(1000))
                .unwrap_or(i64::MAX / 2);
        let claims = FileClaims {
            actor: principal.actor.clone(),
            user: principal.user_id,
            admin,
            dataset: readable.dataset.id,
            version: readable.version.number,
            table: readable.table.name.clone(),
            object: readable.sha256.clone(),
            expires_ms,
            fed: principal.home_node.as_ref().map(|node| kura_auth::FederatedClaim {
                node: node.clone(),
                consortia: principal.subject.consortia.clone(),
            }),
        };
        let url = format!("{base}{PREFIX}/files/{}", self.key.sign(&claims));
        let stats = json!({"numRecords": readable.table.row_count}).to_string();
        let file = json!({"file": {
            "url": url,
            "id": served.file.id(),
            "partitionValues": {},
            "size": served.file.size(),
            "stats": stats,
            "expirationTimestamp": expires_ms,
        }});
        let version = i64::from(readable.version.number);
        Ok(TableAnswer { version, lines: vec![protocol_line(), metadata_line(&readable, &served), file] })
    }
}

fn metadata_line(readable: &Readable, served: &Served) -> Value {
    json!({"metaData": {
        "id": readable.table.id.to_string(),
        "name": readable.table.name,
        "format": {"provider": "parquet"},
        "schemaString": served.schema_string,
        "partitionColumns": [],
        "configuration": {},
        "version": readable.version.number,
        "size": served.file.size(),
        "numFiles": 1,
    }})
}
