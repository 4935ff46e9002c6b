//! The SQLite side of the web server's state (see [`crate::server_state`]): conditional case
//! reads, sign-in failures, first sign-ins, break-glass declarations and shares with partners.

use chrono::Utc;
use domain::{Case, CaseKey};
use serde_json::json;
use sqlx::Row;

use super::{SqliteStore, case_object, optional, parse_body};
use crate::access::{Access, Category};
use crate::audit::AuditEntry;
use crate::error::{StoreError, StoreResult};
use crate::model::StoredCase;
use crate::server_state::{
    BreakGlassDeclaration, CaseRead, CaseShare, NewShare, SharedItem, check_new_share,
    revoke_entry, share_entry,
};

impl SqliteStore {
    /// Refuses `officer_id` of `force` when a user other than `username` already is that
    /// officer (see [`crate::model::OFFICER_TAKEN_SQL`]).
    pub(super) async fn check_officer_free(
        &self,
        tx: &mut super::WriteTx<'_>,
        force: &str,
        officer_id: &str,
        username: &str,
    ) -> StoreResult<()> {
        tx.op()?;
        let taken: Option<String> = sqlx::query_scalar(crate::model::OFFICER_TAKEN_SQL)
            .bind(force)
            .bind(officer_id)
            .bind(username)
            .fetch_optional(&mut *tx.tx)
            .await?;
        match taken {
            Some(other) => Err(crate::model::officer_taken(force, officer_id, &other)),
            None => Ok(()),
        }
    }
    pub(super) async fn web_read_case_if_changed(
        &self,
        access: &Access,
        key: &CaseKey,
        known: Option<u64>,
    ) -> StoreResult<CaseRead> {
        let entry = AuditEntry::new(
            access,
            Category::Consultation,
            case_object(&key.force, &key.reference),
        );
        // The version (which version of the case there is, not anything in it) is looked up
        // before the audit record is committed, the events after; nothing is returned before the
        // record is durable. Read after the commit, as it was, every version lookup ran just as
        // the commit released its batch of callers together, and they queued on SQLite's
        // read-mark locks; here it runs beside the session's lookup, usually on a connection
        // whose pages are still current.
        let row: Option<(i64, i64)> = self.points.read("the case's version", |db| {
            let found = db
                .prepare_cached(
                    "SELECT case_id, version FROM cases WHERE force = $1 AND reference = $2",
                )?
                .query_row([key.force.as_str(), key.reference.as_str()], |row| {
                    Ok((row.get(0)?, row.get(1)?))
                });
            Ok(optional(found)?)
        })?;
        self.audit_alone(&[entry]).await?;
        let Some((case_id, version)) = row else {
            return Ok(CaseRead::Missing);
        };
        let version = version as u64;
        if known == Some(version) {
            return Ok(CaseRead::Unchanged { version });
        }
        let rows = sqlx::query(
            "SELECT seq, body FROM events WHERE case_id = $1 AND seq <= $2 ORDER BY seq",
        )
        .bind(case_id)
        .bind(version as i64)
        .fetch_all(&self.reader)
        .await?;
        let mut events = Vec::with_capacity(rows.len());
        for row in rows {
            let seq: i64 = row.try_get(0)?;
            let body: String = row.try_get(1)?;
            events.push(parse_body(&body, &key.force, &key.reference, seq)?.event);
        }
        Ok(CaseRead::Read(StoredCase {
            case: Case::new(key.clone(), events),
            version,
        }))
    }

