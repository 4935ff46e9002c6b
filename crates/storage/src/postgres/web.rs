//! The PostgreSQL side of the web server's state (see [`crate::server_state`]): conditional case
//! reads, sign-in failures, first sign-ins, break-glass declarations and shares with partners.

use domain::{Case, CaseKey};
use sqlx::Row;

use super::{PgStore, actor_of};
use crate::access::{Access, Category};
use crate::audit::AuditEntry;
use crate::common::{case_object, parse_body};
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
}
