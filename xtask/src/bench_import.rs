//! `cargo xtask bench import [--events N]`: events per second through the store's import path
//! (parse, seal identity, projections and findings, audit chain, WAL with `synchronous=FULL`),
//! and the floor: plain batched inserts of the same rows into a bare table with the same SQLite
//! settings and the same transactions, in the same run. Goal: at least 0.5 of the floor.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use clap::Args;
use storage::bench::{PlainRow, plain_inserts, synthetic_lines};
use storage::prelude::*;
use storage::{
    Access, Append, AuditSigner, EventReader, ExpectedVersion, MasterKey, NewEvent, PgOptions,
    PgStore, Purpose, SqliteOptions, SqliteStore,
};

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// How many events to import.
    #[arg(long, default_value_t = 100_000)]
    events: usize,
    /// Events per transaction (whole cases), as `rasso import` uses.
    #[arg(long, default_value_t = 2_000)]
    batch: usize,
    /// Rounds of the three measurements; medians are reported.
    #[arg(long, default_value_t = 3)]
    rounds: usize,
    /// Also measure PostgreSQL at this URL (each round in its own schema, dropped afterwards).
    #[arg(long, value_name = "URL", env = "RASSO_TEST_PG")]
    pg: Option<String>,
}

fn group(events: Vec<NewEvent>, batch: usize) -> Vec<Vec<Append>> {
    let mut order = Vec::new();
    let mut by_case: HashMap<domain::CaseKey, Vec<NewEvent>> = HashMap::new();
    for event in events {
        by_case
            .entry(event.case().clone())
            .or_insert_with_key(|key| {
                order.push(key.clone());
                Vec::new()
            })
            .push(event);
    }
    let mut batches = Vec::new();
    let mut current = Vec::new();
    let mut size = 0;
    for case in order {
        let events = by_case.remove(&case).unwrap_or_default();
        size += events.len();
        current.push(Append {
            case,
            expected: ExpectedVersion::Any,
            events,
        });
        if size >= batch {
            batches.push(std::mem::take(&mut current));
            size = 0;
        }
    }
    if !current.is_empty() {
        batches.push(current);
    }
    batches
}

/// Parses as `rasso import` does (all cores, then numbered in line order).
fn parse(lines: &[String]) -> Result<Vec<NewEvent>> {
    let texts: Vec<&str> = lines.iter().map(String::as_str).collect();
    EventReader::new()
        .read_all(&texts)
        .into_iter()
        .map(|result| result.map_err(|e| anyhow::anyhow!("{e}")))
        .collect()
}

pub fn run(args: ImportArgs) -> Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(bench(args))
}

async fn bench(args: ImportArgs) -> Result<()> {
    let lines = synthetic_lines(args.events);
    let n = lines.len();
    println!(
        "bench import: {n} synthetic events, transactions of about {} events, WAL + synchronous=FULL, {} rounds (medians)",
        args.batch, args.rounds
    );
    let mut floor = Vec::new();
    let mut stored = Vec::new();
    let mut imported = Vec::new();
    // The three measurements alternate, round after round, so that a busy machine slows them
    // alike; medians are reported.
    for round in 0..args.rounds.max(1) {
        let dir = tempfile::tempdir().context("cannot make a temporary directory")?;
        let (f, s, i) = one_round(&lines, args.batch, dir.path()).await?;
        println!(
            "  round {}: floor {:.2?}, store {:.2?}, import {:.2?}",
            round + 1,
            f,
            s,
            i
        );
        floor.push(f);
        stored.push(s);
        imported.push(i);
    }
    let median = |mut v: Vec<Duration>| {
        v.sort();
        v[v.len() / 2]
    };
    let (floor, stored, imported) = (median(floor), median(stored), median(imported));
    let rate = |d: Duration| n as f64 / d.as_secs_f64();
    println!(
        "floor  plain batched inserts      {:>10.0} events/s  ({:.2?})",
        rate(floor),
        floor
    );
    println!(
        "store  Store::append (parsed)     {:>10.0} events/s  ({:.2?})  ratio to floor {:.2}",
        rate(stored),
        stored,
        floor.as_secs_f64() / stored.as_secs_f64()
    );
    println!(
        "import parse + Store::append      {:>10.0} events/s  ({:.2?})  ratio to floor {:.2}",
        rate(imported),
        imported,
        floor.as_secs_f64() / imported.as_secs_f64()
    );
    println!("goal: ratio >= 0.50");
    if let Some(url) = &args.pg {
        bench_pg(url, &lines, args.batch, args.rounds).await?;
    }
    Ok(())
}