    pub(super) async fn web_note_sign_in_failure(
        &self,
        username: &str,
        at: &str,
        window_start: &str,
    ) -> StoreResult<u64> {
        let mut tx = self.begin_write().await?;
        tx.op()?;
        sqlx::query("DELETE FROM sign_in_failures WHERE username = $1 AND at < $2")
            .bind(username)
            .bind(window_start)
            .execute(&mut *tx.tx)
            .await?;
        tx.op()?;
        sqlx::query("INSERT INTO sign_in_failures (username, at) VALUES ($1, $2)")
            .bind(username)
            .bind(at)
            .execute(&mut *tx.tx)
            .await?;
        tx.op()?;
        let count: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM sign_in_failures WHERE username = $1 AND at >= $2",
        )
        .bind(username)
        .bind(window_start)
        .fetch_one(&mut *tx.tx)
        .await?;
        tx.commit().await?;
        Ok(count as u64)
    }

    pub(super) async fn web_sign_in_failures(
        &self,
        username: &str,
        window_start: &str,
    ) -> StoreResult<u64> {
        let count: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM sign_in_failures WHERE username = $1 AND at >= $2",
        )
        .bind(username)
        .bind(window_start)
        .fetch_one(&self.reader)
        .await?;
        Ok(count as u64)
    }

    pub(super) async fn web_clear_sign_in_failures(&self, username: &str) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        tx.op()?;
        sqlx::query("DELETE FROM sign_in_failures WHERE username = $1")
            .bind(username)
            .execute(&mut *tx.tx)
            .await?;
        tx.commit().await
    }

    pub(super) async fn web_record_first_sign_in(
        &self,
        username: &str,
        session: &str,
        at: &str,
    ) -> StoreResult<bool> {
        let mut tx = self.begin_write().await?;
        tx.op()?;
        let result = sqlx::query(
            "INSERT INTO first_sign_ins (username, session, at) VALUES ($1, $2, $3) \
             ON CONFLICT (username) DO NOTHING",
        )
        .bind(username)
        .bind(session)
        .bind(at)
        .execute(&mut *tx.tx)
        .await?;
        tx.commit().await?;
        Ok(result.rows_affected() == 1)
    }

    pub(super) async fn web_first_sign_in_session(
        &self,
        username: &str,
    ) -> StoreResult<Option<String>> {
        Ok(
            sqlx::query_scalar("SELECT session FROM first_sign_ins WHERE username = $1")
                .bind(username)
                .fetch_optional(&self.reader)
                .await?,
        )
    }

    pub(super) async fn web_declare_break_glass(
        &self,
        access: &Access,
        key: &CaseKey,
        session: &str,
        at: &str,
    ) -> StoreResult<BreakGlassDeclaration> {
        let Some(reason) = access
            .reason
            .as_deref()
            .map(str::trim)
            .filter(|r| !r.is_empty())
        else {
            return Err(StoreError::Refused(
                "break-glass access must give a reason".into(),
            ));
        };
        let declaration = BreakGlassDeclaration {
            force: key.force.to_string(),
            reference: key.reference.to_string(),
            session: session.to_owned(),
            actor: access.actor.clone(),
            reason: reason.to_owned(),
            at: at.to_owned(),
        };
        let mut tx = self.begin_write().await?;
        tx.op()?;
        sqlx::query(
            "INSERT INTO break_glass (force, reference, session, actor, reason, at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&declaration.force)
        .bind(&declaration.reference)
        .bind(&declaration.session)
        .bind(&declaration.actor)
        .bind(&declaration.reason)
        .bind(&declaration.at)
        .execute(&mut *tx.tx)
        .await?;
        let entry = AuditEntry::new(
            access,
            Category::Consultation,
            case_object(&key.force, &key.reference),
        )
        .with_detail(json!({"break_glass": "declared"}));
        self.write_audit(&mut tx, &[entry], Utc::now()).await?;
        tx.commit().await?;
        Ok(declaration)
    }

    pub(super) async fn web_break_glass_grant(
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

    pub(super) async fn web_break_glass_on(
        &self,
        key: &CaseKey,
    ) -> StoreResult<Vec<BreakGlassDeclaration>> {
        let rows = sqlx::query(
            "SELECT force, reference, session, actor, reason, at FROM break_glass \
             WHERE force = $1 AND reference = $2 ORDER BY id",
        )
        .bind(key.force.as_str())
        .bind(key.reference.as_str())
        .fetch_all(&self.reader)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(BreakGlassDeclaration {
                    force: row.try_get(0)?,
                    reference: row.try_get(1)?,
                    session: row.try_get(2)?,
                    actor: row.try_get(3)?,
                    reason: row.try_get(4)?,
                    at: row.try_get(5)?,
                })
            })
            .collect()
    }

    pub(super) async fn web_share_case(
        &self,
        access: &Access,
        share: &NewShare,
    ) -> StoreResult<CaseShare> {
        check_new_share(share).map_err(StoreError::Invalid)?;
        let key = &share.case;
        let mut tx = self.begin_write().await?;
        tx.op()?;
        let partner: Option<bool> = sqlx::query_scalar(crate::server_state::SHARE_PARTNER_SQL)
            .bind(&share.partner)
            .bind(key.force.as_str())
            .fetch_optional(&mut *tx.tx)
            .await?;
        if partner != Some(false) {
            return Err(StoreError::Refused(format!(
                "`{}` is not an active partner of force `{}`",
                share.partner, key.force
            )));
        }
        tx.op()?;
        let case: Option<i64> =
            sqlx::query_scalar("SELECT case_id FROM cases WHERE force = $1 AND reference = $2")
                .bind(key.force.as_str())
                .bind(key.reference.as_str())
                .fetch_optional(&mut *tx.tx)
                .await?;
        if case.is_none() {
            return Err(StoreError::NotFound(format!(
                "case {}/{}",
                key.force, key.reference
            )));
        }
        let mut items = share.items.clone();
        items.sort();
        items.dedup();
        tx.op()?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO case_shares (force, reference, partner, shared_by, items, reason, at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(key.force.as_str())
        .bind(key.reference.as_str())
        .bind(&share.partner)
        .bind(&access.actor)
        .bind(SharedItem::join(&items))
        .bind(share.reason.trim())
        .bind(&share.at)
        .fetch_one(&mut *tx.tx)
        .await?;
        let entry = share_entry(access, share, id, &items);
        self.write_audit(&mut tx, &[entry], Utc::now()).await?;
        tx.commit().await?;
        Ok(CaseShare {
            id,
            force: key.force.to_string(),
            reference: key.reference.to_string(),
            partner: share.partner.clone(),
            shared_by: access.actor.clone(),
            items,
            reason: share.reason.trim().to_owned(),
            at: share.at.clone(),
            revoked_at: None,
            revoked_by: None,
        })
    }

    pub(super) async fn web_revoke_share(
        &self,
        access: &Access,
        key: &CaseKey,
        id: i64,
        at: &str,
    ) -> StoreResult<CaseShare> {
        let mut tx = self.begin_write().await?;
        tx.op()?;
        let row = sqlx::query(
            "SELECT * FROM case_shares WHERE id = $1 AND force = $2 AND reference = $3",
        )
        .bind(id)
        .bind(key.force.as_str())
        .bind(key.reference.as_str())
        .fetch_optional(&mut *tx.tx)
        .await?;
        let Some(row) = row else {
            return Err(StoreError::NotFound(format!(
                "share {id} of case {}/{}",
                key.force, key.reference
            )));
        };
        let mut share = share_from_row(&row)?;
        if !share.is_active() {
            return Ok(share);
        }
        tx.op()?;
        sqlx::query("UPDATE case_shares SET revoked_at = $1, revoked_by = $2 WHERE id = $3")
            .bind(at)
            .bind(&access.actor)
            .bind(id)
            .execute(&mut *tx.tx)
            .await?;
        let entry = revoke_entry(access, &share);
        self.write_audit(&mut tx, &[entry], Utc::now()).await?;
        tx.commit().await?;
        share.revoked_at = Some(at.to_owned());
        share.revoked_by = Some(access.actor.clone());
        Ok(share)
    }

    pub(super) async fn web_case_shares(&self, key: &CaseKey) -> StoreResult<Vec<CaseShare>> {
        self.points.read("the case's shares", |db| {
            let mut statement = db.prepare_cached(
                "SELECT * FROM case_shares WHERE force = $1 AND reference = $2 ORDER BY id",
            )?;
            let mut rows = statement.query([key.force.as_str(), key.reference.as_str()])?;
            let mut shares = Vec::new();
            while let Some(row) = rows.next()? {
                shares.push(share_from_row(row)?);
            }
            Ok(shares)
        })
    }

    pub(super) async fn web_shares_with(&self, partner: &str) -> StoreResult<Vec<CaseShare>> {
        let rows = sqlx::query(
            "SELECT * FROM case_shares WHERE partner = $1 AND revoked_at IS NULL \
             ORDER BY force, reference, id",
        )
        .bind(partner)
        .fetch_all(&self.reader)
        .await?;
        rows.iter().map(share_from_row).collect()
    }
}

