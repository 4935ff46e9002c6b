//! `cargo xtask bench NAME`: benchmarks that print what they measured and the ratio to a floor
//! measured in the same run.

use anyhow::{Result, bail};

#[derive(Debug, clap::Args)]
pub struct BenchArgs {
    /// Which benchmark: `plugins`.
    pub what: String,
    /// Work size in cases, where the benchmark takes one.
    #[arg(long)]
    pub cases: Option<usize>,
}

pub fn run(args: BenchArgs) -> Result<()> {
    match args.what.as_str() {
        "plugins" => crate::bench_plugins::run(args.cases.unwrap_or(20_000)),
        other => bail!("unknown benchmark `{other}` (known: plugins)"),
    }
}
