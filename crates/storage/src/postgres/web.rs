//! What PostgreSQL does itself of the web server's state (the rest is `crate::engine`): the
//! version lookup of a conditional case read, audited before the version is looked up in a
//! snapshot in which the events are then read.

use domain::CaseKey;

use super::{PgStore, PgTx, actor_of};
use crate::access::Access;
use crate::audit::AuditEntry;
use crate::engine::Backend as _;
use crate::error::StoreResult;
use crate::row_maps::RowExt;
use crate::sql::{Param, Run, stmt};

impl PgStore {
    /// Audits, then looks the case's id and version up in a snapshot, handed back for its events.
    pub(super) async fn web_audited_version(
        &self,
        access: &Access,
        key: &CaseKey,
        entry: AuditEntry,
    ) -> StoreResult<(Option<(i64, i64)>, PgTx<'_>)> {
        self.audit_alone(vec![entry]).await?;
        let mut tx = self.begin_snapshot(actor_of(access)).await?;
        let row = stmt::<sqlx::Postgres>(crate::row_maps::CASE_VERSION)
            .param(key.force.as_str())
            .param(key.reference.as_str())
            .optional(&mut tx.tx)
            .await?;
        let found = match row {
            Some(row) => Some((row.col(0)?, row.col(1)?)),
            None => None,
        };
        Ok((found, tx))
    }
}
