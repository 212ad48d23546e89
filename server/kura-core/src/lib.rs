//! Kura's shared vocabulary: domain enums, the principal, error codes and configuration types.
//!
//! Every other crate depends on this one and on nothing transport-specific: error codes map to
//! both HTTP and gRPC here so that REST and Flight say the same thing for the same failure.

pub mod access;
pub mod config;
pub mod domain;
pub mod error;
pub mod negotiate;
pub mod principal;

pub use config::{Config, PeerConfig, Role, parse_roles};
pub use domain::{FileRole, JobState, RequestState, TaskState, UserKind, VersionState};
pub use error::{ErrorCode, HasErrorCode};
pub use principal::{Principal, Scope};
