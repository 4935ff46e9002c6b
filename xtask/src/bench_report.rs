//! `cargo xtask bench report`: a force-year and a national report over stored generated cases, as
//! `rasso report` and the leaders' page build them (from the stored report facts), against a
//! hand-written SQL aggregate of the same headline figures (cases, outcomes by type, charged) in the
//! same run, for SQLite and (with `--pg`) PostgreSQL. Each measurement runs in a child process of
//! its own, so that its peak resident memory (`VmHWM`) is its own. The report's headline figures
//! must equal the SQL's, which also checks the report against an independent computation.
//!
//! The cases are stored with the store's bulk loader (`SqliteStore::bulk_load`, `PgStore::bulk_load`):
//! the same rows as appends, many cases per statement and transaction, with durability relaxed
//! during the load only. `--db FILE` (and `--pg-keep SCHEMA`) keep the database for the next run,
//! so that millions of cases are generated and stored once.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use chrono::NaiveDate;
use clap::Args;
use domain::{Record, RuleSet};
use reporting::Scope;
use reports::ReportPath;
use sqlx::Row;
use storage::prelude::*;
use storage::{
    Access, Append, AuditSigner, EventReader, ExpectedVersion, MasterKey, PgOptions, PgStore,
    Purpose, SqliteOptions, SqliteStore,
};

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// How many generated cases to store (when the database is new).
    #[arg(long, default_value_t = 2_000_000)]
    cases: usize,
    /// Keep the database here and reuse it on the next run (the import of millions of cases takes
    /// a long time at full durability). A temporary database when omitted.
    #[arg(long, value_name = "FILE")]
    db: Option<PathBuf>,
    /// One measurement, run by the benchmark in a child process.
    #[arg(long, hide = true)]
    child: Option<String>,
    /// Also measure PostgreSQL at this URL, in the same run (a schema of its own, dropped after
    /// unless `--pg-keep` names it).
    #[arg(long, value_name = "URL", env = "RASSO_TEST_PG")]
    pg: Option<String>,
    /// Generated cases for the PostgreSQL measurement.
    #[arg(long, default_value_t = 2_000_000)]
    pg_cases: usize,
    /// Keep the PostgreSQL cases in this schema and reuse them on the next run.
    #[arg(long, value_name = "SCHEMA")]
    pg_keep: Option<String>,
    /// The PostgreSQL schema a child measures (set by the benchmark).
    #[arg(long, hide = true)]
    pg_schema: Option<String>,
}

/// Where the measured cases are stored.
#[derive(Debug, Clone)]
enum Db {
    Sqlite(PathBuf),
    Pg { url: String, schema: String },
}

/// An open store of either kind (the bulk loader is not part of the `Store` trait).
enum Opened {
    Sqlite(SqliteStore),
    Pg(PgStore),
}

impl Opened {
    fn store(&self) -> &dyn Store {
        match self {
            Opened::Sqlite(store) => store,
            Opened::Pg(store) => store,
        }
    }

    async fn bulk_load(&self, access: &Access, batch: Vec<Append>) -> Result<u64> {
        Ok(match self {
            Opened::Sqlite(store) => store.bulk_load(access, batch).await?,
            Opened::Pg(store) => store.bulk_load(access, batch).await?,
        })
    }

    async fn close(self) {
        match self {
            Opened::Sqlite(store) => store.close().await,
            Opened::Pg(store) => store.close().await,
        }
    }
}

impl Db {
    async fn open(&self) -> Result<Opened> {
        Ok(match self {
            Db::Sqlite(path) => Opened::Sqlite(SqliteStore::open(options(path)).await?),
            Db::Pg { url, schema } => {
                let mut options = PgOptions::new(
                    url.clone(),
                    MasterKey::from_bytes([7; 32]),
                    AuditSigner::from_seed([8; 32]),
                );
                options.schema = Some(schema.clone());
                Opened::Pg(PgStore::open(options).await?)
            }
        })
    }

    fn child_args(&self) -> Vec<String> {
        match self {
            Db::Sqlite(path) => vec!["--db".into(), path.display().to_string()],
            Db::Pg { url, schema } => vec![
                "--pg".into(),
                url.clone(),
                "--pg-schema".into(),
                schema.clone(),
            ],
        }
    }
}

