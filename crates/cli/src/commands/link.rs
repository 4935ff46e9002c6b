//! `rasso link`: suspect linkage. `--all` re-links the whole store (a progress bar);
//! `list --case FORCE/REF` shows a case's links; `confirm|reject ID --reason TEXT` decides one.
//! Works with either store. Output names cases, person keys and officers, never identity.

use std::process::ExitCode;

use anyhow::{Result, bail};
use clap::{Args, Subcommand};
use domain::CaseKey;
use storage::{Access, CaseLink, LinkDecision, Purpose, RelinkProgress};

use crate::data::{DataArgs, progress, runtime};

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct LinkArgs {
    /// Re-link the whole store: profiles from sealed identities, the blind index, suggestions
    /// (decided links are kept). In pages, with bounded memory.
    #[arg(long)]
    all: bool,
    #[command(flatten)]
    data: DataArgs,
    #[command(subcommand)]
    command: Option<LinkCommand>,
}

#[derive(Debug, Subcommand)]
enum LinkCommand {
    /// A case's links: suggested, confirmed and rejected.
    List {
        /// The case, as FORCE/REFERENCE.
        #[arg(long)]
        case: String,
        #[command(flatten)]
        data: DataArgs,
    },
    /// Confirm a suggested link (the same person).
    Confirm {
        id: i64,
        /// Why (recorded with the decision and in the audit log).
        #[arg(long)]
        reason: String,
        #[command(flatten)]
        data: DataArgs,
    },
    /// Reject a suggested link (different people).
    Reject {
        id: i64,
        /// Why (recorded with the decision and in the audit log).
        #[arg(long)]
        reason: String,
        #[command(flatten)]
        data: DataArgs,
    },
}

/// `FORCE/REFERENCE` as a case key.
pub fn parse_case(text: &str) -> Result<CaseKey> {
    match text.split_once('/') {
        Some((force, reference)) if !force.is_empty() && !reference.is_empty() => Ok(CaseKey {
            force: force.into(),
            reference: reference.into(),
        }),
        _ => bail!("--case: expected FORCE/REFERENCE, got `{text}`"),
    }
}

pub fn run(args: LinkArgs) -> Result<ExitCode> {
    runtime()?.block_on(async move {
        let data = match &args.command {
            Some(
                LinkCommand::List { data, .. }
                | LinkCommand::Confirm { data, .. }
                | LinkCommand::Reject { data, .. },
            ) => data.clone(),
            None => args.data.clone(),
        };
        if args.command.is_none() && !args.all {
            bail!("say what to do: `rasso link --all`, `rasso link list --case FORCE/REF`, `rasso link confirm|reject ID --reason TEXT`");
        }
        if !data.exists()? {
            bail!("no database here: import some cases first");
        }
        let actor = data.actor()?;
        let opened = data.open(false).await?;
        let store = opened.store;
        let result = match args.command {
            None => relink(&*store, &actor).await,
            Some(LinkCommand::List { case, .. }) => {
                list(&*store, &actor, &parse_case(&case)?).await
            }
            Some(LinkCommand::Confirm { id, reason, .. }) => {
                decide(&*store, &actor, id, LinkDecision::Confirm, &reason).await
            }
            Some(LinkCommand::Reject { id, reason, .. }) => {
                decide(&*store, &actor, id, LinkDecision::Reject, &reason).await
            }
        };
        store.close().await;
        result
    })
}

async fn relink(store: &dyn storage::Store, actor: &str) -> Result<ExitCode> {
    let access = Access::new(actor, Purpose::Investigation).with_reason("full re-link");
    let bar = progress(0, "re-linking: {prefix}");
    let mut phase = "";
    let report = store
        .relink_all(&access, &mut |p: RelinkProgress| {
            if p.phase != phase {
                phase = p.phase;
                bar.set_length(p.total);
                bar.set_position(0);
                bar.set_prefix(p.phase);
            }
            bar.set_position(p.done);
        })
        .await?;
    bar.finish_and_clear();
    println!(
        "re-linked {} suspects ({} profiled from identities, {} index tokens), {} suggestions",
        report.people, report.profiled, report.tokens, report.suggestions
    );
    Ok(ExitCode::SUCCESS)
}

fn print_link(link: &CaseLink) {
    println!(
        "{:<6} {:<10} {:>5.2}  {:<4} {:<28} {:<4} {:<10} {}",
        link.id,
        link.status.as_str(),
        link.score,
        link.this.person,
        format!("{}/{}", link.other.force, link.other.reference),
        link.other.person,
        link.other.officer.as_deref().unwrap_or("-"),
        link.reasons.join(",")
    );
}

async fn list(store: &dyn storage::Store, actor: &str, case: &CaseKey) -> Result<ExitCode> {
    let access = Access::new(actor, Purpose::Investigation);
    let links = store.case_links(&access, case).await?;
    if links.is_empty() {
        println!("no links for {}/{}", case.force, case.reference);
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "{:<6} {:<10} {:>5}  {:<4} {:<28} {:<4} {:<10} REASONS",
        "ID", "STATUS", "SCORE", "THIS", "OTHER CASE", "WHO", "OFFICER"
    );
    for link in &links {
        print_link(link);
    }
    Ok(ExitCode::SUCCESS)
}

async fn decide(
    store: &dyn storage::Store,
    actor: &str,
    id: i64,
    decision: LinkDecision,
    reason: &str,
) -> Result<ExitCode> {
    let access = Access::new(actor, Purpose::Investigation).with_reason(reason);
    let link = store.decide_link(&access, id, decision, reason).await?;
    println!(
        "link {} {} ({}/{} {} and {}/{} {})",
        link.id,
        link.status.as_str(),
        link.this.force,
        link.this.reference,
        link.this.person,
        link.other.force,
        link.other.reference,
        link.other.person
    );
    Ok(ExitCode::SUCCESS)
}
