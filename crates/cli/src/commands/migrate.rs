//! `rasso migrate`: apply the schema migrations to the database (SQLite or PostgreSQL), creating
//! it when it is a new SQLite file. Every store command also migrates on opening; this command
//! lets a deployment do it once, ahead of starting several servers.

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
