//! The access model, "open and close": one pure function decides what a principal may do with a
//! dataset version. Every surface calls [`decide`]; nothing else grants or refuses access.
//! What is not a dataset version (the directory, a group's roles, an account's tokens, a
//! consortium, the audit log) is decided by [`decide_governance`] beside it.
//!
//! | level | metadata visible to | data visible to |
//! | --- | --- | --- |
//! | open | everyone | everyone |
//! | embargoed (until D) | everyone | owner group; everyone from D on |
//! | consortium (C1..Cn) | everyone | owner group, members of C1..Cn who accepted the agreement, and holders of an unexpired grant |
//! | restricted | everyone | owner group and holders of an unexpired grant |
//! | closed | owner group only | owner group only |
//!
//! Drafts and versions in review are visible to the owner group only. Admins may do everything.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::VersionState;
use crate::domain::string_enum;

pub mod inherit;
mod schema;

/// How open a dataset is. Stored per dataset in its access policy, with consortia by id; the
/// metadata mappings (`kura_metadata::AccessLevel`) use the same levels with each consortium
/// described (`C`). Its OpenAPI schema is written out in `access/schema.rs`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "level", rename_all = "snake_case")]
pub enum AccessLevel<C = Uuid> {
    Open,
    /// Data opens to everyone at `until`; decided at request time, no scheduler involved.
    Embargoed {
        until: DateTime<Utc>,
    },
    /// Data for members of any of these consortia who accepted its current agreement.
    Consortium {
        consortia: Vec<C>,
    },
    /// Data for holders of an unexpired grant, given by a steward on request.
    Restricted,
    /// Nothing, not even metadata, outside the owner group.
    Closed,
}

impl<C> AccessLevel<C> {
    /// The level without its data, as stored in the catalog.
    pub fn kind(&self) -> LevelKind {
        match self {
            AccessLevel::Open => LevelKind::Open,
            AccessLevel::Embargoed { .. } => LevelKind::Embargoed,
            AccessLevel::Consortium { .. } => LevelKind::Consortium,
            AccessLevel::Restricted => LevelKind::Restricted,
            AccessLevel::Closed => LevelKind::Closed,
        }
    }

    /// The level's name as stored in the catalog and shown to people.
    pub fn name(&self) -> &'static str {
        self.kind().as_str()
    }
}

string_enum! {
    /// An [`AccessLevel`] without its data (the embargo's end, the consortia): what the catalog
    /// stores in the policy row, beside the data in their own columns and rows.
    LevelKind "access level" {
        Open => "open",
        Embargoed => "embargoed",
        Consortium => "consortium",
        Restricted => "restricted",
        Closed => "closed",
    }
}

impl LevelKind {
    /// The level of this kind with its stored data; `None` for an embargo without its end.
    /// `consortia` is ignored by every kind but `Consortium`.
    pub fn with<C>(self, embargo_until: Option<DateTime<Utc>>, consortia: Vec<C>) -> Option<AccessLevel<C>> {
        Some(match self {
            LevelKind::Open => AccessLevel::Open,
            LevelKind::Embargoed => AccessLevel::Embargoed { until: embargo_until? },
            LevelKind::Consortium => AccessLevel::Consortium { consortia },
            LevelKind::Restricted => AccessLevel::Restricted,
            LevelKind::Closed => AccessLevel::Closed,
        })
    }
}

string_enum! {
    /// A role in a group, in increasing power.
    #[derive(PartialOrd, Ord)]
    Role "role" {
        Member => "member",
        Steward => "steward",
        Admin => "admin",
    }
}

/// What a principal wants to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    ReadMetadata,
    ReadData,
    /// Change a draft's metadata and files.
    Edit,
    Publish,
    /// Change the access policy, review requests, grant access.
    ManageAccess,
    Delete,
}

impl Action {
    /// Whether the action changes something (a read-only credential may never do it).
    pub fn changes(self) -> bool {
        !matches!(self, Action::ReadMetadata | Action::ReadData)
    }
}

