//! `rasso report`: performance and compliance figures for a force or all forces.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use clap::Args;
use domain::Case;
use reporting::{ReportBuilder, Scope};
use storage::{Access, Purpose};

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
    /// Output format: `csv`, `json`, `html`, or an export format of a loaded plugin.
    #[arg(long, default_value = "html")]
    format: String,
    /// Force plugins configuration (TOML); their exporters become extra formats.
    #[arg(long, value_name = "FILE", env = "RASSO_PLUGINS_CONFIG")]
    plugins_config: Option<PathBuf>,
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
async fn from_store(
    args: &ReportArgs,
    builder: &mut ReportBuilder<'_>,
) -> Result<reporting::RepeatSuspects> {
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
    // Repeat suspects come from the store's confirmed links, not from the events.
    let counts = opened
        .store
        .repeat_suspects(&access, args.force.as_deref())
        .await
        .context("cannot count repeat suspects")?;
    opened.store.close().await;
    Ok(reporting::RepeatSuspects {
        linked_suspects: counts.linked_suspects,
        confirmed_links: counts.confirmed_links,
        suggested_links: counts.suggested_links,
    })
}

/// A report through a plugin's exporter. The exporter receives the report as `--format json`
/// prints it (suppressed when `--shared`), never case-level data.
fn plugin_export(args: &ReportArgs, format: &str, report: &reporting::Report) -> Result<Vec<u8>> {
    let Some(config) = &args.plugins_config else {
        bail!(
            "unknown format `{format}`: use csv, json or html, or give --plugins-config for plugin formats"
        );
    };
    let host = super::plugin::load_host(Some(config), domain::RuleSet::national())?;
    let formats = host.export_formats();
    if !formats.contains_key(format) {
        let known: Vec<&str> = formats.keys().map(String::as_str).collect();
        bail!(
            "unknown format `{format}`: use csv, json, html or a plugin format ({})",
            known.join(", ")
        );
    }
    let exported = host
        .export(format, &report.to_json())
        .with_context(|| format!("the `{format}` exporter failed"))?;
    Ok(exported.bytes)
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
    let mut repeat_suspects = None;
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
        None => {
            repeat_suspects = Some(data::runtime()?.block_on(from_store(&args, &mut builder))?);
        }
    }
    let mut report = builder.finish();
    report.repeat_suspects = repeat_suspects;
    let bytes = match args.format.as_str() {
        "csv" => report.to_csv().into_bytes(),
        "json" => format!("{:#}\n", report.to_json()).into_bytes(),
        "html" => report.to_html().into_bytes(),
        plugin_format => plugin_export(&args, plugin_format, &report)?,
    };
    match &args.out {
        Some(path) => std::fs::write(path, bytes)
            .with_context(|| format!("cannot write {}", path.display()))?,
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(&bytes)
                .context("cannot write to standard output")?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
