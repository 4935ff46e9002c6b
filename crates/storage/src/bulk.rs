//! Bulk loading of new cases, for benchmarks that need millions of stored cases (`cargo xtask
//! bench report`). It writes exactly the rows an append of the same new cases writes (the same
//! event rows and sealed identity through [`crate::rows::event_row`], the same case projection,
//! report facts and one audit record per case), but many cases per statement and per transaction,
//! and with durability relaxed during the load only (SQLite `synchronous = OFF`, PostgreSQL
//! `synchronous_commit = off`): a crash or power cut during a load can lose the load, so it is for
//! building benchmark databases, never for records. Only new cases: a case that already exists
//! fails the whole load (the unique key on force and reference), and nothing of it is stored.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use domain::{Case, RuleSet};

use crate::access::{Access, Category};
use crate::audit::{AuditEntry, append_detail, case_object, format_time};
use crate::chain::{CaseChainer, CaseHead, GENESIS, Hash, StateDelta};
use crate::common::{Projection, actor_of, project};
use crate::engine::Backend;
use crate::error::{StoreError, StoreResult};
use crate::facts::FactsRow;
use crate::keys::DataKey;
use crate::model::{Append, ExpectedVersion};
use crate::row_maps::RowExt;
use crate::rows::{
    EventRow, INSERT_EVENTS, INSERT_SEALED, SealedRow, event_row, push_event, push_sealed,
};
use crate::sql::{Param, Run, SqlDb, Values, stmt};

/// Cases per statement, and rows of other tables per statement (8 values a row at most): under
/// SQLite's limit of 32,766 bound values and PostgreSQL's of 65,535.
const CASES_PER_STATEMENT: usize = 1_000;
const ROWS_PER_STATEMENT: usize = 3_000;

/// Stores the new cases of `batch` in bulk (see the module), in one transaction of `store`;
/// `setup` runs first in it (PostgreSQL relaxes the commit's durability there; SQLite's
/// `synchronous` is the connection's, set by the caller around the load). Returns the number of
/// cases stored.
pub(crate) async fn load<B: Backend>(
    store: &B,
    access: &Access,
    batch: Vec<Append>,
    setup: Option<&'static str>,
) -> StoreResult<u64> {
    let now = Utc::now();
    let key = store.core().active_key()?;
    let mut cases = Vec::with_capacity(batch.len());
    for append in batch {
        if let Some(rows) = new_case_rows(access, append, &key, store.rules(), now)? {
            cases.push(rows);
        }
    }
    if cases.is_empty() {
        return Ok(0);
    }
    write(store, access, &cases, now, setup).await?;
    Ok(cases.len() as u64)
}

/// Writes `cases` in one transaction: cases (their ids from the database), events, sealed
/// identities, report facts, change counters, then one audit record per case.
async fn write<B: Backend>(
    store: &B,
    access: &Access,
    cases: &[NewCaseRows],
    now: DateTime<Utc>,
    setup: Option<&'static str>,
) -> StoreResult<()> {
    let mut tx = store.begin(actor_of(access), true).await?;
    if let Some(setup) = setup {
        stmt::<B::Db>(setup).run(tx.next()?).await?;
    }
    let next_audit_seq: i64 = stmt::<B::Db>("SELECT COALESCE(MAX(seq), 0) FROM audit_log")
        .one(tx.next()?)
        .await?
        .col(0)?;
    let updated_at = format_time(now);
    let mut ids: HashMap<(String, String), i64> = HashMap::with_capacity(cases.len());
    for chunk in cases.chunks(CASES_PER_STATEMENT) {
        insert_cases::<B::Db>(tx.next()?, chunk, &updated_at, &mut ids).await?;
    }
    // Audit sequence numbers follow the order of the batch, as in an append.
    let mut numbered: Vec<(i64, i64, &NewCaseRows)> = Vec::with_capacity(cases.len());
    for (i, rows) in cases.iter().enumerate() {
        let case_id = ids
            .get(&(rows.force.clone(), rows.reference.clone()))
            .copied()
            .ok_or_else(|| StoreError::Corrupt("a bulk-loaded case got no id".into()))?;
        numbered.push((case_id, next_audit_seq + i as i64 + 1, rows));
    }
    let events: Vec<(i64, i64, &EventRow)> = numbered
        .iter()
        .flat_map(|(case_id, audit_seq, rows)| {
            rows.events
                .iter()
                .map(move |event| (*case_id, *audit_seq, event))
        })
        .collect();
    for chunk in events.chunks(ROWS_PER_STATEMENT) {
        let mut insert = Values::<B::Db>::new(INSERT_EVENTS);
        for (case_id, audit_seq, event) in chunk {
            push_event(&mut insert, *case_id, *audit_seq, event);
        }
        insert.finish("").build().run(tx.next()?).await?;
    }
    let sealed: Vec<(i64, i64, &SealedRow)> = events
        .iter()
        .filter_map(|(case_id, _, row)| row.sealed.as_ref().map(|s| (*case_id, row.seq, s)))
        .collect();
    for chunk in sealed.chunks(ROWS_PER_STATEMENT) {
        let mut insert = Values::<B::Db>::new(INSERT_SEALED);
        for (case_id, seq, sealed) in chunk {
            push_sealed(&mut insert, *case_id, *seq, sealed);
        }
        insert.finish("").build().run(tx.next()?).await?;
    }
    let facts: Vec<(i64, &FactsRow)> = numbered
        .iter()
        .filter_map(|(case_id, _, rows)| rows.facts.as_ref().map(|facts| (*case_id, facts)))
        .collect();
    for chunk in facts.chunks(ROWS_PER_STATEMENT) {
        let mut insert = Values::<B::Db>::new(
            "INSERT INTO report_facts (case_id, force, reported_on, last_event_at, facts) ",
        );
        for (case_id, facts) in chunk {
            insert
                .row()
                .value(*case_id)
                .value(&facts.force)
                .value(&facts.reported_on)
                .value(&facts.last_event_at)
                .value(&facts.facts);
        }
        insert.finish("").build().run(tx.next()?).await?;
    }
    for (force, count) in changes_by_force(cases) {
        stmt::<B::Db>(crate::case_changes::COUNT_CHANGES)
            .param(force)
            .param(count)
            .run(tx.next()?)
            .await?;
    }
    let entries: Vec<_> = cases.iter().map(|rows| rows.entry.clone()).collect();
    store
        .write_audit_moving(&mut tx, &entries, &state_delta(cases), now)
        .await?;
    tx.commit().await
}