impl Facts {
    /// The same version as if it were a draft: whether someone may work on the dataset's drafts
    /// is decided on these facts.
    pub fn as_draft(&self) -> Facts {
        Facts { state: VersionState::Draft, ..self.clone() }
    }
}

/// Everything the decision needs to know about the caller, resolved once per request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Subject {
    /// Platform administrator: may do everything (and is audited like everyone).
    pub admin: bool,
    /// Groups the caller belongs to, with the role held in each.
    pub groups: Vec<(Uuid, Role)>,
    /// Consortia whose current agreement the caller accepted as a member.
    pub consortia: Vec<Uuid>,
    /// Access grants: dataset and expiry.
    pub grants: Vec<(Uuid, DateTime<Utc>)>,
    /// Set only in a compute job's credential: these rights narrowed to the job's inputs.
    pub job: Option<JobScope>,
}

/// What a compute job's credential reaches: its submitter's rights over exactly the input
/// tables it declared, for reading only, until it expires with the job. Applied by [`decide`]
/// (versions) and [`decide_table`] (tables); masked columns are never shown through it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobScope {
    /// The job the credential is for (named in the audit log).
    pub job: Uuid,
    pub tables: Vec<ScopedTable>,
    /// After this instant the credential reads nothing.
    pub expires: DateTime<Utc>,
}

/// One table a job declared: which dataset, which version (by number), which table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScopedTable {
    pub dataset: Uuid,
    pub version: i32,
    pub table: String,
}

impl JobScope {
    /// Whether the scope lets its holder `action` the version of `facts` at `now`: only reads,
    /// only of a version holding a declared table, only before it expires.
    fn admits(&self, action: Action, facts: &Facts, now: DateTime<Utc>) -> bool {
        matches!(action, Action::ReadMetadata | Action::ReadData)
            && now < self.expires
            && self.tables.iter().any(|t| t.dataset == facts.dataset && t.version == facts.version)
    }

    /// Whether `table` of the version of `facts` is one the job declared.
    fn declares(&self, facts: &Facts, table: &str) -> bool {
        self.tables.iter().any(|t| t.dataset == facts.dataset && t.version == facts.version && t.table == table)
    }

    /// The narrower of two scopes: the tables both reach, until the earlier expiry.
    pub fn intersect(&self, other: &JobScope) -> JobScope {
        JobScope {
            job: other.job,
            tables: other.tables.iter().filter(|t| self.tables.contains(t)).cloned().collect(),
            expires: self.expires.min(other.expires),
        }
    }
}

/// Everything the decision needs to know about the target version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Facts {
    pub dataset: Uuid,
    /// The version's number.
    pub version: i32,
    pub owner_group: Uuid,
    pub level: AccessLevel,
    pub state: VersionState,
}

/// The outcome. `NotFound` is for what the caller may not even know exists; `Forbidden` only
/// where the existence is already public.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Allow,
    Forbidden,
    NotFound,
}

impl Subject {
    fn role_in(&self, group: Uuid) -> Option<Role> {
        self.groups.iter().filter(|(g, _)| *g == group).map(|(_, r)| *r).max()
    }
}

/// The version states whose metadata everyone may see, at a level not in
/// [`OWNER_ONLY_LEVELS`]: the catalog's SQL filter is written with these two lists.
pub const PUBLIC_STATES: [VersionState; 2] = VersionState::PUBLIC;

/// The access levels whose metadata only the owner group sees, whatever the version's state.
pub const OWNER_ONLY_LEVELS: [LevelKind; 1] = [LevelKind::Closed];

/// Whether everyone may see the metadata of a version in `state` at `level`: what harvesters
/// (OAI-PMH, the DCAT catalog, the sitemap) list, and what the public search token marks.
pub fn metadata_public(state: VersionState, level: LevelKind) -> bool {
    PUBLIC_STATES.contains(&state) && !OWNER_ONLY_LEVELS.contains(&level)
}

