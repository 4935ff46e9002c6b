//! `rasso user add|list|disable|set-force|set-role`: manage who can sign in, and in which force
//! (administrators).

use std::io::{BufRead, IsTerminal};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use storage::{Access, Purpose, User};

use crate::data::{DataArgs, runtime};

#[derive(Debug, Args)]
pub struct UserArgs {
    #[command(subcommand)]
    command: UserCommand,
}

/// Where a new user works: one force, or explicitly national. One of the two is required, so
/// that an account never becomes national by having no force.
#[derive(Debug, Clone, Args)]
#[group(required = true, multiple = false)]
struct ScopeArgs {
    /// The user's force code (lowercase letters, digits and hyphens).
    #[arg(long, value_name = "CODE")]
    force: Option<String>,
    /// A national user, who crosses force boundaries where the role allows (leaders, analysts
    /// and administrators only).
    #[arg(long)]
    national: bool,
}

#[derive(Debug, Subcommand)]
enum UserCommand {
    /// Add a user. The password is read from standard input (one line), never from arguments.
    Add {
        username: String,
        /// One of first_responder, investigator, supervisor, leader, analyst, partner, admin.
        #[arg(long)]
        role: String,
        /// The name shown in the interface.
        #[arg(long)]
        name: Option<String>,
        #[command(flatten)]
        scope: ScopeArgs,
        /// How the user's force names them in its records (collar or staff number, as in
        /// `officer_allocated`); the username when not given.
        #[arg(long, value_name = "ID")]
        officer_id: Option<String>,
        #[command(flatten)]
        data: DataArgs,
    },
    /// List users.
    List {
        #[command(flatten)]
        data: DataArgs,
    },
    /// Disable a user (their sessions end).
    Disable {
        username: String,
        #[command(flatten)]
        data: DataArgs,
    },
    /// Give a user a force, or make them national (their sessions end). Accounts made before
    /// forces were recorded have neither and reach no case data until given one.
    SetForce {
        username: String,
        #[command(flatten)]
        scope: ScopeArgs,
        #[command(flatten)]
        data: DataArgs,
    },
    /// Change a user's role (their sessions end). A national user keeps only a role that may be
    /// national.
    SetRole {
        username: String,
        /// One of first_responder, investigator, supervisor, leader, analyst, partner, admin.
        role: String,
        #[command(flatten)]
        data: DataArgs,
    },
}

/// Checks a scope for a role: a national account only for roles that may be national.
fn check_scope(role: web::access::Role, scope: &ScopeArgs) -> Result<()> {
    if scope.national && !role.may_be_national() {
        bail!(
            "a {} belongs to one force: give --force CODE (only leaders, analysts and administrators may be --national)",
            role.as_str()
        );
    }
    Ok(())
}

pub fn run(args: UserArgs) -> Result<ExitCode> {
    runtime()?.block_on(async move {
        let data = match &args.command {
            UserCommand::Add { data, .. }
            | UserCommand::List { data }
            | UserCommand::Disable { data, .. }
            | UserCommand::SetForce { data, .. }
            | UserCommand::SetRole { data, .. } => data.clone(),
        };
        let access = Access::new(data.actor()?, Purpose::Administration);
        let opened = data.open(true).await?;
        let store = opened.store;
        match args.command {
            UserCommand::Add {
                username,
                role,
                name,
                scope,
                officer_id,
                ..
            } => {
                let role: web::access::Role = role
                    .parse()
                    .map_err(|e: String| anyhow::anyhow!("--role: {e}"))?;
                check_scope(role, &scope)?;
                if username.is_empty()
                    || !username
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
                {
                    bail!("the username must be letters, digits, `-`, `_` or `.`");
                }
                if store.user(&username).await?.is_some() {
                    bail!("user `{username}` already exists");
                }
                if std::io::stdin().is_terminal() {
                    eprintln!("Password for {username} (then Enter):");
                }
                let mut password = String::new();
                std::io::stdin()
                    .lock()
                    .read_line(&mut password)
                    .context("cannot read the password")?;
                let password = password.trim_end_matches(['\r', '\n']);
                if password.chars().count() < 12 {
                    bail!("the password must be at least 12 characters");
                }
                let hash = web::auth::hash_password(password)?;
                store
                    .add_user(
                        &access,
                        &User {
                            username: username.clone(),
                            display_name: name.unwrap_or_else(|| username.clone()),
                            role: role.as_str().to_owned(),
                            force: scope.force,
                            national: scope.national,
                            officer_id: officer_id.unwrap_or_else(|| username.clone()),
                            password_hash: hash,
                            disabled: false,
                            created_at: chrono::Utc::now(),
                        },
                    )
                    .await?;
                println!("added {username} ({role})");
            }
            UserCommand::List { .. } => {
                for user in store.list_users(&access).await? {
                    let scope = match user.scope() {
                        storage::UserScope::Force(force) => force.to_owned(),
                        storage::UserScope::National => "(national)".to_owned(),
                        storage::UserScope::Unassigned => "(no force)".to_owned(),
                    };
                    println!(
                        "{:<20} {:<16} {:<14} {:<10} {}{}",
                        user.username,
                        user.role,
                        scope,
                        user.officer_id,
                        user.display_name,
                        if user.disabled { " (disabled)" } else { "" }
                    );
                }
            }
            UserCommand::Disable { username, .. } => {
                if store.user(&username).await?.is_none() {
                    bail!("no user `{username}`");
                }
                store.set_user_disabled(&access, &username, true).await?;
                println!("disabled {username}; their sessions have ended");
            }
            UserCommand::SetForce {
                username, scope, ..
            } => {
                let Some(user) = store.user(&username).await? else {
                    bail!("no user `{username}`");
                };
                let role: web::access::Role = user
                    .role
                    .parse()
                    .map_err(|e: String| anyhow::anyhow!("user `{username}`: {e}"))?;
                check_scope(role, &scope)?;
                store
                    .set_user_scope(&access, &username, scope.force.as_deref(), scope.national)
                    .await?;
                match &scope.force {
                    Some(force) => {
                        println!("{username} is now of force {force}; their sessions have ended")
                    }
                    None => println!("{username} is now national; their sessions have ended"),
                }
            }
            UserCommand::SetRole { username, role, .. } => {
                let role: web::access::Role = role
                    .parse()
                    .map_err(|e: String| anyhow::anyhow!("role: {e}"))?;
                if store.user(&username).await?.is_none() {
                    bail!("no user `{username}`");
                }
                store
                    .set_user_role(&access, &username, role.as_str(), role.may_be_national())
                    .await?;
                println!("{username} is now {role}; their sessions have ended");
            }
        }
        Ok(ExitCode::SUCCESS)
    })
}
