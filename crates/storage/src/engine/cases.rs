//! Case data, once for both databases: the append (events hash-chained, sealed identity,
//! projection, report facts, linkage and the audit record, in one transaction), reads, lists,
//! streams and exports.

use std::collections::{BTreeMap, HashMap, HashSet};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::interchange::Identity;
use domain::{Case, CaseKey, Event, PersonKey};
use serde_json::{Map, Value, json};

use super::{AuditedVersion, Backend};
use crate::access::{Access, Category};
use crate::audit::{AuditEntry, append_detail, case_object, format_time};
use crate::chain::{CaseChainer, CaseHead, GENESIS, StateDelta};
use crate::common::{PAGE, actor_of, identity_from_plaintext, lock_poisoned, parse_body, project};
use crate::error::{StoreError, StoreResult};
use crate::facts::{FactsRow, MARK_STALE, stale_basis};
use crate::keys::{DataKey, IDENTITY_FIELD, SealBinding};
use crate::model::{
    Append, AppendOutcome, CaseFilter, CaseSummary, ExpectedVersion, ExportOptions, StoredCase,
};
use crate::row_maps::{RowExt, held_from_row, summaries};
use crate::server_state::{CaseRead, CaseShare};
use crate::sql::{Param, Run, SqlDb, stmt};
use crate::store::{CaseSink, CaseStore, LineSink};
use crate::tx::{Conn, Tx};

/// The data key `key_id` of `store`'s key ring.
pub(crate) fn data_key<B: Backend>(store: &B, key_id: i64) -> StoreResult<DataKey> {
    store
        .keys()
        .read()
        .map_err(|_| lock_poisoned())?
        .data_key(key_id)
}

/// A page of cases after case id `after` (of one force, if named): id, force, reference,
/// version.
async fn case_rows<DB: SqlDb>(
    conn: &mut DB::Connection,
    after: i64,
    force: Option<&str>,
) -> StoreResult<Vec<(i64, String, String, i64)>> {
    let rows = match force {
        Some(force) => {
            stmt::<DB>(
                "SELECT case_id, force, reference, version FROM cases WHERE case_id > $1 AND force = $2 ORDER BY case_id LIMIT $3",
            )
            .param(after)
            .param(force)
            .param(PAGE)
            .all(conn)
            .await?
        }
        None => {
            stmt::<DB>(
                "SELECT case_id, force, reference, version FROM cases WHERE case_id > $1 ORDER BY case_id LIMIT $2",
            )
            .param(after)
            .param(PAGE)
            .all(conn)
            .await?
        }
    };
    rows.iter()
        .map(|row| Ok((row.col(0)?, row.col(1)?, row.col(2)?, row.col(3)?)))
        .collect()
}

/// Writes (or rewrites) the facts of one case inside the append transaction, with the store's
/// rules and any attached plugins' ([`crate::facts::FactsPlugins`]); marks the store's facts
/// stale if they are recorded under another basis ([`MARK_STALE`]).
pub(crate) async fn write_facts<B: Backend>(
    store: &B,
    tx: &mut Tx<'_, B::Db>,
    case_id: i64,
    case: &Case,
) -> StoreResult<()> {
    let rules = store.rules();
    let plugins = store.facts_plugins();
    let Some(row) = FactsRow::of(case, plugins.rules(rules)) else {
        return Ok(());
    };
    crate::facts_sql::upsert::<B::Db>(tx.next()?, case_id, &row).await?;
    let basis = plugins.basis(rules);
    stmt::<B::Db>(MARK_STALE)
        .param(&basis)
        .param(stale_basis(&basis))
        .run(tx.next()?)
        .await?;
    Ok(())
}

