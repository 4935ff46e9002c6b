//! The audit log and the store's keys, once for both databases: extending the chain inside a
//! transaction, records written for processing done outside the store, checkpoints, the signed
//! head, verification, and master-key rotation.

use std::path::Path;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::json;

use super::Backend;
use crate::access::{Access, Category};
use crate::audit::{
    AuditEntry, AuditRecord, AuditSigner, HeadTrust, SignedHead, checkpoint_now, extend_chain,
};
use crate::audit_sql::{insert_records, read_chain_tail, write_checkpoint, write_head};
use crate::chain::StateDelta;
use crate::common::{STORE_ACTOR, actor_of, lock_poisoned};
use crate::error::{StoreError, StoreResult};
use crate::keys::MasterKey;
use crate::model::BackupInfo;
use crate::row_maps::{RowExt, head_from_row, record_from_row};
use crate::sql::{Param, Run, stmt};
use crate::store::{AdminStore, AuditStore};
use crate::tx::Tx;
use crate::verify::VerifyReport;

/// Appends audit records for `entries` inside `tx` (which holds the audit lock where the
/// database has one): chained, checkpointed when due, and the signed head moved to the last one,
/// with the state digest moved by `delta`. With `upgrade`, a head of the first format is
/// extended (the store's upgrade to case chains).
pub(crate) async fn write_audit_signed<B: Backend>(
    signer: &AuditSigner,
    trust: &HeadTrust,
    tx: &mut Tx<'_, B::Db>,
    entries: &[AuditEntry],
    delta: &StateDelta,
    now: DateTime<Utc>,
    upgrade: bool,
) -> StoreResult<Vec<AuditRecord>> {
    if entries.is_empty() {
        return Ok(Vec::new());
    }
    let tail = read_chain_tail::<B::Db>(tx.next()?, trust, upgrade).await?;
    let extension = extend_chain(signer, tail, entries, delta, now);
    for chunk in extension.records.chunks(B::AUDIT_ROWS_PER_INSERT) {
        insert_records::<B::Db>(tx.next()?, chunk, B::AUDIT_ROWS_PER_INSERT).await?;
    }
    for checkpoint in &extension.checkpoints {
        write_checkpoint::<B::Db>(tx.next()?, B::ADD_CHECKPOINT, checkpoint).await?;
    }
    write_head::<B::Db>(tx.next()?, B::WRITE_HEAD, &extension.head).await?;
    trust.wrote(&extension.head);
    Ok(extension.records)
}

#[async_trait]
impl<B: Backend> AuditStore for B {
    async fn record_audit(&self, entry: AuditEntry) -> StoreResult<AuditRecord> {
        crate::audit::refuse_binding(&entry)?;
        let mut records = self.audit_alone(vec![entry]).await?;
        records
            .pop()
            .ok_or_else(|| StoreError::Audit("no record written".into()))
    }

    async fn audit_records(&self, after: i64, limit: u64) -> StoreResult<Vec<AuditRecord>> {
        let mut conn = self.read_plain().await?;
        let rows = stmt::<B::Db>("SELECT * FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2")
            .param(after)
            .param(limit.min(i64::MAX as u64) as i64)
            .all(conn.next()?)
            .await?;
        conn.finish().await?;
        rows.iter().map(record_from_row).collect()
    }

    async fn audit_checkpoint(&self) -> StoreResult<()> {
        let mut tx = self.begin(STORE_ACTOR, true).await?;
        let tail = read_chain_tail::<B::Db>(tx.next()?, self.trust(), false).await?;
        let Some((checkpoint, head)) = checkpoint_now(self.signer(), tail, Utc::now()) else {
            return Ok(());
        };
        write_checkpoint::<B::Db>(tx.next()?, B::ADD_CHECKPOINT, &checkpoint).await?;
        write_head::<B::Db>(tx.next()?, B::WRITE_HEAD, &head).await?;
        tx.commit().await?;
        self.trust().wrote(&head);
        Ok(())
    }

    async fn audit_head(&self) -> StoreResult<Option<SignedHead>> {
        let mut conn = self.read_plain().await?;
        let row = stmt::<B::Db>("SELECT * FROM audit_head WHERE id = 1")
            .optional(conn.next()?)
            .await?;
        conn.finish().await?;
        row.as_ref().map(head_from_row).transpose()
    }

    async fn verify_audit_against(
        &self,
        trusted: &ed25519_dalek::VerifyingKey,
        anchor: Option<&SignedHead>,
    ) -> StoreResult<VerifyReport> {
        // One read snapshot, so the log, checkpoints, head and cases agree.
        let mut tx = self.snapshot_tx(STORE_ACTOR).await?;
        let report = crate::chain_sql::verify_in::<B::Db>(&mut tx.tx, trusted, anchor).await?;
        tx.rollback().await?;
        Ok(report)
    }
}

#[async_trait]
impl<B: Backend> AdminStore for B {
    async fn rotate_master_key(&self, access: &Access, new_master: &MasterKey) -> StoreResult<u64> {
        let mut tx = self.begin(actor_of(access), true).await?;
        let rows = stmt::<B::Db>(B::DATA_KEYS_TO_ROTATE)
            .all(tx.next()?)
            .await?;
        let current = self.core().master()?;
        let mut count = 0;
        for row in rows {
            let key_id: i64 = row.col(0)?;
            let nonce: Vec<u8> = row.col(1)?;
            let wrapped: Vec<u8> = row.col(2)?;
            let data_key = current.unwrap_key(key_id, &nonce, &wrapped)?;
            let (nonce, wrapped) = new_master.wrap(key_id, &data_key)?;
            stmt::<B::Db>(
                "UPDATE data_keys SET nonce = $1, wrapped = $2, master_key_id = $3 WHERE key_id = $4",
            )
            .param(nonce.to_vec())
            .param(wrapped)
            .param(new_master.id())
            .param(key_id)
            .run(tx.next()?)
            .await?;
            count += 1;
        }
        let entry = AuditEntry::new(access, Category::Alteration, "keys:data").with_detail(json!({
            "rewrapped": count,
            "from_master": current.id(),
            "to_master": new_master.id(),
        }));
        self.write_audit(&mut tx, &[entry], Utc::now()).await?;
        tx.commit().await?;
        self.keys().write().map_err(|_| lock_poisoned())?.master = new_master.clone();
        tracing::info!(rewrapped = count, master = %new_master.id(), "master key rotated");
        Ok(count)
    }

    async fn backup(&self, access: &Access, dest: &Path) -> StoreResult<BackupInfo> {
        Backend::backup(self, access, dest).await
    }
}
