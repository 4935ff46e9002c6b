//! Sharing cases with partners and break-glass access, once for both databases (the tables are
//! in migration `0003_web.sql`, PostgreSQL `0004_web.sql`; see [`crate::server_state`]).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::CaseKey;
use serde_json::json;

use super::Backend;
use crate::access::{Access, Category};
use crate::audit::{AuditEntry, case_object, format_time};
use crate::common::{STORE_ACTOR, actor_of, to_micros};
use crate::error::{StoreError, StoreResult};
use crate::row_maps::{RowExt, declaration_from_row, share_from_row};
use crate::server_state::{
    BreakGlassDeclaration, CaseShare, NewShare, SharedItem, check_new_share, revoke_entry,
    share_entry,
};
use crate::sql::{Param, Run, stmt};
use crate::store::SharingStore;

#[async_trait]
impl<B: Backend> SharingStore for B {
    async fn declare_break_glass(
        &self,
        access: &Access,
        key: &CaseKey,
        session: &str,
        at: DateTime<Utc>,
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
            at: to_micros(at),
        };
        let mut tx = self.begin(actor_of(access), true).await?;
        stmt::<B::Db>(
            "INSERT INTO break_glass (force, reference, session, actor, reason, at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .param(&declaration.force)
        .param(&declaration.reference)
        .param(&declaration.session)
        .param(&declaration.actor)
        .param(&declaration.reason)
        .param(format_time(declaration.at))
        .run(tx.next()?)
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

    async fn break_glass_grant(&self, session: &str, key: &CaseKey) -> StoreResult<Option<String>> {
        Backend::break_glass_grant(self, session, key).await
    }

    async fn break_glass_on(&self, key: &CaseKey) -> StoreResult<Vec<BreakGlassDeclaration>> {
        let mut conn = self.read_cases(STORE_ACTOR).await?;
        let rows = stmt::<B::Db>(
            "SELECT force, reference, session, actor, reason, at FROM break_glass \
             WHERE force = $1 AND reference = $2 ORDER BY id",
        )
        .param(key.force.as_str())
        .param(key.reference.as_str())
        .all(conn.next()?)
        .await?;
        conn.finish().await?;
        rows.iter().map(declaration_from_row).collect()
    }

    async fn share_case(&self, access: &Access, share: &NewShare) -> StoreResult<CaseShare> {
        check_new_share(share).map_err(StoreError::Invalid)?;
        let key = &share.case;
        let mut tx = self.begin(actor_of(access), true).await?;
        let partner: Option<bool> = stmt::<B::Db>(crate::server_state::SHARE_PARTNER_SQL)
            .param(&share.partner)
            .param(key.force.as_str())
            .optional(tx.next()?)
            .await?
            .map(|row| row.col(0))
            .transpose()?;
        if partner != Some(false) {
            return Err(StoreError::Refused(format!(
                "`{}` is not an active partner of force `{}`",
                share.partner, key.force
            )));
        }
        let case = stmt::<B::Db>("SELECT case_id FROM cases WHERE force = $1 AND reference = $2")
            .param(key.force.as_str())
            .param(key.reference.as_str())
            .optional(tx.next()?)
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
        let id: i64 = stmt::<B::Db>(
            "INSERT INTO case_shares (force, reference, partner, shared_by, items, reason, at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .param(key.force.as_str())
        .param(key.reference.as_str())
        .param(&share.partner)
        .param(&access.actor)
        .param(SharedItem::join(&items))
        .param(share.reason.trim())
        .param(format_time(share.at))
        .one(tx.next()?)
        .await?
        .col(0)?;
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
            at: to_micros(share.at),
            revoked_at: None,
            revoked_by: None,
        })
    }

    async fn revoke_share(
        &self,
        access: &Access,
        key: &CaseKey,
        id: i64,
        at: DateTime<Utc>,
    ) -> StoreResult<CaseShare> {
        let mut tx = self.begin(actor_of(access), true).await?;
        let row = stmt::<B::Db>(
            "SELECT * FROM case_shares WHERE id = $1 AND force = $2 AND reference = $3",
        )
        .param(id)
        .param(key.force.as_str())
        .param(key.reference.as_str())
        .optional(tx.next()?)
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
        stmt::<B::Db>("UPDATE case_shares SET revoked_at = $1, revoked_by = $2 WHERE id = $3")
            .param(format_time(at))
            .param(&access.actor)
            .param(id)
            .run(tx.next()?)
            .await?;
        let entry = revoke_entry(access, &share);
        self.write_audit(&mut tx, &[entry], Utc::now()).await?;
        tx.commit().await?;
        share.revoked_at = Some(to_micros(at));
        share.revoked_by = Some(access.actor.clone());
        Ok(share)
    }

    async fn case_shares(&self, key: &CaseKey) -> StoreResult<Vec<CaseShare>> {
        Backend::case_shares(self, key).await
    }

    async fn shares_with(&self, partner: &str) -> StoreResult<Vec<CaseShare>> {
        let mut conn = self.read_cases(STORE_ACTOR).await?;
        let rows = stmt::<B::Db>(
            "SELECT * FROM case_shares WHERE partner = $1 AND revoked_at IS NULL \
             ORDER BY force, reference, id",
        )
        .param(partner)
        .all(conn.next()?)
        .await?;
        conn.finish().await?;
        rows.iter().map(share_from_row).collect()
    }
}
