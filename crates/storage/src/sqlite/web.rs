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
        // the connection's pages dropped by it: read with the version, in the same statement
        // (one snapshot without a BEGIN and a COMMIT of its own), they cost a join.
        let found = if with_shares {
            let (version, shares) = self.points.read("the case's version and shares", |db| {
                version_and_shares(db, key)
            })?;
            (version, Some(shares))
        } else {
            let version = self.points.read("the case's version", |db| {
                let found = db
                    .prepare_cached(crate::row_maps::CASE_VERSION)?
                    .query_row([key.force.as_str(), key.reference.as_str()], |row| {
                        Ok((row.get(0)?, row.get(1)?))
                    });
                Ok(optional(found)?)
            })?;
            (version, None)
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

/// A case's id and its version.
type CaseVersion = (i64, i64);

/// A case's id and version (`None`: no such case) and every share of it, revoked ones included,
/// oldest first: one row per share, or one with no share when there is none.
fn version_and_shares(
    db: &rusqlite::Connection,
    key: &CaseKey,
) -> StoreResult<(Option<CaseVersion>, Vec<CaseShare>)> {
    let mut statement = db.prepare_cached(
        "SELECT c.case_id, c.version, s.id, s.force, s.reference, s.partner, s.shared_by, \
         s.items, s.reason, s.at, s.revoked_at, s.revoked_by FROM cases c \
         LEFT JOIN case_shares s ON s.force = c.force AND s.reference = c.reference \
         WHERE c.force = $1 AND c.reference = $2 ORDER BY s.id",
    )?;
    let mut rows = statement.query([key.force.as_str(), key.reference.as_str()])?;
    let (mut version, mut shares) = (None, Vec::new());
    while let Some(row) = rows.next()? {
        version = Some((row.get(0)?, row.get(1)?));
        if row.get_ref(2)? != rusqlite::types::ValueRef::Null {
            shares.push(share_from_point(row)?);
        }
    }
    Ok((version, shares))
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
