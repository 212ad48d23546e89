//! Who is calling. Authentication produces a `Principal`; services decide with its `Subject`.

use uuid::Uuid;

use crate::access::Subject;
use crate::domain::string_enum;

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
    /// The partner node a federated user comes from (they act here read-only, with the consortia
    /// this node accepted for them); `None` for this node's own users.
    pub home_node: Option<String>,
    /// The stream tables (`dataset/table`) this credential may append to although it writes
    /// nothing else: a robot's token (scope `append`). Empty for every other credential.
    pub append_streams: Vec<String>,
}

impl Principal {
    /// Nobody: no credentials were presented.
    pub fn anonymous() -> Self {
        Principal {
            actor: "anonymous".into(),
            user_id: None,
            can_write: false,
            subject: Subject::default(),
            home_node: None,
            append_streams: Vec::new(),
        }
    }

    /// A platform administrator acting through `actor` (an admin token, the CLI).
    pub fn admin(actor: impl Into<String>) -> Self {
        Principal {
            actor: actor.into(),
            user_id: None,
            can_write: true,
            subject: Subject { admin: true, ..Subject::default() },
            home_node: None,
            append_streams: Vec::new(),
        }
    }

    /// The credential a compute job reads its inputs with: this principal's rights narrowed to
    /// `scope` (see [`crate::access::JobScope`]; a narrowed principal narrows further, never
    /// widens). It writes nothing.
    pub fn for_job(&self, scope: crate::access::JobScope) -> Principal {
        let scope = match &self.subject.job {
            Some(already) => already.intersect(&scope),
            None => scope,
        };
        Principal {
            can_write: false,
            append_streams: Vec::new(),
            subject: Subject { job: Some(scope), ..self.subject.clone() },
            ..self.clone()
        }
    }

    /// How the audit log names `user`, a user of the partner node `home_node`.
    pub fn federated_actor(user: uuid::Uuid, home_node: &str) -> String {
        format!("user:{user}@{home_node}")
    }

    /// May do everything.
    pub fn is_admin(&self) -> bool {
        self.subject.admin
    }

    /// Presented no credentials.
    pub fn is_anonymous(&self) -> bool {
        self.user_id.is_none() && !self.subject.admin
    }

    /// Whether this credential may append to the stream table `table` of dataset `dataset`:
    /// one that writes may append anywhere it may edit; a robot's token only to the streams
    /// it names. Whether the user behind it may edit the dataset is decided as for any write.
    pub fn may_append(&self, dataset: &str, table: &str) -> bool {
        self.can_write || self.append_streams.iter().any(|s| s.split_once('/') == Some((dataset, table)))
    }

    /// How far this credential reaches: what any token it mints may reach at most.
    pub fn scope(&self) -> Scope {
        if self.subject.admin {
            Scope::Admin
        } else if self.can_write {
            Scope::Write
        } else if !self.append_streams.is_empty() {
            Scope::Append
        } else {
            Scope::Read
        }
    }
}

string_enum! {
    /// What a credential may do, in increasing reach. A credential never mints a wider one.
    /// Stored with tokens and carried in JWTs by its name.
    #[derive(PartialOrd, Ord)]
    Scope "token scope" {
        /// Reads only: every state-changing request is refused.
        Read => "read",
        /// Appends to the stream tables the token names, and nothing else (robots, instruments).
        Append => "append",
        /// Reads and changes what the user may change.
        Write => "write",
        /// Platform administration.
        Admin => "admin",
    }
}

impl Scope {
    /// Whether a credential of this scope may create one of scope `wanted`.
    pub fn may_mint(self, wanted: Scope) -> bool {
        wanted <= self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_credential_mints_a_wider_one() {
        let read = Principal { can_write: false, user_id: Some(uuid::Uuid::nil()), ..Principal::anonymous() };
        let write = Principal { can_write: true, ..read.clone() };
        assert_eq!(read.scope(), Scope::Read);
        assert_eq!(write.scope(), Scope::Write);
        assert_eq!(Principal::admin("t").scope(), Scope::Admin);
        assert!(!Scope::Read.may_mint(Scope::Write));
        assert!(!Scope::Write.may_mint(Scope::Admin));
        assert!(Scope::Write.may_mint(Scope::Read) && Scope::Admin.may_mint(Scope::Admin));
        // A read credential never mints one that appends; a writing one may.
        assert!(!Scope::Read.may_mint(Scope::Append) && Scope::Write.may_mint(Scope::Append));
        let robot = Principal { append_streams: vec!["lab/temps".into()], ..read.clone() };
        assert_eq!(robot.scope(), Scope::Append);
        assert!(
            robot.may_append("lab", "temps") && !robot.may_append("lab", "other") && !read.may_append("lab", "temps")
        );
        assert_eq!("write".parse::<Scope>(), Ok(Scope::Write));
        assert_eq!(
            "root".parse::<Scope>(),
            Err("unknown token scope \"root\": use read, append, write or admin".to_owned())
        );
    }
}