/// Profiles, indexes and links a suspect added with an identity, inside the append.
#[allow(clippy::too_many_arguments)]
async fn link_suspect<B: Backend>(
    store: &B,
    tx: &mut Tx<'_, B::Db>,
    key: &(i64, DataKey),
    case_id: i64,
    force: &str,
    reference: &str,
    person: &str,
    identity: &Identity,
    now: DateTime<Utc>,
) -> StoreResult<u64> {
    let linkage_key = {
        let ring = store.keys().read().map_err(|_| lock_poisoned())?;
        crate::linking::linkage_key(&ring.keys)?
    };
    let keys = |id| data_key(store, id);
    crate::link_sql::suspect_added::<B::Db>(
        &mut tx.tx,
        &keys,
        &linkage_key,
        (key.0, &key.1),
        case_id,
        force,
        reference,
        person,
        &crate::linking::match_identity(identity),
        &format_time(now),
    )
    .await
}

/// Appends one case's new events inside `tx`: the events already held are skipped, the version
/// checked, the new events and their sealed identities inserted, chained, linked, projected and
/// their facts written. The audit entry is returned for the caller to write with the others.
async fn append_one<B: Backend>(
    store: &B,
    tx: &mut Tx<'_, B::Db>,
    append: Append,
    key: &(i64, DataKey),
    now: DateTime<Utc>,
    next_audit_seq: i64,
    delta: &mut StateDelta,
) -> StoreResult<(AppendOutcome, Option<AuditEntry>)> {
    let force = append.case.force.as_str();
    let reference = append.case.reference.as_str();
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
    let row = stmt::<B::Db>(B::CASE_FOR_APPEND)
        .param(force)
        .param(reference)
        .optional(tx.next()?)
        .await?;
    let (case_id, version, head) = match row {
        Some(row) => (
            Some(row.col::<i64>(0)?),
            row.col::<i64>(1)? as u64,
            row.col::<Option<String>>(2)?,
        ),
        None => (None, 0, None),
    };
    let conflict = |expected: ExpectedVersion, actual: u64| StoreError::Conflict {
        force: force.to_owned(),
        reference: reference.to_owned(),
        expected,
        actual,
    };
    // A unique key refusing a row: another writer got there first (PostgreSQL).
    let lost_race = |error: StoreError| match &error {
        StoreError::Database(database) if B::is_unique_violation(database) => {
            conflict(append.expected, version + 1)
        }
        _ => error,
    };
    let mut held = HashMap::new();
    let mut order = Vec::new();
    if let Some(case_id) = case_id {
        let rows = stmt::<B::Db>(crate::rows::HELD_EVENTS)
            .param(case_id)
            .all(tx.next()?)
            .await?;
        for row in &rows {
            let (seq, event_id, held_event) = held_from_row(row)?;
            order.push((seq, event_id.clone()));
            held.insert(event_id, held_event);
        }
    }
    let (fresh, duplicates) =
        crate::rows::new_events(force, reference, append.events, &held, &|key_id| {
            data_key(store, key_id)
        })?;
    if fresh.is_empty() {
        return Ok((
            AppendOutcome {
                appended: 0,
                duplicates,
                version,
            },
            None,
        ));
    }
    let expected_ok = match append.expected {
        ExpectedVersion::Any => true,
        ExpectedVersion::NoCase => version == 0,
        ExpectedVersion::Exact(expected) => version == expected,
    };
    if !expected_ok {
        return Err(conflict(append.expected, version));
    }
    let old_head = crate::rows::chain_head(force, reference, version, head.as_deref())?;
    let case_id = match case_id {
        Some(id) => id,
        None => stmt::<B::Db>(
            "INSERT INTO cases (force, reference, version, status, officer, open_findings, people, reported_at, last_event_at, updated_at) \
             VALUES ($1, $2, 0, 'open', NULL, 0, 0, NULL, NULL, $3) RETURNING case_id",
        )
        .param(force)
        .param(reference)
        .param(format_time(now))
        .one(tx.next()?)
        .await
        .map_err(|error| lost_race(error.into()))?
        .col(0)?,
    };
    // Earlier events, for the projection.
    let mut events: Vec<Event> = Vec::with_capacity(order.len() + fresh.len());
    for (seq, event_id) in &order {
        if let Some(held_event) = held.get(event_id) {
            events.push(parse_body(&held_event.body, force, reference, *seq)?.event);
        }
    }
    let appended = fresh.len() as u64;
    let mut chainer = CaseChainer::resume(version, old_head.as_ref().map_or(GENESIS, |h| h.head));
    let mut suspects = Vec::new();
    let mut rows = Vec::with_capacity(fresh.len());
    for (index, new) in fresh.into_iter().enumerate() {
        let seq = (version + index as u64 + 1) as i64;
        suspects.extend(crate::rows::suspect_identity(&new));
        let (row, event) = crate::rows::event_row(new, seq, force, reference, key)?;
        row.chain_onto(&mut chainer, force, reference);
        rows.push(row);
        events.push(event);
    }
    store
        .insert_events(tx, case_id, next_audit_seq, key.0, rows)
        .await
        .map_err(lost_race)?;
    // Linkage runs after the case's rows are in, in the same transaction.
    let mut suggestions = 0u64;
    for (person, identity) in &suspects {
        suggestions += link_suspect(
            store, tx, key, case_id, force, reference, person, identity, now,
        )
        .await?;
    }
    let new_version = version + appended;
    let new_head = chainer.head();
    let case = Case::new(append.case.clone(), events);
    let projection = project(&case, store.rules(), now);
    write_facts(store, tx, case_id, &case).await?;
    let updated = stmt::<B::Db>(
        "UPDATE cases SET version = $1, status = $2, officer = $3, open_findings = $4, people = $5, reported_at = $6, \
         last_event_at = $7, updated_at = $8, head = $11 WHERE case_id = $9 AND version = $10",
    )
    .param(new_version as i64)
    .param(projection.status.as_str())
    .param(projection.officer)
    .param(projection.open_findings as i64)
    .param(projection.people as i64)
    .param(projection.reported_at)
    .param(projection.last_event_at)
    .param(format_time(now))
    .param(case_id)
    .param(version as i64)
    .param(crate::chain::to_hex(&new_head))
    .run(tx.next()?)
    .await?;
    if updated != 1 {
        return Err(conflict(append.expected, version + 1));
    }
    stmt::<B::Db>(crate::case_changes::COUNT_CHANGES)
        .param(force)
        .param(1_i64)
        .run(tx.next()?)
        .await?;
    delta.push(
        old_head,
        CaseHead {
            force: force.to_owned(),
            reference: reference.to_owned(),
            version: new_version,
            head: new_head,
        },
    );
    let category = if version == 0 {
        Category::Collection
    } else {
        Category::Alteration
    };
    let mut entry = AuditEntry {
        actor: String::new(),
        category,
        object: case_object(force, reference),
        purpose: String::new(),
        reason: None,
        recipient: None,
        detail: append_detail(appended, version, new_version, &new_head),
    };
    if suggestions > 0 {
        // Suggestions read other suspects' sealed profiles: say so on the record.
        entry.detail["link_suggestions"] = json!(suggestions);
    }
    Ok((
        AppendOutcome {
            appended,
            duplicates,
            version: new_version,
        },
        Some(entry),
    ))
}