const FORCES: usize = 43;
const SEED: u64 = 1;

/// The two reports: one force for 2025, and all forces for 2025.
fn scope_of(kind: &str) -> Result<(Option<String>, NaiveDate, NaiveDate)> {
    let from = NaiveDate::from_ymd_opt(2025, 1, 1).context("date")?;
    let to = NaiveDate::from_ymd_opt(2025, 12, 31).context("date")?;
    match kind {
        "force-year" => Ok((synthetic::force_codes(FORCES).first().cloned(), from, to)),
        "national" => Ok((None, from, to)),
        other => bail!("unknown measurement `{other}`"),
    }
}

fn options(path: &Path) -> SqliteOptions {
    SqliteOptions {
        path: path.to_path_buf(),
        master_key: MasterKey::from_bytes([7; 32]),
        signer: AuditSigner::from_seed([8; 32]),
    }
}

pub fn run(args: ReportArgs) -> Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    if let Some(child) = &args.child {
        let db = match (&args.pg, &args.pg_schema) {
            (Some(url), Some(schema)) => Db::Pg {
                url: url.clone(),
                schema: schema.clone(),
            },
            _ => Db::Sqlite(args.db.clone().context("--child needs --db")?),
        };
        return runtime.block_on(measure(child, &db));
    }
    let temporary = tempfile::tempdir().context("cannot make a temporary directory")?;
    let db = args
        .db
        .clone()
        .unwrap_or_else(|| temporary.path().join("bench-report.db"));
    if !db.exists() {
        runtime.block_on(fill(&Db::Sqlite(db.clone()), args.cases))?;
    } else {
        println!("reusing {}", db.display());
    }
    println!("SQLite:");
    compare(&Db::Sqlite(db))?;
    if let Some(url) = &args.pg {
        let schema = args
            .pg_keep
            .clone()
            .unwrap_or_else(|| format!("rasso_bench_report_{:016x}", rand::random::<u64>()));
        let pg = Db::Pg {
            url: url.clone(),
            schema: schema.clone(),
        };
        let result = runtime
            .block_on(fill_pg_unless_kept(&pg, args.pg_cases))
            .and_then(|stored| {
                println!("PostgreSQL ({stored} cases, schema {schema}):");
                compare(&pg)
            });
        if args.pg_keep.is_none() {
            runtime.block_on(storage::postgres::drop_schema(url, &schema))?;
        }
        result?;
    }
    Ok(())
}

/// Both reports against the SQL floor, each in a child process.
fn compare(db: &Db) -> Result<()> {
    let mut figures = BTreeMap::new();
    for kind in ["force-year", "national"] {
        let report = child(db, &format!("report-{kind}"))?;
        let sql = child(db, &format!("sql-{kind}"))?;
        let facts_sql = child(db, &format!("factsql-{kind}"))?;
        println!(
            "{kind:<10}  report {:>8.2} s  peak {:>7} KiB   |  SQL floor {:>8.2} s  peak {:>7} KiB   |  ratio {:.2}x (goal: within 2x)",
            report.seconds,
            report.peak_kib,
            sql.seconds,
            sql.peak_kib,
            report.seconds / sql.seconds.max(f64::EPSILON)
        );
        println!(
            "{:<10}  (SQL reading the rows the report reads, the stored report facts: {:.2} s, peak {} KiB, {}; report / that = {:.2}x)",
            "",
            facts_sql.seconds,
            facts_sql.peak_kib,
            facts_sql.headline,
            report.seconds / facts_sql.seconds.max(f64::EPSILON)
        );
        if report.headline != sql.headline {
            bail!(
                "{kind}: the report and the SQL disagree:\nreport {}\nSQL {}",
                report.headline,
                sql.headline
            );
        }
        if cases_of(&report.headline) != cases_of(&facts_sql.headline) {
            bail!(
                "{kind}: the report and the stored facts count different cases: report {}, facts {}",
                report.headline,
                facts_sql.headline
            );
        }
        figures.insert(kind, report.headline);
    }
    for (kind, headline) in figures {
        println!("{kind} headline figures (report = SQL): {headline}");
    }
    Ok(())
}

