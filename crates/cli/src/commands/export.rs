//! `rasso export [--out FILE]`: every stored event in the interchange format, exactly as it came
//! in (unknown fields included), sealed identity put back unless `--without-identity`. An export
//! is a disclosure: it is audited with its purpose, reason and recipient.

use std::io::{self, BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Args;
use storage::{Access, ExportOptions, Purpose, StoreError};

use crate::data::{self, DataArgs};

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Write to this file (created owner-only) instead of standard output.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// Why the data is exported, for the audit log: export, disclosure, reporting, ...
    #[arg(long, default_value = "export", value_parser = parse_purpose)]
    purpose: Purpose,
    /// Who receives the export (default: the output file, or `stdout`).
    #[arg(long, value_name = "WHO")]
    recipient: Option<String>,
    /// A reason in your words, recorded in the audit log.
    #[arg(long, value_name = "TEXT")]
    reason: Option<String>,
    /// Leave victim and suspect identity out (for recipients outside the case team).
    #[arg(long)]
    without_identity: bool,
    /// Only this force's cases.
    #[arg(long, value_name = "CODE")]
    force: Option<String>,
    #[command(flatten)]
    data: DataArgs,
}

fn parse_purpose(text: &str) -> Result<Purpose, String> {
    text.parse()
}

pub fn run(args: ExportArgs) -> Result<ExitCode> {
    data::runtime()?.block_on(export(args))
}

async fn export(args: ExportArgs) -> Result<ExitCode> {
    let opened = args.data.open(false).await?;
    let recipient = args.recipient.clone().unwrap_or_else(|| match &args.out {
        Some(path) => format!("file:{}", path.display()),
        None => "stdout".to_owned(),
    });
    let mut access = Access::new(args.data.actor()?, args.purpose).with_recipient(recipient);
    access.reason = args.reason.clone();
    let options = ExportOptions {
        without_identity: args.without_identity,
        force: args.force.clone(),
    };
    let out: Box<dyn Write + Send> = match &args.out {
        Some(path) => Box::new(data::create_private_file(path)?),
        None => Box::new(io::stdout()),
    };
    let mut out = BufWriter::with_capacity(1 << 16, out);
    // Progress only when writing to a file: standard output is the data.
    let bar = args.out.as_ref().map(|_| data::spinner("exporting events"));
    let lines = opened
        .store
        .export(&access, &options, &mut |line| {
            if let Some(bar) = &bar {
                bar.inc(1);
            }
            out.write_all(line.as_bytes())
                .and_then(|()| out.write_all(b"\n"))
                .map_err(|e| StoreError::io("cannot write the export", e))
        })
        .await
        .context("export failed")?;
    out.flush().context("cannot write the export")?;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    if let Some(path) = &args.out {
        eprintln!("exported {lines} events to {}", path.display());
    }
    opened.store.close().await;
    Ok(ExitCode::SUCCESS)
}
