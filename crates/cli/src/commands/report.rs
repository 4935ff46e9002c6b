//! `rasso report`: performance and compliance figures for a force or all forces.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use clap::{Args, ValueEnum};
use domain::Case;
use reporting::{ReportBuilder, Scope};
use storage::{Access, Purpose, Store};

use crate::data::{self, DataArgs};
use crate::input::{read_document, report_errors};

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// One force (its code); all forces when omitted.
    #[arg(long)]
    force: Option<String>,
    /// First report date included (YYYY-MM-DD, UK local date).
    #[arg(long, value_name = "DATE")]
    from: NaiveDate,
    /// Last report date included (YYYY-MM-DD, UK local date).
    #[arg(long, value_name = "DATE")]
    to: NaiveDate,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ReportFormat::Html)]
    format: ReportFormat,
    /// Where to write; standard output when omitted.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// For sharing outside the force: counts from 1 to 4 shown as "<5", no officer figures.
    #[arg(long)]
    shared: bool,
    /// The instant the figures describe (RFC 3339); defaults to now.
    #[arg(long, value_name = "RFC3339")]
    as_of: Option<DateTime<FixedOffset>>,
    /// Read cases from an interchange file instead of the store.
    #[arg(long, value_name = "FILE")]
    input: Option<PathBuf>,
    #[command(flatten)]
    data: DataArgs,
    /// A newer England and Wales bank holiday list (GOV.UK JSON) laid over the bundled one.
    #[arg(long, value_name = "FILE", env = "RASSO_BANK_HOLIDAYS")]
    bank_holidays: Option<PathBuf>,
}

/// Streams every stored case (of the force, when one is named) through the builder: memory stays
/// bounded however many cases there are. The read is audited with the purpose `reporting`.
async fn from_store(args: &ReportArgs, builder: &mut ReportBuilder<'_>) -> Result<()> {
    let opened = args.data.open(false).await?;
    let access = Access::new(data::actor(), Purpose::Reporting);
    opened
        .store
        .stream_cases(&access, args.force.as_deref(), &mut |stored| {
            builder.add(&stored.case);
            Ok(())
        })
        .await
        .context("cannot read the stored cases")?;
    opened.store.close().await;
    Ok(())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ReportFormat {
    Csv,
    Json,
    Html,
}

pub fn run(args: ReportArgs) -> Result<ExitCode> {
    if args.from > args.to {
        bail!("--from {} is after --to {}", args.from, args.to);
    }
    let rules = super::check::rule_set(args.bank_holidays.as_deref())?;
    let scope = Scope {
        force: args.force.clone(),
        from: args.from,
        to: args.to,
        as_of: args
            .as_of
            .map_or_else(Utc::now, |at| at.with_timezone(&Utc)),
        rule_set: rules.config().id.clone(),
        shared: args.shared,
    };
    let mut builder = ReportBuilder::new(&rules, scope);
    match &args.input {
        Some(input) => {
            let document = read_document(input, &|_, _| false)?;
            if !document.is_valid() {
                report_errors(&document);
                return Ok(ExitCode::FAILURE);
            }
            for case in Case::group(document.records.into_iter().map(|(_, record)| record)) {
                builder.add(&case);
            }
        }
        None => data::runtime()?.block_on(from_store(&args, &mut builder))?,
    }
    let report = builder.finish();
    let text = match args.format {
        ReportFormat::Csv => report.to_csv(),
        ReportFormat::Json => format!("{:#}\n", report.to_json()),
        ReportFormat::Html => report.to_html(),
    };
    match &args.out {
        Some(path) => std::fs::write(path, text)
            .with_context(|| format!("cannot write {}", path.display()))?,
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(text.as_bytes())
                .context("cannot write to standard output")?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
