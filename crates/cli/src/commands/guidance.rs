//! `rasso guidance search|show|context`: national practice, searchable and shown where it applies.
//!
//! The national content is compiled into the binary; `--content DIR` adds a force's folders
//! (local pages and contacts), validated the same way. Without `--role` only public pages are
//! shown: restricted pages are for police personnel.

use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use chrono::{DateTime, FixedOffset, Utc};
use clap::{Args, Subcommand};
use domain::Case;
use guidance::{
    CaseFacts, Hit, Library, Loader, Origin, Role, SearchIndex, SearchQuery, Stage, Viewer,
};

use crate::input::{InputLimits, read_document, report_errors};

#[derive(Debug, Args)]
pub struct GuidanceArgs {
    #[command(subcommand)]
    command: GuidanceCommand,
}

#[derive(Debug, Subcommand)]
enum GuidanceCommand {
    /// Full-text search: words, "exact phrases" and prefix* queries.
    Search(SearchArgs),
    /// Show one page, readably.
    Show(ShowArgs),
    /// What applies to a case: pages for its stage and open findings, and signposts.
    Context(ContextArgs),
}

/// Options every guidance command takes.
#[derive(Debug, Args)]
struct Common {
    /// Who is reading: first_responder, investigator, supervisor, leader, analyst or partner.
    /// Restricted pages are shown to police personnel only; without a role, public pages only.
    #[arg(long, value_parser = parse_role)]
    role: Option<Role>,
    /// An extra content folder (a force's local pages and `signposts.toml`); may be repeated.
    #[arg(
        long = "content",
        value_name = "DIR",
        env = "RASSO_CONTENT",
        value_delimiter = ','
    )]
    content: Vec<PathBuf>,
}

#[derive(Debug, Args)]
struct SearchArgs {
    /// What to look for, e.g. `bail conditions`, `"pre-charge bail"`, `threshol*`.
    #[arg(required = true, num_args = 1..)]
    query: Vec<String>,
    #[command(flatten)]
    common: Common,
    /// Only pages for this stage: report, first_response, investigation, suspect, charging,
    /// court or closure.
    #[arg(long, value_parser = parse_stage)]
    stage: Option<Stage>,
    /// Only pages written for this role (default: any role; restricted pages still need a
    /// police role in --role).
    #[arg(long = "for", value_parser = parse_role, value_name = "ROLE")]
    for_role: Option<Role>,
    /// At most this many results.
    #[arg(long, default_value_t = 10)]
    limit: u32,
}

#[derive(Debug, Args)]
struct ShowArgs {
    /// The page id, e.g. `suspect/pre-charge-bail`.
    id: String,
    #[command(flatten)]
    common: Common,
}

#[derive(Debug, Args)]
struct ContextArgs {
    #[command(flatten)]
    common: Common,
    /// An interchange file to read the case from (with --case); `-` for standard input.
    #[arg(long, value_name = "FILE", requires = "case")]
    input: Option<PathBuf>,
    /// The case reference in --input.
    #[arg(long, value_name = "REF")]
    case: Option<String>,
    /// Evaluate rules as at this instant (RFC 3339; default now).
    #[arg(long, value_parser = parse_instant)]
    now: Option<DateTime<FixedOffset>>,
    /// Without --input: the case's stage.
    #[arg(long, value_parser = parse_stage, conflicts_with = "input")]
    stage: Option<Stage>,
    /// Without --input: a rule id with an open finding; may be repeated.
    #[arg(long = "finding", value_name = "RULE", conflicts_with = "input")]
    findings: Vec<String>,
    /// Without --input: where the offence happened (ISO 3166 alpha-2, e.g. GB, ES).
    #[arg(long, value_name = "CODE", conflicts_with = "input")]
    country: Option<String>,
}

fn parse_role(text: &str) -> Result<Role, String> {
    Role::from_name(text).ok_or_else(|| {
        let names: Vec<&str> = Role::ALL.iter().map(|r| r.as_str()).collect();
        format!("unknown role `{text}`; one of {}", names.join(", "))
    })
}

fn parse_stage(text: &str) -> Result<Stage, String> {
    Stage::from_name(text).ok_or_else(|| {
        let names: Vec<&str> = Stage::ALL.iter().map(|s| s.as_str()).collect();
        format!("unknown stage `{text}`; one of {}", names.join(", "))
    })
}

fn parse_instant(text: &str) -> Result<DateTime<FixedOffset>, String> {
    DateTime::parse_from_rfc3339(text)
        .map_err(|error| format!("`{text}` is not an RFC 3339 timestamp with an offset: {error}"))
}

pub fn run(args: GuidanceArgs) -> Result<ExitCode> {
    let result = match args.command {
        GuidanceCommand::Search(args) => search(args),
        GuidanceCommand::Show(args) => show(args),
        GuidanceCommand::Context(args) => context(args),
    };
    // Output piped into `head` and cut short is not an error.
    match result {
        Err(error)
            if error
                .downcast_ref::<io::Error>()
                .is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe) =>
        {
            Ok(ExitCode::SUCCESS)
        }
        other => other,
    }
}

