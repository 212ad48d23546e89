//! `kura federation …`: the partner nodes this node trusts, managed on the data directory (works
//! while the server runs: the server reads the list from the catalog at every exchange). Acts as
//! a platform administrator and is audited as `cli`.

use std::process::ExitCode;
use std::sync::Arc;

use clap::Subcommand;
use kura_core::PeerConfig;
use kura_service::Services;
use kura_service::Surface::Cli;
use kura_service::federation;

use crate::cli::cli_principal;

#[derive(Debug, Subcommand)]
pub enum FederationCommand {
    /// Trusts a partner node (or changes what is known of it).
    Add {
        /// The peer's node id (its `node_id`).
        id: String,
        /// Its public base URL.
        base_url: String,
        /// Where its signing keys are published (default: BASE_URL/.well-known/jwks.json).
        #[arg(long)]
        jwks_url: Option<String>,
        /// Its Arrow Flight endpoint, for federated Flight SQL.
        #[arg(long)]
        flight_url: Option<String>,
        /// An organization (name or ROR id) it speaks for; repeat for several.
        #[arg(long = "organization")]
        organizations: Vec<String>,
    },
    /// Lists the trusted peers.
    List,
    /// Stops trusting a peer at once (its users' tokens are refused from now on).
    Remove { id: String },
    /// Checks a peer: its node description and its published keys.
    Check { id: String },
}

/// Runs a `kura federation` command.
pub async fn run(svc: &Services, command: FederationCommand) -> anyhow::Result<ExitCode> {
    let principal = cli_principal();
    match command {
        FederationCommand::Add { id, base_url, jwks_url, flight_url, organizations } => {
            let config = PeerConfig { id, base_url, jwks_url, flight_url, organizations };
            let peer = federation::put_peer(svc, &principal, config, Cli).await?;
            println!("trusting {} at {} (keys: {})", peer.id, peer.base_url, peer.jwks_url);
        }
        FederationCommand::List => {
            for peer in federation::list_peers(svc, &principal).await? {
                let organizations = peer.organization_list().join(", ");
                let flight = peer.flight_url.as_deref().unwrap_or("-");
                println!("{}\t{}\tflight {flight}\tspeaks for: {organizations}", peer.id, peer.base_url);
            }
        }
        FederationCommand::Remove { id } => {
            federation::remove_peer(svc, &principal, &id, Cli).await?;
            println!("{id} is no longer trusted");
        }
        FederationCommand::Check { id } => {
            let authority = kura_api::auth::authority(&svc.config).map_err(|e| anyhow::anyhow!("{e:?}"))?;
            let credentials = Arc::new(kura_auth::CredentialResolver::new(authority, Arc::new(svc.catalog.clone())));
            let check = kura_federation::Federation::new(svc.clone(), credentials).check_peer(&principal, &id).await?;
            let id = check.reported_id.as_deref().unwrap_or("?");
            println!("{}: node id {id}, {} keys", check.peer, check.keys);
            for problem in &check.problems {
                println!("problem: {problem}");
            }
            if !check.ok {
                return Ok(ExitCode::FAILURE);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
