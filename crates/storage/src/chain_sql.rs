//! The SQL of case chains, the same text for both databases, written once over either database
//! ([`crate::sql::SqlDb`]): pages of cases, their chains recomputed from the events and sealed
//! rows as stored, and the whole verification of a store inside one read snapshot.

use std::collections::HashMap;

use crate::audit::SignedHead;
use crate::chain::{CHAIN_ROWS, Recomputed, recompute};
use crate::error::StoreResult;
use crate::row_maps::{
    RowExt, chain_row_from, checkpoint_from_row, head_from_row, record_from_row,
};
use crate::sql::{Param, Run, SqlDb, stmt};
use crate::verify::{CaseCheck, ChainVerifier, StoreCounts, VerifyReport};

/// Cases per page of the upgrade and of verification.
pub(crate) const PAGE: i64 = 256;

/// A page of cases: id, force, reference, stored version and head.
pub(crate) type CasePage = Vec<(i64, String, String, i64, Option<String>)>;

/// A page of cases after case id `after` (only those without a head, with `without_head`).
pub(crate) async fn case_page<DB: SqlDb>(
    conn: &mut DB::Connection,
    after: i64,
    without_head: bool,
) -> StoreResult<CasePage> {
    let sql = if without_head {
        "SELECT case_id, force, reference, version, head FROM cases WHERE head IS NULL AND case_id > $1 ORDER BY case_id LIMIT $2"
    } else {
        "SELECT case_id, force, reference, version, head FROM cases WHERE case_id > $1 ORDER BY case_id LIMIT $2"
    };
    let rows = stmt::<DB>(sql)
        .param(after)
        .param(PAGE)
        .all(&mut *conn)
        .await?;
    rows.iter()
        .map(|row| {
            Ok((
                row.col(0)?,
                row.col(1)?,
                row.col(2)?,
                row.col(3)?,
                row.col(4)?,
            ))
        })
        .collect()
}

/// The chains of a page of cases, recomputed from their stored events and sealed rows.
pub(crate) async fn chains_of<DB: SqlDb>(
    conn: &mut DB::Connection,
    page: &CasePage,
) -> StoreResult<HashMap<i64, Recomputed>> {
    let (Some(first), Some(last)) = (page.first(), page.last()) else {
        return Ok(HashMap::new());
    };
    let rows = stmt::<DB>(CHAIN_ROWS)
        .param(first.0)
        .param(last.0)
        .all(&mut *conn)
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
pub(crate) async fn verify_in<DB: SqlDb>(
    conn: &mut DB::Connection,
    trusted: &ed25519_dalek::VerifyingKey,
    anchor: Option<&SignedHead>,
) -> StoreResult<VerifyReport> {
    let checkpoints = stmt::<DB>(crate::audit_sql::CHECKPOINTS)
        .all(&mut *conn)
        .await?
        .iter()
        .map(checkpoint_from_row)
        .collect::<StoreResult<Vec<_>>>()?;
    let head = stmt::<DB>("SELECT * FROM audit_head WHERE id = 1")
        .optional(&mut *conn)
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
            stmt::<DB>("SELECT seq, at, actor, category, object, purpose, reason, recipient, detail, prev_hash, hash FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT 5000")
                .param(after)
                .all(&mut *conn)
                .await?;
        let Some(last) = rows.last() else {
            break;
        };
        after = last.col(0)?;
        for row in &rows {
            verifier.push(&record_from_row(row)?);
        }
    }
    let mut after = 0;
    loop {
        let page = case_page::<DB>(conn, after, false).await?;
        let Some(last) = page.last() else {
            break;
        };
        after = last.0;
        let chains = chains_of::<DB>(conn, &page).await?;
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
    let mut counts = StoreCounts {
        events: count::<DB>(conn, "SELECT count(*) FROM events").await?,
        sealed: count::<DB>(conn, "SELECT count(*) FROM sealed").await?,
        users: count::<DB>(conn, "SELECT count(*) FROM users").await?,
        ..StoreCounts::default()
    };
    if let Some(seq) = verifier.unbound_case() {
        counts.unbound_object = match stmt::<DB>("SELECT object FROM audit_log WHERE seq = $1")
            .param(seq)
            .optional(&mut *conn)
            .await?
        {
            Some(row) => Some(row.col(0)?),
            None => None,
        };
    }
    Ok(verifier.finish(&checkpoints, head.as_ref(), &counts))
}

/// The count a `SELECT count(*)` gives (never below zero).
async fn count<DB: SqlDb>(conn: &mut DB::Connection, sql: &'static str) -> StoreResult<u64> {
    let count: i64 = stmt::<DB>(sql).one(conn).await?.col(0)?;
    Ok(count.max(0) as u64)
}
