//! Report facts in SQLite: written in the append transaction, read page by page in one read
//! transaction, rebuilt on demand. The shared parts are `crate::facts` and
//! `crate::facts_sql`.

use chrono::Utc;
use serde_json::json;
use sqlx::Row;

use super::SqliteStore;
use crate::access::{Access, Category};
use crate::audit::{AuditEntry, format_time};
use crate::error::{StoreError, StoreResult};
use crate::facts::{FactsQuery, FactsSink, MARK_EMPTY_STORE_AS, stale_basis};
use crate::facts_sql::REBUILD_PAGE;
use crate::facts_sql::{later_cases, read_pages, rebuild_page, record_basis};

/// On open: a store with no cases has complete facts (there are none to miss), so it is marked
/// as built under the store's rule set. A store with cases and no state row predates the facts
/// and needs a rebuild.
pub(super) async fn mark_empty_store(store: &SqliteStore) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO report_facts_state (id, basis, built_at) SELECT 1, $1, $2 \
         WHERE NOT EXISTS (SELECT 1 FROM cases) ON CONFLICT (id) DO NOTHING",
    )
    .bind(reporting::facts::basis(&store.rules))
    .bind(format_time(Utc::now()))
    .execute(&store.writer)
    .await?;
    Ok(())
}

impl SqliteStore {
    /// Report facts written from now on include these force plugins' findings, under the rule set
    /// they make (`reporting::PluginRules`; `plugin_host::PluginHost` is one). An empty store
    /// records their basis at once (it has no facts to miss); a store with cases keeps its recorded
    /// basis, and its first append marks the facts stale, until `rebuild_report_facts` (with the
    /// plugins attached) takes them again.
    pub async fn attach_plugin_rules(
        &mut self,
        plugins: std::sync::Arc<dyn reporting::PluginRules>,
    ) -> StoreResult<()> {
        self.facts_plugins.attach(plugins);
        sqlx::query(MARK_EMPTY_STORE_AS)
            .bind(self.facts_plugins.basis(&self.rules))
            .bind(format_time(Utc::now()))
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    pub(super) async fn facts_basis(&self) -> StoreResult<Option<String>> {
        let row = sqlx::query("SELECT basis FROM report_facts_state WHERE id = 1")
            .fetch_optional(&self.reader)
            .await?;
        Ok(row.map(|row| row.try_get(0)).transpose()?)
    }

    pub(super) async fn read_report_facts(
        &self,
        access: &Access,
        query: &FactsQuery,
        sink: &mut FactsSink<'_>,
    ) -> StoreResult<Option<u64>> {
        if self.facts_basis().await?.as_deref() != Some(query.basis.as_str()) {
            return Ok(None);
        }
        let entry = AuditEntry::new(access, Category::Combination, "cases").with_detail(json!({
            "force": query.force, "from": query.from.to_string(), "to": query.to.to_string(), "via": "report_facts"
        }));
        self.audit_alone(&[entry]).await?;
        // One read transaction: every page sees the same snapshot.
        let mut tx = self.reader.begin().await?;
        let as_of = query.as_of_text();
        let mut count = read_pages::<sqlx::Sqlite>(&mut tx, query, &as_of, sink).await?;
        count += later_cases::<sqlx::Sqlite>(&mut tx, query, &as_of, sink).await?;
        tx.commit().await?;
        Ok(Some(count))
    }

    pub(super) async fn rebuild_facts(&self, access: &Access) -> StoreResult<u64> {
        let entry = AuditEntry::new(access, Category::Combination, "cases")
            .with_detail(json!({"rebuild": "report_facts"}));
        self.audit_alone(&[entry]).await?;
        let basis = self.facts_plugins.basis(&self.rules);
        let mut after = 0i64;
        let mut count = 0;
        loop {
            let mut tx = self.begin_write().await?;
            let cases = sqlx::query(crate::facts_sql::REBUILD_CASES)
                .bind(after)
                .bind(REBUILD_PAGE)
                .fetch_all(&mut *tx.tx)
                .await?;
            let Some(last) = cases.last() else {
                tx.commit().await?;
                break;
            };
            after = last.try_get(0)?;
            let rules = self.facts_plugins.rules(&self.rules);
            let rebuilt = rebuild_page::<sqlx::Sqlite>(&mut tx.tx, &cases, rules).await?;
            tx.commit().await?;
            crate::facts_sql::rebuild_progress(count, count + rebuilt);
            count += rebuilt;
        }
        let now_basis = self.facts_plugins.basis(&self.rules);
        if now_basis != basis {
            // A plugin was disabled during the rebuild: the facts after it lack its findings.
            record_basis::<sqlx::Sqlite>(
                &mut *self.writer.acquire().await?,
                &stale_basis(&now_basis),
                count,
            )
            .await?;
            return Err(StoreError::Refused(
                "a force plugin was disabled while the report facts were rebuilt (see the log); they are marked stale: fix the plugin and rebuild again".into(),
            ));
        }
        record_basis::<sqlx::Sqlite>(&mut *self.writer.acquire().await?, &basis, count).await?;
        Ok(count)
    }
}
