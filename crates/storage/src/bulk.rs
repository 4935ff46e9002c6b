//! Bulk loading of new cases, for benchmarks that need millions of stored cases (`cargo xtask
//! bench report`). It writes exactly the rows an append of the same new cases writes (the same
//! event rows and sealed identity through [`crate::rows::event_row`], the same case projection,
//! report facts and one audit record per case), but many cases per statement and per transaction,
//! and with durability relaxed during the load only (SQLite `synchronous = OFF`, PostgreSQL
//! `synchronous_commit = off`): a crash or power cut during a load can lose the load, so it is for
//! building benchmark databases, never for records. Only new cases: a case that already exists
//! fails the whole load (the unique key on force and reference), and nothing of it is stored.

use chrono::{DateTime, Utc};
use domain::{Case, RuleSet};

use crate::access::{Access, Category};
use crate::audit::{AuditEntry, append_detail};
use crate::chain::{CaseChainer, CaseHead, GENESIS, Hash, StateDelta};
use crate::common::{Projection, case_object, project};
use crate::error::{StoreError, StoreResult};
use crate::facts::FactsRow;
use crate::keys::DataKey;
use crate::model::{Append, ExpectedVersion};
use crate::rows::{EventRow, event_row};

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

/// The rows of `append` as a new case, as [`crate::Store::append`] would write them; `None` when
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
