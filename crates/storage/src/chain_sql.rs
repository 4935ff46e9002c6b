//! The SQL of case chains, the same text for both databases, instantiated per database (like
//! `facts_sql!`): pages of cases, their chains recomputed from the events and sealed rows as
//! stored, and the whole verification of a store inside one read snapshot.

macro_rules! chain_sql {
    ($db:ty, $rows:ident) => {
        use std::collections::HashMap;

        use sqlx::{Row, Transaction};

        use crate::audit::{SignedHead, StoreCounts, VerifyReport};
        use crate::chain::{CHAIN_ROWS, Recomputed, recompute};
        use crate::error::StoreResult;
        use crate::verify::{CaseCheck, ChainVerifier};
        use crate::row_maps::$rows::{chain_row_from, checkpoint_from_row, head_from_row, record_from_row};

        /// Cases per page of the upgrade and of verification.
        pub(crate) const PAGE: i64 = 256;

        /// A page of cases: id, force, reference, stored version and head.
        pub(crate) type CasePage = Vec<(i64, String, String, i64, Option<String>)>;

        pub(crate) async fn case_page(
            tx: &mut Transaction<'static, $db>,
            after: i64,
            without_head: bool,
        ) -> StoreResult<CasePage> {
            let sql = if without_head {
                "SELECT case_id, force, reference, version, head FROM cases WHERE head IS NULL AND case_id > $1 ORDER BY case_id LIMIT $2"
            } else {
                "SELECT case_id, force, reference, version, head FROM cases WHERE case_id > $1 ORDER BY case_id LIMIT $2"
            };
            let rows = sqlx::query(sql)
                .bind(after)
                .bind(PAGE)
                .fetch_all(&mut **tx)
                .await?;
            rows.iter()
                .map(|row| {
                    Ok((
                        row.try_get(0)?,
                        row.try_get(1)?,
                        row.try_get(2)?,
                        row.try_get(3)?,
                        row.try_get(4)?,
                    ))
                })
                .collect()
        }

        /// The chains of a page of cases, recomputed from their stored events and sealed rows.
        pub(crate) async fn chains_of(
            tx: &mut Transaction<'static, $db>,
            page: &CasePage,
        ) -> StoreResult<HashMap<i64, Recomputed>> {
            let (Some(first), Some(last)) = (page.first(), page.last()) else {
                return Ok(HashMap::new());
            };
            let rows = sqlx::query(CHAIN_ROWS)
                .bind(first.0)
                .bind(last.0)
                .fetch_all(&mut **tx)
                .await?;
            let rows = rows
                .iter()
                .map(chain_row_from)
                .collect::<StoreResult<Vec<_>>>()?;
            let names: HashMap<i64, (&str, &str)> = page
                .iter()
                .map(|(id, force, reference, _, _)| (*id, (force.as_str(), reference.as_str())))
                .collect();
            Ok(recompute(&rows, &names))
        }

        /// Verifies the audit chain, its checkpoints and head, and every case's events against the
        /// log, inside `tx` (one read snapshot; see [`crate::verify`]).
        pub(crate) async fn verify_in(
            tx: &mut Transaction<'static, $db>,
            trusted: &ed25519_dalek::VerifyingKey,
            anchor: Option<&SignedHead>,
        ) -> StoreResult<VerifyReport> {
            let checkpoints = sqlx::query(crate::audit_sql::CHECKPOINTS)
                .fetch_all(&mut **tx)
                .await?
                .iter()
                .map(checkpoint_from_row)
                .collect::<StoreResult<Vec<_>>>()?;
            let head = sqlx::query("SELECT * FROM audit_head WHERE id = 1")
                .fetch_optional(&mut **tx)
                .await?
                .as_ref()
                .map(head_from_row)
                .transpose()?;
            let mut verifier = ChainVerifier::new(*trusted, &checkpoints).with_anchor(anchor.cloned());
            // Every stored row once, in stored order; gaps and out-of-place records are the
            // verifier's to find.
            let mut after = i64::MIN;
            loop {
                let rows =
                    sqlx::query("SELECT * FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT 5000")
                        .bind(after)
                        .fetch_all(&mut **tx)
                        .await?;
                let Some(last) = rows.last() else {
                    break;
                };
                after = last.try_get("seq")?;
                for row in &rows {
                    verifier.push(&record_from_row(row)?);
                }
            }
            let mut after = 0;
            loop {
                let page = case_page(tx, after, false).await?;
                let Some(last) = page.last() else {
                    break;
                };
                after = last.0;
                let chains = chains_of(tx, &page).await?;
                for (case_id, force, reference, version, head) in page {
                    let chain = chains.get(&case_id).copied().unwrap_or_default();
                    verifier.saw_sealed(chain.sealed);
                    verifier.push_case(&CaseCheck {
                        force,
                        reference,
                        stored_version: version,
                        stored_head: head,
                        events: chain.events,
                        computed_head: chain.head,
                    });
                }
            }
            let count = |sql: &'static str| sqlx::query_scalar::<_, i64>(sql);
            let mut counts = StoreCounts {
                events: count("SELECT count(*) FROM events")
                    .fetch_one(&mut **tx)
                    .await?
                    .max(0) as u64,
                sealed: count("SELECT count(*) FROM sealed")
                    .fetch_one(&mut **tx)
                    .await?
                    .max(0) as u64,
                users: count("SELECT count(*) FROM users")
                    .fetch_one(&mut **tx)
                    .await?
                    .max(0) as u64,
                ..StoreCounts::default()
            };
            if let Some(seq) = verifier.unbound_case() {
                counts.unbound_object = sqlx::query_scalar("SELECT object FROM audit_log WHERE seq = $1")
                    .bind(seq)
                    .fetch_optional(&mut **tx)
                    .await?;
            }
            Ok(verifier.finish(&checkpoints, head.as_ref(), &counts))
        }
    };
}

pub(crate) mod sqlite {
    chain_sql!(sqlx::Sqlite, sqlite);
}

pub(crate) mod postgres {
    chain_sql!(sqlx::Postgres, postgres);
}
