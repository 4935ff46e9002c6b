//! `rasso`: investigate rape and serious sexual offences the way national guidance asks.

mod commands;
mod data;
mod input;
mod table;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// mimalloc rather than the C library's allocator: under the web server's load, threads
/// allocating at once queued on glibc's arena locks (a third of the server's time in kernel
/// wake-ups, `docs/web.md`, "Load"); mimalloc keeps a heap per thread. Plugins are unaffected:
/// each side of the plugin boundary frees only what it allocated (`plugin-abi`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// rasso: victim-centred, suspect-focused, context-led RASSO investigation.
#[derive(Debug, Parser)]
#[command(name = "rasso", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Apply the national rule set to an interchange file and print findings.
    Check(commands::check::CheckArgs),
    /// Performance and compliance figures as CSV, JSON or a printable HTML page.
    Report(commands::report::ReportArgs),
    /// Force plugins: what is loaded, verified and enabled; verify a plugin folder.
    #[command(subcommand)]
    Plugin(commands::plugin::PluginCommand),
    /// Show the rule set in force: every rule, its guidance page and the timescales.
    Rules(commands::rules::RulesArgs),
    /// Store an interchange file (validated whole first; re-importing is a no-op).
    Import(commands::import::ImportArgs),
    /// Write every stored event in the interchange format (an audited disclosure).
    Export(commands::export::ExportArgs),
    /// Check the audit log.
    Audit(commands::audit::AuditArgs),
    /// Manage the master key.
    Keys(commands::keys::KeysArgs),
    /// Take a consistent online copy of the database.
    Backup(commands::backup::BackupArgs),
    /// Bring a backup back.
    Restore(commands::backup::RestoreArgs),
    /// Apply the database schema migrations (SQLite or PostgreSQL).
    Migrate(commands::migrate::MigrateArgs),
    /// Move a deployment between SQLite and PostgreSQL, either way (audit chain intact).
    Copy(commands::copy::CopyArgs),
    /// National guidance: search it, show a page, or see what applies to a case.
    Guidance(commands::guidance::GuidanceArgs),
    /// Run the web UI and JSON API.
    Serve(commands::serve::ServeArgs),
    /// Manage users: add, list, disable.
    User(commands::user::UserArgs),
    /// Repeat suspects: re-link the store, list a case's links, confirm or reject one.
    Link(commands::link::LinkArgs),
}

fn main() -> ExitCode {
    init_tracing();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Check(args) => commands::check::run(args),
        Command::Report(args) => commands::report::run(args),
        Command::Rules(args) => commands::rules::run(args),
        Command::Import(args) => commands::import::run(args),
        Command::Export(args) => commands::export::run(args),
        Command::Audit(args) => commands::audit::run(args),
        Command::Keys(args) => commands::keys::run(args),
        Command::Backup(args) => commands::backup::run_backup(args),
        Command::Restore(args) => commands::backup::run_restore(args),
        Command::Migrate(args) => commands::migrate::run(args),
        Command::Copy(args) => commands::copy::run(args),
        Command::Guidance(args) => commands::guidance::run(args),
        Command::Plugin(command) => commands::plugin::run(command),
        Command::Serve(args) => commands::serve::run(args),
        Command::User(args) => commands::user::run(args),
        Command::Link(args) => commands::link::run(args),
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// Logs go to standard error, filtered by `RASSO_LOG` (default: warnings). Never personal data.
fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("RASSO_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}