/// The cases stored in the PostgreSQL schema, filling it first when it holds none.
async fn fill_pg_unless_kept(db: &Db, count: usize) -> Result<u64> {
    let opened = db.open().await?;
    let access = Access::new("bench", Purpose::Administration);
    let listed = opened
        .store()
        .list_cases(
            &access,
            &storage::CaseFilter {
                limit: Some(1),
                ..Default::default()
            },
        )
        .await?;
    opened.close().await;
    if listed.is_empty() {
        fill(db, count).await?;
        Ok(count as u64)
    } else {
        println!("reusing the PostgreSQL schema");
        let Db::Pg { url, schema } = db else {
            bail!("not a PostgreSQL database")
        };
        let options: sqlx::postgres::PgConnectOptions = url.parse()?;
        let pool =
            sqlx::PgPool::connect_with(options.options([("search_path", schema.as_str())])).await?;
        let cases: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM cases")
            .fetch_one(&pool)
            .await?;
        pool.close().await;
        Ok(cases as u64)
    }
}

/// Cases per bulk-load transaction.
const LOAD_BATCH: usize = 2_000;

/// Stores `count` generated cases with the store's bulk loader. A thread generates and parses the
/// cases (as `rasso import` reads lines) while the store writes the previous batch.
async fn fill(db: &Db, count: usize) -> Result<()> {
    let store = db.open().await?;
    let access = Access::new("bench", Purpose::Import);
    let started = Instant::now();
    let (sender, receiver) = std::sync::mpsc::sync_channel::<Result<(Vec<Append>, usize)>>(2);
    let generator = std::thread::spawn(move || {
        let settings = synthetic::Settings::new(SEED, FORCES);
        let mut reader = EventReader::new();
        let mut batch = Vec::with_capacity(LOAD_BATCH);
        let mut events = 0usize;
        for case in synthetic::cases(&settings, count) {
            let mut new_events = Vec::with_capacity(case.events().len());
            for event in case.events() {
                let line = Record {
                    case: case.key.clone(),
                    event: event.clone(),
                }
                .to_line();
                match reader.read(&line) {
                    Ok(event) => new_events.push(event),
                    Err(error) => {
                        let _ = sender.send(Err(anyhow::anyhow!("{error}")));
                        return;
                    }
                }
            }
            events += new_events.len();
            batch.push(Append {
                case: case.key.clone(),
                expected: ExpectedVersion::NoCase,
                events: new_events,
            });
            if batch.len() == LOAD_BATCH {
                let full = std::mem::replace(&mut batch, Vec::with_capacity(LOAD_BATCH));
                if sender.send(Ok((full, events))).is_err() {
                    return;
                }
                events = 0;
            }
        }
        if !batch.is_empty() {
            let _ = sender.send(Ok((batch, events)));
        }
    });
    let (mut cases, mut events) = (0usize, 0usize);
    let mut next_progress = 100_000;
    while let Ok(batch) = receiver.recv() {
        let (batch, batch_events) = batch?;
        cases += store.bulk_load(&access, batch).await? as usize;
        events += batch_events;
        if cases >= next_progress {
            eprintln!(
                "stored {cases} cases ({events} events) in {:.0?}",
                started.elapsed()
            );
            next_progress += 100_000;
        }
    }
    generator
        .join()
        .map_err(|_| anyhow::anyhow!("the generator thread panicked"))?;
    store.close().await;
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "stored {cases} generated cases ({events} events) with the bulk loader in {seconds:.1} s ({:.0} events/s; durability relaxed during the load only)",
        events as f64 / seconds.max(f64::EPSILON)
    );
    Ok(())
}

struct Measured {
    seconds: f64,
    peak_kib: u64,
    headline: String,
}