/// The same measurements on PostgreSQL: the floor (plain batched inserts into a bare table, same
/// transactions) against `PgStore::append`, both over the same connection URL.
async fn bench_pg(url: &str, lines: &[String], batch: usize, rounds: usize) -> Result<()> {
    let n = lines.len();
    println!("bench import on PostgreSQL: {n} synthetic events, {rounds} rounds (medians)");
    let mut floor = Vec::new();
    let mut stored = Vec::new();
    for round in 0..rounds.max(1) {
        let batches = group(parse(lines)?, batch);
        let plain = plain_rows(&batches);
        let suffix = format!("{:016x}", rand::random::<u64>());
        let f =
            storage::bench::plain_inserts_pg(url, &format!("rasso_bench_floor_{suffix}"), &plain)
                .await?;
        let schema = format!("rasso_bench_store_{suffix}");
        let mut options =
            PgOptions::new(url, MasterKey::generate(), AuditSigner::from_seed([5; 32]));
        options.schema = Some(schema.clone());
        let store = PgStore::open(options).await?;
        let access = Access::new("bench", Purpose::Import);
        let started = Instant::now();
        for batch in batches {
            store.append(&access, batch).await?;
        }
        let s = started.elapsed();
        store.close().await;
        storage::postgres::drop_schema(url, &schema).await?;
        println!("  round {}: floor {:.2?}, store {:.2?}", round + 1, f, s);
        floor.push(f);
        stored.push(s);
    }
    let median = |mut v: Vec<Duration>| {
        v.sort();
        v[v.len() / 2]
    };
    let (floor, stored) = (median(floor), median(stored));
    let rate = |d: Duration| n as f64 / d.as_secs_f64();
    println!(
        "pg floor  plain batched inserts   {:>10.0} events/s  ({:.2?})",
        rate(floor),
        floor
    );
    println!(
        "pg store  PgStore::append         {:>10.0} events/s  ({:.2?})  ratio to floor {:.2}",
        rate(stored),
        stored,
        floor.as_secs_f64() / stored.as_secs_f64()
    );
    Ok(())
}

fn plain_rows(batches: &[Vec<Append>]) -> Vec<Vec<PlainRow>> {
    let mut case_number = 0i64;
    batches
        .iter()
        .map(|batch| {
            let mut rows = Vec::new();
            for append in batch {
                case_number += 1;
                for (index, event) in append.events.iter().enumerate() {
                    rows.push(PlainRow::from_event(case_number, index as i64 + 1, event));
                }
            }
            rows
        })
        .collect()
}

async fn one_round(
    lines: &[String],
    batch: usize,
    dir: &std::path::Path,
) -> Result<(Duration, Duration, Duration)> {
    // Floor: plain batched inserts of the same rows, same settings, same transactions.
    let batches = group(parse(lines)?, batch);
    let mut case_number = 0i64;
    let plain: Vec<Vec<PlainRow>> = batches
        .iter()
        .map(|batch| {
            let mut rows = Vec::new();
            for append in batch {
                case_number += 1;
                for (index, event) in append.events.iter().enumerate() {
                    rows.push(PlainRow::from_event(case_number, index as i64 + 1, event));
                }
            }
            rows
        })
        .collect();
    let floor = plain_inserts(&dir.join("floor.db"), &plain).await?;

    // The store, from parsed events (what `Store::append` costs).
    let access = Access::new("bench", Purpose::Import);
    let open = |name: &str| {
        SqliteStore::open(SqliteOptions {
            path: dir.join(name),
            master_key: MasterKey::generate(),
            signer: AuditSigner::from_seed([5; 32]),
        })
    };
    let store = open("store.db").await?;
    let started = Instant::now();
    for batch in batches {
        store.append(&access, batch).await?;
    }
    let stored = started.elapsed();
    store.close().await;

    // End to end: parsing the lines too (what `rasso import` costs after reading the file).
    let store = open("import.db").await?;
    let started = Instant::now();
    for batch in group(parse(lines)?, batch) {
        store.append(&access, batch).await?;
    }
    let imported = started.elapsed();
    store.close().await;
    Ok((floor, stored, imported))
}
