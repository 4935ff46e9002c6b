//! Report facts (docs/reporting.md), once for both databases: reads under the recorded basis in
//! one snapshot, and rebuilds page by page.

use async_trait::async_trait;
use serde_json::json;

use super::Backend;
use crate::access::{Access, Category};
use crate::audit::AuditEntry;
use crate::common::actor_of;
use crate::error::{StoreError, StoreResult};
use crate::facts::{FactsQuery, FactsSink, stale_basis};
use crate::facts_sql::{REBUILD_PAGE, later_cases, read_pages, rebuild_page, record_basis};
use crate::row_maps::RowExt;
use crate::sql::{Param, Run, stmt};
use crate::store::FactsStore;

/// The basis the stored facts were taken under, if recorded.
async fn facts_basis<B: Backend>(store: &B) -> StoreResult<Option<String>> {
    let mut conn = store.read_plain().await?;
    let row = stmt::<B::Db>("SELECT basis FROM report_facts_state WHERE id = 1")
        .optional(conn.next()?)
        .await?;
    conn.finish().await?;
    Ok(row.map(|row| row.col(0)).transpose()?)
}

/// Records the basis of a finished rebuild (`count` cases).
async fn record<B: Backend>(store: &B, basis: &str, count: u64) -> StoreResult<()> {
    let mut conn = store.write_plain().await?;
    record_basis::<B::Db>(conn.next()?, basis, count).await?;
    conn.finish().await
}

#[async_trait]
impl<B: Backend> FactsStore for B {
    async fn report_facts(
        &self,
        access: &Access,
        query: &FactsQuery,
        sink: &mut FactsSink<'_>,
    ) -> StoreResult<Option<u64>> {
        if facts_basis(self).await?.as_deref() != Some(query.basis.as_str()) {
            return Ok(None);
        }
        let entry = AuditEntry::new(access, Category::Combination, "cases").with_detail(json!({
            "force": query.force, "from": query.from.to_string(), "to": query.to.to_string(), "via": "report_facts"
        }));
        self.audit_alone(vec![entry]).await?;
        // One read transaction: every page sees the same snapshot.
        let mut tx = self.snapshot_tx(actor_of(access)).await?;
        let as_of = query.as_of_text();
        let mut count = read_pages::<B::Db>(&mut tx.tx, query, &as_of, sink).await?;
        count += later_cases::<B::Db>(&mut tx.tx, query, &as_of, sink).await?;
        tx.commit().await?;
        Ok(Some(count))
    }

    async fn rebuild_report_facts(&self, access: &Access) -> StoreResult<u64> {
        let entry = AuditEntry::new(access, Category::Combination, "cases")
            .with_detail(json!({"rebuild": "report_facts"}));
        self.audit_alone(vec![entry]).await?;
        let basis = self.facts_plugins().basis(self.rules());
        let mut after = 0i64;
        let mut count = 0;
        loop {
            let mut tx = self.begin(actor_of(access), false).await?;
            let cases = stmt::<B::Db>(B::REBUILD_CASES)
                .param(after)
                .param(REBUILD_PAGE)
                .all(tx.next()?)
                .await?;
            let Some(last) = cases.last() else {
                tx.commit().await?;
                break;
            };
            after = last.col(0)?;
            let rules = self.facts_plugins().rules(self.rules());
            let rebuilt = rebuild_page::<B::Db>(&mut tx.tx, &cases, rules).await?;
            tx.commit().await?;
            crate::facts_sql::rebuild_progress(count, count + rebuilt);
            count += rebuilt;
        }
        let now_basis = self.facts_plugins().basis(self.rules());
        if now_basis != basis {
            // A plugin was disabled during the rebuild: the facts after it lack its findings.
            record(self, &stale_basis(&now_basis), count).await?;
            return Err(StoreError::Refused(
                "a force plugin was disabled while the report facts were rebuilt (see the log); they are marked stale: fix the plugin and rebuild again".into(),
            ));
        }
        record(self, &basis, count).await?;
        Ok(count)
    }

    async fn attach_plugin_rules(
        &mut self,
        plugins: std::sync::Arc<dyn reporting::PluginRules>,
    ) -> StoreResult<()> {
        super::open::attach_plugin_rules(self, plugins).await
    }
}
