//! `cargo xtask bench ...`: benchmarks that print what they measured and the ratio to a floor
//! measured in the same run.

use anyhow::Result;
use clap::{Args, Subcommand};

#[derive(Debug, Args)]
pub struct BenchArgs {
    #[command(subcommand)]
    target: Target,
}

#[derive(Debug, Subcommand)]
enum Target {
    /// Events per second imported into SQLite at full durability, against plain batched inserts.
    Import(crate::bench_import::ImportArgs),
}

pub fn run(args: BenchArgs) -> Result<()> {
    match args.target {
        Target::Import(args) => crate::bench_import::run(args),
    }
}
