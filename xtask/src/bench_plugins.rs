//! `cargo xtask bench plugins`: the per-case cost of a plugin rule against the same rule compiled
//! into the host, in the same run, and a check that the rule's findings are the same whichever
//! way it runs.
//!
//! The rule is Northmoor's `NM-SUP-24H`. It is measured as:
//!
//! - **the same rule compiled into the host**: the plugin's own function
//!   (`northmoor::rules::evaluate`), linked into the host and called directly, on batches the host
//!   writes from its cases, as it writes them for the plugin. This is the goal's baseline: the
//!   same code, with the same input, without the boundary;
//! - **the SDK rule alone**, on batches written beforehand: the rule's own work;
//! - **compiled into the host's rule engine**: the rule written as the national rules are, over
//!   the engine's `CaseContext` (the host's case indexed by kind, as every built-in rule reads it);
//! - **a hand-written walk over the host's case**: the same rule reading `domain::Case` directly
//!   and stopping at the first review it needs: the least a rule in the host can cost (a batch
//!   cannot stop early: it holds every event of the kinds read, up to `now`);
//! - **ABI 1 plugin**: the rule as Northmoor had it under ABI 1 (`fixture-northmoor-v1`), loaded:
//!   a JSON case snapshot per call on the plugin's worker thread;
//! - **ABI 2 plugin**: `plugins/northmoor`, loaded: cases written into batches of up to
//!   `plugin_host::MAX_BATCH_CASES`, one call per batch on the worker thread with its time limit,
//!   the answer checked and turned into the host's findings; and the same one case per call.
//!
//! Before timing, every finding of the ABI 1 plugin, the ABI 2 plugin and the rule compiled into
//! the host (both ways) must be identical (times compared with their offsets); the run fails otherwise. Both
//! sides are built with the profile xtask was built with; run
//! `cargo run --release -p xtask -- bench plugins` for figures that matter.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use chrono::{DateTime, Duration as Span, FixedOffset, SecondsFormat, TimeZone, Utc};
use domain::interchange::{Kind, parse_record};
use domain::rules::{Finding, RuleIndex};
use domain::{Case, Status};
use plugin_host::signing::{PublicKey, parse_secret_key, sign_folder};
use plugin_host::{HostConfig, MAX_BATCH_CASES, PluginEntry, PluginHost, PluginState};
use plugin_sdk::batch::{BatchWriter, FindingsWriter, OwnedBatch};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::json;

const ROUNDS: usize = 3;

/// The instant the benchmark evaluates at.
pub fn bench_now() -> Result<DateTime<Utc>> {
    Utc.with_ymd_and_hms(2026, 6, 1, 12, 0, 0)
        .single()
        .context("bench instant")
}

