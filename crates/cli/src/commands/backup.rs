//! `rasso backup DEST` and `rasso restore BACKUP`: a consistent online copy of the database,
//! taken while writes go on, and bringing it back. Keys are not in the copy: keep them safe
//! separately.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::Args;
use storage::{Access, Purpose, SqliteStore};

use crate::data::{self, DataArgs};

#[derive(Debug, Args)]
pub struct BackupArgs {
    /// The backup file to write (must not exist).
    #[arg(value_name = "DEST")]
    dest: PathBuf,
    #[command(flatten)]
    data: DataArgs,
}

#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// The backup file to restore.
    #[arg(value_name = "BACKUP")]
    backup: PathBuf,
    /// Replace an existing database (stop `rasso serve` first).
    #[arg(long)]
    force: bool,
    #[command(flatten)]
    data: DataArgs,
}

pub fn run_backup(args: BackupArgs) -> Result<ExitCode> {
    data::runtime()?.block_on(async {
        let opened = args.data.open(false).await?;
        let access = Access::new(args.data.actor()?, Purpose::Administration)
            .with_recipient(format!("backup:{}", args.dest.display()));
        let info = opened
            .store
            .backup(&access, &args.dest)
            .await
            .context("backup failed")?;
        opened.store.close().await;
        println!(
            "backed up to {} ({} bytes, {} audit records); the keys are not in the backup",
            info.path.display(),
            info.bytes,
            info.audit_records
        );
        Ok(ExitCode::SUCCESS)
    })
}

pub fn run_restore(args: RestoreArgs) -> Result<ExitCode> {
    let path = args.data.database_path()?;
    if path.exists() && !args.force {
        bail!(
            "{} exists: give --force to replace it with the backup",
            path.display()
        );
    }
    SqliteStore::restore(&args.backup, &path).context("restore failed")?;
    data::runtime()?.block_on(async {
        let opened = args.data.open(false).await?;
        let report = opened
            .store
            .verify_audit(&opened.signer.verifying_key())
            .await
            .context("cannot read the restored audit log")?;
        let access = Access::new(args.data.actor()?, Purpose::Administration)
            .with_reason(format!("restored from {}", args.backup.display()));
        let note = storage::AuditEntry::new(&access, storage::Category::Alteration, "database");
        if report.is_ok() {
            opened.store.record_audit(note).await?;
        }
        opened.store.close().await;
        match report.problem {
            None => {
                println!(
                    "restored {} from {}; audit log verified ({} records)",
                    path.display(),
                    args.backup.display(),
                    report.records
                );
                Ok(ExitCode::SUCCESS)
            }
            Some(problem) => {
                eprintln!("restored, but the audit log does not verify: {problem}");
                Ok(ExitCode::FAILURE)
            }
        }
    })
}
