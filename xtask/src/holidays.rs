pub fn run(_args: UpdateArgs) -> anyhow::Result<()> {
    anyhow::bail!("not yet")
}
#[derive(Debug, clap::Args)]
pub struct UpdateArgs {}
