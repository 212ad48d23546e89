//! `kura admin …`: managing people, groups, consortia and access from the command line, in-process
//! on the data directory (works while the server runs). Acts as a platform administrator and is
//! audited as `cli`.

use std::process::ExitCode;

use anyhow::Context;
use chrono::{DateTime, Utc};
use clap::Subcommand;
use kura_catalog::consortia::Member;
use kura_catalog::policies::Policy;
use kura_catalog::requests::Answer;
use kura_core::Principal;
use kura_core::access::{LevelKind, Role};
use kura_core::{Scope, UserKind};
use kura_service::Surface::Cli;
use kura_service::consortia::NewConsortium;
use kura_service::directory::NewAccount;
use kura_service::{Services, consortia, directory, grants, policy};
use uuid::Uuid;

/// Who the audit log says acted (through the `cli` surface): a platform administrator.
pub fn principal() -> Principal {
    Principal::admin("cli")
}

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Prints a new platform-admin API token (shown once; stored hashed).
    Token {
        /// A name to recognise the token by.
        #[arg(long, default_value = "admin")]
        name: String,
    },
    /// Creates a local user and prints its id.
    User {
        username: String,
        #[arg(long)]
        display_name: Option<String>,
        /// `service` for a service account.
        #[arg(long, default_value = "person")]
        kind: UserKind,
    },
    /// Prints a new personal API token for a user.
    UserToken {
        user: Uuid,
        /// read, write or admin.
        #[arg(long, default_value = "write")]
        scope: Scope,
        #[arg(long)]
        expires: Option<DateTime<Utc>>,
    },
    /// Creates (or finds) an organization's group and prints its id.
    Group {
        organization: String,
        group: String,
        /// ROR id of the organization.
        #[arg(long)]
        ror: Option<String>,
    },
    /// Gives a user a role (member, steward, admin) in a group.
    Member {
        group: Uuid,
        user: Uuid,
        #[arg(long, default_value = "member")]
        role: Role,
    },
    /// Creates a consortium with its first data-sharing agreement and prints its id.
    Consortium {
        name: String,
        /// The agreement's terms.
        #[arg(long)]
        terms: String,
        #[arg(long)]
        terms_url: Option<String>,
        /// The group whose stewards manage it in the portal (its first member).
        #[arg(long)]
        coordinator: Option<Uuid>,
    },
    /// Invites a group into a consortium.
    Invite { consortium: Uuid, group: Uuid },
    /// Sets a dataset's access level.
    Policy {
        dataset: String,
        /// open, embargoed, consortium, restricted or closed.
        #[arg(long)]
        level: LevelKind,
        /// For embargoed: when the data opens.
        #[arg(long)]
        until: Option<DateTime<Utc>>,
        /// For consortium: one or more consortium ids.
        #[arg(long = "consortium")]
        consortia: Vec<Uuid>,
        /// Columns only the owner group may see.
        #[arg(long = "mask")]
        masked: Vec<String>,
        /// SPDX licence id.
        #[arg(long)]
        license: Option<String>,
    },
    /// Lists a dataset's pending access requests.
    Requests { dataset: String },
    /// Approves an access request until a date.
    Approve { dataset: String, request: Uuid, until: DateTime<Utc> },
    /// Denies an access request with a reason.
    Deny { dataset: String, request: Uuid, reason: String },
}

pub async fn run(state: &Services, command: AdminCommand) -> anyhow::Result<ExitCode> {
    let me = &principal();
    match command {
        AdminCommand::Token { name } => println!("{}", directory::create_admin_token(state, me, &name).await?.1),
        AdminCommand::User { username, display_name, kind } => {
            let account = NewAccount { username, display_name, kind: kind.to_string(), ..NewAccount::default() };
            println!("{}", directory::create_user(state, me, account).await?.id);
        }
        AdminCommand::UserToken { user, scope, expires } => {
            println!("{}", directory::create_user_token(state, me, user, "cli", scope.as_str(), expires).await?.1);
        }
        AdminCommand::Group { organization, group, ror } => {
            let org = directory::create_organization(state, me, &organization, ror.as_deref()).await?;
            println!("{}", directory::create_group(state, me, org.id, &group).await?.id);
        }
        AdminCommand::Member { group, user, role } => {
            directory::set_membership(state, me, Cli, group, user, role).await?;
        }
        AdminCommand::Consortium { name, terms, terms_url, coordinator } => {
            let new = NewConsortium {
                name: &name,
                description: "",
                terms: &terms,
                terms_url: terms_url.as_deref(),
                coordinator,
            };
            println!("{}", consortia::create_consortium(state, me, Cli, new).await?.id);
        }
        AdminCommand::Invite { consortium, group } => {
            consortia::add_member(state, me, Cli, consortium, Member::Group(group)).await?;
        }
        AdminCommand::Policy { dataset, level, until, consortia, masked, license } => {
            let level = level.with(until, consortia).context("--until is required for an embargo")?;
            let new_policy = Policy { level, masked_columns: masked, license, terms: None };
            policy::change_policy(state, me, Cli, &dataset, &new_policy).await?;
        }
        AdminCommand::Requests { dataset } => {
            let page = kura_catalog::PageRequest { offset: 0, limit: 1000 };
            for r in grants::requests(state, me, &dataset, Some("pending"), page).await?.items {
                println!("{}\tuser {}\t{}\t{}", r.id, r.user_id, r.created_at.to_rfc3339(), r.reason);
            }
        }
        AdminCommand::Approve { dataset, request, until } => {
            let answered =
                grants::answer_request(state, me, Cli, &dataset, request, Answer::Approve { expires_at: until });
            println!("{}", answered.await?.state);
        }
        AdminCommand::Deny { dataset, request, reason } => {
            let answered = grants::answer_request(state, me, Cli, &dataset, request, Answer::Deny { reason });
            println!("{}", answered.await?.state);
        }
    }
    Ok(ExitCode::SUCCESS)
}
