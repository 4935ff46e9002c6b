//! `cargo xtask check-content [--content DIR]...`: validates the guidance content in `content/`
//! (and any extra folders, such as a force plugin's), as CI does before the tests.
//!
//! Fails on a missing or duplicate id, an unknown role or stage, a page without sources, a citation
//! with no source, a broken internal link, a national rule with no page or a page naming an unknown
//! rule. A page last reviewed more than a year ago is a warning.

use std::path::PathBuf;

use anyhow::{Result, bail};
use guidance::{Loader, Origin};

#[derive(Debug, Default, clap::Args)]
pub struct CheckContentArgs {
    /// An extra content folder (pages/ and signposts.toml) validated with the national content;
    /// may be repeated. Its pages are marked local.
    #[arg(long = "content", value_name = "DIR")]
    content: Vec<PathBuf>,
}

pub fn run(args: CheckContentArgs) -> Result<()> {
    let national = crate::ci::root().join("content");
    let mut loader = Loader::new()
        .today(chrono::Utc::now().date_naive())
        .add_dir(&national, Origin::National)?;
    for dir in &args.content {
        let source = dir.file_name().map_or_else(
            || dir.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        loader = loader.add_dir(dir, Origin::Local { source })?;
    }
    let (library, report) = loader.load();
    for problem in &report.problems {
        eprintln!("{problem}");
    }
    let errors = report.errors().count();
    let warnings = report.warnings().count();
    if errors > 0 {
        bail!("guidance content: {errors} error(s), {warnings} warning(s)");
    }
    let restricted = library.all_pages().filter(|p| p.restricted).count();
    let local = library.all_pages().filter(|p| p.is_local()).count();
    eprintln!(
        "guidance content: {} pages ({restricted} restricted, {local} local), {} signposts, \
         every national rule has its page; {warnings} warning(s)",
        library.len(),
        library.all_signposts().len(),
    );
    Ok(())
}
