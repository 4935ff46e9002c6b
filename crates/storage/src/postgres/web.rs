//! The PostgreSQL side of the web server's state (see [`crate::server_state`]): conditional case
//! reads, sign-in failures, first sign-ins, break-glass declarations and shares with partners.

use chrono::Utc;
use domain::{Case, CaseKey};
use serde_json::json;
use sqlx::Row;

use super::{PgStore, SYSTEM_ACTOR, actor_of};
use crate::access::{Access, Category};
use crate::audit::AuditEntry;
use crate::common::{case_object, parse_body};
use crate::error::{StoreError, StoreResult};
use crate::model::StoredCase;
use crate::server_state::{
    BreakGlassDeclaration, CaseRead, CaseShare, NewShare, SharedItem, check_new_share,
    revoke_entry, share_entry,
};

impl PgStore {
    /// Refuses `officer_id` of `force` when a user other than `username` already is that
    /// officer (see [`crate::model::OFFICER_TAKEN_SQL`]).
    pub(super) async fn check_officer_free(
        &self,
        tx: &mut super::PgTx<'_>,
        force: &str,
        officer_id: &str,
        username: &str,
    ) -> StoreResult<()> {
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
        self.audit_alone(&[entry]).await?;
        let mut tx = self.begin_snapshot(actor_of(access)).await?;
        let row =
            sqlx::query("SELECT case_id, version FROM cases WHERE force = $1 AND reference = $2")
                .bind(key.force.as_str())
                .bind(key.reference.as_str())
                .fetch_optional(&mut *tx.tx)
                .await?;
        let Some(row) = row else {
            return Ok(CaseRead::Missing);
        };
        let case_id: i64 = row.try_get(0)?;
        let version = row.try_get::<i64, _>(1)? as u64;
        if known == Some(version) {
            return Ok(CaseRead::Unchanged { version });
        }
        let rows = sqlx::query(
            "SELECT seq, body FROM events WHERE case_id = $1 AND seq <= $2 ORDER BY seq",
        )
        .bind(case_id)
        .bind(version as i64)
        .fetch_all(&mut *tx.tx)
        .await?;
        tx.commit().await?;
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
        let mut tx = self.begin(SYSTEM_ACTOR, false).await?;
        sqlx::query("DELETE FROM sign_in_failures WHERE username = $1 AND at < $2")
            .bind(username)
            .bind(window_start)
            .execute(&mut *tx.tx)
            .await?;
        sqlx::query("INSERT INTO sign_in_failures (username, at) VALUES ($1, $2)")
            .bind(username)
            .bind(at)
            .execute(&mut *tx.tx)
            .await?;
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
        .fetch_one(&self.pool)
        .await?;
        Ok(count as u64)
    }

    pub(super) async fn web_clear_sign_in_failures(&self, username: &str) -> StoreResult<()> {
        let mut tx = self.begin(SYSTEM_ACTOR, false).await?;
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
        let mut tx = self.begin(SYSTEM_ACTOR, false).await?;
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
                .fetch_optional(&self.pool)
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
        let mut tx = self.begin(actor_of(access), true).await?;
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
        // break_glass is case-scoped (row-level security): read as the system actor.
        let mut tx = self.begin(SYSTEM_ACTOR, false).await?;
        let reason = sqlx::query_scalar(
            "SELECT reason FROM break_glass WHERE session = $1 AND force = $2 AND reference = $3 \
             ORDER BY id DESC LIMIT 1",
        )
        .bind(session)
        .bind(key.force.as_str())
        .bind(key.reference.as_str())
        .fetch_optional(&mut *tx.tx)
        .await?;
        tx.commit().await?;
        Ok(reason)
    }

    pub(super) async fn web_break_glass_on(
        &self,
        key: &CaseKey,
    ) -> StoreResult<Vec<BreakGlassDeclaration>> {
        let mut tx = self.begin(SYSTEM_ACTOR, false).await?;
        let rows = sqlx::query(
            "SELECT force, reference, session, actor, reason, at FROM break_glass \
             WHERE force = $1 AND reference = $2 ORDER BY id",
        )
        .bind(key.force.as_str())
        .bind(key.reference.as_str())
        .fetch_all(&mut *tx.tx)
        .await?;
        tx.commit().await?;
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
        let mut tx = self.begin(actor_of(access), true).await?;
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
        let mut tx = self.begin(actor_of(access), true).await?;
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
        let mut tx = self.begin(SYSTEM_ACTOR, false).await?;
        let rows = sqlx::query(
            "SELECT * FROM case_shares WHERE force = $1 AND reference = $2 ORDER BY id",
        )
        .bind(key.force.as_str())
        .bind(key.reference.as_str())
        .fetch_all(&mut *tx.tx)
        .await?;
        tx.commit().await?;
        rows.iter().map(share_from_row).collect()
    }

    pub(super) async fn web_shares_with(&self, partner: &str) -> StoreResult<Vec<CaseShare>> {
        let mut tx = self.begin(SYSTEM_ACTOR, false).await?;
        let rows = sqlx::query(
            "SELECT * FROM case_shares WHERE partner = $1 AND revoked_at IS NULL \
             ORDER BY force, reference, id",
        )
        .bind(partner)
        .fetch_all(&mut *tx.tx)
        .await?;
        tx.commit().await?;
        rows.iter().map(share_from_row).collect()
    }
}

fn share_from_row(row: &sqlx::postgres::PgRow) -> StoreResult<CaseShare> {
    let items: String = row.try_get("items")?;
    let id: i64 = row.try_get("id")?;
    Ok(CaseShare {
        id,
        force: row.try_get("force")?,
        reference: row.try_get("reference")?,
        partner: row.try_get("partner")?,
        shared_by: row.try_get("shared_by")?,
        items: SharedItem::parse_list(&items)
            .map_err(|_| StoreError::Corrupt(format!("share {id} items")))?,
        reason: row.try_get("reason")?,
        at: row.try_get("at")?,
        revoked_at: row.try_get("revoked_at")?,
        revoked_by: row.try_get("revoked_by")?,
    })
}
