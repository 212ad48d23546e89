//! Reading the audit log: administrators read all of it, stewards the events of their groups'
//! datasets (`kura_core::access::audit_scope`), nobody else any of it.

use kura_catalog::audit::AuditFilter;
use kura_catalog::entity::audit_event;
use kura_catalog::{Page, PageRequest};
use kura_core::Principal;
use kura_core::access::{AuditScope, Governance, audit_scope};

use crate::access::{NEEDS_ADMIN, govern};
use crate::{ServiceError, Services};

/// One page of the audit events `filter` selects among those the principal may read, newest
/// first.
pub async fn audit_log(
    svc: &Services,
    principal: &Principal,
    mut filter: AuditFilter,
    page: PageRequest,
) -> Result<Page<audit_event::Model>, ServiceError> {
    govern(principal, Governance::ReadAudit, NEEDS_ADMIN)?;
    filter.owner_groups = match audit_scope(&principal.subject) {
        AuditScope::Everything => None,
        AuditScope::OwnedBy(groups) => Some(groups),
        AuditScope::Nothing => Some(Vec::new()),
    };
    Ok(svc.catalog.audit_page(&filter, page).await?)
}
