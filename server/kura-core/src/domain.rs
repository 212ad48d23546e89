//! Lifecycle states and kinds stored in the catalog as lowercase strings.

/// An enum stored in the catalog as one lowercase string per variant: `as_str`, `Display` and
/// `FromStr` use that string, serde writes it (snake case), and with the `sea-orm` feature the
/// enum is a sea-orm `ActiveEnum` string column holding it. This table is the one place where the
/// stored strings are written down.
macro_rules! string_enum {
    (
        $(#[$meta:meta])* $name:ident $label:literal {
            $($(#[$vmeta:meta])* $variant:ident => $text:literal),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
        #[serde(rename_all = "snake_case")]
        #[cfg_attr(feature = "sea-orm", derive(sea_orm::EnumIter, sea_orm::DeriveActiveEnum))]
        #[cfg_attr(
            feature = "sea-orm",
            sea_orm(rs_type = "String", db_type = "String(sea_orm::sea_query::StringLen::None)")
        )]
        pub enum $name {
            $($(#[$vmeta])* #[cfg_attr(feature = "sea-orm", sea_orm(string_value = $text))] $variant),+
        }

        impl $name {
            /// Every variant, in declaration order.
            pub const ALL: &[$name] = &[$($name::$variant),+];

            /// The string stored in the catalog.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($text => Ok($name::$variant),)+
                    other => Err($crate::domain::unknown($label, other, &[$($text),+])),
                }
            }
        }
    };
}
pub(crate) use string_enum;

/// The error of parsing an unknown name: `unknown token scope "x": use read, write or admin`.
pub(crate) fn unknown(label: &str, text: &str, names: &[&str]) -> String {
    let choices = match names {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [rest @ .., last] => format!("{} or {last}", rest.join(", ")),
    };
    format!("unknown {label} {text:?}: use {choices}")
}

string_enum! {
    /// Where a dataset version is in its life: only `Published` is public.
    VersionState "version state" {
        Draft => "draft",
        InReview => "in_review",
        Published => "published",
        Deaccessioned => "deaccessioned",
    }
}

string_enum! {
    /// Whether a file is what the user uploaded or something Kura derived from it.
    FileRole "file role" {
        Raw => "raw",
        Derived => "derived",
        /// Found inside a raw file (an archive member, an image in a notebook), kept byte for byte.
        Extracted => "extracted",
    }
}

string_enum! {
    /// State of a background ingest job.
    JobState "job state" {
        Queued => "queued",
        Running => "running",
        Succeeded => "succeeded",
        /// Finished, but at least one file failed.
        PartiallyFailed => "partially_failed",
        Failed => "failed",
        /// Stopped at a user's request before it committed anything.
        Cancelled => "cancelled",
    }
}

string_enum! {
    /// Where a request for access to a dataset is: waiting for a steward, or answered.
    RequestState "access request state" {
        Pending => "pending",
        Approved => "approved",
        Denied => "denied",
    }
}

string_enum! {
    /// Whether an account is a person's or a machine's (a service account, using tokens).
    #[derive(Default)]
    UserKind "user kind" {
        #[default]
        Person => "person",
        Service => "service",
    }
}

impl VersionState {
    /// The states whose metadata outsiders may see (subject to the access level).
    pub const PUBLIC: [VersionState; 2] = [VersionState::Published, VersionState::Deaccessioned];

    /// A version in this state can no longer change its files.
    pub fn is_frozen(self) -> bool {
        matches!(self, VersionState::Published | VersionState::Deaccessioned)
    }
}

/// State of a compute job, exactly the GA4GH TES task states (written in upper case, as TES
/// clients such as `py-tes` compare them). Every job ends in one of the final five.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[cfg_attr(feature = "sea-orm", derive(sea_orm::EnumIter, sea_orm::DeriveActiveEnum))]
#[cfg_attr(feature = "sea-orm", sea_orm(rs_type = "String", db_type = "String(sea_orm::sea_query::StringLen::None)"))]
pub enum TaskState {
    /// Waiting for a free slot (of the node, or of the submitter).
    #[cfg_attr(feature = "sea-orm", sea_orm(string_value = "QUEUED"))]
    Queued,
    /// Claimed by a worker: access is decided again and the inputs are prepared.
    #[cfg_attr(feature = "sea-orm", sea_orm(string_value = "INITIALIZING"))]
    Initializing,
    #[cfg_attr(feature = "sea-orm", sea_orm(string_value = "RUNNING"))]
    Running,
    #[cfg_attr(feature = "sea-orm", sea_orm(string_value = "COMPLETE"))]
    Complete,
    /// The job's own failure: its code, its inputs (access lost, a column gone), its limits.
    #[cfg_attr(feature = "sea-orm", sea_orm(string_value = "EXECUTOR_ERROR"))]
    ExecutorError,
    /// The platform's failure: storage, the catalog, a worker that stopped for good.
    #[cfg_attr(feature = "sea-orm", sea_orm(string_value = "SYSTEM_ERROR"))]
    SystemError,
    #[cfg_attr(feature = "sea-orm", sea_orm(string_value = "CANCELED"))]
    Canceled,
}

impl TaskState {
    /// Every state, in the order a job passes them.
    pub const ALL: &[TaskState] = &[
        TaskState::Queued,
        TaskState::Initializing,
        TaskState::Running,
        TaskState::Complete,
        TaskState::ExecutorError,
        TaskState::SystemError,
        TaskState::Canceled,
    ];

    /// The TES name, as stored in the catalog.
    pub fn as_str(self) -> &'static str {
        match self {
            TaskState::Queued => "QUEUED",
            TaskState::Initializing => "INITIALIZING",
            TaskState::Running => "RUNNING",
            TaskState::Complete => "COMPLETE",
            TaskState::ExecutorError => "EXECUTOR_ERROR",
            TaskState::SystemError => "SYSTEM_ERROR",
            TaskState::Canceled => "CANCELED",
        }
    }

    /// The job has ended and will not change again.
    pub fn is_final(self) -> bool {
        !matches!(self, TaskState::Queued | TaskState::Initializing | TaskState::Running)
    }
}

