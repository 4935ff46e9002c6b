pub fn run(_args: GenArgs) -> anyhow::Result<()> {
    anyhow::bail!("not yet")
}
#[derive(Debug, clap::Args)]
pub struct GenArgs {}
