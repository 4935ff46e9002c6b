//! The SQLite side of the bulk loader (`crate::bulk`): multi-row inserts in one transaction, with
//! `synchronous = OFF` for the load only.

use chrono::Utc;
use sqlx::{QueryBuilder, Sqlite};

use super::{IDENTITY_FIELD, SqliteStore, WriteTx};
use crate::access::Access;
use crate::audit::format_time;
use crate::bulk::{NewCaseRows, new_case_rows};
use crate::engine::Backend as _;
use crate::error::StoreResult;
use crate::model::Append;

/// Rows per statement, under SQLite's limit of 32,766 bound values.
const CASES_PER_STATEMENT: usize = 1_000;
const ROWS_PER_STATEMENT: usize = 3_000;

impl SqliteStore {
    /// Stores new cases in bulk, for benchmarks only: the rows are those [`crate::Store::append`]
    /// writes, but the write is not durable until the next checkpoint of the file (see
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
        sqlx::query("PRAGMA synchronous = OFF")
            .execute(&self.writer)
            .await?;
        let result = self.bulk_write(&cases, now).await;
        sqlx::query("PRAGMA synchronous = FULL")
            .execute(&self.writer)
            .await?;
        result?;
        Ok(cases.len() as u64)
    }

    async fn bulk_write(
        &self,
        cases: &[NewCaseRows],
        now: chrono::DateTime<Utc>,
    ) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        let next_audit_seq: i64 =
            sqlx::query_scalar::<_, i64>("SELECT COALESCE(MAX(seq), 0) FROM audit_log")
                .fetch_one(&mut *tx.tx)
                .await?;
        let first_case_id: i64 =
            sqlx::query_scalar::<_, i64>("SELECT COALESCE(MAX(case_id), 0) FROM cases")
                .fetch_one(&mut *tx.tx)
                .await?
                + 1;
        let updated_at = format_time(now);
        // Case ids and audit sequence numbers follow the order of the batch, as in an append.
        let numbered: Vec<(i64, i64, &NewCaseRows)> = cases
            .iter()
            .enumerate()
            .map(|(i, rows)| {
                (
                    first_case_id + i as i64,
                    next_audit_seq + i as i64 + 1,
                    rows,
                )
            })
            .collect();
        for chunk in numbered.chunks(CASES_PER_STATEMENT) {
            insert_cases(&mut tx, chunk, &updated_at).await?;
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
            let mut query = QueryBuilder::<Sqlite>::new(
                "INSERT INTO report_facts (case_id, force, reported_on, last_event_at, facts) ",
            );
            query.push_values(chunk, |mut row, (case_id, facts)| {
                row.push_bind(*case_id)
                    .push_bind(facts.force.clone())
                    .push_bind(facts.reported_on.clone())
                    .push_bind(facts.last_event_at.clone())
                    .push_bind(facts.facts.clone());
            });
            tx.op()?;
            query.build().execute(&mut *tx.tx).await?;
        }
        let entries: Vec<_> = cases.iter().map(|rows| rows.entry.clone()).collect();
        for (force, count) in crate::bulk::changes_by_force(cases) {
            tx.op()?;
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
    tx: &mut WriteTx<'_>,
    chunk: &[(i64, i64, &NewCaseRows)],
    updated_at: &str,
) -> StoreResult<()> {
    let mut query = QueryBuilder::<Sqlite>::new(
        "INSERT INTO cases (case_id, force, reference, version, status, officer, open_findings, people, reported_at, last_event_at, updated_at, head) ",
    );
    query.push_values(chunk, |mut row, (case_id, _, rows)| {
        let projection = &rows.projection;
        row.push_bind(*case_id)
            .push_bind(rows.force.clone())
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
    tx.op()?;
    query.build().execute(&mut *tx.tx).await?;
    Ok(())
}

async fn insert_events(
    tx: &mut WriteTx<'_>,
    chunk: &[(i64, i64, &crate::rows::EventRow)],
) -> StoreResult<()> {
    let mut query = QueryBuilder::<Sqlite>::new(
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
    tx.op()?;
    query.build().execute(&mut *tx.tx).await?;
    Ok(())
}

async fn insert_sealed(
    tx: &mut WriteTx<'_>,
    chunk: &[&(i64, i64, &crate::rows::EventRow)],
) -> StoreResult<()> {
    let mut query = QueryBuilder::<Sqlite>::new(
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
    tx.op()?;
    query.build().execute(&mut *tx.tx).await?;
    Ok(())
}
