//! `cargo xtask bench link`: suspect linkage, measured.
//!
//! 1. Accuracy: planted repeat suspects (`synthetic::repeats`: spelling variants, swapped names,
//!    aliases, mistyped dates of birth) appended through `Store::append` (suggestions made on
//!    append, as an import does), then every record looked up against the rest: precision and
//!    recall of the top candidate and of the whole candidate list.
//! 2. Scale: a store filled with `--people` suspects through the bulk path (the same rows, tokens
//!    and sealed profiles an append writes; no events), then p50/p99 of candidate lookups for new
//!    suspects (the in-store work an append does), of the audited `Store::link_candidates`, and
//!    of appending a new case with a suspect; then `Store::relink_all` with its time and the
//!    process's peak memory while it ran.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use clap::Args;
use domain::CaseKey;
use storage::bench::CandidateLookup as _;
use storage::prelude::*;
use storage::{
    Access, Append, AuditSigner, BulkSuspect, ExpectedVersion, MasterKey, NewEvent, Purpose,
    RelinkProgress, SqliteOptions, SqliteStore,
};
use synthetic::repeats::{PlantedSuspect, RepeatSettings, person_records, planted};

#[derive(Debug, Args)]
pub struct LinkArgs {
    /// Stored suspects for the speed measurements.
    #[arg(long, default_value_t = 200_000)]
    people: usize,
    /// Candidate lookups timed.
    #[arg(long, default_value_t = 2_000)]
    lookups: usize,
    /// Distinct people planted for the accuracy measurement (about 1.25 records each).
    #[arg(long, default_value_t = 20_000)]
    accuracy_people: usize,
    /// Skip the full re-link.
    #[arg(long)]
    no_relink: bool,
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

pub fn run(args: LinkArgs) -> Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(bench(args))
}

async fn open(dir: &std::path::Path) -> Result<SqliteStore> {
    Ok(SqliteStore::open(SqliteOptions {
        path: dir.join("rasso.db"),
        master_key: MasterKey::generate(),
        signer: AuditSigner::from_seed([9; 32]),
    })
    .await?)
}

fn case_of(record: &PlantedSuspect) -> CaseKey {
    CaseKey {
        force: record.force.as_str().into(),
        reference: record.reference.as_str().into(),
    }
}

/// A new case holding one suspect (and its officer), as interchange events.
fn append_of(record: &PlantedSuspect) -> Result<Append> {
    let identity = serde_json::to_value(&record.identity)?;
    let lines = [
        serde_json::json!({"case": record.reference, "force": record.force, "at": "2026-03-01T09:00:00Z",
            "kind": "officer_allocated", "id": format!("{}-1", record.reference), "officer": "4471", "role": "oic"}),
        serde_json::json!({"case": record.reference, "force": record.force, "at": "2026-03-01T09:10:00Z",
            "kind": "person_added", "id": format!("{}-2", record.reference), "person": record.person,
            "role": "suspect", "identity": identity}),
    ];
    let events = lines
        .iter()
        .map(|line| NewEvent::from_line(&line.to_string(), 0).map_err(|e| anyhow::anyhow!("{e}")))
        .collect::<Result<Vec<_>>>()?;
    Ok(Append {
        case: case_of(record),
        expected: ExpectedVersion::Any,
        events,
    })
}

async fn bench(args: LinkArgs) -> Result<()> {
    accuracy(&args).await?;
    scale(&args).await
}

#[derive(Debug, Default)]
struct Tally {
    queries_with_truth: u64,
    top_returned: u64,
    top_correct: u64,
    list_true: u64,
    list_false: u64,
    true_pairs: u64,
}