/// Whether the caller may know the version exists (see its metadata).
fn metadata_visible(facts: &Facts, owner: Option<Role>) -> bool {
    owner.is_some() || metadata_public(facts.state, facts.level.kind())
}

/// Decides whether `subject` may do `action` on the version described by `facts` at `now`.
pub fn decide(subject: &Subject, action: Action, facts: &Facts, now: DateTime<Utc>) -> Decision {
    // A job's credential knows nothing outside its scope, whoever submitted the job.
    if subject.job.as_ref().is_some_and(|scope| !scope.admits(action, facts, now)) {
        return Decision::NotFound;
    }
    if subject.admin {
        return Decision::Allow;
    }
    let owner = subject.role_in(facts.owner_group);
    if !metadata_visible(facts, owner) {
        return Decision::NotFound;
    }
    let allowed = match action {
        Action::ReadMetadata => true,
        Action::ReadData => owner.is_some() || data_open_to_outsider(subject, facts, now),
        Action::Edit => owner.is_some() && !facts.state.is_frozen(),
        Action::Publish | Action::ManageAccess => owner.is_some_and(|r| r >= Role::Steward),
        Action::Delete => owner == Some(Role::Admin),
    };
    if allowed { Decision::Allow } else { Decision::Forbidden }
}

/// [`decide`] for one table of the version of `facts`: the version's decision, except that a
/// job's credential finds only the tables its job declared (any other answers as if absent).
pub fn decide_table(subject: &Subject, action: Action, facts: &Facts, table: &str, now: DateTime<Utc>) -> Decision {
    if subject.job.as_ref().is_some_and(|scope| !scope.declares(facts, table)) {
        return Decision::NotFound;
    }
    decide(subject, action, facts, now)
}

/// Data access for someone outside the owner group, by level.
fn data_open_to_outsider(subject: &Subject, facts: &Facts, now: DateTime<Utc>) -> bool {
    if facts.state == VersionState::Deaccessioned {
        return false;
    }
    match &facts.level {
        AccessLevel::Open => true,
        AccessLevel::Embargoed { until } => now >= *until,
        // A steward's grant is a named exception for one person: it opens consortium data too.
        AccessLevel::Consortium { consortia } => {
            consortia.iter().any(|c| subject.consortia.contains(c)) || holds_grant(subject, facts, now)
        }
        AccessLevel::Restricted => holds_grant(subject, facts, now),
        AccessLevel::Closed => false,
    }
}

/// Whether the subject holds an unexpired grant for the dataset.
fn holds_grant(subject: &Subject, facts: &Facts, now: DateTime<Utc>) -> bool {
    subject.grants.iter().any(|(d, expires)| *d == facts.dataset && *expires > now)
}

/// The search token every caller carries: documents with it are visible to everyone.
pub const PUBLIC_TOKEN: &str = "public";

/// The search token of the members of `group`.
pub fn group_token(group: Uuid) -> String {
    format!("group:{group}")
}

/// The search index's visibility tokens of a version: a caller may find it exactly when they
/// carry one of them ([`viewer_tokens`]), which is exactly when [`decide`] lets them read its
/// metadata.
pub fn document_tokens(facts: &Facts) -> Vec<String> {
    let mut tokens = vec![group_token(facts.owner_group)];
    if metadata_visible(facts, None) {
        tokens.push(PUBLIC_TOKEN.to_owned());
    }
    tokens
}

/// The visibility tokens a subject's searches carry, or `None` for those who see everything
/// (platform admins).
pub fn viewer_tokens(subject: &Subject) -> Option<Vec<String>> {
    // A job's credential reads its inputs by name; it searches nothing.
    if subject.job.is_some() {
        return Some(Vec::new());
    }
    if subject.admin {
        return None;
    }
    let mut tokens = vec![PUBLIC_TOKEN.to_owned()];
    tokens.extend(subject.groups.iter().map(|(g, _)| group_token(*g)));
    Some(tokens)
}