pub fn run(cases: usize) -> Result<()> {
    if cases == 0 {
        bail!("--cases must be at least 1");
    }
    let release = !cfg!(debug_assertions);
    let profile = if release { "release" } else { "dev (debug)" };
    eprintln!(
        "building the northmoor plugins, ABI 2 and ABI 1 ({profile} profile, as this xtask)..."
    );
    let target = crate::ci::root().join("target");
    let libraries =
        plugin_host::dev::build(&["northmoor", "fixture-northmoor-v1"], &target, release)
            .map_err(anyhow::Error::msg)?;
    let work = tempfile_dir()?;
    let hosts = Hosts::load(&libraries, &work)?;

    eprintln!("generating {cases} synthetic Northmoor cases...");
    let now = bench_now()?;
    let cases = generate(cases, now)?;
    let events: usize = cases.iter().map(|case| case.events().len()).sum();

    eprintln!("checking that the findings are the same under ABI 1, ABI 2 and compiled in...");
    let compared = hosts.compare(&cases, now)?;

    let rule = hosts.rule()?;
    let reads = hosts.abi2_reads()?;
    let rule_ids = vec![northmoor::rules::SUP_24H.to_owned()];
    let batches: Vec<OwnedBatch> = cases
        .chunks(MAX_BATCH_CASES)
        .map(|chunk| plugin_host::batch(chunk, now, reads, false))
        .collect();
    let mut times = Times::default();
    for round in 1..=ROUNDS {
        eprintln!("round {round} of {ROUNDS}...");
        let mut scratch = domain::rules::Scratch::default();
        let mut out = Vec::new();
        times.national.add(timed(|| {
            for case in &cases {
                out.clear();
                hosts
                    .abi2
                    .rules()
                    .evaluate_into(case, now, &mut scratch, &mut out);
                std::hint::black_box(&out);
            }
        }));
        times.in_engine.add(timed(|| {
            for case in &cases {
                out.clear();
                sup_24h_in_engine(
                    std::hint::black_box(case),
                    now,
                    hosts.abi2.rules(),
                    &mut scratch,
                    rule,
                    &mut out,
                );
                std::hint::black_box(&out);
            }
        }));
        times.in_host.add(timed(|| {
            for case in &cases {
                out.clear();
                sup_24h_in_host(
                    std::hint::black_box(case),
                    now,
                    hosts.abi2.rules(),
                    rule,
                    &mut out,
                );
                std::hint::black_box(&out);
            }
        }));
        times.sdk_rule.add(timed(|| {
            for batch in &batches {
                std::hint::black_box(run_rule(batch, &rule_ids));
            }
        }));
        times.sdk_rule_batched.add(timed(|| {
            // Each batch is written into the last one's memory, as the host does for a plugin.
            let mut spare: Option<OwnedBatch> = None;
            for chunk in cases.chunks(MAX_BATCH_CASES) {
                let mut writer = match spare.take() {
                    Some(batch) => BatchWriter::reusing(reads, batch),
                    None => BatchWriter::new(reads),
                };
                plugin_host::write_cases(&mut writer, chunk, now, false);
                let batch = writer.finish();
                std::hint::black_box(run_rule(&batch, &rule_ids));
                spare = Some(batch);
            }
        }));
        let mut found = Vec::new();
        times.abi1.add(timed(|| {
            found.clear();
            hosts.abi1.plugin_findings_batch(&cases, now, &mut found);
        }));
        let abi1_count = found.len();
        times.abi2.add(timed(|| {
            found.clear();
            hosts.abi2.plugin_findings_batch(&cases, now, &mut found);
        }));
        let abi2_count = found.len();
        times.abi2_single.add(timed(|| {
            for case in &cases {
                out.clear();
                hosts.abi2.plugin_findings_into(case, now, &mut out);
                std::hint::black_box(&out);
            }
        }));
        if abi1_count != compared || abi2_count != compared {
            bail!(
                "round {round}: {abi1_count} findings under ABI 1, {abi2_count} under ABI 2, {compared} expected"
            );
        }
    }
    hosts.still_enabled()?;
    print(&times, cases.len(), events, compared, profile);
    let _ = std::fs::remove_dir_all(&work);
    Ok(())
}

/// Best and worst of the rounds.
#[derive(Debug, Clone, Copy)]
struct Span2 {
    best: Duration,
    worst: Duration,
}

impl Default for Span2 {
    fn default() -> Self {
        Span2 {
            best: Duration::MAX,
            worst: Duration::ZERO,
        }
    }
}

impl Span2 {
    fn add(&mut self, took: Duration) {
        self.best = self.best.min(took);
        self.worst = self.worst.max(took);
    }
}

#[derive(Debug, Default)]
struct Times {
    national: Span2,
    in_engine: Span2,
    in_host: Span2,
    sdk_rule: Span2,
    sdk_rule_batched: Span2,
    abi1: Span2,
    abi2: Span2,
    abi2_single: Span2,
}

fn timed(work: impl FnOnce()) -> Duration {
    let start = Instant::now();
    work();
    start.elapsed()
}

