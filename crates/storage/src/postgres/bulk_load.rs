//! The PostgreSQL side of the bulk loader (`crate::bulk`): multi-row inserts in one transaction,
//! with `synchronous_commit = off` for that transaction only.

use chrono::Utc;
use std::collections::HashMap;

use sqlx::{Postgres, QueryBuilder, Row};

use super::{PgStore, PgTx};
use crate::access::Access;
use crate::audit::format_time;
use crate::bulk::{NewCaseRows, new_case_rows};
use crate::common::IDENTITY_FIELD;
use crate::engine::Backend as _;
use crate::error::{StoreError, StoreResult};
use crate::model::Append;

/// Rows per statement, under PostgreSQL's limit of 65,535 bound values.
const CASES_PER_STATEMENT: usize = 1_000;
const ROWS_PER_STATEMENT: usize = 3_000;

impl PgStore {
    /// Stores new cases in bulk, for benchmarks only: the rows are those [`crate::Store::append`]
    /// writes, committed without waiting for the write-ahead log to reach disk (see
    /// `crate::bulk`). Returns the number of cases stored.
    #[doc(hidden)]
    pub async fn bulk_load(&self, access: &Access, batch: Vec<Append>) -> StoreResult<u64> {
        let now = Utc::now();
        let key = self.active_key()?;
        let mut cases = Vec::with_capacity(batch.len());
        for append in batch {
            if let Some(rows) = new_case_rows(access, append, &key, &self.core.rules, now)? {
                cases.push(rows);
            }
        }
        if cases.is_empty() {
            return Ok(0);
        }
        self.bulk_write(access, &cases, now).await?;
        Ok(cases.len() as u64)
    }

    async fn bulk_write(
        &self,
        access: &Access,
        cases: &[NewCaseRows],
        now: chrono::DateTime<Utc>,
    ) -> StoreResult<()> {
        let mut tx = self.begin(&access.actor, true).await?;
        sqlx::query("SET LOCAL synchronous_commit = off")
            .execute(&mut *tx.tx)
            .await?;
        let next_audit_seq: i64 =
            sqlx::query_scalar::<_, i64>("SELECT COALESCE(MAX(seq), 0) FROM audit_log")
                .fetch_one(&mut *tx.tx)
                .await?;
        let updated_at = format_time(now);
        // Case ids come from the identity column; audit sequence numbers follow the order of the
        // batch, as in an append.
        let mut ids: HashMap<(String, String), i64> = HashMap::with_capacity(cases.len());
        for chunk in cases.chunks(CASES_PER_STATEMENT) {
            insert_cases(&mut tx, chunk, &updated_at, &mut ids).await?;
        }
        let mut numbered: Vec<(i64, i64, &NewCaseRows)> = Vec::with_capacity(cases.len());
        for (i, rows) in cases.iter().enumerate() {
            let case_id = ids
                .get(&(rows.force.clone(), rows.reference.clone()))
                .copied()
                .ok_or_else(|| StoreError::Corrupt("a bulk-loaded case got no id".into()))?;
            numbered.push((case_id, next_audit_seq + i as i64 + 1, rows));
        }
        let events: Vec<(i64, i64, &crate::rows::EventRow)> = numbered
            .iter()
            .flat_map(|(case_id, audit_seq, rows)| {
                rows.events
                    .iter()
                    .map(move |event| (*case_id, *audit_seq, event))
            })
            .collect();
        for chunk in events.chunks(ROWS_PER_STATEMENT) {
            insert_events(&mut tx, chunk).await?;
        }
        let sealed: Vec<&(i64, i64, &crate::rows::EventRow)> = events
            .iter()
            .filter(|(_, _, row)| row.sealed.is_some())
            .collect();
        for chunk in sealed.chunks(ROWS_PER_STATEMENT) {
            insert_sealed(&mut tx, chunk).await?;
        }
        let facts: Vec<(i64, &crate::facts::FactsRow)> = numbered
            .iter()
            .filter_map(|(case_id, _, rows)| rows.facts.as_ref().map(|facts| (*case_id, facts)))
            .collect();
        for chunk in facts.chunks(ROWS_PER_STATEMENT) {
            let mut query = QueryBuilder::<Postgres>::new(
                "INSERT INTO report_facts (case_id, force, reported_on, last_event_at, facts) ",
            );
            query.push_values(chunk, |mut row, (case_id, facts)| {
                row.push_bind(*case_id)
                    .push_bind(facts.force.clone())
                    .push_bind(facts.reported_on.clone())
                    .push_bind(facts.last_event_at.clone())
                    .push_bind(facts.facts.clone());
            });
            query.build().execute(&mut *tx.tx).await?;
        }
        let entries: Vec<_> = cases.iter().map(|rows| rows.entry.clone()).collect();
        for (force, count) in crate::bulk::changes_by_force(cases) {
            sqlx::query(crate::case_changes::COUNT_CHANGES)
                .bind(force)
                .bind(count)
                .execute(&mut *tx.tx)
                .await?;
        }
        let delta = crate::bulk::state_delta(cases);
        self.write_audit_moving(&mut tx, &entries, &delta, now)
            .await?;
        tx.commit().await
    }
}