fn child(db: &Db, what: &str) -> Result<Measured> {
    let exe = std::env::current_exe().context("cannot find the xtask binary")?;
    let output = Command::new(exe)
        .args(["bench", "report"])
        .args(db.child_args())
        .args(["--child", what])
        .output()
        .context("cannot run a measurement")?;
    if !output.status.success() {
        bail!(
            "measurement {what} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let text = String::from_utf8_lossy(&output.stdout);
    let mut lines = text.lines();
    let seconds = lines
        .next()
        .and_then(|l| l.parse().ok())
        .context("no time measured")?;
    let peak_kib = lines
        .next()
        .and_then(|l| l.parse().ok())
        .context("no peak memory measured")?;
    let headline = lines.next().unwrap_or_default().to_owned();
    Ok(Measured {
        seconds,
        peak_kib,
        headline,
    })
}

/// One measurement in this (child) process: prints seconds, peak KiB and the headline figures.
async fn measure(what: &str, db: &Db) -> Result<()> {
    let (kind, rest) = what.split_once('-').context("bad measurement")?;
    let (force, from, to) = scope_of(rest)?;
    let started = Instant::now();
    let headline = match kind {
        "report" => report(db, force, from, to).await?,
        "sql" => sql(db, force.as_deref(), from, to).await?,
        "factsql" => facts_sql(db, force.as_deref(), from, to).await?,
        other => bail!("unknown measurement `{other}`"),
    };
    println!("{}", started.elapsed().as_secs_f64());
    println!("{}", peak_kib());
    println!("{headline}");
    Ok(())
}

fn headline(cases: u64, outcomes: &BTreeMap<u32, u64>, charged: u64) -> String {
    let outcomes: Vec<String> = outcomes
        .iter()
        .filter(|(_, n)| **n > 0)
        .map(|(o, n)| format!("{o}:{n}"))
        .collect();
    format!(
        "cases={cases} charged={charged} outcomes[{}]",
        outcomes.join(" ")
    )
}

async fn report(db: &Db, force: Option<String>, from: NaiveDate, to: NaiveDate) -> Result<String> {
    let store = db.open().await?;
    let rules = RuleSet::national();
    let scope = Scope {
        force,
        from,
        to,
        as_of: synthetic::Settings::new(SEED, FORCES).until,
        rule_set: rules.config().id.clone(),
        shared: false,
    };
    let access = Access::new("bench", Purpose::Reporting);
    let (report, path) = reports::build_report(store.store(), &access, &rules, scope).await?;
    store.close().await;
    if path != ReportPath::Facts {
        bail!(
            "the report did not use the stored facts ({path:?}): run `rasso report rebuild-facts` on this database"
        );
    }
    let outcomes: BTreeMap<u32, u64> = report
        .outcomes
        .iter()
        .enumerate()
        .map(|(o, n)| (o as u32, *n))
        .collect();
    Ok(headline(report.cases, &outcomes, report.charged))
}

/// The same headline figures in one hand-written SQL aggregate. Dates compare on UTC: the ranges
/// start and end in winter, when UK local time is UTC.
async fn sql(db: &Db, force: Option<&str>, from: NaiveDate, to: NaiveDate) -> Result<String> {
    let db = match db {
        Db::Sqlite(path) => path,
        Db::Pg { url, schema } => return sql_pg(url, schema, force, from, to).await,
    };
    let url = format!("sqlite://{}?mode=ro", db.display());
    let pool = sqlx::SqlitePool::connect(&url).await?;
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT COALESCE(closed.outcome, 0) AS outcome, COUNT(*) AS n \
         FROM cases c \
         LEFT JOIN (SELECT case_id, CAST(json_extract(body, '$.outcome') AS INTEGER) AS outcome \
                    FROM events WHERE kind = 'case_closed') closed ON closed.case_id = c.case_id \
         WHERE {force_condition} substr(c.reported_at, 1, 10) BETWEEN $2 AND $3 \
         GROUP BY 1",
        force_condition = if force.is_some() {
            "c.force = $1 AND"
        } else {
            "$1 IS NULL AND"
        }
    )))
    .bind(force)
    .bind(from.to_string())
    .bind(to.to_string())
    .fetch_all(&pool)
    .await?;
    pool.close().await;
    let mut outcomes: BTreeMap<u32, u64> = (0..=22).map(|o| (o, 0)).collect();
    let mut cases = 0;
    for row in rows {
        let outcome: i64 = row.try_get("outcome")?;
        let n: i64 = row.try_get("n")?;
        cases += n as u64;
        *outcomes.entry(outcome as u32).or_default() += n as u64;
    }
    let charged = outcomes.get(&1).copied().unwrap_or(0);
    Ok(headline(cases, &outcomes, charged))
}