fn print(times: &Times, cases: usize, events: usize, findings: usize, profile: &str) {
    let per_case = |total: Duration| total.as_secs_f64() * 1e9 / cases as f64;
    println!(
        "bench plugins ({profile} profile): {cases} cases, {events} events, {findings} findings (identical under ABI 1, ABI 2 and compiled in); best (worst) of {ROUNDS} rounds, ns/case"
    );
    let line = |label: &str, span: Span2| {
        println!(
            "  {label:<52}{:>9.0} ({:.0})",
            per_case(span.best),
            per_case(span.worst)
        );
    };
    line("national rule set (23 rules), for scale:", times.national);
    line(
        "NM-SUP-24H compiled into the host's rule engine:",
        times.in_engine,
    );
    line(
        "NM-SUP-24H hand-written walk, stopping early:",
        times.in_host,
    );
    line(
        "NM-SUP-24H SDK rule on prebuilt batches (rule only):",
        times.sdk_rule,
    );
    line(
        "NM-SUP-24H SDK rule, writing its batches:",
        times.sdk_rule_batched,
    );
    line(
        "NM-SUP-24H as an ABI 1 plugin (JSON, end to end):",
        times.abi1,
    );
    line(
        "NM-SUP-24H as an ABI 2 plugin (batched, end to end):",
        times.abi2,
    );
    line(
        "NM-SUP-24H as an ABI 2 plugin, one case per call:",
        times.abi2_single,
    );
    let ratio = |label: &str, a: Span2, b: Span2| {
        let value = per_case(a.best) / per_case(b.best);
        println!("  {label:<52}{value:>9.2}x");
        value
    };
    let same_rule = ratio(
        "ratio ABI 2 plugin / SDK rule writing its batches:",
        times.abi2,
        times.sdk_rule_batched,
    );
    let engine = ratio(
        "ratio ABI 2 plugin / compiled into the rule engine:",
        times.abi2,
        times.in_engine,
    );
    let walk = ratio(
        "ratio ABI 2 plugin / hand-written walk:",
        times.abi2,
        times.in_host,
    );
    let alone = ratio(
        "ratio ABI 2 plugin / SDK rule only:",
        times.abi2,
        times.sdk_rule,
    );
    ratio(
        "ratio ABI 1 plugin / SDK rule writing its batches:",
        times.abi1,
        times.sdk_rule_batched,
    );
    ratio("ratio ABI 1 plugin / ABI 2 plugin:", times.abi1, times.abi2);
    ratio(
        "ratio ABI 2 plugin / national rule set:",
        times.abi2,
        times.national,
    );
    let verdict = |ratio: f64| if ratio <= 2.0 { "met" } else { "NOT met" };
    println!(
        "  goal, ABI 2 plugin within 2x of the same rule compiled into the host (the SDK rule called directly, writing its batches from the host's cases): {} ({same_rule:.2}x)",
        verdict(same_rule)
    );
    println!(
        "  within 2x of the rule compiled into the rule engine: {} ({engine:.2}x); of the hand-written walk: {} ({walk:.2}x); of the rule alone on prebuilt batches: {} ({alone:.2}x)",
        verdict(engine),
        verdict(walk),
        verdict(alone)
    );
}

/// Runs Northmoor's SDK rule over every case of a batch, as the plugin's `evaluate` does, and
/// returns the answer's bytes.
fn run_rule(batch: &OwnedBatch, rules: &[String]) -> Vec<u8> {
    let Ok(view) = batch.view() else {
        return Vec::new();
    };
    let mut writer = FindingsWriter::with_capacity(view.len());
    for case in view.cases() {
        northmoor::rules::evaluate(&case, &mut writer.sink(case.index(), rules));
    }
    writer.finish()
}

/// `NM-SUP-24H` compiled into the host's rule engine: read through the engine's `CaseContext`
/// (the case up to `now`, indexed by kind in one pass), as every national rule reads a case.
pub fn sup_24h_in_engine(
    case: &Case,
    now: DateTime<Utc>,
    rules: &domain::RuleSet,
    scratch: &mut domain::rules::Scratch,
    rule: RuleIndex,
    out: &mut Vec<Finding>,
) {
    let context =
        domain::rules::CaseContext::new(case, now, rules.config(), rules.calendar(), scratch);
    let Some(reported_at) = context
        .of_kind(Kind::ReportReceived)
        .next()
        .map(|event| event.at)
    else {
        return;
    };
    let due = reported_at + Span::hours(24);
    let done = context
        .of_kind(Kind::SupervisorReview)
        .map(|event| event.at)
        .find(|at| *at >= reported_at);
    out.push(Finding {
        rule,
        person: None,
        trigger: Kind::ReportReceived,
        trigger_at: reported_at,
        version: rules.version_at(&reported_at),
        status: deadline_status(done, due, now),
        due_by: Some(due.with_timezone(&Utc)),
        done_at: done,
    });
}