/// Reads the events of a page of cases (`case_rows`), each case's up to its version, and hands
/// each case to `sink`.
async fn stream_page<DB: SqlDb>(
    conn: &mut Conn<'_, DB>,
    cases: &[(i64, String, String, i64)],
    force: Option<&str>,
    sink: &mut CaseSink<'_>,
) -> StoreResult<u64> {
    let (Some(first), Some(last)) = (cases.first(), cases.last()) else {
        return Ok(0);
    };
    // Only the page's own cases: with a force named, the id range also spans other forces'
    // cases, whose events would otherwise be read into memory and dropped.
    let rows = stmt::<DB>(
        "SELECT e.case_id, e.seq, e.body FROM events e JOIN cases c ON c.case_id = e.case_id \
         WHERE e.case_id >= $1 AND e.case_id <= $2 AND (CAST($3 AS TEXT) IS NULL OR c.force = $3) \
         ORDER BY e.case_id, e.seq",
    )
    .param(first.0)
    .param(last.0)
    .param(force)
    .all(conn.next()?)
    .await?;
    let mut by_case: BTreeMap<i64, Vec<Event>> = BTreeMap::new();
    let names: HashMap<i64, (&str, &str, i64)> = cases
        .iter()
        .map(|(id, force, reference, version)| {
            (*id, (force.as_str(), reference.as_str(), *version))
        })
        .collect();
    for row in rows {
        let case_id: i64 = row.col(0)?;
        let seq: i64 = row.col(1)?;
        let Some((force, reference, version)) = names.get(&case_id) else {
            continue;
        };
        if seq > *version {
            continue;
        }
        let body: String = row.col(2)?;
        by_case
            .entry(case_id)
            .or_default()
            .push(parse_body(&body, force, reference, seq)?.event);
    }
    let mut count = 0;
    for (case_id, force, reference, version) in cases {
        let events = by_case.remove(case_id).unwrap_or_default();
        let key = CaseKey {
            force: force.as_str().into(),
            reference: reference.as_str().into(),
        };
        sink(StoredCase {
            case: Case::new(key, events),
            version: *version as u64,
        })?;
        count += 1;
    }
    Ok(count)
}

