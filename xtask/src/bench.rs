//! `cargo xtask bench ...`: benchmarks that print what they measured and the ratio to a floor
//! measured in the same run. Speed goals live here, never in timed tests.

use std::hint::black_box;
use std::time::{Duration, Instant};

use anyhow::Result;
use clap::{Args, Subcommand};
use domain::rules::Scratch;
use domain::{Case, RuleSet, Status};

#[derive(Debug, Args)]
pub struct BenchArgs {
    #[command(subcommand)]
    which: Which,
}

#[derive(Debug, Subcommand)]
enum Which {
    /// The national rule set over generated cases held in memory, against one plain pass over the
    /// same events.
    Rules(RulesArgs),
    /// Events per second imported into SQLite at full durability, against plain batched inserts.
    Import(crate::bench_import::ImportArgs),
    /// Guidance search latency (p50, p99) over the content replicated to 100 times its size.
    Guidance,
    /// A force-year and a national report over stored generated cases, against a SQL aggregate.
    Report(crate::bench_report::ReportArgs),
    /// The per-case cost of a plugin rule against the same rule compiled into the host.
    Plugins(PluginsArgs),
    /// Suspect linkage: accuracy on planted repeat suspects, candidate lookup p50/p99 against a
    /// large store, and a full re-link (time and peak memory).
    Link(crate::bench_link::LinkArgs),
    /// HTTP load (64 clients) on the caseload page, case page and case API read, against a bare
    /// axum handler.
    Http(crate::bench_http::HttpArgs),
}

#[derive(Debug, Args)]
struct PluginsArgs {
    /// How many generated cases.
    #[arg(long, default_value_t = 20_000)]
    cases: usize,
}

#[derive(Debug, Args)]
struct RulesArgs {
    /// How many generated cases.
    #[arg(long, default_value_t = 1_000_000)]
    cases: usize,
    /// Timed repetitions of each pass; the fastest is reported.
    #[arg(long, default_value_t = 3)]
    repeat: usize,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Also time each version of the national rule set alone over the same cases, for comparison
    /// (the goal is for the national rule set, every version, as `rasso check` runs it).
    #[arg(long)]
    each_version: bool,
}

pub fn run(args: BenchArgs) -> Result<()> {
    if cfg!(debug_assertions) {
        // Benchmarks of an unoptimised build measure nothing useful: run again as a release build.
        let forwarded: Vec<String> = std::env::args().skip(1).collect();
        let mut command = vec!["run", "--quiet", "--release", "--package", "xtask", "--"];
        command.extend(forwarded.iter().map(String::as_str));
        return crate::ci::run("cargo", &command);
    }
    match args.which {
        Which::Rules(args) => rules(&args),
        Which::Import(args) => crate::bench_import::run(args),
        Which::Guidance => crate::bench_guidance::run(),
        Which::Plugins(args) => crate::bench_plugins::run(args.cases),
        Which::Report(args) => crate::bench_report::run(args),
        Which::Http(args) => crate::bench_http::run(args),
        Which::Link(args) => crate::bench_link::run(args),
    }
}

fn rules(args: &RulesArgs) -> Result<()> {
    let started = Instant::now();
    let settings = synthetic::Settings::new(args.seed, 43);
    let cases: Vec<Case> = synthetic::cases(&settings, args.cases).collect();
    let events: usize = cases.iter().map(|case| case.events().len()).sum();
    println!(
        "generated {} cases, {events} events ({:.1} a case) in {:.1?}",
        cases.len(),
        events as f64 / cases.len().max(1) as f64,
        started.elapsed()
    );
    let now = settings.until;
    let rules = RuleSet::national();

    let floor = fastest(args.repeat, || {
        black_box(plain_pass(&cases));
    });
    let mut counts = [0usize; 6];
    let evaluated = fastest(args.repeat, || {
        counts = evaluate_all(&rules, &cases, now);
        black_box(counts);
    });
    let findings: usize = counts.iter().sum();
    println!(
        "findings: {findings} ({:.1} a case)",
        findings as f64 / cases.len().max(1) as f64
    );
    for (status, count) in Status::ALL.iter().zip(counts) {
        println!("  {:<9} {count}", status.as_str());
    }
    report("plain pass (floor)", floor, cases.len(), events);
    report("national rules", evaluated, cases.len(), events);
    let ratio = evaluated.as_secs_f64() / floor.as_secs_f64().max(f64::EPSILON);
    println!("ratio rules/floor: {ratio:.2}x (goal: within 3x)");
    if args.each_version {
        for version in rules.versions() {
            let alone = RuleSet::new(version.config().clone(), rules.calendar().clone());
            let took = fastest(args.repeat, || {
                black_box(evaluate_all(&alone, &cases, now));
            });
            let name = format!("{} alone", version.config().id);
            report(&name, took, cases.len(), events);
            let ratio = took.as_secs_f64() / floor.as_secs_f64().max(f64::EPSILON);
            println!("ratio {name}/floor: {ratio:.2}x");
        }
    }
    Ok(())
}

/// One plain pass over every event: reads each event's kind, instant and person, which is the
/// least any rule evaluation must do.
fn plain_pass(cases: &[Case]) -> u64 {
    let mut checksum = 0u64;
    for case in cases {
        for event in case.events() {
            checksum = checksum
                .wrapping_mul(31)
                .wrapping_add(event.kind() as u64)
                .wrapping_add(event.at.timestamp() as u64)
                .wrapping_add(event.person().map_or(0, |p| p.len() as u64));
        }
    }
    checksum
}

fn evaluate_all(rules: &RuleSet, cases: &[Case], now: chrono::DateTime<chrono::Utc>) -> [usize; 6] {
    let mut scratch = Scratch::default();
    let mut findings = Vec::new();
    let mut counts = [0usize; 6];
    for case in cases {
        findings.clear();
        rules.evaluate_into(case, now, &mut scratch, &mut findings);
        for finding in &findings {
            counts[finding.status as usize] += 1;
        }
    }
    counts
}

fn fastest(repeat: usize, mut work: impl FnMut()) -> Duration {
    (0..repeat.max(1))
        .map(|_| {
            let start = Instant::now();
            work();
            start.elapsed()
        })
        .min()
        .unwrap_or_default()
}

fn report(name: &str, took: Duration, cases: usize, events: usize) {
    let seconds = took.as_secs_f64().max(f64::EPSILON);
    println!(
        "{name:<20} {:>9.3} s  {:>12.0} cases/s  {:>14.0} events/s",
        seconds,
        cases as f64 / seconds,
        events as f64 / seconds
    );
}
