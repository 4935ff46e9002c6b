//! `cargo xtask bench WHAT`: benchmarks that print what they measured and the ratio to a floor
//! measured in the same run.

use anyhow::Result;

#[derive(Debug, clap::Args)]
pub struct BenchArgs {
    /// What to measure.
    #[arg(value_enum)]
    what: BenchTarget,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum BenchTarget {
    /// Guidance search latency (p50, p99) over the content replicated to 100 times its size.
    Guidance,
}

pub fn run(args: BenchArgs) -> Result<()> {
    match args.what {
        BenchTarget::Guidance => crate::bench_guidance::run(),
    }
}
