//! Report facts in SQLite: written in the append transaction, read page by page in one read
//! transaction, rebuilt on demand. The shared parts are `crate::facts` and
//! `crate::facts_sql`.

use chrono::Utc;

use super::SqliteStore;
use crate::audit::format_time;
use crate::error::StoreResult;
use crate::facts::MARK_EMPTY_STORE_AS;

/// On open: a store with no cases has complete facts (there are none to miss), so it is marked
/// as built under the store's rule set. A store with cases and no state row predates the facts
/// and needs a rebuild.
pub(super) async fn mark_empty_store(store: &SqliteStore) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO report_facts_state (id, basis, built_at) SELECT 1, $1, $2 \
         WHERE NOT EXISTS (SELECT 1 FROM cases) ON CONFLICT (id) DO NOTHING",
    )
    .bind(reporting::facts::basis(&store.core.rules))
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
        self.core.facts_plugins.attach(plugins);
        sqlx::query(MARK_EMPTY_STORE_AS)
            .bind(self.core.facts_plugins.basis(&self.core.rules))
            .bind(format_time(Utc::now()))
            .execute(&self.writer)
            .await?;
        Ok(())
    }
}