#[async_trait]
impl<B: Backend> CaseStore for B {
    async fn append(&self, access: &Access, batch: Vec<Append>) -> StoreResult<Vec<AppendOutcome>> {
        let now = Utc::now();
        let key = self.core().active_key()?;
        let mut tx = self.begin(actor_of(access), true).await?;
        let next_audit_seq: i64 = stmt::<B::Db>("SELECT COALESCE(MAX(seq), 0) FROM audit_log")
            .one(tx.next()?)
            .await?
            .col(0)?;
        let mut outcomes = Vec::with_capacity(batch.len());
        let mut entries = Vec::new();
        let mut delta = StateDelta::default();
        for append in batch {
            let audit_seq = next_audit_seq + entries.len() as i64 + 1;
            let (outcome, entry) =
                append_one(self, &mut tx, append, &key, now, audit_seq, &mut delta).await?;
            outcomes.push(outcome);
            if let Some(mut entry) = entry {
                entry.actor = access.actor.clone();
                entry.purpose = access.purpose.as_str().to_owned();
                entry.reason = access.reason.clone();
                entry.recipient = access.recipient.clone();
                entries.push(entry);
            }
        }
        if entries.is_empty() {
            // Nothing new: leave the database untouched.
            tx.rollback().await?;
            return Ok(outcomes);
        }
        self.write_audit_moving(&mut tx, &entries, &delta, now)
            .await?;
        tx.commit().await?;
        tracing::debug!(
            cases = entries.len(),
            events = outcomes.iter().map(|o| o.appended).sum::<u64>(),
            purpose = access.purpose.as_str(),
            "append committed"
        );
        Ok(outcomes)
    }

    async fn check_append(&self, access: &Access, batch: &[Append]) -> StoreResult<()> {
        self.audit_alone(vec![crate::rows::check_append_entry(access, batch.len())])
            .await?;
        let mut conn = self.read_cases(actor_of(access)).await?;
        for append in batch {
            let (force, reference) = (append.case.force.as_str(), append.case.reference.as_str());
            let rows = stmt::<B::Db>(crate::rows::HELD_EVENTS_BY_KEY)
                .param(force)
                .param(reference)
                .all(conn.next()?)
                .await?;
            if rows.is_empty() {
                continue;
            }
            let mut held = HashMap::new();
            for row in &rows {
                let (_, event_id, held_event) = held_from_row(row)?;
                held.insert(event_id, held_event);
            }
            crate::rows::new_events(force, reference, append.events.clone(), &held, &|key_id| {
                data_key(self, key_id)
            })?;
        }
        conn.finish().await
    }

