//! The upgrade to case chains, once for both databases: on opening a store written before case
//! chains (its signed head is of the first format), every case's head is back-filled from its
//! events as stored, bound in the audit log, and a head with counts and the state digest signed;
//! one transaction (under the audit lock on PostgreSQL, so that several processes opening at once
//! upgrade once), so a crash leaves the store as it was. Events are not rewritten. A head that
//! does not verify is left alone (the store writes nothing on it; `rasso audit verify` reports
//! it). See docs/storage.md, "Case chains".

use chrono::Utc;

use super::Backend;
use super::audit::write_audit_signed;
use crate::chain::{CaseHead, StateDelta};
use crate::chain_sql::{case_page, chains_of};
use crate::common::{STORE_ACTOR, backfill_entry, upgrade_entry};
use crate::error::{StoreError, StoreResult};
use crate::row_maps::head_from_row;
use crate::sql::{Param, Run, stmt};

/// Upgrades `store` to case chains if it was written before them (see the module).
pub(crate) async fn upgrade_chains<B: Backend>(store: &B) -> StoreResult<()> {
    let mut tx = store.begin(STORE_ACTOR, true).await?;
    let head = stmt::<B::Db>("SELECT * FROM audit_head WHERE id = 1")
        .optional(tx.next()?)
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
        let page = case_page::<B::Db>(&mut tx.tx, after, true).await?;
        let Some(last) = page.last() else {
            break;
        };
        after = last.0;
        let chains = chains_of::<B::Db>(&mut tx.tx, &page).await?;
        let mut entries = Vec::with_capacity(page.len());
        let mut delta = StateDelta::default();
        for (case_id, force, reference, _, _) in &page {
            let chain = chains.get(case_id).copied().unwrap_or_default();
            stmt::<B::Db>("UPDATE cases SET head = $1 WHERE case_id = $2")
                .param(crate::chain::to_hex(&chain.head))
                .param(*case_id)
                .run(tx.next()?)
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
        let written = write_audit_signed::<B>(
            store.signer(),
            store.trust(),
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
    let written = write_audit_signed::<B>(
        store.signer(),
        store.trust(),
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
