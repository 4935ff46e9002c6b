//! Per-force change counters: a cheap "has anything changed?" for case lists.
//!
//! Every transaction that creates or changes cases adds the number of cases it changed to its
//! force's counter, in the same transaction. A reader that remembers the counter it listed at can
//! ask for the counter alone next time (one row) and reuse its list while the counter stands still
//! ([`crate::CaseStore::list_cases_if_changed`]), instead of listing every open case of the force on
//! every page view. A counter, not a timestamp or a sequence: it cannot be overtaken by a
//! transaction that committed late or on a server whose clock is behind, because the upsert takes
//! the row's lock until commit, so counter values are seen in commit order.

use serde::Serialize;

use crate::model::CaseSummary;

/// Adds `$2` changes to force `$1` (the same SQL for SQLite and PostgreSQL).
pub(crate) const COUNT_CHANGES: &str = "INSERT INTO case_changes (force, changes) VALUES ($1, $2) \
     ON CONFLICT (force) DO UPDATE SET changes = case_changes.changes + excluded.changes";

/// The counter of force `$1`.
pub(crate) const CHANGES_OF_FORCE: &str = "SELECT changes FROM case_changes WHERE force = $1";

/// A session by token hash (`$1`), in the columns of [`crate::row_maps::SessionRow`], then its
/// user's force (column 5: NULL for a user of no force) and that force's counter (column 6: NULL
/// before the force's first change): what the caseload reads before it lists
/// ([`crate::AccountStore::session_with_force_changes`]). One statement, so one snapshot and, on
/// SQLite, one read transaction (its lock, and the reload of a page cache that every commit
/// drops, were most of the read's cost).
pub(crate) const SESSION_WITH_FORCE_CHANGES: &str = "SELECT s.token_hash, s.username, \
     s.csrf_token, s.created_at, s.last_seen_at, u.force, c.changes FROM sessions s \
     LEFT JOIN users u ON u.username = s.username LEFT JOIN case_changes c ON c.force = u.force \
     WHERE s.token_hash = $1";

/// The force and counter columns of [`SESSION_WITH_FORCE_CHANGES`]: none for a user of no force.
pub(crate) fn force_changes_of(
    force: Option<String>,
    changes: Option<i64>,
) -> Option<crate::model::ForceChanges> {
    force.map(|force| crate::model::ForceChanges {
        force,
        changes: changes_or_zero(changes),
    })
}

/// A counter as read: 0 when the force has had no change yet (no row, or NULL from an outer join).
pub(crate) fn changes_or_zero(changes: Option<i64>) -> u64 {
    changes.unwrap_or(0).max(0) as u64
}

/// The sum of every force's counter.
pub(crate) const CHANGES_OF_ALL: &str =
    "SELECT CAST(COALESCE(SUM(changes), 0) AS BIGINT) FROM case_changes";

/// What [`crate::CaseStore::list_cases_if_changed`] found.
#[derive(Debug, Clone, Serialize)]
pub enum CaseList {
    /// Nothing in the listed scope has changed since the caller's counter: its list still holds.
    Unchanged { changes: u64 },
    /// The list, and the counter it was listed at (read before the list, so a change that lands
    /// in between shows as a changed counter next time, never as a missed one).
    Listed {
        changes: u64,
        cases: Vec<CaseSummary>,
    },
}

/// Reads the counter of one force (`None`: the sum of every force's) from PostgreSQL: 0 when the
/// force has had no change yet. (SQLite reads it as a point read, `sqlite::point_read`.)
pub(crate) async fn read_postgres(
    pool: &sqlx::PgPool,
    force: Option<&str>,
) -> crate::error::StoreResult<u64> {
    let changes: Option<i64> = match force {
        Some(force) => {
            sqlx::query_scalar(CHANGES_OF_FORCE)
                .bind(force)
                .fetch_optional(pool)
                .await?
        }
        None => {
            sqlx::query_scalar(CHANGES_OF_ALL)
                .fetch_optional(pool)
                .await?
        }
    };
    Ok(changes_or_zero(changes))
}