/// The same aggregate in PostgreSQL's spelling (as the connecting superuser, so row-level
/// security does not apply).
async fn sql_pg(
    url: &str,
    schema: &str,
    force: Option<&str>,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<String> {
    let options: sqlx::postgres::PgConnectOptions = url.parse()?;
    let pool = sqlx::PgPool::connect_with(options.options([("search_path", schema)])).await?;
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT COALESCE(closed.outcome, 0)::BIGINT AS outcome, COUNT(*)::BIGINT AS n \
         FROM cases c \
         LEFT JOIN (SELECT case_id, (body::jsonb ->> 'outcome')::INTEGER AS outcome \
                    FROM events WHERE kind = 'case_closed') closed ON closed.case_id = c.case_id \
         WHERE {force_condition} substr(c.reported_at, 1, 10) BETWEEN $2 AND $3 \
         GROUP BY 1",
        force_condition = if force.is_some() {
            "c.force = $1 AND"
        } else {
            "$1::TEXT IS NULL AND"
        }
    )))
    .bind(force)
    .bind(from.to_string())
    .bind(to.to_string())
    .fetch_all(&pool)
    .await?;
    pool.close().await;
    let mut outcomes: BTreeMap<u32, u64> = (0..=22).map(|o| (o, 0)).collect();
    let mut cases = 0;
    for row in rows {
        let outcome: i64 = row.try_get("outcome")?;
        let n: i64 = row.try_get("n")?;
        cases += n as u64;
        *outcomes.entry(outcome as u32).or_default() += n as u64;
    }
    let charged = outcomes.get(&1).copied().unwrap_or(0);
    Ok(headline(cases, &outcomes, charged))
}

/// Reading the rows the report reads, in SQL: the stored report facts of the force and date range,
/// counted and their bytes summed. The facts are binary (`reporting::facts::binary`), so SQL cannot
/// take the headline figures from them; this is the floor for reading those rows, beside the floor
/// over the events above. Prints `cases=N bytes=B`; the case count must equal the report's.
async fn facts_sql(db: &Db, force: Option<&str>, from: NaiveDate, to: NaiveDate) -> Result<String> {
    let force_condition = match (db, force.is_some()) {
        (_, true) => "force = $1 AND",
        (Db::Sqlite(_), false) => "$1 IS NULL AND",
        (Db::Pg { .. }, false) => "$1::TEXT IS NULL AND",
    };
    // The same text for both databases: both count and sum in 64-bit integers.
    let sql = format!(
        "SELECT COUNT(*), COALESCE(SUM(LENGTH(facts)), 0) \
         FROM report_facts WHERE {force_condition} reported_on BETWEEN $2 AND $3"
    );
    // One query, run on whichever pool the database has (the pool types differ).
    macro_rules! count_rows {
        ($pool:expr) => {{
            let pool = $pool;
            let row = sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(force)
                .bind(from.to_string())
                .bind(to.to_string())
                .fetch_one(&pool)
                .await?;
            pool.close().await;
            row
        }};
    }
    let (cases, bytes): (i64, i64) = match db {
        Db::Sqlite(path) => {
            let url = format!("sqlite://{}?mode=ro", path.display());
            count_rows!(sqlx::SqlitePool::connect(&url).await?)
        }
        Db::Pg { url, schema } => {
            let options: sqlx::postgres::PgConnectOptions = url.parse()?;
            count_rows!(
                sqlx::PgPool::connect_with(options.options([("search_path", schema.as_str())]))
                    .await?
            )
        }
    };
    Ok(format!("cases={cases} bytes={bytes}"))
}

/// The `cases=N` of a headline.
fn cases_of(headline: &str) -> &str {
    headline.split(' ').next().unwrap_or_default()
}

/// The process's peak resident memory in KiB (Linux `VmHWM`), or 0 where it cannot be read.
fn peak_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status.lines().find_map(|line| {
                line.strip_prefix("VmHWM:")
                    .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
            })
        })
        .unwrap_or(0)
}
