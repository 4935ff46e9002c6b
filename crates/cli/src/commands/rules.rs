//! `rasso rules`: what the rule set checks, as in force on a date.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use chrono::NaiveDate;
use clap::Args;
use domain::rules::{RuleSet, Version};
use domain::time::{Timescale, local_date};

#[derive(Debug, Args)]
pub struct RulesArgs {
    /// Print the configuration (timescales, windows, guidance pages) of the version in force on
    /// the date as JSON.
    #[arg(long)]
    config: bool,
    /// The date (YYYY-MM-DD, Europe/London) whose rule set to show; defaults to today. A finding is
    /// judged by the version in force on the day of its triggering event.
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    at: Option<NaiveDate>,
    /// A newer England and Wales bank holiday list (GOV.UK JSON) laid over the bundled one.
    #[arg(long, value_name = "FILE", env = "RASSO_BANK_HOLIDAYS")]
    bank_holidays: Option<PathBuf>,
    /// The force plugins configuration (TOML): their rules and policies are shown in force.
    #[arg(long, value_name = "FILE", env = "RASSO_PLUGINS_CONFIG")]
    plugins_config: Option<PathBuf>,
}

fn parse_date(text: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|error| format!("`{text}` is not a date (YYYY-MM-DD): {error}"))
}

pub fn run(args: RulesArgs) -> Result<ExitCode> {
    let rules = super::check::rule_set(args.bank_holidays.as_deref())?;
    let host = super::plugin::load_host(args.plugins_config.as_deref(), rules)?;
    let rules = host.rules();
    let date = args.at.unwrap_or_else(|| local_date(&chrono::Utc::now()));
    let version = rules.version_on(date);
    if args.config {
        println!(
            "{}",
            serde_json::to_string_pretty(version.config())
                .context("cannot write the configuration")?
        );
        return Ok(ExitCode::SUCCESS);
    }
    println!("Rule set {} (in force on {date})", version.config().id);
    for line in other_versions(rules, version) {
        println!("{line}");
    }
    let national: Vec<&str> = version.rule_ids().collect();
    let width = rules.rules().iter().map(|r| r.id.len()).max().unwrap_or(0);
    for rule in rules.rules() {
        let origin = match &rule.origin {
            domain::rules::Origin::National if !national.contains(&rule.id.as_ref()) => continue,
            domain::rules::Origin::National => String::new(),
            domain::rules::Origin::Plugin(plugin) => format!(" [plugin {plugin}]"),
        };
        let deadline = version
            .deadline_source_of(&rule.id)
            .map(|source| format!("  [deadline: {}]", source.label()))
            .unwrap_or_default();
        println!(
            "  {:<width$}  {}  (guidance: {}){deadline}{origin}",
            rule.id, rule.title, rule.guidance
        );
    }
    print_timescales(version);
    if let Some((first, last)) = rules.calendar().covered_years() {
        println!("Bank holidays: England and Wales, {first} to {last}");
    }
    Ok(ExitCode::SUCCESS)
}

/// One line per version, with the days it judges.
fn other_versions(rules: &RuleSet, shown: &Version) -> Vec<String> {
    let versions = rules.versions();
    versions
        .iter()
        .enumerate()
        .map(|(position, version)| {
            let from = version.config().in_force_from;
            let period = match versions.get(position + 1) {
                _ if position == 0 && versions.len() == 1 => "every date".to_owned(),
                Some(next) if position == 0 => {
                    format!("events before {}", next.config().in_force_from)
                }
                Some(next) => format!(
                    "events from {from} to before {}",
                    next.config().in_force_from
                ),
                None => format!("events from {from}"),
            };
            let marker = if std::ptr::eq(version, shown) {
                "*"
            } else {
                " "
            };
            format!("{marker} {}: {period}", version.config().id)
        })
        .collect()
}

fn print_timescales(version: &Version) {
    let mut config = version.config().clone();
    println!("Timescales:");
    for (name, timescale) in config.timescales_mut() {
        println!("  {name:<26} {}", describe(*timescale));
    }
}

fn describe(timescale: Timescale) -> String {
    match timescale {
        Timescale::WorkingDays(1) => "1 working day".to_owned(),
        Timescale::WorkingDays(n) => format!("{n} working days"),
        Timescale::CalendarDays(1) => "1 calendar day".to_owned(),
        Timescale::CalendarDays(n) => format!("{n} calendar days"),
        Timescale::Hours(1) => "1 hour".to_owned(),
        Timescale::Hours(n) => format!("{n} hours"),
    }
}