async fn insert_cases(
    tx: &mut PgTx<'_>,
    chunk: &[NewCaseRows],
    updated_at: &str,
    ids: &mut HashMap<(String, String), i64>,
) -> StoreResult<()> {
    let mut query = QueryBuilder::<Postgres>::new(
        "INSERT INTO cases (force, reference, version, status, officer, open_findings, people, reported_at, last_event_at, updated_at, head) ",
    );
    query.push_values(chunk, |mut row, rows| {
        let projection = &rows.projection;
        row.push_bind(rows.force.clone())
            .push_bind(rows.reference.clone())
            .push_bind(rows.version)
            .push_bind(projection.status.as_str())
            .push_bind(projection.officer.clone())
            .push_bind(projection.open_findings as i64)
            .push_bind(projection.people as i64)
            .push_bind(projection.reported_at.clone())
            .push_bind(projection.last_event_at.clone())
            .push_bind(updated_at.to_owned())
            .push_bind(crate::chain::to_hex(&rows.head));
    });
    query.push(" RETURNING case_id, force, reference");
    for row in query.build().fetch_all(&mut *tx.tx).await? {
        ids.insert((row.try_get(1)?, row.try_get(2)?), row.try_get(0)?);
    }
    Ok(())
}

async fn insert_events(
    tx: &mut PgTx<'_>,
    chunk: &[(i64, i64, &crate::rows::EventRow)],
) -> StoreResult<()> {
    let mut query = QueryBuilder::<Postgres>::new(
        "INSERT INTO events (case_id, seq, event_id, at, kind, person, body, audit_seq) ",
    );
    query.push_values(chunk, |mut row, (case_id, audit_seq, event)| {
        row.push_bind(*case_id)
            .push_bind(event.seq)
            .push_bind(event.event_id.clone())
            .push_bind(event.at.clone())
            .push_bind(event.kind)
            .push_bind(event.person.clone())
            .push_bind(event.body.clone())
            .push_bind(*audit_seq);
    });
    query.build().execute(&mut *tx.tx).await?;
    Ok(())
}

async fn insert_sealed(
    tx: &mut PgTx<'_>,
    chunk: &[&(i64, i64, &crate::rows::EventRow)],
) -> StoreResult<()> {
    let mut query = QueryBuilder::<Postgres>::new(
        "INSERT INTO sealed (case_id, seq, field, person, key_id, nonce, ciphertext) ",
    );
    query.push_values(chunk, |mut row, (case_id, _, event)| {
        if let Some(sealed) = &event.sealed {
            row.push_bind(*case_id)
                .push_bind(event.seq)
                .push_bind(IDENTITY_FIELD)
                .push_bind(sealed.person.clone())
                .push_bind(sealed.key_id)
                .push_bind(sealed.nonce.clone())
                .push_bind(sealed.ciphertext.clone());
        }
    });
    query.build().execute(&mut *tx.tx).await?;
    Ok(())
}
