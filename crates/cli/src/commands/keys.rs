//! `rasso keys rotate`: re-wrap the data keys with a new master key. Sealed data is not
//! rewritten: only the wrapped data keys change.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use storage::{Access, KeyOrigin, Purpose};

use crate::data::{self, DataArgs};

#[derive(Debug, Args)]
pub struct KeysArgs {
    #[command(subcommand)]
    command: KeysCommand,
}

#[derive(Debug, Subcommand)]
enum KeysCommand {
    /// Re-wrap every data key with a new master key.
    Rotate(RotateArgs),
}

#[derive(Debug, Args)]
struct RotateArgs {
    /// The new master key file; generated there (owner-only) when it does not exist. Required
    /// unless the current key is the data directory's own key file, which is then replaced.
    #[arg(long, value_name = "FILE")]
    new_key_file: Option<PathBuf>,
    #[command(flatten)]
    data: DataArgs,
}

pub fn run(args: KeysArgs) -> Result<ExitCode> {
    match args.command {
        KeysCommand::Rotate(args) => data::runtime()?.block_on(rotate(args)),
    }
}

async fn rotate(args: RotateArgs) -> Result<ExitCode> {
    let opened = args.data.open(false).await?;
    let default_file = args.data.master_source(false).default_file;
    let in_place = matches!(&opened.master_origin, KeyOrigin::File(file) if *file == default_file);
    let target = match (&args.new_key_file, in_place) {
        (Some(file), _) => file.clone(),
        (None, true) => default_file.with_extension("key.new"),
        (None, false) => bail!(
            "the master key comes from {:?}: give --new-key-file FILE for the new one",
            opened.master_origin
        ),
    };
    let (new_key, generated) = data::new_master_key(&target)?;
    if generated {
        eprintln!("generated a new master key in {}", target.display());
    }
    let access =
        Access::new(args.data.actor()?, Purpose::Administration).with_reason("master key rotation");
    let count = opened
        .store
        .rotate_master_key(&access, &new_key)
        .await
        .context("rotation failed; the old master key is still in use")?;
    opened.store.close().await;
    let final_path = if args.new_key_file.is_none() {
        // The data directory's own key: the new one takes its place now the database uses it.
        std::fs::rename(&target, &default_file).with_context(|| {
            format!(
                "cannot move {} to {}",
                target.display(),
                default_file.display()
            )
        })?;
        default_file
    } else {
        target
    };
    println!(
        "re-wrapped {count} data keys with master key {} ({}); the old key no longer opens this database",
        new_key.id(),
        final_path.display()
    );
    Ok(ExitCode::SUCCESS)
}