impl std::fmt::Display for TaskState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for TaskState {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let names: Vec<&str> = TaskState::ALL.iter().map(|t| t.as_str()).collect();
        TaskState::ALL.iter().copied().find(|t| t.as_str() == s).ok_or_else(|| unknown("task state", s, &names))
    }
}

impl JobState {
    /// The job has ended and will not change again.
    pub fn is_final(self) -> bool {
        matches!(self, JobState::Succeeded | JobState::PartiallyFailed | JobState::Failed | JobState::Cancelled)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// TES clients compare the exact upper-case names; serde and the catalog write the same.
    #[test]
    fn task_states_are_the_tes_names() {
        for s in TaskState::ALL {
            assert_eq!(s.as_str().parse::<TaskState>().unwrap(), *s);
            assert_eq!(serde_json::to_value(s).unwrap(), serde_json::json!(s.as_str()));
        }
        assert_eq!(TaskState::ExecutorError.as_str(), "EXECUTOR_ERROR");
        let finals: Vec<_> = TaskState::ALL.iter().filter(|s| s.is_final()).collect();
        assert_eq!(finals.len(), 4, "COMPLETE, EXECUTOR_ERROR, SYSTEM_ERROR and CANCELED");
        assert!("queued".parse::<TaskState>().is_err());
    }

    #[test]
    fn states_round_trip_through_strings() {
        for s in [VersionState::Draft, VersionState::InReview, VersionState::Published, VersionState::Deaccessioned] {
            assert_eq!(s.as_str().parse::<VersionState>().unwrap(), s);
        }
        for s in [
            JobState::Queued,
            JobState::Running,
            JobState::Succeeded,
            JobState::PartiallyFailed,
            JobState::Failed,
            JobState::Cancelled,
        ] {
            assert_eq!(s.as_str().parse::<JobState>().unwrap(), s);
            assert_eq!(s.is_final(), !matches!(s, JobState::Queued | JobState::Running));
        }
        assert!("bogus".parse::<JobState>().is_err());
        assert!(VersionState::Published.is_frozen());
        assert_eq!("closed".parse::<crate::access::LevelKind>(), Ok(crate::access::LevelKind::Closed));
        assert!(!VersionState::Draft.is_frozen());
    }

    /// serde (which the API and the JSON columns use) writes the same strings as the catalog.
    #[test]
    fn serde_writes_the_stored_strings() {
        fn check<T: serde::Serialize + std::fmt::Display>(all: &[T]) {
            for value in all {
                assert_eq!(serde_json::to_value(value).unwrap(), serde_json::json!(value.to_string()));
            }
        }
        check(VersionState::ALL);
        check(FileRole::ALL);
        check(JobState::ALL);
        check(RequestState::ALL);
        check(UserKind::ALL);
        check(crate::access::LevelKind::ALL);
        check(crate::access::Role::ALL);
        check(crate::principal::Scope::ALL);
    }
}
