//! `kura admin …`: managing people, groups, consortia and access from the command line, in-process
//! on the data directory (works while the server runs). Acts as a platform administrator and is
//! audited as `cli`.

use std::process::ExitCode;

use anyhow::Context;
use chrono::{DateTime, Utc};
use clap::Subcommand;
use kura_catalog::Visibility;
use kura_catalog::audit::Actor;
use kura_catalog::consortia::Member;
use kura_catalog::policies::Policy;
use kura_catalog::requests::Answer;
use kura_catalog::users::{LOCAL_ISSUER, NewUser};
use kura_core::access::{LevelKind, Role};
use kura_core::{RequestState, Scope, UserKind};
use kura_service::Services;
use uuid::Uuid;

/// Who the audit log says acted, and through which surface.
const ACTOR: Actor<'static> = Actor { who: "cli", surface: "cli" };

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
    let catalog = &state.catalog;
    match command {
        AdminCommand::Token { name } => println!("{}", catalog.create_admin_token(&name).await?.1),
        AdminCommand::User { username, display_name, kind } => {
            let new =
                NewUser { issuer: LOCAL_ISSUER.into(), subject: username, display_name, kind, ..NewUser::default() };
            println!("{}", catalog.create_user(new).await?.id);
        }
        AdminCommand::UserToken { user, scope, expires } => {
            println!("{}", catalog.create_user_token(user, "cli", scope, expires).await?.1);
        }
        AdminCommand::Group { organization, group, ror } => {
            let org = catalog.ensure_organization(&organization, ror.as_deref()).await?;
            println!("{}", catalog.ensure_group(org.id, &group).await?.id);
        }
        AdminCommand::Member { group, user, role } => {
            catalog.set_membership(group, user, role, ACTOR).await?;
        }
        AdminCommand::Consortium { name, terms, terms_url, coordinator } => {
            let c = catalog.create_consortium(&name, "", &terms, terms_url.as_deref(), coordinator, ACTOR).await?;
            println!("{}", c.id);
        }
        AdminCommand::Invite { consortium, group } => {
            catalog.add_consortium_member(consortium, Member::Group(group), ACTOR).await?;
        }
        AdminCommand::Policy { dataset, level, until, consortia, masked, license } => {
            let ds = catalog.dataset_by_name(&dataset, &Visibility::everything()).await?;
            let policy = Policy {
                level: level.with(until, consortia).context("--until is required for an embargo")?,
                masked_columns: masked,
                license,
                terms: None,
            };
            catalog.set_policy(ds.id, &policy, ACTOR).await?;
        }
        AdminCommand::Requests { dataset } => {
            let ds = catalog.dataset_by_name(&dataset, &Visibility::everything()).await?;
            let page = kura_catalog::PageRequest { offset: 0, limit: 1000 };
            for r in catalog.requests_page(Some(ds.id), None, Some(RequestState::Pending), page).await?.items {
                println!("{}\tuser {}\t{}\t{}", r.id, r.user_id, r.created_at.to_rfc3339(), r.reason);
            }
        }
        AdminCommand::Approve { dataset, request, until } => {
            answer(state, &dataset, request, Answer::Approve { expires_at: until }).await?;
        }
        AdminCommand::Deny { dataset, request, reason } => {
            answer(state, &dataset, request, Answer::Deny { reason }).await?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn answer(state: &Services, dataset: &str, request: Uuid, answer: Answer) -> anyhow::Result<()> {
    let ds = state.catalog.dataset_by_name(dataset, &Visibility::everything()).await?;
    let request = state.catalog.access_request(ds.id, request).await?;
    let answered = state.catalog.answer_request(&request, answer, None, ACTOR).await?;
    println!("{}", answered.state);
    Ok(())
}
