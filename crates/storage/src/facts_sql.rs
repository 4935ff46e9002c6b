//! The SQL of report facts, the same text for both databases (numbered placeholders,
//! `ON CONFLICT`, row values), written once over either database ([`crate::sql::SqlDb`]).

use domain::{Case, CaseKey, Event};

use crate::common::parse_body;
use crate::error::StoreResult;
use reporting::ReportInput;

use crate::facts::{FactsQuery, FactsRow, FactsSink};
use crate::row_maps::RowExt;
use crate::sql::{Param, Run, SqlDb, stmt};

/// Facts rows per page when reading.
pub(crate) const FACTS_PAGE: i64 = 2_000;
/// Cases per transaction when rebuilding.
pub(crate) const REBUILD_PAGE: i64 = 1_000;

/// Polls `future` once, so that work it hands to another thread or process (a query sent to
/// SQLite's worker or to the PostgreSQL server) starts now; its output if it is already done.
pub(crate) async fn start<F: std::future::Future + Unpin>(future: &mut F) -> Option<F::Output> {
    std::future::poll_fn(|cx| {
        std::task::Poll::Ready(match std::pin::Pin::new(&mut *future).poll(cx) {
            std::task::Poll::Ready(output) => Some(output),
            std::task::Poll::Pending => None,
        })
    })
    .await
}

/// Logs the progress of a rebuild each time it passes a multiple of [`PROGRESS_EVERY`] cases
/// (a rebuild of millions of cases takes minutes); `before` and `after` are the cases rebuilt
/// before and after a page.
pub(crate) fn rebuild_progress(before: u64, after: u64) {
    if after / PROGRESS_EVERY > before / PROGRESS_EVERY {
        tracing::info!(cases = after, "rebuilding report facts");
    }
}

/// How often a rebuild reports its progress, in cases.
const PROGRESS_EVERY: u64 = 100_000;

/// A page of cases to rebuild the facts of, after case id `$1`, at most `$2`.
pub(crate) const REBUILD_CASES: &str = "SELECT case_id, force, reference, version FROM cases WHERE case_id > $1 ORDER BY case_id LIMIT $2";

/// Records the basis the facts were rebuilt under (`$1`) and when (`$2`).
pub(crate) const RECORD_BASIS: &str = "INSERT INTO report_facts_state (id, basis, built_at) VALUES (1, $1, $2) \
     ON CONFLICT (id) DO UPDATE SET basis = excluded.basis, built_at = excluded.built_at";

/// Writes a case's facts row.
pub(crate) async fn upsert<DB: SqlDb>(
    conn: &mut DB::Connection,
    case_id: i64,
    row: &FactsRow,
) -> StoreResult<()> {
    stmt::<DB>(
        "INSERT INTO report_facts (case_id, force, reported_on, last_event_at, facts) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (case_id) DO UPDATE SET force = excluded.force, reported_on = excluded.reported_on, \
         last_event_at = excluded.last_event_at, facts = excluded.facts",
    )
    .param(case_id)
    .param(&row.force)
    .param(&row.reported_on)
    .param(&row.last_event_at)
    .param(&row.facts)
    .run(&mut *conn)
    .await?;
    Ok(())
}

/// Hands every facts row of the query's force and date range that holds at `as_of` to
/// `sink`, page by page, and returns how many. The next page's query is sent before this
/// page's rows are decoded, so that the database works on it meanwhile (SQLite on its
/// worker thread, PostgreSQL on the server): reading and decoding overlap instead of
/// taking turns.
pub(crate) async fn read_pages<DB: SqlDb>(
    conn: &mut DB::Connection,
    query: &FactsQuery,
    as_of: &str,
    sink: &mut FactsSink<'_>,
) -> StoreResult<u64> {
    let mut count = 0;
    let mut after = (String::new(), 0i64);
    let mut rows = facts_page::<DB>(conn, query, &after).await?;
    while let Some(last) = rows.last() {
        after = (last.col(0)?, last.col(1)?);
        let mut next = Box::pin(facts_page::<DB>(conn, query, &after));
        let early = start(&mut next).await;
        count += hand_over::<DB>(&rows, as_of, sink)?;
        rows = match early {
            Some(result) => result?,
            None => next.await?,
        };
    }
    Ok(count)
}

/// Decodes a page of facts rows and hands those that hold at `as_of` to `sink` (cases
/// with events after the instant are handed over in full by [`later_cases`]).
fn hand_over<DB: SqlDb>(
    rows: &[DB::Row],
    as_of: &str,
    sink: &mut FactsSink<'_>,
) -> StoreResult<u64> {
    let mut count = 0;
    for row in rows {
        let last_event_at: String = row.col(3)?;
        if last_event_at.as_str() > as_of {
            continue;
        }
        let bytes = row.bytes(2)?;
        let facts = reporting::CaseFacts::from_bytes(bytes).map_err(|error| {
            let case_id: i64 = row.col(1).unwrap_or_default();
            crate::error::StoreError::Corrupt(format!("report facts of case {case_id}: {error}"))
        })?;
        sink(ReportInput::Facts(facts))?;
        count += 1;
    }
    Ok(count)
}

