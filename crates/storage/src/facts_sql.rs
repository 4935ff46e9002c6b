//! The SQL of report facts, the same text for both databases (numbered placeholders,
//! `ON CONFLICT`, row values), instantiated per database so that the SQLite and PostgreSQL stores
//! share one copy.

/// Facts rows per page when reading.
pub(crate) const FACTS_PAGE: i64 = 2_000;
/// Cases per transaction when rebuilding.
pub(crate) const REBUILD_PAGE: i64 = 1_000;

macro_rules! facts_sql {
    ($db:ty) => {
        use domain::{Case, CaseKey, Event};
        use sqlx::{Row, Transaction};

        use super::FACTS_PAGE;
        use crate::error::StoreResult;
        use crate::facts::{FactsQuery, FactsRow, FactsSink, ReportInput};
        use crate::sqlite::parse_body;

        pub(crate) async fn upsert(
            tx: &mut Transaction<'static, $db>,
            case_id: i64,
            row: &FactsRow,
        ) -> StoreResult<()> {
            sqlx::query(
                "INSERT INTO report_facts (case_id, force, reported_on, last_event_at, facts) VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (case_id) DO UPDATE SET force = excluded.force, reported_on = excluded.reported_on, \
                 last_event_at = excluded.last_event_at, facts = excluded.facts",
            )
            .bind(case_id)
            .bind(&row.force)
            .bind(&row.reported_on)
            .bind(&row.last_event_at)
            .bind(&row.facts)
            .execute(&mut **tx)
            .await?;
            Ok(())
        }

        /// One page of facts rows of the force and date range, in (reported_on, case_id) order after
        /// `after` (the order of the indexes, so that a page is one index range). Whether a row's facts
        /// hold at the report's instant is checked on the row, not in SQL: a condition on the latest event
        /// tempts the planner into scanning its index over the whole table.
        pub(crate) async fn facts_page(
            tx: &mut Transaction<'static, $db>,
            query: &FactsQuery,
            after: &(String, i64),
        ) -> StoreResult<Vec<<$db as sqlx::Database>::Row>> {
            let from = query.from.to_string();
            let to = query.to.to_string();
            let rows = match &query.force {
                Some(force) => {
                    sqlx::query(
                        "SELECT reported_on, case_id, facts, last_event_at FROM report_facts \
                         WHERE force = $1 AND reported_on >= $2 AND reported_on <= $3 \
                         AND (reported_on, case_id) > ($4, $5) ORDER BY reported_on, case_id LIMIT $6",
                    )
                    .bind(force)
                    .bind(from)
                    .bind(to)
                    .bind(&after.0)
                    .bind(after.1)
                    .bind(FACTS_PAGE)
                    .fetch_all(&mut **tx)
                    .await?
                }
                None => {
                    sqlx::query(
                        "SELECT reported_on, case_id, facts, last_event_at FROM report_facts \
                         WHERE reported_on >= $1 AND reported_on <= $2 \
                         AND (reported_on, case_id) > ($3, $4) ORDER BY reported_on, case_id LIMIT $5",
                    )
                    .bind(from)
                    .bind(to)
                    .bind(&after.0)
                    .bind(after.1)
                    .bind(FACTS_PAGE)
                    .fetch_all(&mut **tx)
                    .await?
                }
            };
            Ok(rows)
        }

        /// Cases (of the force) with events after the report's instant: their facts do not hold then, so
        /// they are read and evaluated in full, whatever their stored report date (which may itself be
        /// later than the instant).
        pub(crate) async fn later_cases(
            tx: &mut Transaction<'static, $db>,
            query: &FactsQuery,
            as_of: &str,
            sink: &mut FactsSink<'_>,
        ) -> StoreResult<u64> {
            // Driven by the latest-event index (no ordering or paging, which would make the planner walk
            // the whole table in id order): normally there are no such cases, and their keys are small.
            let rows = sqlx::query(
                "SELECT c.case_id, c.force, c.reference, c.version FROM report_facts f JOIN cases c ON c.case_id = f.case_id \
                 WHERE f.last_event_at > $1",
            )
            .bind(as_of)
            .fetch_all(&mut **tx)
            .await?;
            let mut count = 0;
            for row in rows {
                let force: String = row.try_get(1)?;
                if query.force.as_ref().is_some_and(|wanted| *wanted != force) {
                    continue;
                }
                let key = CaseKey {
                    force: force.into(),
                    reference: row.try_get::<String, _>(2)?.into(),
                };
                let case = load_case(tx, row.try_get(0)?, key, row.try_get(3)?).await?;
                sink(ReportInput::Case(case))?;
                count += 1;
            }
            Ok(count)
        }

        pub(crate) async fn load_case(
            tx: &mut Transaction<'static, $db>,
            case_id: i64,
            key: CaseKey,
            version: i64,
        ) -> StoreResult<Case> {
            let rows =
                sqlx::query("SELECT seq, body FROM events WHERE case_id = $1 AND seq <= $2 ORDER BY seq")
                    .bind(case_id)
                    .bind(version)
                    .fetch_all(&mut **tx)
                    .await?;
            let mut events: Vec<Event> = Vec::with_capacity(rows.len());
            for row in rows {
                let seq: i64 = row.try_get(0)?;
                let body: String = row.try_get(1)?;
                events.push(parse_body(&body, &key.force, &key.reference, seq)?.event);
            }
            Ok(Case::new(key, events))
        }
    };
}

pub(crate) mod sqlite {
    facts_sql!(sqlx::Sqlite);
}

pub(crate) mod postgres {
    facts_sql!(sqlx::Postgres);
}
