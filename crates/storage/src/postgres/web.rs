//! What PostgreSQL does itself of the web server's state (the rest is `crate::engine`): the
//! conditional case read, audited before the version is looked up in a snapshot.

use domain::CaseKey;
use sqlx::Row;

use super::{PgStore, actor_of};
use crate::access::{Access, Category};
use crate::audit::AuditEntry;
use crate::common::case_object;
use crate::engine::Backend as _;
use crate::error::StoreResult;
use crate::model::StoredCase;
use crate::server_state::CaseRead;

impl PgStore {
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
        let case = crate::facts_sql::load_case::<sqlx::Postgres>(
            &mut tx.tx,
            case_id,
            key.clone(),
            version as i64,
        )
        .await?;
        tx.commit().await?;
        Ok(CaseRead::Read(StoredCase { case, version }))
    }
}