fn deadline_status(
    done: Option<DateTime<FixedOffset>>,
    due: DateTime<FixedOffset>,
    now: DateTime<Utc>,
) -> Status {
    match done {
        Some(at) if at <= due => Status::Met,
        Some(_) => Status::MetLate,
        None if now <= due => Status::Due,
        None => Status::Overdue,
    }
}

/// `NM-SUP-24H` written by hand over the host's own case, without the engine's index: the first report, the first supervisor review at or after it, both at or
/// before `now`, due 24 hours after the report. Events are in time order, so the first review at
/// or after the report is the earliest; each walk stops at `now` (walking measured faster than a
/// binary search on a case that is not in the cache yet).
pub fn sup_24h_in_host(
    case: &Case,
    now: DateTime<Utc>,
    rules: &domain::RuleSet,
    rule: RuleIndex,
    out: &mut Vec<Finding>,
) {
    let visible = || case.events().iter().take_while(|event| event.at <= now);
    let Some(reported_at) = visible()
        .find(|event| event.kind() == Kind::ReportReceived)
        .map(|event| event.at)
    else {
        return;
    };
    let due = reported_at + Span::hours(24);
    let done = visible()
        .find(|event| event.kind() == Kind::SupervisorReview && event.at >= reported_at)
        .map(|event| event.at);
    out.push(Finding {
        rule,
        person: None,
        trigger: Kind::ReportReceived,
        trigger_at: reported_at,
        version: rules.version_at(&reported_at),
        status: deadline_status(done, due, now),
        due_by: Some(due.with_timezone(&Utc)),
        done_at: done,
    });
}

/// The Northmoor plugin loaded twice: as built for ABI 2 (`plugins/northmoor`) and for ABI 1
/// (`fixture-northmoor-v1`), each in a host of its own.
pub struct Hosts {
    pub abi1: PluginHost,
    pub abi2: PluginHost,
}

impl Hosts {
    /// Assembles, signs and loads both from the libraries in `libraries`, working in `work`.
    pub fn load(libraries: &Path, work: &Path) -> Result<Hosts> {
        let key = parse_secret_key(&rand::random::<[u8; 32]>())?;
        let load = |package: &str| -> Result<PluginHost> {
            let dist = work.join(package);
            plugin_host::package::assemble(
                &plugin_host::dev::source_dir(package),
                Some(&libraries.join(plugin_host::dev::library_name(package))),
                &dist,
            )?;
            sign_folder(&dist, &key)?;
            let config = HostConfig {
                allow_unsigned: false,
                trusted_keys: vec![PublicKey(key.verifying_key())],
                plugins: vec![PluginEntry::new("northmoor", &dist)],
            };
            let host = PluginHost::load(&config, domain::RuleSet::national());
            let state = host.plugin("northmoor").map(|plugin| plugin.state());
            if state != Some(PluginState::Enabled) {
                bail!("{package} did not load: {state:?}");
            }
            Ok(host)
        };
        let hosts = Hosts {
            abi1: load("fixture-northmoor-v1")?,
            abi2: load("northmoor")?,
        };
        let abis = (
            hosts.abi1.plugin("northmoor").and_then(|p| p.abi()),
            hosts.abi2.plugin("northmoor").and_then(|p| p.abi()),
        );
        if abis != (Some(1), Some(2)) {
            bail!("expected plugins of ABI 1 and ABI 2, loaded {abis:?}");
        }
        Ok(hosts)
    }

    fn rule(&self) -> Result<RuleIndex> {
        self.abi2
            .rules()
            .find(northmoor::rules::SUP_24H)
            .context("NM-SUP-24H is registered")
    }

    fn abi2_reads(&self) -> Result<plugin_sdk::batch::Reads> {
        self.abi2
            .plugin("northmoor")
            .map(|plugin| plugin.reads())
            .context("northmoor is configured")
    }