/// Whether masked columns are visible: only to the owner group and admins, on every data path.
/// A job's credential never does: an output must not carry what its readers may not see.
pub fn sees_masked_columns(subject: &Subject, facts: &Facts) -> bool {
    subject.job.is_none() && (subject.admin || subject.role_in(facts.owner_group).is_some())
}

/// The masked columns hidden from the subject (all of `masked`, or none for those who see them):
/// the one rule every surface applies to schemas, rows, files, statistics and descriptions.
pub fn hidden_columns(subject: &Subject, facts: &Facts, masked: &[String]) -> Vec<String> {
    if sees_masked_columns(subject, facts) { Vec::new() } else { masked.to_vec() }
}

/// What is decided besides a dataset version: each variant names the resource acted on and
/// carries the facts the decision needs. None of these is secret (groups, consortia, one's own
/// account, the audit log exist for everyone), so the decision is never `NotFound`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Governance {
    /// Create organizations, groups, user accounts and admin tokens; disable accounts.
    ManageDirectory,
    /// Give a user a role in `group`.
    ManageGroup { group: Uuid },
    /// Create an API token for an account; `own` when the account is the caller's.
    MintToken { own: bool },
    /// Start a consortium coordinated by `coordinator` (none: by nobody), add its members, publish
    /// its agreement versions, see who accepted.
    ManageConsortium { coordinator: Option<Uuid> },
    /// Read the audit log; which part of it is [`audit_scope`].
    ReadAudit,
}

/// Decides whether `subject` may do `action`: the one decision for groups, consortia, accounts
/// and the audit log, as [`decide`] is for dataset versions.
pub fn decide_governance(subject: &Subject, action: Governance) -> Decision {
    // A job's credential reads its inputs and governs nothing.
    let allowed = subject.job.is_none()
        && (subject.admin
            || match action {
                Governance::ManageDirectory => false,
                Governance::ManageGroup { group } => subject.role_in(group) == Some(Role::Admin),
                Governance::MintToken { own } => own,
                Governance::ManageConsortium { coordinator } => {
                    coordinator.is_some_and(|g| subject.role_in(g) >= Some(Role::Steward))
                }
                Governance::ReadAudit => !stewarded_groups(subject).is_empty(),
            });
    if allowed { Decision::Allow } else { Decision::Forbidden }
}

/// Whether the subject manages a consortium coordinated by `coordinator`: its members, agreement
/// versions and who accepted. Platform administrators and the coordinating group's stewards.
pub fn coordinates(subject: &Subject, coordinator: Option<Uuid>) -> bool {
    decide_governance(subject, Governance::ManageConsortium { coordinator }) == Decision::Allow
}

/// Which audit events the subject may read: of every dataset (administrators), of the datasets
/// its stewarded groups own, or none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuditScope {
    Everything,
    OwnedBy(Vec<Uuid>),
    Nothing,
}

/// The audit events the subject may read (see [`AuditScope`]): none unless
/// [`decide_governance`] allows [`Governance::ReadAudit`].
pub fn audit_scope(subject: &Subject) -> AuditScope {
    match decide_governance(subject, Governance::ReadAudit) {
        Decision::Allow if subject.admin => AuditScope::Everything,
        Decision::Allow => AuditScope::OwnedBy(stewarded_groups(subject)),
        Decision::Forbidden | Decision::NotFound => AuditScope::Nothing,
    }
}

/// The groups the subject stewards: where it may start a consortium (as its coordinator), whose
/// review queue and access desk it sees.
pub fn stewarded_groups(subject: &Subject) -> Vec<Uuid> {
    let mut groups: Vec<Uuid> = subject.groups.iter().filter(|(_, r)| *r >= Role::Steward).map(|(g, _)| *g).collect();
    groups.sort();
    groups.dedup();
    groups
}

#[cfg(test)]
mod tests;