async fn accuracy(args: &LinkArgs) -> Result<()> {
    let settings = RepeatSettings::new(args.seed, args.accuracy_people);
    let records: Vec<PlantedSuspect> = planted(&settings).collect();
    let mut per_truth: HashMap<u64, u64> = HashMap::new();
    for record in &records {
        *per_truth.entry(record.truth).or_default() += 1;
    }
    let truth_of: HashMap<(&str, &str), u64> = records
        .iter()
        .map(|r| ((r.force.as_str(), r.reference.as_str()), r.truth))
        .collect();
    println!(
        "bench link, accuracy: {} people, {} suspect records ({} people recorded more than once), seed {}",
        per_truth.len(),
        records.len(),
        per_truth.values().filter(|n| **n > 1).count(),
        args.seed
    );
    let dir = tempfile::tempdir().context("cannot make a temporary directory")?;
    let store = open(dir.path()).await?;
    let access = Access::new("bench", Purpose::Import);
    let started = Instant::now();
    for chunk in records.chunks(500) {
        let batch = chunk.iter().map(append_of).collect::<Result<Vec<_>>>()?;
        store.append(&access, batch).await?;
    }
    let appended = started.elapsed();
    println!(
        "  appended {} cases with a suspect each in {:.2?} ({:.0} cases/s, suggestions made on append)",
        records.len(),
        appended,
        records.len() as f64 / appended.as_secs_f64()
    );
    let counts = store
        .repeat_suspects(&Access::new("bench", Purpose::Reporting), None)
        .await?;
    println!("  suggestions stored on append: {}", counts.suggested_links);

    let mut tally = Tally::default();
    for record in &records {
        let expected = per_truth.get(&record.truth).copied().unwrap_or(1) - 1;
        tally.true_pairs += expected;
        if expected > 0 {
            tally.queries_with_truth += 1;
        }
        let found = store
            .lookup_candidates("bench", &record.identity, Some(&case_of(record)))
            .await?;
        let same = |m: &storage::LinkMatch| {
            truth_of.get(&(m.suspect.force.as_str(), m.suspect.reference.as_str()))
                == Some(&record.truth)
        };
        if let Some(top) = found.first() {
            tally.top_returned += 1;
            if same(top) {
                tally.top_correct += 1;
            }
        }
        for candidate in &found {
            if same(candidate) {
                tally.list_true += 1;
            } else {
                tally.list_false += 1;
            }
        }
    }
    let ratio = |a: u64, b: u64| if b == 0 { 0.0 } else { a as f64 / b as f64 };
    println!(
        "  top candidate:  precision {:.3}  recall {:.3}  ({} correct of {} returned; {} records have a true match)",
        ratio(tally.top_correct, tally.top_returned),
        ratio(tally.top_correct, tally.queries_with_truth),
        tally.top_correct,
        tally.top_returned,
        tally.queries_with_truth
    );
    println!(
        "  candidate list: precision {:.3}  recall {:.3}  ({} true and {} false candidates; {} true pairs, each way)",
        ratio(tally.list_true, tally.list_true + tally.list_false),
        ratio(tally.list_true, tally.true_pairs),
        tally.list_true,
        tally.list_false,
        tally.true_pairs
    );
    println!("  goal: top-candidate recall >= 0.95 at precision >= 0.90");
    store.close().await;
    Ok(())
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

fn summary(name: &str, mut times: Vec<Duration>) {
    times.sort();
    println!(
        "  {name:<44} p50 {:>8.2?}  p99 {:>8.2?}  max {:>8.2?}  (n={})",
        percentile(&times, 0.5),
        percentile(&times, 0.99),
        times.last().copied().unwrap_or_default(),
        times.len()
    );
}

/// Peak resident memory of this process (VmHWM), in MiB.
fn peak_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// Resets the peak (Linux: writing 5 to clear_refs), so the next reading covers what follows.
fn reset_peak() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

async fn scale(args: &LinkArgs) -> Result<()> {
    // Other people than the accuracy set: another seed.
    let settings = RepeatSettings::new(args.seed.wrapping_add(1000), args.people);
    println!(
        "bench link, scale: {} stored suspects (bulk path: the rows, tokens and sealed profiles an append writes)",
        args.people
    );
    let dir = tempfile::tempdir().context("cannot make a temporary directory")?;
    let store = open(dir.path()).await?;
    let started = Instant::now();
    let mut loaded = 0usize;
    let mut tokens = 0u64;
    let mut chunk = Vec::with_capacity(10_000);
    let mut truths = 0u64;
    for record in planted(&settings).take(args.people) {
        truths = record.truth;
        chunk.push(BulkSuspect {
            force: record.force,
            reference: record.reference,
            person: record.person,
            identity: record.identity,
        });
        if chunk.len() == 10_000 {
            tokens += store.bulk_load_suspects(&chunk).await?;
            loaded += chunk.len();
            chunk.clear();
            eprint!("\r  loaded {loaded}");
        }
    }
    tokens += store.bulk_load_suspects(&chunk).await?;
    loaded += chunk.len();
    eprintln!();
    println!(
        "  loaded {loaded} suspects, {tokens} tokens ({:.1} each) in {:.1?}",
        tokens as f64 / loaded.max(1) as f64,
        started.elapsed()
    );

    // New suspects: half are new records of stored people (variants), half new people.
    let fresh = RepeatSettings::new(args.seed.wrapping_add(2000), args.lookups);
    let mut queries = Vec::with_capacity(args.lookups);
    let mut step = 0u64;
    while queries.len() < args.lookups {
        if queries.len() % 2 == 0 {
            let truth = (step.wrapping_mul(7919)) % truths.max(1);
            let mut records = person_records(&settings, truth);
            let mut record = records.pop().context("a person has a record")?;
            record.reference = format!("NEW-{step}");
            queries.push(record);
        } else {
            let mut record = person_records(&fresh, step)
                .into_iter()
                .next()
                .context("a person has a record")?;
            record.reference = format!("NEW-{step}");
            queries.push(record);
        }
        step += 1;
    }
    let mut times = Vec::with_capacity(queries.len());
    let mut found = 0usize;
    for query in &queries {
        let start = Instant::now();
        let candidates = store
            .lookup_candidates("bench", &query.identity, None)
            .await?;
        times.push(start.elapsed());
        found += usize::from(!candidates.is_empty());
    }
    summary("candidate lookup (in-store, as on append)", times);
    println!("  lookups with a candidate: {found} of {}", queries.len());
    let access = Access::new("bench", Purpose::Investigation);
    let mut times = Vec::new();
    for query in queries.iter().take(200) {
        let start = Instant::now();
        store
            .link_candidates(&access, &query.identity, None)
            .await?;
        times.push(start.elapsed());
    }
    summary("Store::link_candidates (audited, fsync)", times);
    let mut times = Vec::new();
    for query in queries.iter().take(200) {
        let append = append_of(query)?;
        let start = Instant::now();
        store.append(&access, vec![append]).await?;
        times.push(start.elapsed());
    }
    summary("Store::append of a new case with a suspect", times);
    println!("  goal: candidate lookup p99 < 20 ms at 2,000,000 stored people");

    if !args.no_relink {
        let reset = reset_peak();
        let before = peak_mib();
        let started = Instant::now();
        let mut last_phase = "";
        let mut last_print = Instant::now();
        let report = store
            .relink_all(&access, &mut |p: RelinkProgress| {
                if p.phase != last_phase || last_print.elapsed() > Duration::from_secs(10) {
                    eprintln!("  relink {} {}/{}", p.phase, p.done, p.total);
                    last_phase = p.phase;
                    last_print = Instant::now();
                }
            })
            .await?;
        let took = started.elapsed();
        println!(
            "  full re-link: {} suspects, {} tokens, {} suggestions in {:.1?} ({:.0} suspects/s)",
            report.people,
            report.tokens,
            report.suggestions,
            took,
            report.people as f64 / took.as_secs_f64()
        );
        match (reset, before, peak_mib()) {
            (true, Some(before), Some(after)) => println!(
                "  peak resident memory during the re-link: {after:.0} MiB (resident before: {before:.0} MiB)"
            ),
            (_, _, Some(after)) => {
                println!("  peak resident memory of the process: {after:.0} MiB")
            }
            _ => println!("  peak memory: not available on this system"),
        }
    }
    store.close().await;
    Ok(())
}
