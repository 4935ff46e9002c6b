//! `rasso copy --from sqlite:PATH --to postgres://...`: move a deployment from SQLite to
//! PostgreSQL. Everything (cases, events, sealed identity with its wrapped data keys, users, the
//! audit chain with its checkpoints and signed head) is copied as stored, in one transaction,
//! into an empty target; the keys (`--key-file`, `--audit-key-file` or the data directory's)
//! stay the same. The target's audit chain is verified before the command succeeds.

use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::Args;
use storage::{Access, Purpose, Store};

use crate::data::{self, AnyStore, DataArgs, parse_location};

#[derive(Debug, Args)]
pub struct CopyArgs {
    /// The source: `sqlite://PATH` or `sqlite:PATH`.
    #[arg(long, value_name = "URL")]
    from: String,
    /// The target: `postgres://USER@HOST:PORT/DATABASE` (migrated, and must hold no data).
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
    let source = parse_location(&args.from)?;
    let target = parse_location(&args.to)?;
    let source = args.data.open_at(&source, false).await?;
    let target = args.data.open_at(&target, false).await?;
    let (AnyStore::Sqlite(from), AnyStore::Postgres(to)) = (&source.store, &target.store) else {
        bail!(
            "rasso copy moves a SQLite store to PostgreSQL: --from sqlite:PATH --to postgres://..."
        );
    };
    let access = Access {
        recipient: Some("postgres".to_owned()),
        ..Access::new(data::actor(), Purpose::Administration)
    };
    let report = storage::copy::sqlite_to_postgres(from, to, &access)
        .await
        .context("copy failed (nothing was stored in the target)")?;
    let verified = to
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
        "copied {} cases, {} events, {} sealed fields, {} data keys, {} users, {} audit records ({} checkpoints); target audit chain verified ({} records)",
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
