//! `rasso plugin list|verify`, and the plugin host as the other commands load it.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use domain::RuleSet;
use plugin_host::{HostConfig, PluginHost, PluginState};

#[derive(Debug, Subcommand)]
pub enum PluginCommand {
    /// Every configured plugin: version, verification, state, and what it provides.
    List(ConfigArgs),
    /// Check plugin folders (manifest, library hash, signature) without running their code; with
    /// no folder, load every configured plugin and fail if any is refused.
    Verify(VerifyArgs),
    /// Convert a records-system export to interchange JSON Lines on standard output, through the
    /// plugin providing FORMAT (the conversion `rasso import --format` stores).
    Convert(ConvertArgs),
}

#[derive(Debug, Args)]
pub struct ConvertArgs {
    #[command(flatten)]
    config: ConfigArgs,
    /// An import format a loaded plugin provides, e.g. `northmoor-moorlog-csv`.
    #[arg(long, value_name = "NAME")]
    format: String,
    /// The export file to convert.
    #[arg(long, value_name = "FILE")]
    input: PathBuf,
}

#[derive(Debug, Args)]
pub struct ConfigArgs {
    /// The force plugins configuration (TOML).
    #[arg(long, value_name = "FILE", env = "RASSO_PLUGINS_CONFIG")]
    plugins_config: PathBuf,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    #[command(flatten)]
    config: ConfigArgs,
    /// Plugin folders to verify.
    #[arg(value_name = "DIR")]
    folders: Vec<PathBuf>,
}

pub fn run(command: PluginCommand) -> Result<ExitCode> {
    match command {
        PluginCommand::List(args) => list(&args),
        PluginCommand::Verify(args) => verify(&args),
        PluginCommand::Convert(args) => convert(&args),
    }
}

/// The plugin host for a command: no plugins without a configuration. Refusals are reported on
/// standard error and the command goes on without the refused plugins.
pub fn load_host(config: Option<&Path>, rules: RuleSet) -> Result<PluginHost> {
    let Some(path) = config else {
        return Ok(PluginHost::none(rules));
    };
    let config = HostConfig::read(path).context("cannot use the plugins configuration")?;
    let host = PluginHost::load(&config, rules);
    for plugin in host.plugins() {
        if let PluginState::Refused(problem) = plugin.state() {
            eprintln!("warning: plugin `{}` refused: {problem}", plugin.name());
        }
    }
    Ok(host)
}

/// Plugins disabled while the command ran, on standard error.
pub fn report_disabled(host: &PluginHost) {
    for plugin in host.plugins() {
        if let PluginState::Disabled(problem) = plugin.state() {
            eprintln!(
                "warning: plugin `{}` was disabled: {problem}; its findings are missing",
                plugin.name()
            );
        }
    }
}

fn list(args: &ConfigArgs) -> Result<ExitCode> {
    let host = load_host(Some(&args.plugins_config), RuleSet::national())?;
    if host.plugins().is_empty() {
        println!(
            "No plugins configured in {}.",
            args.plugins_config.display()
        );
        return Ok(ExitCode::SUCCESS);
    }
    for plugin in host.plugins() {
        let version = plugin
            .manifest()
            .map_or_else(|| "?".to_owned(), |manifest| manifest.version.clone());
        let kind = match (plugin.manifest(), plugin.manifest().and_then(|m| m.abi)) {
            (Some(manifest), Some(abi)) if manifest.is_native() => format!("native, ABI {abi}"),
            (Some(manifest), None) if manifest.is_native() => "native".to_owned(),
            (Some(_), _) => "content-only".to_owned(),
            (None, _) => "?".to_owned(),
        };
        println!("{} {version} ({kind})", plugin.name());
        println!("  folder:    {}", plugin.path().display());
        println!("  verified:  {}", plugin.verification());
        println!("  state:     {}", plugin.state());
        if let Some(manifest) = plugin.manifest() {
            println!("  force:     {}", manifest.force);
            let capabilities: Vec<&str> = manifest
                .capabilities
                .iter()
                .map(|capability| capability.as_str())
                .collect();
            println!("  provides:  {}", capabilities.join(", "));
            if !manifest.reads.is_empty() || !manifest.reads_fields.is_empty() {
                println!("  reads:     {}", manifest.reads.join(", "));
                println!("  fields of: {}", manifest.reads_fields.join(", "));
            }
        }
        if let Some(registration) = plugin.registration() {
            for rule in &registration.rules {
                println!("  rule:      {} - {}", rule.id, rule.title);
            }
            for policy in &registration.policy {
                println!("  policy:    {} -> {:?}", policy.timescale, policy.value);
            }
            for format in &registration.import_formats {
                println!("  import:    {format}");
            }
            for format in &registration.export_formats {
                println!("  export:    {} ({})", format.name, format.media_type);
            }
        }
        for page in plugin.content() {
            println!("  page:      {} - {}", page.id, page.title);
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn convert(args: &ConvertArgs) -> Result<ExitCode> {
    use std::io::Write as _;
    let host = load_host(Some(&args.config.plugins_config), RuleSet::national())?;
    let bytes = std::fs::read(&args.input)
        .with_context(|| format!("cannot read {}", args.input.display()))?;
    let records = match host.import(&args.format, &bytes) {
        Ok(records) => records,
        Err(error) => {
            eprintln!("{}: {error}", args.input.display());
            return Ok(ExitCode::FAILURE);
        }
    };
    let mut out = std::io::stdout().lock();
    for record in &records {
        writeln!(out, "{}", record.to_line())?;
    }
    out.flush().context("cannot write to standard output")?;
    Ok(ExitCode::SUCCESS)
}

fn verify(args: &VerifyArgs) -> Result<ExitCode> {
    let path = &args.config.plugins_config;
    let config = HostConfig::read(path).context("cannot use the plugins configuration")?;
    let mut failed = false;
    if args.folders.is_empty() {
        let host = PluginHost::load(&config, RuleSet::national());
        for plugin in host.plugins() {
            let state = plugin.state();
            failed |= matches!(state, PluginState::Refused(_) | PluginState::Disabled(_));
            println!("{}: {} ({})", plugin.name(), state, plugin.verification());
        }
    }
    for folder in &args.folders {
        match plugin_host::verify_folder(&config, folder, None) {
            Ok(verified) => println!(
                "{}: ok: `{}` {} ({})",
                folder.display(),
                verified.manifest.name,
                verified.manifest.version,
                verified.verification
            ),
            Err(problem) => {
                failed = true;
                println!("{}: REFUSED: {problem}", folder.display());
            }
        }
    }
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}
