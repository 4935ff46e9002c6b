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
    /// The force plugins configuration (TOML): their rules and policies are shown in force.
    #[arg(long, value_name = "FILE", env = "RASSO_PLUGINS_CONFIG")]
    plugins_config: Option<PathBuf>,
}

pub fn run(args: RulesArgs) -> Result<ExitCode> {
    let rules = super::check::rule_set(args.bank_holidays.as_deref())?;
    let host = super::plugin::load_host(args.plugins_config.as_deref(), rules)?;
    let rules = host.rules();
    if args.config {
        println!("{}", serde_json::to_string_pretty(rules.config())?);
        return Ok(ExitCode::SUCCESS);
    }
    println!("Rule set {}", rules.config().id);
    let width = rules.rules().iter().map(|r| r.id.len()).max().unwrap_or(0);
    for rule in rules.rules() {
        let origin = match &rule.origin {
            domain::rules::Origin::National => String::new(),
            domain::rules::Origin::Plugin(plugin) => format!(" [plugin {plugin}]"),
        };
        println!(
            "  {:<width$}  {}  (guidance: {}){origin}",
            rule.id, rule.title, rule.guidance
        );
    }
    if let Some((first, last)) = rules.calendar().covered_years() {
        println!("Bank holidays: England and Wales, {first} to {last}");
    }
    Ok(ExitCode::SUCCESS)
}