/// A share row's columns, whichever library read the row (sqlx in a write transaction, a point
/// read otherwise).
trait ShareColumns {
    fn text(&self, name: &str) -> StoreResult<String>;
    fn maybe_text(&self, name: &str) -> StoreResult<Option<String>>;
    fn int(&self, name: &str) -> StoreResult<i64>;
}

impl ShareColumns for sqlx::sqlite::SqliteRow {
    fn text(&self, name: &str) -> StoreResult<String> {
        Ok(self.try_get(name)?)
    }
    fn maybe_text(&self, name: &str) -> StoreResult<Option<String>> {
        Ok(self.try_get(name)?)
    }
    fn int(&self, name: &str) -> StoreResult<i64> {
        Ok(self.try_get(name)?)
    }
}

impl ShareColumns for rusqlite::Row<'_> {
    fn text(&self, name: &str) -> StoreResult<String> {
        Ok(self.get(name)?)
    }
    fn maybe_text(&self, name: &str) -> StoreResult<Option<String>> {
        Ok(self.get(name)?)
    }
    fn int(&self, name: &str) -> StoreResult<i64> {
        Ok(self.get(name)?)
    }
}

fn share_from_row(row: &impl ShareColumns) -> StoreResult<CaseShare> {
    let items = row.text("items")?;
    let id = row.int("id")?;
    Ok(CaseShare {
        id,
        force: row.text("force")?,
        reference: row.text("reference")?,
        partner: row.text("partner")?,
        shared_by: row.text("shared_by")?,
        items: SharedItem::parse_list(&items)
            .map_err(|_| StoreError::Corrupt(format!("share {id} items")))?,
        reason: row.text("reason")?,
        at: row.text("at")?,
        revoked_at: row.maybe_text("revoked_at")?,
        revoked_by: row.maybe_text("revoked_by")?,
    })
}
