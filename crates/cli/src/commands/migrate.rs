//! `rasso migrate`: apply the schema migrations to the database (SQLite or PostgreSQL), creating
//! it when it is a new SQLite file. Every store command also migrates on opening; this command
//! lets a deployment do it once, ahead of starting several servers. With `--app-role ROLE`
//! (PostgreSQL) it also creates the application role without BYPASSRLS, if missing, and grants it
//! the schema's tables, so that servers can run with `--app-role ROLE`.

use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Args;

use crate::data::{self, DataArgs, Location};

#[derive(Debug, Args)]
pub struct MigrateArgs {
    #[command(flatten)]
    data: DataArgs,
}

pub fn run(args: MigrateArgs) -> Result<ExitCode> {
    data::runtime()?.block_on(async {
        match args.data.location()? {
            Location::Postgres(url) => {
                storage::postgres::migrate(&url, None)
                    .await
                    .context("cannot migrate the PostgreSQL database")?;
                println!("PostgreSQL database migrated");
                if let Some(role) = &args.data.app_role {
                    storage::postgres::ensure_app_role(&url, None, role)
                        .await
                        .with_context(|| format!("cannot prepare the application role `{role}`"))?;
                    println!(
                        "application role `{role}` ready (no BYPASSRLS; granted the schema's tables)"
                    );
                }
            }
            Location::Sqlite(path) => {
                let opened = args.data.open(true).await?;
                opened.store.close().await;
                println!("SQLite database {} migrated", path.display());
            }
        }
        Ok(ExitCode::SUCCESS)
    })
}
