//! `rasso audit verify`: check the audit log's hash chain, its chained, signed checkpoints, its
//! signed head (with what it counts and its state digest) and every case's events against the
//! log; name the first bad record or case. `--anchor FILE` also refuses a log older than an
//! anchor, or one that does not extend it.
//!
//! `rasso audit anchor`: write the signed head (record, hash, counts, state digest, signature) to
//! a file or standard output, for a witness outside the database (docs/storage.md, "Anchors").

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use serde::{Deserialize, Serialize};
use storage::SignedHead;

use crate::data::{self, DataArgs};

/// The format tag of an anchor file.
const ANCHOR_FORMAT: &str = "rasso-audit-anchor-v1";

#[derive(Debug, Args)]
pub struct AuditArgs {
    #[command(subcommand)]
    command: AuditCommand,
}

#[derive(Debug, Subcommand)]
enum AuditCommand {
    /// Verify the chain, the checkpoints, the head and every case's events against the log.
    Verify(VerifyArgs),
    /// Write the signed head to a file or standard output, to keep outside the database.
    Anchor(AnchorArgs),
}

#[derive(Debug, Args)]
struct VerifyArgs {
    /// The trusted public key (64 hex digits); by default derived from the audit signing key.
    #[arg(long, value_name = "HEX")]
    public_key: Option<String>,
    /// An anchor written earlier by `rasso audit anchor`: the log must extend it.
    #[arg(long, value_name = "FILE")]
    anchor: Option<PathBuf>,
    /// Print the result as JSON.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    data: DataArgs,
}

#[derive(Debug, Args)]
struct AnchorArgs {
    /// Where to write the anchor (JSON); standard output by default.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// The trusted public key (64 hex digits) the head must verify with; by default derived from
    /// the audit signing key.
    #[arg(long, value_name = "HEX")]
    public_key: Option<String>,
    #[command(flatten)]
    data: DataArgs,
}

/// An anchor file: the signed head, tagged with its format.
#[derive(Debug, Serialize, Deserialize)]
struct Anchor {
    format: String,
    #[serde(flatten)]
    head: SignedHead,
}

pub fn run(args: AuditArgs) -> Result<ExitCode> {
    match args.command {
        AuditCommand::Verify(args) => data::runtime()?.block_on(verify(args)),
        AuditCommand::Anchor(args) => data::runtime()?.block_on(anchor(args)),
    }
}

fn trusted_key(public_key: Option<&str>, data: &DataArgs) -> Result<ed25519_dalek::VerifyingKey> {
    match public_key {
        Some(text) => {
            let bytes = hex::decode(text.trim()).context("--public-key is not hex")?;
            let Ok(bytes) = <[u8; 32]>::try_from(bytes.as_slice()) else {
                bail!("--public-key must be 32 bytes (64 hex digits)");
            };
            ed25519_dalek::VerifyingKey::from_bytes(&bytes)
                .context("--public-key is not an ed25519 key")
        }
        None => Ok(data.audit_signer()?.verifying_key()),
    }
}

fn read_anchor(path: &PathBuf) -> Result<SignedHead> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the anchor {}", path.display()))?;
    let anchor: Anchor = serde_json::from_str(&text).with_context(|| {
        format!(
            "{}: not an anchor written by `rasso audit anchor`",
            path.display()
        )
    })?;
    if anchor.format != ANCHOR_FORMAT {
        bail!(
            "{}: anchor format `{}` is not {ANCHOR_FORMAT}",
            path.display(),
            anchor.format
        );
    }
    Ok(anchor.head)
}

async fn verify(args: VerifyArgs) -> Result<ExitCode> {
    let trusted = trusted_key(args.public_key.as_deref(), &args.data)?;
    let anchor = args.anchor.as_ref().map(read_anchor).transpose()?;
    let opened = args.data.open(false).await?;
    let report = opened
        .store
        .verify_audit_against(&trusted, anchor.as_ref())
        .await
        .context("cannot read the audit log")?;
    opened.store.close().await;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        match &report.problem {
            None => {
                println!(
                    "audit log verified: {} records, {} signed checkpoints, signed head matches; \
                     {} cases ({} events) match the log",
                    report.records, report.checkpoints, report.cases, report.events
                );
                if let Some(seq) = report.anchored_at {
                    println!("the log extends the anchor at record {seq}");
                }
            }
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

async fn anchor(args: AnchorArgs) -> Result<ExitCode> {
    let trusted = trusted_key(args.public_key.as_deref(), &args.data)?;
    let opened = args.data.open(false).await?;
    let head = opened.store.audit_head().await;
    opened.store.close().await;
    let head = head
        .context("cannot read the signed head")?
        .context("the audit log is empty: there is nothing to anchor yet")?;
    // An anchor of a head that does not verify would anchor nothing.
    if !head.signature_ok(&trusted) || head.counts().is_none() {
        bail!(
            "the signed head at record {} does not verify with the trusted key; run `rasso audit verify`",
            head.seq
        );
    }
    let text = serde_json::to_string_pretty(&Anchor {
        format: ANCHOR_FORMAT.to_owned(),
        head,
    })?;
    match &args.out {
        Some(path) => {
            let mut file = data::create_private_file(path)?;
            writeln!(file, "{text}")
                .and_then(|()| file.sync_all())
                .with_context(|| format!("cannot write {}", path.display()))?;
            eprintln!("anchor written to {}", path.display());
        }
        None => println!("{text}"),
    }
    Ok(ExitCode::SUCCESS)
}
