//! `rasso report`: performance and compliance figures for a force or all forces.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use clap::{Args, Subcommand};
use domain::{Case, RuleSet};
use plugin_host::PluginHost;
use reporting::{Report, ReportBuilder, RulesInForce, Scope};
use storage::{Access, Purpose};

use crate::data::{self, DataArgs};
use crate::input::{InputLimits, read_document, report_errors};

#[derive(Debug, Args)]
#[command(subcommand_negates_reqs = true)]
pub struct ReportArgs {
    #[command(subcommand)]
    command: Option<ReportCommand>,
    /// One force (its code); all forces when omitted.
    #[arg(long)]
    force: Option<String>,
    /// First report date included (YYYY-MM-DD, UK local date).
    #[arg(long, value_name = "DATE", required = true)]
    from: Option<NaiveDate>,
    /// Last report date included (YYYY-MM-DD, UK local date).
    #[arg(long, value_name = "DATE", required = true)]
    to: Option<NaiveDate>,
    /// Output format: `csv`, `json`, `html`, or an export format of a loaded plugin.
    #[arg(long, default_value = "html")]
    format: String,
    /// Force plugins configuration (TOML): their rules and policies are part of the report, and
    /// their exporters become extra formats.
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
    limits: InputLimits,
    #[command(flatten)]
    data: DataArgs,
    /// A newer England and Wales bank holiday list (GOV.UK JSON) laid over the bundled one.
    #[arg(long, value_name = "FILE", env = "RASSO_BANK_HOLIDAYS")]
    bank_holidays: Option<PathBuf>,
}

/// What else `rasso report` does.
#[derive(Debug, Subcommand)]
pub enum ReportCommand {
    /// Recomputes the stored report facts of every case (for a store created before facts were
    /// kept, or after an upgrade that changed the rule set's basis); reports evaluate every case in
    /// full until this has run.
    RebuildFacts {
        #[command(flatten)]
        data: DataArgs,
        /// Force plugins configuration (TOML): the facts include their rules' findings, as
        /// reports with the same configuration read them.
        #[arg(long, value_name = "FILE", env = "RASSO_PLUGINS_CONFIG")]
        plugins_config: Option<PathBuf>,
    },
}

/// The report from the store: from the stored report facts (one row per case in the date range)
/// when they were taken with this rule set, otherwise by streaming and evaluating every case.
/// Memory stays bounded either way. The read is audited with the purpose `reporting`.
async fn from_store(args: &ReportArgs, rules: RulesInForce<'_>, scope: Scope) -> Result<Report> {
    let opened = args.data.open(false).await?;
    let access = Access::new(args.data.actor()?, Purpose::Reporting);
    let (report, path) = reports::build_report(&*opened.store, &access, rules, scope)
        .await
        .context("cannot read the stored cases")?;
    tracing::debug!(?path, "report built");
    opened.store.close().await;
    Ok(report)
}

fn rebuild_facts(data: &DataArgs, plugins_config: Option<&Path>) -> Result<ExitCode> {
    let host = plugins_config
        .map(|config| super::plugin::load_host(Some(config), RuleSet::national()))
        .transpose()?
        .map(Arc::new);
    data::runtime()?.block_on(async {
        let mut opened = data.open(false).await?;
        if let Some(host) = &host {
            opened.store.attach_plugin_rules(host.clone()).await?;
        }
        let access =
            Access::new(data.actor()?, Purpose::Administration).with_reason("rebuild report facts");
        let count = opened
            .store
            .rebuild_report_facts(&access)
            .await
            .context("cannot rebuild the report facts")?;
        opened.store.close().await;
        println!("rebuilt the report facts of {count} cases");
        if let Some(host) = &host {
            super::plugin::report_disabled(host);
        }
        Ok(ExitCode::SUCCESS)
    })
}

/// A report through a plugin's exporter. The exporter receives the report as `--format json`
/// prints it (suppressed when `--shared`), never case-level data.
fn plugin_export(
    host: Option<&PluginHost>,
    format: &str,
    report: &reporting::Report,
) -> Result<Vec<u8>> {
    let Some(host) = host else {
        bail!(
            "unknown format `{format}`: use csv, json or html, or give --plugins-config for plugin formats"
        );
    };
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
    if let Some(ReportCommand::RebuildFacts {
        data,
        plugins_config,
    }) = &args.command
    {
        return rebuild_facts(data, plugins_config.as_deref());
    }
    let (Some(from), Some(to)) = (args.from, args.to) else {
        bail!("give --from and --to");
    };
    if from > to {
        bail!("--from {from} is after --to {to}");
    }
    let rules = super::check::rule_set(args.bank_holidays.as_deref())?;
    // With plugins, their rules and policies are in force: the report counts their findings and
    // names them (and reads facts taken with the same plugins only).
    let host = args
        .plugins_config
        .as_deref()
        .map(|config| super::plugin::load_host(Some(config), rules.clone()))
        .transpose()?;
    let in_force = match &host {
        Some(host) => RulesInForce::Plugins(host),
        None => RulesInForce::Set(&rules),
    };
    let scope = Scope {
        force: args.force.clone(),
        from,
        to,
        as_of: args
            .as_of
            .map_or_else(Utc::now, |at| at.with_timezone(&Utc)),
        rule_set: in_force.rule_set().label(),
        shared: args.shared,
    };
    let report = match &args.input {
        Some(input) => {
            let document = read_document(input, args.limits, None)?;
            if !document.is_valid() {
                report_errors(&document);
                return Ok(ExitCode::FAILURE);
            }
            let mut builder = ReportBuilder::new(in_force, scope);
            for case in Case::group(document.into_records()) {
                builder.add(&case);
            }
            builder.finish()
        }
        None => data::runtime()?.block_on(from_store(&args, in_force, scope))?,
    };
    if let Some(host) = &host {
        super::plugin::report_disabled(host);
    }
    let bytes = match args.format.as_str() {
        "csv" => report.to_csv().into_bytes(),
        "json" => format!("{:#}\n", report.to_json()).into_bytes(),
        "html" => report.to_html().into_bytes(),
        plugin_format => plugin_export(host.as_ref(), plugin_format, &report)?,
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
