pub fn run(_args: BenchArgs) -> anyhow::Result<()> {
    anyhow::bail!("not yet")
}
#[derive(Debug, clap::Args)]
pub struct BenchArgs {}
