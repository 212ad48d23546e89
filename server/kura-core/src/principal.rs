//! Who is calling. Authentication produces one of these; services decide with it.

use uuid::Uuid;

/// The caller of a service function, as established by authentication.
///
/// The foundation knows two kinds: nobody, and the holder of an admin API token. The access
/// control work widens this to users, groups and consortia.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    Anonymous,
    /// Holder of an admin API token (id of the token row, for audit).
    Admin {
        token_id: Uuid,
    },
}

impl Principal {
    /// May create, change and publish anything.
    pub fn is_admin(&self) -> bool {
        matches!(self, Principal::Admin { .. })
    }
}
