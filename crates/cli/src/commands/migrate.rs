//! `rasso migrate`: apply the schema migrations to the database (SQLite or PostgreSQL), creating
//! it when it is a new SQLite file. Every store command also migrates on opening; this command
//! lets a deployment do it once, ahead of starting several servers. With `--app-role ROLE`
//! (PostgreSQL) it also creates the application role without BYPASSRLS, if missing, and grants it
//! the schema's tables, so that servers can run with `--app-role ROLE`. Opening the store then
//! upgrades what an earlier version wrote: the heads of the case chains are back-filled (audited),
//! and the signed head gains its counts and state digest (docs/storage.md, "Case chains").

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
                        "application role `{role}` ready (no BYPASSRLS; granted the schema's tables \
                         but never to update or delete events, sealed identity or audit records)"
                    );
                }
                // Opening the store upgrades what an earlier version wrote (the case chains'
                // heads, back-filled); it needs the keys, so without them the first store
                // command that has them does it.
                let has_keys = args.data.audit_signer().is_ok()
                    && args.data.master_source(false).master_key().is_ok();
                if has_keys {
                    let opened = args.data.open(false).await?;
                    opened.store.close().await;
                    println!("case chains up to date");
                } else {
                    println!(
                        "note: no keys given, so case chains of earlier data are back-filled when a \
                         store command first opens the database with its keys"
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