    /// Checks that the findings of the ABI 1 plugin, the ABI 2 plugin and the rule compiled into
    /// the host (both ways) are identical for every case (times with their offsets); returns how
    /// many.
    pub fn compare(&self, cases: &[Case], now: DateTime<Utc>) -> Result<usize> {
        let mut abi1 = Vec::new();
        self.abi1.plugin_findings_batch(cases, now, &mut abi1);
        let mut abi2 = Vec::new();
        self.abi2.plugin_findings_batch(cases, now, &mut abi2);
        self.still_enabled()?;
        let rule = self.rule()?;
        let mut in_host = Vec::new();
        let mut in_engine = Vec::new();
        let mut scratch = domain::rules::Scratch::default();
        for (position, case) in cases.iter().enumerate() {
            let mut out = Vec::new();
            sup_24h_in_host(case, now, self.abi2.rules(), rule, &mut out);
            in_host.extend(out.drain(..).map(|finding| (position, finding)));
            sup_24h_in_engine(case, now, self.abi2.rules(), &mut scratch, rule, &mut out);
            in_engine.extend(out.into_iter().map(|finding| (position, finding)));
        }
        let written = |found: &[(usize, Finding)]| -> Vec<String> {
            found
                .iter()
                .map(|(position, finding)| fingerprint(*position, finding))
                .collect()
        };
        let (abi1, abi2) = (written(&abi1), written(&abi2));
        let (in_host, in_engine) = (written(&in_host), written(&in_engine));
        for (name, other) in [
            ("ABI 1", &abi1),
            ("the walk", &in_host),
            ("the rule engine", &in_engine),
        ] {
            if let Some(at) =
                (0..abi2.len().max(other.len())).find(|&at| abi2.get(at) != other.get(at))
            {
                bail!(
                    "finding {at} differs: ABI 2 {:?}, {name} {:?}",
                    abi2.get(at),
                    other.get(at)
                );
            }
        }
        Ok(abi2.len())
    }

    fn still_enabled(&self) -> Result<()> {
        for host in [&self.abi1, &self.abi2] {
            let state = host.plugin("northmoor").map(|plugin| plugin.state());
            if state != Some(PluginState::Enabled) {
                bail!("a plugin was disabled: {state:?}");
            }
        }
        Ok(())
    }
}

/// A finding written out in full, times with their offsets (`DateTime` equality ignores the
/// offset).
fn fingerprint(position: usize, finding: &Finding) -> String {
    let at = |time: &DateTime<FixedOffset>| time.to_rfc3339_opts(SecondsFormat::AutoSi, false);
    format!(
        "{position} {} {:?} {} {} {} {:?} {:?}",
        finding.rule.0,
        finding.person,
        finding.trigger,
        at(&finding.trigger_at),
        finding.status,
        finding
            .due_by
            .map(|due| due.to_rfc3339_opts(SecondsFormat::AutoSi, true)),
        finding.done_at.as_ref().map(at),
    )
}

fn tempfile_dir() -> Result<std::path::PathBuf> {
    let dir = std::env::temp_dir().join(format!("rasso-bench-plugins-{}", std::process::id()));
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    Ok(dir)
}