/// The national content plus any extra folders, validated together; warnings go to stderr.
fn library(common: &Common) -> Result<Library> {
    let mut loader = Loader::new().today(Utc::now().date_naive()).add_embedded();
    for dir in &common.content {
        let source = dir.file_name().map_or_else(
            || dir.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        loader = loader.add_dir(dir, Origin::Local { source })?;
    }
    let (library, report) = loader.load_strict()?;
    for warning in report.warnings() {
        tracing::warn!(%warning, "guidance content");
    }
    Ok(library)
}

fn viewer(common: &Common) -> Viewer {
    common.role.map_or_else(Viewer::public, Viewer::new)
}

/// The terminal's width, or 80 when not on a terminal.
fn width() -> usize {
    if !io::stdout().is_terminal() {
        return 80;
    }
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(80)
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .context("cannot start the async runtime")
}

fn search(args: SearchArgs) -> Result<ExitCode> {
    let library = library(&args.common)?;
    let viewer = viewer(&args.common);
    let mut query = SearchQuery::new(args.query.join(" "), viewer).limit(args.limit.max(1));
    query.role = args.for_role;
    query.stage = args.stage;
    let hits = runtime()?.block_on(async {
        let index = SearchIndex::build(&library).await?;
        index.search(&query).await
    });
    let hits = match hits {
        Ok(hits) => hits,
        Err(guidance::SearchError::Index(error)) => {
            return Err(error).context("the search index failed");
        }
        Err(error) => bail!("{error}"),
    };
    let mut out = io::stdout().lock();
    if hits.is_empty() {
        writeln!(out, "No pages match {:?}.", query.text)?;
    }
    write_hits(&mut out, &hits, width())?;
    if !viewer.is_police() && !hits.is_empty() {
        writeln!(
            out,
            "\n(Showing public pages only. Police personnel: add --role to include restricted pages.)"
        )?;
    }
    out.flush().context("cannot write to standard output")?;
    Ok(ExitCode::SUCCESS)
}

fn write_hits(out: &mut impl Write, hits: &[Hit], width: usize) -> io::Result<()> {
    for (index, hit) in hits.iter().enumerate() {
        let mut tags = Vec::new();
        if hit.restricted {
            tags.push("restricted");
        }
        if hit.local {
            tags.push("local");
        }
        let tags = if tags.is_empty() {
            String::new()
        } else {
            format!(" ({})", tags.join(", "))
        };
        writeln!(out, "{:>2}. {}{tags}", index + 1, hit.title)?;
        writeln!(out, "    rasso guidance show {}", hit.id)?;
        for line in wrap(&hit.summary, width.saturating_sub(4)) {
            writeln!(out, "    {line}")?;
        }
        writeln!(out)?;
    }
    Ok(())
}

fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

fn show(args: ShowArgs) -> Result<ExitCode> {
    let library = library(&args.common)?;
    let viewer = viewer(&args.common);
    let Some(page) = library.page(&args.id, viewer) else {
        // A restricted page is not distinguished from a missing one.
        bail!(
            "no guidance page `{}`{}",
            args.id,
            if viewer.is_police() {
                ""
            } else {
                " (restricted pages need a police --role)"
            }
        );
    };
    let mut out = io::stdout().lock();
    out.write_all(guidance::render::to_terminal(page, width()).as_bytes())?;
    out.flush().context("cannot write to standard output")?;
    Ok(ExitCode::SUCCESS)
}

fn context(args: ContextArgs) -> Result<ExitCode> {
    let library = library(&args.common)?;
    let viewer = viewer(&args.common);
    let facts = match (&args.input, &args.case) {
        (Some(input), Some(reference)) => {
            let document = read_document(input, InputLimits::default(), None)?;
            if !document.is_valid() {
                report_errors(&document);
                return Ok(ExitCode::FAILURE);
            }
            let cases = Case::group(document.into_records());
            let Some(case) = cases.iter().find(|c| c.key.reference.as_str() == reference) else {
                bail!("no case `{reference}` in {}", input.display());
            };
            let rules = domain::rules::RuleSet::national();
            let now = args
                .now
                .map_or_else(Utc::now, |now| now.with_timezone(&Utc));
            let findings = rules.evaluate(case, now);
            CaseFacts::of_case(case, &findings, &rules)
        }
        _ => CaseFacts {
            stage: args.stage,
            open_rules: args.findings.clone(),
            country: args.country.clone(),
        },
    };
    let in_context = library.in_context(&facts, viewer);
    let mut out = io::stdout().lock();
    if let Some(stage) = facts.stage {
        writeln!(out, "Stage: {stage}")?;
    }
    if facts.abroad() {
        writeln!(
            out,
            "Offence outside the UK ({})",
            facts.country.as_deref().unwrap_or("")
        )?;
    }
    writeln!(out, "\nFor open findings:")?;
    if in_context.finding_pages.is_empty() {
        writeln!(out, "  (none)")?;
    }
    for (rule, page) in &in_context.finding_pages {
        writeln!(out, "  {rule:<18} {}  [{}]", page.title, page.id)?;
    }
    writeln!(out, "\nFor this stage:")?;
    for page in &in_context.stage_pages {
        let local = if page.is_local() { " (local)" } else { "" };
        writeln!(out, "  {}{local}  [{}]", page.title, page.id)?;
    }
    writeln!(out, "\nSignposts:")?;
    for signpost in &in_context.signposts {
        writeln!(out, "  {}\n    {}", signpost.title, signpost.url)?;
        if let Some(contact) = &signpost.contact {
            writeln!(out, "    {contact}")?;
        }
    }
    out.flush().context("cannot write to standard output")?;
    Ok(ExitCode::SUCCESS)
}
