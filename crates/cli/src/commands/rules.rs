//! `rasso rules`: what the rule set in force checks.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::Args;

#[derive(Debug, Args)]
pub struct RulesArgs {
    /// Print the rule set's configuration (timescales, windows, guidance pages) as JSON.
    #[arg(long)]
    config: bool,
    /// A newer England and Wales bank holiday list (GOV.UK JSON) laid over the bundled one.
    #[arg(long, value_name = "FILE", env = "RASSO_BANK_HOLIDAYS")]
    bank_holidays: Option<PathBuf>,
}

pub fn run(args: RulesArgs) -> Result<ExitCode> {
    let rules = super::check::rule_set(args.bank_holidays.as_deref())?;
    if args.config {
        println!("{}", serde_json::to_string_pretty(rules.config())?);
        return Ok(ExitCode::SUCCESS);
    }
    println!("Rule set {}", rules.config().id);
    let width = rules.rules().iter().map(|r| r.id.len()).max().unwrap_or(0);
    for rule in rules.rules() {
        println!(
            "  {:<width$}  {}  (guidance: {})",
            rule.id, rule.title, rule.guidance
        );
    }
    if let Some((first, last)) = rules.calendar().covered_years() {
        println!("Bank holidays: England and Wales, {first} to {last}");
    }
    Ok(ExitCode::SUCCESS)
}
