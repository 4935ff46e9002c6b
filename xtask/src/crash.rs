//! `cargo xtask crash [--runs N]`: the long crash-safety campaign (the normal test run does 55
//! kills). Builds the writer, kills it with SIGKILL N times, checks the store.

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::Args;

#[derive(Debug, Args)]
pub struct CrashArgs {
    /// How many times to start and kill the writer.
    #[arg(long, default_value_t = 1_000)]
    runs: u32,
    /// Seed for the kill moments.
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

pub fn run(args: CrashArgs) -> Result<()> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let status = Command::new(cargo)
        .args(["build", "-p", "storage", "--bin", "storage-crash-writer"])
        .status()
        .context("cannot run cargo build")?;
    if !status.success() {
        bail!("building the crash writer failed");
    }
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let target = std::env::var("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| root.join("target"));
    let dir = tempfile::tempdir().context("cannot make a temporary directory")?;
    let config = storage::crash::CrashConfig {
        writer: target.join("debug").join("storage-crash-writer"),
        dir: dir.path().join("crash"),
        runs: args.runs,
        seed: args.seed,
        min_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(300),
    };
    println!(
        "crash: {} SIGKILLs of a writer, seed {}",
        args.runs, args.seed
    );
    let report = storage::crash::run_campaign(&config).map_err(anyhow::Error::msg)?;
    println!(
        "crash: {} kills, {} acknowledged writes, all present ({} events stored), integrity ok, {} audit records verified",
        report.kills, report.acknowledged, report.stored, report.audit_records
    );
    Ok(())
}
