//! Who is calling. Authentication produces a `Principal`; services decide with its `Subject`.

use uuid::Uuid;

use crate::access::Subject;

/// The caller of a service function, as established by authentication.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// Who, as written in the audit log: `anonymous`, `user:<id>`, `token:<id>`.
    pub actor: String,
    /// The user acting, when there is one (tokens of service accounts have their user too).
    pub user_id: Option<Uuid>,
    /// False for read-only credentials (API tokens with the `read` scope).
    pub can_write: bool,
    /// What the access decision needs to know.
    pub subject: Subject,
}

impl Principal {
    /// Nobody: no credentials were presented.
    pub fn anonymous() -> Self {
        Principal { actor: "anonymous".into(), user_id: None, can_write: false, subject: Subject::default() }
    }

    /// A platform administrator acting through `actor` (an admin token, the CLI).
    pub fn admin(actor: impl Into<String>) -> Self {
        Principal {
            actor: actor.into(),
            user_id: None,
            can_write: true,
            subject: Subject { admin: true, ..Subject::default() },
        }
    }

    /// May do everything.
    pub fn is_admin(&self) -> bool {
        self.subject.admin
    }

    /// Presented no credentials.
    pub fn is_anonymous(&self) -> bool {
        self.user_id.is_none() && !self.subject.admin
    }
}