    async fn read_case(&self, access: &Access, key: &CaseKey) -> StoreResult<Option<StoredCase>> {
        // A read is a conditional read of a caller that holds no version: one copy of the SQL.
        read_if_changed(self, access, key, None, false)
            .await?
            .0
            .into_stored()
    }

    async fn read_case_if_changed(
        &self,
        access: &Access,
        key: &CaseKey,
        known: Option<u64>,
    ) -> StoreResult<CaseRead> {
        Ok(read_if_changed(self, access, key, known, false).await?.0)
    }

    async fn read_case_and_shares_if_changed(
        &self,
        access: &Access,
        key: &CaseKey,
        known: Option<u64>,
    ) -> StoreResult<(CaseRead, Vec<CaseShare>)> {
        let (read, shares) = read_if_changed(self, access, key, known, true).await?;
        let shares = match (&read, shares) {
            (CaseRead::Missing, _) => Vec::new(),
            (_, Some(shares)) => shares,
            // Read after the case's connection is given back, so a request never holds two.
            (_, None) => Backend::case_shares(self, key).await?,
        };
        Ok((read, shares))
    }

    async fn read_identity(
        &self,
        access: &Access,
        key: &CaseKey,
        person: &PersonKey,
    ) -> StoreResult<Option<Identity>> {
        let entry = AuditEntry::new(
            access,
            Category::Consultation,
            format!("identity:{}/{}/{}", key.force, key.reference, person),
        );
        self.audit_alone(vec![entry]).await?;
        let mut conn = self.read_cases(actor_of(access)).await?;
        let row = stmt::<B::Db>(
            "SELECT s.key_id, s.nonce, s.ciphertext FROM sealed s JOIN cases c ON c.case_id = s.case_id \
             WHERE c.force = $1 AND c.reference = $2 AND s.person = $3 AND s.field = $4 ORDER BY s.seq DESC LIMIT 1",
        )
        .param(key.force.as_str())
        .param(key.reference.as_str())
        .param(person.to_string())
        .param(IDENTITY_FIELD)
        .optional(conn.next()?)
        .await?;
        conn.finish().await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let key_id: i64 = row.col(0)?;
        let nonce: Vec<u8> = row.col(1)?;
        let ciphertext: Vec<u8> = row.col(2)?;
        let person_text = person.to_string();
        let binding = SealBinding {
            force: &key.force,
            reference: &key.reference,
            person: &person_text,
            field: IDENTITY_FIELD,
            key_id,
        };
        let plaintext = data_key(self, key_id)?.open(&binding, &nonce, &ciphertext)?;
        let value = identity_from_plaintext(&plaintext, &binding.describe())?;
        let identity: Identity = serde_json::from_value(value).map_err(|_| {
            StoreError::Corrupt(format!("sealed {} is not an identity", binding.describe()))
        })?;
        Ok(Some(identity))
    }

