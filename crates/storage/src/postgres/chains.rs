//! Case chains in PostgreSQL: the upgrade that back-fills the heads of cases stored before
//! chains existed (the same steps as `sqlite/chains.rs`, under the audit lock).

use chrono::Utc;

use super::{PgStore, SYSTEM_ACTOR};
use crate::chain::{CaseHead, StateDelta};
use crate::chain_sql::{case_page, chains_of};
use crate::common::{backfill_entry, upgrade_entry};
use crate::error::{StoreError, StoreResult};
use crate::row_maps::head_from_row;

impl PgStore {
    /// On opening a store written before case chains: see `SqliteStore::upgrade_chains`. Under the
    /// audit lock, so that several processes opening at once upgrade once.
    pub(super) async fn upgrade_chains(&self) -> StoreResult<()> {
        let mut tx = self.begin(SYSTEM_ACTOR, true).await?;
        let head = sqlx::query("SELECT * FROM audit_head WHERE id = 1")
            .fetch_optional(&mut *tx.tx)
            .await?
            .as_ref()
            .map(head_from_row)
            .transpose()?;
        // Only a head of the first format (an earlier version's store) is upgraded.
        let earlier = head.as_ref().is_some_and(|head| head.counts().is_none());
        if !earlier {
            return Ok(());
        }
        let now = Utc::now();
        let mut after = 0;
        let mut count = 0u64;
        loop {
            let page = case_page::<sqlx::Postgres>(&mut tx.tx, after, true).await?;
            let Some(last) = page.last() else {
                break;
            };
            after = last.0;
            let chains = chains_of::<sqlx::Postgres>(&mut tx.tx, &page).await?;
            let mut entries = Vec::with_capacity(page.len());
            let mut delta = StateDelta::default();
            for (case_id, force, reference, _, _) in &page {
                let chain = chains.get(case_id).copied().unwrap_or_default();
                sqlx::query("UPDATE cases SET head = $1 WHERE case_id = $2")
                    .bind(crate::chain::to_hex(&chain.head))
                    .bind(case_id)
                    .execute(&mut *tx.tx)
                    .await?;
                entries.push(backfill_entry(force, reference, &chain));
                delta.push(
                    None,
                    CaseHead {
                        force: force.clone(),
                        reference: reference.clone(),
                        version: chain.events,
                        head: chain.head,
                    },
                );
            }
            count += page.len() as u64;
            let written = crate::engine::write_audit_signed::<PgStore>(
                &self.signer,
                &self.trust,
                &mut tx,
                &entries,
                &delta,
                now,
                true,
            )
            .await;
            if let Err(StoreError::Audit(problem)) = written {
                tracing::warn!(%problem, "case chains not back-filled: the audit head does not verify");
                return Ok(());
            }
            written?;
        }
        let written = crate::engine::write_audit_signed::<PgStore>(
            &self.signer,
            &self.trust,
            &mut tx,
            &[upgrade_entry(count)],
            &StateDelta::default(),
            now,
            true,
        )
        .await;
        if let Err(StoreError::Audit(problem)) = written {
            tracing::warn!(%problem, "audit head not upgraded: it does not verify");
            return Ok(());
        }
        written?;
        tx.commit().await?;
        tracing::info!(
            cases = count,
            "case chains back-filled and the audit head upgraded"
        );
        Ok(())
    }
}
