//! `rasso audit verify`: check the audit log's hash chain, its signed checkpoints and its signed
//! head; name the first bad record.

use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};

use crate::data::{self, DataArgs};

#[derive(Debug, Args)]
pub struct AuditArgs {
    #[command(subcommand)]
    command: AuditCommand,
}

#[derive(Debug, Subcommand)]
enum AuditCommand {
    /// Verify the chain, the checkpoints and the head.
    Verify(VerifyArgs),
}

#[derive(Debug, Args)]
struct VerifyArgs {
    /// The trusted public key (64 hex digits); by default derived from the audit signing key.
    #[arg(long, value_name = "HEX")]
    public_key: Option<String>,
    /// Print the result as JSON.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    data: DataArgs,
}

pub fn run(args: AuditArgs) -> Result<ExitCode> {
    match args.command {
        AuditCommand::Verify(args) => data::runtime()?.block_on(verify(args)),
    }
}

fn trusted_key(args: &VerifyArgs) -> Result<ed25519_dalek::VerifyingKey> {
    match &args.public_key {
        Some(text) => {
            let bytes = hex::decode(text.trim()).context("--public-key is not hex")?;
            let Ok(bytes) = <[u8; 32]>::try_from(bytes.as_slice()) else {
                bail!("--public-key must be 32 bytes (64 hex digits)");
            };
            ed25519_dalek::VerifyingKey::from_bytes(&bytes)
                .context("--public-key is not an ed25519 key")
        }
        None => Ok(args.data.audit_signer()?.verifying_key()),
    }
}

async fn verify(args: VerifyArgs) -> Result<ExitCode> {
    let trusted = trusted_key(&args)?;
    let opened = args.data.open(false).await?;
    let report = opened
        .store
        .verify_audit(&trusted)
        .await
        .context("cannot read the audit log")?;
    opened.store.close().await;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        match &report.problem {
            None => println!(
                "audit log verified: {} records, {} signed checkpoints, signed head matches",
                report.records, report.checkpoints
            ),
            Some(problem) => {
                eprintln!("audit log verification FAILED at {problem}");
            }
        }
    }
    Ok(if report.is_ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