/// Synthetic Northmoor cases of about 30 events each (seeded, so every run is the same). Some are
/// written in British Summer Time (`+01:00`), some with fractions of a second, some have no report,
/// and many have events after `now`, so that every way a finding can come out is exercised.
pub fn generate(count: usize, now: DateTime<Utc>) -> Result<Vec<Case>> {
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let mut records = Vec::with_capacity(count * 30);
    let utc = FixedOffset::east_opt(0).context("offset")?;
    let summer = FixedOffset::east_opt(3600).context("offset")?;
    for index in 0..count {
        let reference = format!("NM-2026-{:06}", index % 1_000_000);
        let offset = if rng.random_bool(0.3) { summer } else { utc };
        let mut reported = now - Span::minutes(rng.random_range(60..=60 * 24 * 120));
        if rng.random_bool(0.1) {
            reported += Span::milliseconds(rng.random_range(1..1_000));
        }
        let mut at = reported;
        let line =
            |records: &mut Vec<_>, at: DateTime<Utc>, fields: serde_json::Value| -> Result<()> {
                let written = at
                    .with_timezone(&offset)
                    .to_rfc3339_opts(SecondsFormat::AutoSi, true);
                let mut event = json!({"case": reference, "force": "northmoor", "at": written});
                if let (Some(event), Some(fields)) = (event.as_object_mut(), fields.as_object()) {
                    event.extend(fields.clone());
                }
                records.push(parse_record(&event.to_string()).map_err(anyhow::Error::msg)?);
                Ok(())
            };
        if !rng.random_bool(0.05) {
            line(
                &mut records,
                at,
                json!({"kind": "report_received", "offences": ["SOA2003-s1"], "channel": "101"}),
            )?;
        }
        line(
            &mut records,
            at,
            json!({"kind": "person_added", "person": "V1", "role": "victim", "identity": {"given_name": "Synthetic", "family_name": "Person"}}),
        )?;
        line(
            &mut records,
            at,
            json!({"kind": "person_added", "person": "S1", "role": "suspect"}),
        )?;
        at += Span::minutes(rng.random_range(10..600));
        line(
            &mut records,
            at,
            json!({"kind": "crime_recorded", "offences": ["SOA2003-s1"]}),
        )?;
        line(
            &mut records,
            at,
            json!({"kind": "officer_allocated", "officer": "5512", "role": "oic"}),
        )?;
        for kind in [
            "needs_assessment",
            "written_confirmation_sent",
            "isva_offered",
        ] {
            at += Span::minutes(rng.random_range(10..2_000));
            line(&mut records, at, json!({"kind": kind, "person": "V1"}))?;
        }
        line(
            &mut records,
            at,
            json!({"kind": "support_referral", "person": "V1", "service": "isva", "declined": false}),
        )?;
        if rng.random_bool(0.8) {
            // Now and then a review before the report: it must not count.
            let review = reported + Span::minutes(rng.random_range(-120..3_000));
            line(
                &mut records,
                review,
                json!({"kind": "supervisor_review", "officer": "9001"}),
            )?;
        }
        at += Span::hours(rng.random_range(1..200));
        line(
            &mut records,
            at,
            json!({"kind": "suspect_arrested", "person": "S1"}),
        )?;
        line(
            &mut records,
            at + Span::hours(3),
            json!({"kind": "suspect_interviewed", "person": "S1", "under_caution": true}),
        )?;
        line(
            &mut records,
            at + Span::hours(20),
            json!({"kind": "victim_informed", "person": "V1", "about": "arrest"}),
        )?;
        while records.len() < (index + 1) * 30 {
            at += Span::hours(rng.random_range(1..100));
            if rng.random_bool(0.3) {
                line(
                    &mut records,
                    at,
                    json!({"kind": "supervisor_review", "officer": "9001"}),
                )?;
            } else {
                line(
                    &mut records,
                    at,
                    json!({"kind": "note", "text": "Synthetic note for the benchmark."}),
                )?;
            }
        }
    }
    Ok(Case::group(records))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Northmoor's findings are identical under ABI 1 (`fixture-northmoor-v1`: the example as it
    /// was written for ABI 1) and ABI 2 (`plugins/northmoor`), and equal to the rule compiled into
    /// the host, over the benchmark's 20,000 generated cases.
    #[test]
    fn northmoor_findings_are_identical_under_abi_1_and_abi_2_over_20000_cases() {
        let libraries = plugin_host::dev::test_libraries().expect("plugins build");
        let work = tempfile::tempdir().expect("tempdir");
        let hosts = Hosts::load(libraries, work.path()).expect("both load");
        let now = bench_now().expect("instant");
        let cases = generate(20_000, now).expect("cases");
        assert_eq!(cases.len(), 20_000);
        let compared = hosts.compare(&cases, now).expect("identical findings");
        assert!(compared > 18_000, "most cases have a report: {compared}");
        let statuses: std::collections::BTreeSet<Status> = {
            let mut found = Vec::new();
            hosts.abi2.plugin_findings_batch(&cases, now, &mut found);
            found.iter().map(|(_, finding)| finding.status).collect()
        };
        assert_eq!(
            statuses.len(),
            4,
            "met, met late, due and overdue all occur: {statuses:?}"
        );
    }
}