    async fn list_cases(
        &self,
        access: &Access,
        filter: &CaseFilter,
    ) -> StoreResult<Vec<CaseSummary>> {
        self.audit_alone(vec![crate::store::list_audit_entry(access, filter)])
            .await?;
        let mut query = sqlx::QueryBuilder::<B::Db>::new(
            "SELECT force, reference, version, status, officer, open_findings, people, reported_at, last_event_at \
             FROM cases WHERE 1 = 1",
        );
        if let Some(force) = &filter.force {
            query.push(" AND force = ");
            <B::Db as crate::sql::Bind<String>>::push_to(&mut query, force.clone());
        }
        if let Some(officer) = &filter.officer {
            query.push(" AND officer = ");
            <B::Db as crate::sql::Bind<String>>::push_to(&mut query, officer.clone());
        }
        if let Some(status) = filter.status {
            query.push(" AND status = ");
            <B::Db as crate::sql::Bind<&str>>::push_to(&mut query, status.as_str());
        }
        match filter.open_findings {
            Some(true) => {
                query.push(" AND open_findings > 0");
            }
            Some(false) => {
                query.push(" AND open_findings = 0");
            }
            None => {}
        }
        query.push(B::CASES_IN_ORDER);
        query.push(" LIMIT ");
        <B::Db as crate::sql::Bind<i64>>::push_to(
            &mut query,
            filter
                .limit
                .map_or(i64::MAX, |limit| limit.min(i64::MAX as u64) as i64),
        );
        query.push(" OFFSET ");
        <B::Db as crate::sql::Bind<i64>>::push_to(&mut query, filter.offset as i64);
        let mut conn = self.read_cases(actor_of(access)).await?;
        let rows = query.build().all(conn.next()?).await?;
        conn.finish().await?;
        summaries(&rows)
    }

    async fn case_changes(&self, force: Option<&str>) -> StoreResult<u64> {
        Backend::case_changes(self, force).await
    }

    async fn stream_cases(
        &self,
        access: &Access,
        force: Option<&str>,
        sink: &mut CaseSink<'_>,
    ) -> StoreResult<u64> {
        let entry = AuditEntry::new(access, Category::Combination, "cases")
            .with_detail(json!({"force": force}));
        self.audit_alone(vec![entry]).await?;
        let mut conn = self.snapshot(actor_of(access)).await?;
        let mut after = 0;
        let mut count = 0;
        loop {
            let cases = case_rows::<B::Db>(conn.next()?, after, force).await?;
            let Some(last) = cases.last() else {
                break;
            };
            after = last.0;
            count += stream_page(&mut conn, &cases, force, sink).await?;
        }
        conn.finish().await?;
        Ok(count)
    }

    async fn known_people(
        &self,
        access: &Access,
        cases: &[CaseKey],
    ) -> StoreResult<HashSet<(CaseKey, PersonKey)>> {
        let entry = AuditEntry::new(access, Category::Consultation, "cases:people")
            .with_detail(json!({"cases": cases.len()}));
        self.audit_alone(vec![entry]).await?;
        let mut conn = self.read_cases(actor_of(access)).await?;
        let mut known = HashSet::new();
        for key in cases {
            let rows = stmt::<B::Db>(
                "SELECT DISTINCT e.person FROM events e JOIN cases c ON c.case_id = e.case_id \
                 WHERE c.force = $1 AND c.reference = $2 AND e.kind = 'person_added'",
            )
            .param(key.force.as_str())
            .param(key.reference.as_str())
            .all(conn.next()?)
            .await?;
            for row in rows {
                let person: Option<String> = row.col(0)?;
                if let Some(person) = person {
                    known.insert((key.clone(), PersonKey::from(person.as_str())));
                }
            }
        }
        conn.finish().await?;
        Ok(known)
    }

