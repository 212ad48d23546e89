//! Lifecycle states stored in the catalog as lowercase strings.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

macro_rules! string_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($(#[$vmeta])* $variant),+ }

        impl $name {
            /// The string stored in the catalog.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($text => Ok($name::$variant),)+
                    other => Err(format!("unknown {} {other:?}", stringify!($name))),
                }
            }
        }
    };
}

string_enum! {
    /// Where a dataset version is in its life: only `Published` is public.
    VersionState {
        Draft => "draft",
        InReview => "in_review",
        Published => "published",
        Deaccessioned => "deaccessioned",
    }
}

string_enum! {
    /// Whether a file is what the user uploaded or something Kura derived from it.
    FileRole {
        Raw => "raw",
        Derived => "derived",
        /// Found inside a raw file (an archive member, an image in a notebook), kept byte for byte.
        Extracted => "extracted",
    }
}

string_enum! {
    /// State of a background ingest job.
    JobState {
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

impl VersionState {
    /// A version in this state can no longer change its files.
    pub fn is_frozen(self) -> bool {
        matches!(self, VersionState::Published | VersionState::Deaccessioned)
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
        assert!(!VersionState::Draft.is_frozen());
    }
}