/// One page of facts rows of the force and date range, in (reported_on, case_id) order after
/// `after` (the order of the indexes, so that a page is one index range). Whether a row's facts
/// hold at the report's instant is checked on the row, not in SQL: a condition on the latest event
/// tempts the planner into scanning its index over the whole table.
pub(crate) async fn facts_page<DB: SqlDb>(
    conn: &mut DB::Connection,
    query: &FactsQuery,
    after: &(String, i64),
) -> StoreResult<Vec<DB::Row>> {
    // The lower bound is the row value alone, starting just before the range: with a
    // separate `reported_on >= from` beside it, SQLite seeks on that and tests the row value
    // on every row, so each page rescanned the range from its start (quadratic: a national
    // year of 2,000,000 stored cases spent most of its time there).
    let from = query.from.to_string();
    let to = query.to.to_string();
    let after = if after.0 < from {
        (from, i64::MIN)
    } else {
        after.clone()
    };
    let rows = match &query.force {
        Some(force) => {
            stmt::<DB>(
                "SELECT reported_on, case_id, facts, last_event_at FROM report_facts \
                 WHERE force = $1 AND (reported_on, case_id) > ($2, $3) AND reported_on <= $4 \
                 ORDER BY reported_on, case_id LIMIT $5",
            )
            .param(force)
            .param(&after.0)
            .param(after.1)
            .param(to)
            .param(FACTS_PAGE)
            .all(&mut *conn)
            .await?
        }
        None => {
            stmt::<DB>(
                "SELECT reported_on, case_id, facts, last_event_at FROM report_facts \
                 WHERE (reported_on, case_id) > ($1, $2) AND reported_on <= $3 \
                 ORDER BY reported_on, case_id LIMIT $4",
            )
            .param(&after.0)
            .param(after.1)
            .param(to)
            .param(FACTS_PAGE)
            .all(&mut *conn)
            .await?
        }
    };
    Ok(rows)
}

/// Cases (of the force) with events after the report's instant: their facts do not hold then, so
/// they are read and evaluated in full, whatever their stored report date (which may itself be
/// later than the instant).
pub(crate) async fn later_cases<DB: SqlDb>(
    conn: &mut DB::Connection,
    query: &FactsQuery,
    as_of: &str,
    sink: &mut FactsSink<'_>,
) -> StoreResult<u64> {
    // Driven by the latest-event index (no ordering or paging, which would make the planner walk
    // the whole table in id order): normally there are no such cases, and their keys are small.
    let rows = stmt::<DB>(
        "SELECT c.case_id, c.force, c.reference, c.version FROM report_facts f JOIN cases c ON c.case_id = f.case_id \
         WHERE f.last_event_at > $1",
    )
    .param(as_of)
    .all(&mut *conn)
    .await?;
    let mut count = 0;
    for row in rows {
        let force: String = row.col(1)?;
        if query.force.as_ref().is_some_and(|wanted| *wanted != force) {
            continue;
        }
        let key = CaseKey {
            force: force.into(),
            reference: row.col::<String>(2)?.into(),
        };
        let case = load_case::<DB>(conn, row.col(0)?, key, row.col(3)?).await?;
        sink(ReportInput::Case(case))?;
        count += 1;
    }
    Ok(count)
}

/// Rewrites the facts of one page of `cases` rows (`case_id, force, reference, version`,
/// as [`REBUILD_CASES`] selects them) inside `tx`; returns how many cases it read.
pub(crate) async fn rebuild_page<DB: SqlDb>(
    conn: &mut DB::Connection,
    cases: &[DB::Row],
    rules: reporting::RulesInForce<'_>,
) -> StoreResult<u64> {
    let mut count = 0;
    for row in cases {
        let case_id: i64 = row.col(0)?;
        let key = CaseKey {
            force: row.col::<String>(1)?.into(),
            reference: row.col::<String>(2)?.into(),
        };
        let version: i64 = row.col(3)?;
        let case = load_case::<DB>(conn, case_id, key, version).await?;
        if let Some(facts) = FactsRow::of(&case, rules) {
            upsert::<DB>(conn, case_id, &facts).await?;
        }
        count += 1;
    }
    Ok(count)
}

/// Records that every case's facts were rebuilt under `basis` (`count` cases), so that
/// reports under that basis read them.
pub(crate) async fn record_basis<DB: SqlDb>(
    conn: &mut DB::Connection,
    basis: &str,
    count: u64,
) -> StoreResult<()> {
    stmt::<DB>(RECORD_BASIS)
        .param(basis)
        .param(crate::audit::format_time(chrono::Utc::now()))
        .run(conn)
        .await?;
    tracing::info!(cases = count, basis = %basis, "report facts rebuilt");
    Ok(())
}

/// The events of a case up to `version`, parsed.
pub(crate) async fn load_case<DB: SqlDb>(
    conn: &mut DB::Connection,
    case_id: i64,
    key: CaseKey,
    version: i64,
) -> StoreResult<Case> {
    let rows =
        stmt::<DB>("SELECT seq, body FROM events WHERE case_id = $1 AND seq <= $2 ORDER BY seq")
            .param(case_id)
            .param(version)
            .all(&mut *conn)
            .await?;
    let mut events: Vec<Event> = Vec::with_capacity(rows.len());
    for row in rows {
        let seq: i64 = row.col(0)?;
        let body: String = row.col(1)?;
        events.push(parse_body(&body, &key.force, &key.reference, seq)?.event);
    }
    Ok(Case::new(key, events))
}
