//! `rasso user add|list|disable`: manage who can sign in (administrators).

use std::io::{BufRead, IsTerminal};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use storage::{Access, Purpose, User};

use crate::data::{DataArgs, actor, runtime};

#[derive(Debug, Args)]
pub struct UserArgs {
    #[command(subcommand)]
    command: UserCommand,
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
        /// The user's force code.
        #[arg(long)]
        force: Option<String>,
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
}

pub fn run(args: UserArgs) -> Result<ExitCode> {
    runtime()?.block_on(async move {
        let data = match &args.command {
            UserCommand::Add { data, .. }
            | UserCommand::List { data }
            | UserCommand::Disable { data, .. } => data.clone(),
        };
        let opened = data.open(true).await?;
        let store = opened.store;
        let access = Access::new(actor(), Purpose::Administration);
        match args.command {
            UserCommand::Add {
                username,
                role,
                name,
                force,
                ..
            } => {
                let role: web::access::Role = role
                    .parse()
                    .map_err(|e: String| anyhow::anyhow!("--role: {e}"))?;
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
                            force,
                            password_hash: hash,
                            disabled: false,
                            created_at: chrono::Utc::now()
                                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                        },
                    )
                    .await?;
                println!("added {username} ({role})");
            }
            UserCommand::List { .. } => {
                for user in store.list_users(&access).await? {
                    println!(
                        "{:<20} {:<16} {:<14} {}{}",
                        user.username,
                        user.role,
                        user.force.as_deref().unwrap_or("-"),
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
        }
        Ok(ExitCode::SUCCESS)
    })
}
