//! `rasso check`: the national rule set over an interchange file. Each finding is judged by the
//! rule set version in force at its trigger and says which (`rule_set`).

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use chrono::{DateTime, FixedOffset, Utc};
use clap::{Args, ValueEnum};
use domain::rules::FindingView;
use domain::time::Calendar;
use domain::{Case, RuleSet};

use crate::input::{InputLimits, read_document, report_errors};
use crate::table;

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The interchange file (JSON Lines) to check; `-` reads standard input.
    #[arg(long, value_name = "FILE")]
    input: PathBuf,
    /// The instant to evaluate at (RFC 3339 with an offset); defaults to now. Events after it are
    /// ignored.
    #[arg(long, value_name = "RFC3339", value_parser = parse_instant)]
    now: Option<DateTime<FixedOffset>>,
    /// `table` for people (open findings, most urgent first), `json` for programs (every finding).
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
    /// Keep only findings that ask for attention: due, overdue, breached and advice.
    #[arg(long)]
    open: bool,
    /// A newer England and Wales bank holiday list (GOV.UK JSON) laid over the bundled one.
    #[arg(long, value_name = "FILE", env = "RASSO_BANK_HOLIDAYS")]
    bank_holidays: Option<PathBuf>,
    /// The force plugins configuration (TOML): plugin rules, policies and validators apply.
    #[arg(long, value_name = "FILE", env = "RASSO_PLUGINS_CONFIG")]
    plugins_config: Option<PathBuf>,
    #[command(flatten)]
    limits: InputLimits,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Json,
    Table,
}

fn parse_instant(text: &str) -> Result<DateTime<FixedOffset>, String> {
    DateTime::parse_from_rfc3339(text)
        .map_err(|error| format!("`{text}` is not an RFC 3339 timestamp with an offset: {error}"))
}

pub fn run(args: CheckArgs) -> Result<ExitCode> {
    let rules = rule_set(args.bank_holidays.as_deref())?;
    let host = super::plugin::load_host(args.plugins_config.as_deref(), rules)?;
    // The same validation as `rasso import`: a file accepted here imports.
    let document = read_document(&args.input, args.limits, Some(&host))?;
    if !document.is_valid() {
        report_errors(&document);
        return Ok(ExitCode::FAILURE);
    }
    let now = args
        .now
        .map_or_else(Utc::now, |now| now.with_timezone(&Utc));
    let cases = Case::group(document.into_records());
    let findings = evaluate(&host, &cases, now, args.open);
    super::plugin::report_disabled(&host);
    let mut out = io::stdout().lock();
    match args.format {
        Format::Json => write_json(&mut out, &findings)?,
        Format::Table => table::write(&mut out, &findings, cases.len())?,
    }
    out.flush().context("cannot write to standard output")?;
    Ok(ExitCode::SUCCESS)
}

/// The national rule set (every version, each judging the findings triggered in its period), with
/// a newer bank holiday list if one is given.
pub fn rule_set(bank_holidays: Option<&Path>) -> Result<RuleSet> {
    let mut rules = RuleSet::national();
    if let Some(path) = bank_holidays {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read bank holidays from {}", path.display()))?;
        let newer = Calendar::parse_govuk_json(&text)
            .with_context(|| format!("{}: not a GOV.UK bank holidays file", path.display()))?;
        let calendar = rules.calendar().merged_with(newer);
        rules = rules.with_calendar(calendar);
    }
    Ok(rules)
}

fn evaluate(
    host: &plugin_host::PluginHost,
    cases: &[Case],
    now: DateTime<Utc>,
    open: bool,
) -> Vec<FindingView> {
    let rules = host.rules();
    let mut scratch = domain::rules::Scratch::default();
    let mut findings = Vec::new();
    let mut views = Vec::new();
    for case in cases {
        findings.clear();
        host.evaluate_into(case, now, &mut scratch, &mut findings);
        views.extend(
            findings
                .iter()
                .filter(|finding| !open || finding.status.is_open())
                .map(|finding| FindingView::new(rules, &case.key, finding)),
        );
    }
    views
}

/// One JSON array, one finding per line so that large outputs stay readable and diffable.
fn write_json(out: &mut impl Write, findings: &[FindingView]) -> Result<()> {
    if findings.is_empty() {
        writeln!(out, "[]")?;
        return Ok(());
    }
    writeln!(out, "[")?;
    for (position, finding) in findings.iter().enumerate() {
        let separator = if position + 1 < findings.len() {
            ","
        } else {
            ""
        };
        writeln!(out, "{}{separator}", serde_json::to_string(finding)?)?;
    }
    writeln!(out, "]")?;
    Ok(())
}
