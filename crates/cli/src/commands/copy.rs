//! `rasso copy --from URL --to URL`: move a deployment between SQLite and PostgreSQL, either way.
//! Everything (cases, events, sealed identity with its wrapped data keys, users, the audit chain
//! with its checkpoints and signed head) is copied as stored, in one transaction, into an empty
//! target; the keys (`--key-file`, `--audit-key-file` or the data directory's) stay the same.
//! Sessions are not copied. The target's audit chain is verified before the command succeeds.

use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::Args;
use storage::{Access, Purpose};

use crate::data::{self, AnyStore, DataArgs, Location, parse_location};

#[derive(Debug, Args)]
pub struct CopyArgs {
    /// The source: `sqlite:PATH` (or `sqlite://PATH`) or `postgres://USER@HOST:PORT/DATABASE`.
    #[arg(long, value_name = "URL")]
    from: String,
    /// The target, of the other kind: a PostgreSQL database (migrated on opening) or a SQLite
    /// file (created if missing); it must hold no data.
    #[arg(long, value_name = "URL")]
    to: String,
    /// Keys (the same for source and target) and the data directory they may live in.
    #[command(flatten)]
    data: DataArgs,
}

pub fn run(args: CopyArgs) -> Result<ExitCode> {
    data::runtime()?.block_on(copy(args))
}

async fn copy(args: CopyArgs) -> Result<ExitCode> {
    let from = parse_location(&args.from)?;
    let to = parse_location(&args.to)?;
    if matches!(
        (&from, &to),
        (Location::Sqlite(_), Location::Sqlite(_)) | (Location::Postgres(_), Location::Postgres(_))
    ) {
        bail!(
            "rasso copy moves a store between SQLite and PostgreSQL (--from sqlite:PATH --to \
             postgres://... or the other way); within one kind use `rasso backup` or pg_dump"
        );
    }
    // The source opens first: a PostgreSQL source needs the keys to be given, so a new SQLite
    // target never gets generated keys that could not open the copied data keys.
    let source = args.data.open_at(&from, false).await?;
    let target = args.data.open_at(&to, true).await?;
    let report = match (&source.store, &target.store) {
        (AnyStore::Sqlite(from), AnyStore::Postgres(to)) => {
            storage::copy::sqlite_to_postgres(from, to, &access(&args.data, "postgres")?).await
        }
        (AnyStore::Postgres(from), AnyStore::Sqlite(to)) => {
            storage::copy::postgres_to_sqlite(from, to, &access(&args.data, "sqlite")?).await
        }
        _ => bail!("rasso copy moves a store between SQLite and PostgreSQL"),
    }
    .context("copy failed (nothing was stored in the target)")?;
    let verified = target
        .store
        .verify_audit(&source.signer.verifying_key())
        .await
        .context("cannot read the target's audit log")?;
    if let Some(problem) = &verified.problem {
        bail!("the copied audit chain does not verify: {problem:?}");
    }
    let verified = verified.records;
    source.store.close().await;
    target.store.close().await;
    println!(
        "copied {} cases, {} events, {} sealed fields, {} data keys, {} users, {} audit records ({} checkpoints); target audit chain verified ({} records); sessions are not copied (users sign in again)",
        report.cases,
        report.events,
        report.sealed,
        report.data_keys,
        report.users,
        report.audit_records,
        report.audit_checkpoints,
        verified,
    );
    Ok(ExitCode::SUCCESS)
}

/// The copy's access: an administrative disclosure to the other store.
fn access(data: &data::DataArgs, recipient: &str) -> Result<Access> {
    Ok(Access {
        recipient: Some(recipient.to_owned()),
        ..Access::new(data.actor()?, Purpose::Administration)
    })
}
