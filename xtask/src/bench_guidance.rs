//! `cargo xtask bench guidance`: search latency over the shipped content replicated to 100 times
//! its size. Goal: p99 under 5 ms. The floor, measured in the same run, is an unranked FTS5 match
//! of the same queries (no bm25, no join, no filters, no snippet); the ratio shows what ranking,
//! filtering and the phrase-first strategy cost.

use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use guidance::{Role, SearchIndex, SearchQuery, Viewer};

/// The queries a new officer types (the same kinds as the search test table).
const QUERIES: &[&str] = &[
    "bail conditions",
    "extend bail",
    "RUI",
    "ISVA",
    "SARC",
    "forensic window",
    "victim personal statement",
    "right to review",
    "threshold test",
    "who charges rape",
    "MG6C",
    "unused material",
    "phone download",
    "medical records",
    "outcome 16",
    "raped on holiday abroad",
    "ABE interview",
    "special measures",
    "crime reference number",
    "needs assessment",
    "supervisor review",
    "vicarious trauma",
    "\"pre-charge bail\"",
    "threshol*",
    "victim",
];

const COPIES: usize = 100;
const ROUNDS: usize = 40;

pub fn run() -> Result<()> {
    // Timings of an unoptimised build say little: re-run this command from a release build.
    if cfg!(debug_assertions) && std::env::var_os("RASSO_BENCH_RELEASE").is_none() {
        eprintln!(
            "guidance bench: re-running from a release build (the first build takes a while)"
        );
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
        let status = std::process::Command::new(cargo)
            .args([
                "run",
                "--release",
                "--quiet",
                "-p",
                "xtask",
                "--",
                "bench",
                "guidance",
            ])
            .env("RASSO_BENCH_RELEASE", "1")
            .current_dir(crate::ci::root())
            .status()
            .context("cannot start cargo")?;
        if !status.success() {
            anyhow::bail!("the release benchmark failed ({status})");
        }
        return Ok(());
    }
    let (national, _) = guidance::national().context("the national content is invalid")?;
    let library = national.replicated(COPIES);
    eprintln!(
        "guidance bench ({} build): {} pages ({} shipped x {COPIES}), {} queries x {ROUNDS} rounds",
        if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        },
        library.len(),
        national.len(),
        QUERIES.len()
    );
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async {
        let started = Instant::now();
        let index = SearchIndex::build(&library).await?;
        eprintln!(
            "index built in {:.0} ms",
            started.elapsed().as_secs_f64() * 1000.0
        );
        // Warm up.
        for query in QUERIES {
            index
                .search(&SearchQuery::new(*query, Viewer::new(Role::Investigator)))
                .await?;
            index.match_only(query, 10).await?;
        }
        let mut per_query = vec![Vec::with_capacity(ROUNDS); QUERIES.len()];
        let mut search = Vec::with_capacity(QUERIES.len() * ROUNDS);
        let mut floor = Vec::with_capacity(QUERIES.len() * ROUNDS);
        for round in 0..ROUNDS {
            for (i, query) in QUERIES.iter().enumerate() {
                // Alternate readers so the restricted filter is exercised both ways.
                let viewer = if (round + i) % 3 == 0 {
                    Viewer::new(Role::Partner)
                } else {
                    Viewer::new(Role::Investigator)
                };
                let started = Instant::now();
                let hits = index.search(&SearchQuery::new(*query, viewer)).await?;
                search.push(started.elapsed());
                per_query[i].push(started.elapsed());
                std::hint::black_box(hits);
                let started = Instant::now();
                let count = index.match_only(query, 10).await?;
                floor.push(started.elapsed());
                std::hint::black_box(count);
            }
        }
        report(&mut search, &mut floor);
        let mut medians: Vec<(Duration, &str)> = per_query
            .iter_mut()
            .zip(QUERIES)
            .map(|(times, query)| {
                times.sort();
                (percentile(times, 0.5), *query)
            })
            .collect();
        medians.sort();
        let slowest: Vec<String> = medians
            .iter()
            .rev()
            .take(3)
            .map(|(d, q)| format!("{q:?} {:.3} ms", d.as_secs_f64() * 1000.0))
            .collect();
        println!("slowest queries (median): {}", slowest.join(", "));
        Ok::<(), anyhow::Error>(())
    })
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

fn report(search: &mut [Duration], floor: &mut [Duration]) {
    search.sort();
    floor.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let (p50, p99) = (percentile(search, 0.50), percentile(search, 0.99));
    let (f50, f99) = (percentile(floor, 0.50), percentile(floor, 0.99));
    println!(
        "search (ranked, filtered, snippet): p50 {:.3} ms  p99 {:.3} ms",
        ms(p50),
        ms(p99)
    );
    println!(
        "floor (unranked FTS5 match):        p50 {:.3} ms  p99 {:.3} ms",
        ms(f50),
        ms(f99)
    );
    println!(
        "ratio to floor: p50 {:.1}x  p99 {:.1}x",
        ms(p50) / ms(f50).max(1e-9),
        ms(p99) / ms(f99).max(1e-9)
    );
    let verdict = if ms(p99) < 5.0 { "met" } else { "NOT met" };
    println!("goal p99 < 5 ms: {verdict}");
}
