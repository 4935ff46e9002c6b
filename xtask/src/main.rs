//! `cargo xtask`: developer commands for rasso.

mod bench;
mod bench_guidance;
mod bench_http;
mod bench_import;
mod bench_link;
mod bench_plugins;
mod bench_report;
mod ci;
mod content;
mod crash;
mod dates;
mod generate;
mod holidays;
mod plugin;
mod tamper;

use anyhow::Result;
use clap::{Parser, Subcommand};

/// The same allocator as the `rasso` binary, so that `bench http` (which runs the server in this
/// process) measures the server as it ships.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Debug, Parser)]
#[command(name = "cargo xtask", about = "Developer commands for rasso")]
struct Xtask {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Everything CI checks: formatting, clippy (-D warnings), content, and the whole test suite.
    Ci,
    /// The whole test suite only.
    Test,
    /// Write synthetic cases in the interchange format.
    Gen(generate::GenArgs),
    /// Run a benchmark and print what it measured.
    Bench(bench::BenchArgs),
    /// Kill a store writer with SIGKILL again and again; check nothing acknowledged is lost.
    Crash(crash::CrashArgs),
    /// Run the suites that read the wall clock as if today were other awkward days (libfaketime).
    Dates(dates::DatesArgs),
    /// Change a populated store with plain SQL in every way the suite knows; verify must find each.
    Tamper(tamper::TamperArgs),
    /// Validate the guidance content (ids, roles, stages, sources, links, rule pages, review dates).
    CheckContent(content::CheckContentArgs),
    /// Force plugins: scaffold, build, sign and verify.
    Plugin(plugin::PluginArgs),
    /// Merge a GOV.UK bank holidays JSON file into the bundled England and Wales list.
    UpdateBankHolidays(holidays::UpdateArgs),
}

fn main() -> Result<()> {
    match Xtask::parse().command {
        Command::Ci => ci::ci(),
        Command::Test => ci::test(),
        Command::Gen(args) => generate::run(args),
        Command::Bench(args) => bench::run(args),
        Command::Crash(args) => crash::run(args),
        Command::Tamper(args) => tamper::run(args),
        Command::Dates(args) => dates::run(args),
        Command::UpdateBankHolidays(args) => holidays::run(args),
        Command::CheckContent(args) => content::run(args),
        Command::Plugin(args) => plugin::run(args),
    }
}