    async fn export(
        &self,
        access: &Access,
        options: &ExportOptions,
        sink: &mut LineSink<'_>,
    ) -> StoreResult<u64> {
        let Some(recipient) = access.recipient.as_deref().filter(|r| !r.trim().is_empty()) else {
            return Err(StoreError::Refused(
                "an export is a disclosure and must name its recipient".into(),
            ));
        };
        let entry = AuditEntry::new(access, Category::Disclosure, "cases").with_detail(json!({
            "force": options.force,
            "identity": if options.without_identity { "withheld" } else { "included" },
            "recipient": recipient,
        }));
        self.audit_alone(vec![entry]).await?;
        let mut conn = self.snapshot(actor_of(access)).await?;
        let mut after = 0;
        let mut lines = 0;
        loop {
            let cases = case_rows::<B::Db>(conn.next()?, after, options.force.as_deref()).await?;
            let (Some(first), Some(last)) = (cases.first(), cases.last()) else {
                break;
            };
            after = last.0;
            let names: HashMap<i64, (&str, &str, i64)> = cases
                .iter()
                .map(|(id, force, reference, version)| {
                    (*id, (force.as_str(), reference.as_str(), *version))
                })
                .collect();
            let rows = stmt::<B::Db>(
                "SELECT e.case_id, e.seq, e.body, s.person, s.key_id, s.nonce, s.ciphertext FROM events e \
                 LEFT JOIN sealed s ON s.case_id = e.case_id AND s.seq = e.seq AND s.field = 'identity' \
                 WHERE e.case_id >= $1 AND e.case_id <= $2 ORDER BY e.case_id, e.seq",
            )
            .param(first.0)
            .param(last.0)
            .all(conn.next()?)
            .await?;
            for row in rows {
                let case_id: i64 = row.col(0)?;
                let seq: i64 = row.col(1)?;
                let Some((force, reference, version)) = names.get(&case_id) else {
                    continue;
                };
                if seq > *version {
                    continue;
                }
                let body: String = row.col(2)?;
                let person: Option<String> = row.col(3)?;
                let Some(person) = person else {
                    sink(&body)?;
                    lines += 1;
                    continue;
                };
                let mut object: Map<String, Value> = serde_json::from_str(&body).map_err(|_| {
                    StoreError::Corrupt(format!("case {force}/{reference} event {seq} is not JSON"))
                })?;
                if options.without_identity {
                    object.remove(IDENTITY_FIELD);
                } else {
                    let key_id: i64 = row.col(4)?;
                    let nonce: Vec<u8> = row.col(5)?;
                    let ciphertext: Vec<u8> = row.col(6)?;
                    let binding = SealBinding {
                        force,
                        reference,
                        person: &person,
                        field: IDENTITY_FIELD,
                        key_id,
                    };
                    let plaintext = data_key(self, key_id)?.open(&binding, &nonce, &ciphertext)?;
                    let identity = identity_from_plaintext(&plaintext, &binding.describe())?;
                    object.insert(IDENTITY_FIELD.to_owned(), identity);
                }
                sink(&Value::Object(object).to_string())?;
                lines += 1;
            }
        }
        conn.finish().await?;
        Ok(lines)
    }
}

/// [`CaseStore::read_case_if_changed`]: audited exactly like a read, before anything is returned;
/// the events are read only when the stored version is not the one held. With `with_shares`,
/// the case's shares too where the backend reads them with the version (`None` where it does
/// not: the caller reads them).
async fn read_if_changed<B: Backend>(
    store: &B,
    access: &Access,
    key: &CaseKey,
    known: Option<u64>,
    with_shares: bool,
) -> StoreResult<(CaseRead, Option<Vec<CaseShare>>)> {
    let entry = AuditEntry::new(
        access,
        Category::Consultation,
        case_object(&key.force, &key.reference),
    );
    let AuditedVersion {
        found,
        conn,
        shares,
    } = store
        .audited_version(access, key, entry, with_shares)
        .await?;
    let Some((case_id, version)) = found else {
        return Ok((CaseRead::Missing, shares));
    };
    if known == Some(version as u64) {
        let unchanged = CaseRead::Unchanged {
            version: version as u64,
        };
        return Ok((unchanged, shares));
    }
    let mut conn = match conn {
        Some(conn) => conn,
        None => store.read_cases(actor_of(access)).await?,
    };
    let case =
        crate::facts_sql::load_case::<B::Db>(conn.next()?, case_id, key.clone(), version).await?;
    conn.finish().await?;
    let stored = StoredCase {
        case,
        version: version as u64,
    };
    Ok((CaseRead::Read(stored), shares))
}
