//! What SQLite does itself of the web server's state (see [`crate::server_state`]; the rest is
//! `crate::engine`): the version lookup of conditional case reads and the point reads of
//! break-glass grants and shares.

use domain::CaseKey;

use super::{SqliteStore, optional};
use crate::audit::AuditEntry;
use crate::engine::Backend as _;
use crate::error::StoreResult;
use crate::row_maps::ShareRow;
use crate::server_state::CaseShare;

impl SqliteStore {
    /// The case's id and version for a conditional read (with its shares when `with_shares`,
    /// in the same read transaction), then its audit record.
    pub(super) async fn web_audited_version(
        &self,
        key: &CaseKey,
        entry: AuditEntry,
        with_shares: bool,
    ) -> StoreResult<(Option<(i64, i64)>, Option<Vec<CaseShare>>)> {
        // The version (which version of the case there is, not anything in it) is looked up
        // before the audit record is committed, the events after; nothing is returned before the
        // record is durable. Read after the commit, as it was, every version lookup ran just as
        // the commit released its batch of callers together, and they queued on SQLite's
        // read-mark locks; here it runs beside the session's lookup, usually on a connection
        // whose pages are still current. The shares, read after the commit, would always find
        // the connection's pages dropped by it: read with the version, they cost one statement.
        let version = |db: &rusqlite::Connection| -> StoreResult<Option<(i64, i64)>> {
            let found = db
                .prepare_cached(
                    "SELECT case_id, version FROM cases WHERE force = $1 AND reference = $2",
                )?
                .query_row([key.force.as_str(), key.reference.as_str()], |row| {
                    Ok((row.get(0)?, row.get(1)?))
                });
            Ok(optional(found)?)
        };
        let found = if with_shares {
            self.points
                .read_together("the case's version and shares", |db| {
                    Ok((version(db)?, Some(case_shares(db, key)?)))
                })?
        } else {
            (self.points.read("the case's version", version)?, None)
        };
        self.audit_alone(vec![entry]).await?;
        Ok(found)
    }

    pub(super) fn point_break_glass_grant(
        &self,
        session: &str,
        key: &CaseKey,
    ) -> StoreResult<Option<String>> {
        self.points.read("the break-glass grant", |db| {
            let found = db
                .prepare_cached(
                    "SELECT reason FROM break_glass \
                     WHERE session = $1 AND force = $2 AND reference = $3 \
                     ORDER BY id DESC LIMIT 1",
                )?
                .query_row(
                    [session, key.force.as_str(), key.reference.as_str()],
                    |row| row.get(0),
                );
            Ok(optional(found)?)
        })
    }

    pub(super) fn point_case_shares(&self, key: &CaseKey) -> StoreResult<Vec<CaseShare>> {
        self.points
            .read("the case's shares", |db| case_shares(db, key))
    }
}

/// Every share of a case, revoked ones included, oldest first.
fn case_shares(db: &rusqlite::Connection, key: &CaseKey) -> StoreResult<Vec<CaseShare>> {
    let mut statement = db.prepare_cached(
        "SELECT * FROM case_shares WHERE force = $1 AND reference = $2 ORDER BY id",
    )?;
    let mut rows = statement.query([key.force.as_str(), key.reference.as_str()])?;
    let mut shares = Vec::new();
    while let Some(row) = rows.next()? {
        shares.push(share_from_point(row)?);
    }
    Ok(shares)
}

/// A share row read by a point read (rusqlite), as the shared [`ShareRow`] of the sqlx reads.
fn share_from_point(row: &rusqlite::Row<'_>) -> StoreResult<CaseShare> {
    ShareRow {
        id: row.get("id")?,
        force: row.get("force")?,
        reference: row.get("reference")?,
        partner: row.get("partner")?,
        shared_by: row.get("shared_by")?,
        items: row.get("items")?,
        reason: row.get("reason")?,
        at: row.get("at")?,
        revoked_at: row.get("revoked_at")?,
        revoked_by: row.get("revoked_by")?,
    }
    .try_into()
}
