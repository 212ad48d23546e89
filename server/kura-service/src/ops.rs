//! Liveness and readiness, as load balancers and Kubernetes probes ask: is the catalog there
//! with this binary's schema, and have this process's projections (search, RDF) applied the
//! outbox? Answers hold names, states and counts only, never anything about a dataset.

use std::time::{Duration, Instant};

use serde::Serialize;

use crate::{ServiceError, Services};

/// How long a readiness check waits for a projection that is behind to reach the outbox head
/// seen at the start of the check. The projections poll the outbox every 300 ms, so a write
/// just before a probe would otherwise flip readiness for a moment; a projection that needs
/// longer than this is really behind (a cold start, a stuck worker). Kept under a second, the
/// default timeout of a Kubernetes probe.
const CATCH_UP_WAIT: Duration = Duration::from_millis(700);

/// How far one projection is behind the outbox.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ProjectionLag {
    /// `search` or `rdf`.
    pub name: &'static str,
    /// The last outbox event it applied.
    pub checkpoint: i64,
    /// Events after that one (0: caught up).
    pub lag: i64,
}

/// The outbox head and every projection this process keeps.
#[derive(Debug, Clone, Serialize)]
pub struct Lags {
    pub head: i64,
    pub projections: Vec<ProjectionLag>,
}

/// One check of [`readiness`].
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Check {
    /// `catalog`, `schema`, `search` or `rdf`.
    pub name: &'static str,
    pub ready: bool,
    /// Why it is not ready (no internal detail: the cause is in the log).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// For a projection: events it has not applied yet.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lag: Option<i64>,
}

/// Whether this process should get traffic, and each check's answer.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Readiness {
    pub ready: bool,
    pub checks: Vec<Check>,
}

/// The outbox head and how far behind it each projection of this process is. A process that
/// keeps no projection (a command-line run) lists none.
pub async fn projection_lags(svc: &Services) -> Result<Lags, ServiceError> {
    let head = svc.catalog.outbox_head().await?;
    let mut projections = Vec::new();
    if let Some(search) = &svc.search {
        let checkpoint = search.index().checkpoint().map_err(|e| ServiceError::internal(e.to_string()))?;
        projections.push(ProjectionLag { name: "search", checkpoint, lag: (head - checkpoint).max(0) });
    }
    if let Some(rdf) = &svc.rdf {
        let checkpoint = rdf.store().checkpoint();
        projections.push(ProjectionLag { name: "rdf", checkpoint, lag: (head - checkpoint).max(0) });
    }
    Ok(Lags { head, projections })
}

/// Ready when the catalog answers with this binary's schema and every projection has reached
/// the outbox head (waiting up to [`CATCH_UP_WAIT`] for it). Never fails: what is wrong is a
/// check that is not ready.
pub async fn readiness(svc: &Services) -> Readiness {
    let mut checks = Vec::new();
    let not_ready = |name, reason: &str| Check { name, ready: false, reason: Some(reason.to_owned()), lag: None };
    if let Err(e) = svc.catalog.ping().await {
        tracing::warn!(error = %e, "readiness: the catalog does not answer");
        checks.push(not_ready("catalog", "the catalog does not answer"));
        return Readiness { ready: false, checks };
    }
    checks.push(Check { name: "catalog", ready: true, reason: None, lag: None });
    checks.push(match svc.catalog.schema_status().await {
        Ok(kura_catalog::SchemaStatus::Current) => Check { name: "schema", ready: true, reason: None, lag: None },
        Ok(kura_catalog::SchemaStatus::Older { .. }) => not_ready("schema", "migrations are pending"),
        Ok(kura_catalog::SchemaStatus::Newer { .. }) => not_ready("schema", "the schema is newer than this binary"),
        Err(e) => {
            tracing::warn!(error = %e, "readiness: cannot read the schema version");
            not_ready("schema", "cannot read the schema version")
        }
    });
    match caught_up(svc).await {
        Ok(lags) => checks.extend(lags.projections.into_iter().map(|p| Check {
            name: p.name,
            ready: p.lag == 0,
            reason: (p.lag > 0).then(|| "behind the outbox".to_owned()),
            lag: Some(p.lag),
        })),
        Err(e) => {
            tracing::warn!(error = %e, "readiness: cannot read the projections' positions");
            checks.push(not_ready("projections", "cannot read the projections' positions"));
        }
    }
    Readiness { ready: checks.iter().all(|c| c.ready), checks }
}

/// The lags once every projection reached the head seen first, or as they stand after
/// [`CATCH_UP_WAIT`]. The lag reported is against that first head: events written while
/// waiting do not count against a projection that is keeping up.
async fn caught_up(svc: &Services) -> Result<Lags, ServiceError> {
    let first = projection_lags(svc).await?;
    let head = first.head;
    let deadline = Instant::now() + CATCH_UP_WAIT;
    let mut lags = first;
    while lags.projections.iter().any(|p| p.lag > 0) && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
        lags = projection_lags(svc).await?;
        for p in &mut lags.projections {
            p.lag = (head - p.checkpoint).max(0);
        }
        lags.head = head;
    }
    Ok(lags)
}