/// Inserts the `cases` rows of `chunk`, noting the id the database gave each.
async fn insert_cases<DB: SqlDb>(
    conn: &mut DB::Connection,
    chunk: &[NewCaseRows],
    updated_at: &str,
    ids: &mut HashMap<(String, String), i64>,
) -> StoreResult<()> {
    let mut insert = Values::<DB>::new(
        "INSERT INTO cases (force, reference, version, status, officer, open_findings, people, reported_at, last_event_at, updated_at, head) ",
    );
    for rows in chunk {
        let projection = &rows.projection;
        insert
            .row()
            .value(&rows.force)
            .value(&rows.reference)
            .value(rows.version)
            .value(projection.status.as_str())
            .value(&projection.officer)
            .value(projection.open_findings as i64)
            .value(projection.people as i64)
            .value(&projection.reported_at)
            .value(&projection.last_event_at)
            .value(updated_at)
            .value(crate::chain::to_hex(&rows.head));
    }
    let mut query = insert.finish(" RETURNING case_id, force, reference");
    for row in query.build().all(conn).await? {
        ids.insert((row.col(1)?, row.col(2)?), row.col(0)?);
    }
    Ok(())
}

/// Everything stored for one new case.
pub(crate) struct NewCaseRows {
    pub(crate) force: String,
    pub(crate) reference: String,
    pub(crate) version: i64,
    /// The case's chain head after its events.
    pub(crate) head: Hash,
    pub(crate) projection: Projection,
    pub(crate) events: Vec<EventRow>,
    pub(crate) facts: Option<FactsRow>,
    pub(crate) entry: AuditEntry,
}

/// The rows of `append` as a new case, as [`crate::CaseStore::append`] would write them; `None` when
/// it brings no event.
pub(crate) fn new_case_rows(
    access: &Access,
    append: Append,
    key: &(i64, DataKey),
    rules: &RuleSet,
    now: DateTime<Utc>,
) -> StoreResult<Option<NewCaseRows>> {
    let force = append.case.force.to_string();
    let reference = append.case.reference.to_string();
    if let Some(stray) = append
        .events
        .iter()
        .find(|event| event.case() != &append.case)
    {
        return Err(StoreError::Invalid(format!(
            "event {} belongs to case {}/{}, not {force}/{reference}",
            stray.id,
            stray.case().force,
            stray.case().reference
        )));
    }
    if let ExpectedVersion::Exact(expected) = append.expected
        && expected != 0
    {
        return Err(StoreError::Conflict {
            force,
            reference,
            expected: append.expected,
            actual: 0,
        });
    }
    // Repeated event ids within the append are stored once, as an append does (and an id
    // repeated with other content is refused, as an append refuses it).
    let no_keys = |_| Err(StoreError::Key("a new case holds no sealed rows".into()));
    let (fresh, _) = crate::rows::new_events(
        &force,
        &reference,
        append.events,
        &std::collections::HashMap::new(),
        &no_keys,
    )?;
    if fresh.is_empty() {
        return Ok(None);
    }
    let mut rows = Vec::with_capacity(fresh.len());
    let mut events = Vec::with_capacity(fresh.len());
    let mut chainer = CaseChainer::resume(0, GENESIS);
    for (index, new) in fresh.into_iter().enumerate() {
        let (row, event) = event_row(new, index as i64 + 1, &force, &reference, key)?;
        row.chain_onto(&mut chainer, &force, &reference);
        rows.push(row);
        events.push(event);
    }
    let version = rows.len() as i64;
    let case = Case::new(append.case.clone(), events);
    let projection = project(&case, rules, now);
    let facts = FactsRow::of(&case, rules);
    let entry = AuditEntry {
        actor: access.actor.clone(),
        category: Category::Collection,
        object: case_object(&force, &reference),
        purpose: access.purpose.as_str().to_owned(),
        reason: access.reason.clone(),
        recipient: access.recipient.clone(),
        detail: append_detail(version as u64, 0, version as u64, &chainer.head()),
    };
    Ok(Some(NewCaseRows {
        force,
        reference,
        version,
        head: chainer.head(),
        projection,
        events: rows,
        facts,
        entry,
    }))
}

/// The state digest's move for a bulk load: every case new.
pub(crate) fn state_delta(cases: &[NewCaseRows]) -> StateDelta {
    let mut delta = StateDelta::default();
    for case in cases {
        delta.push(
            None,
            CaseHead {
                force: case.force.clone(),
                reference: case.reference.clone(),
                version: case.version as u64,
                head: case.head,
            },
        );
    }
    delta
}

/// How many cases of each force a bulk load creates (for the forces' change counters, see
/// [`crate::case_changes`]).
pub(crate) fn changes_by_force(cases: &[NewCaseRows]) -> std::collections::BTreeMap<&str, i64> {
    let mut changes = std::collections::BTreeMap::new();
    for case in cases {
        *changes.entry(case.force.as_str()).or_insert(0) += 1;
    }
    changes
}
