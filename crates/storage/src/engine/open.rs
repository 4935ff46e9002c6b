//! What opening a store does once it is connected, the same on both databases: the data keys
//! (the first one created for a new database), an empty store's facts basis, and force plugins
//! attached later.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::Utc;

use super::Backend;
use crate::audit::format_time;
use crate::common::{KeyRing, STORE_ACTOR};
use crate::error::{StoreError, StoreResult};
use crate::facts::MARK_EMPTY_STORE_AS;
use crate::keys::{DataKey, MasterKey};
use crate::row_maps::RowExt;
use crate::sql::{Param, Run, SqlDb, stmt};
use crate::tx::Tx;

/// The data keys stored, unwrapped with `master`, and the active one's id if one is active.
async fn read_keys<DB: SqlDb>(
    conn: &mut DB::Connection,
    master: &MasterKey,
) -> StoreResult<(HashMap<i64, DataKey>, Option<i64>)> {
    let rows = stmt::<DB>("SELECT key_id, nonce, wrapped, active FROM data_keys ORDER BY key_id")
        .all(conn)
        .await?;
    let mut keys = HashMap::new();
    let mut active = None;
    for row in &rows {
        let key_id: i64 = row.col(0)?;
        keys.insert(
            key_id,
            master.unwrap_key(key_id, row.bytes(1)?, row.bytes(2)?)?,
        );
        if row.col::<bool>(3)? {
            active = Some(key_id);
        }
    }
    Ok((keys, active))
}

/// Loads the data keys with `master`, creating the first one for a new database.
pub(crate) async fn load_keys<DB: SqlDb>(
    conn: &mut DB::Connection,
    master: &MasterKey,
) -> StoreResult<KeyRing> {
    // Two processes opening a new PostgreSQL database at once both try to create key 1: one
    // wins, and the loser reads the winner's key on the second pass.
    for _ in 0..2 {
        let (mut keys, active) = read_keys::<DB>(conn, master).await?;
        if let Some(active) = active {
            return Ok(KeyRing {
                master: master.clone(),
                keys,
                active,
            });
        }
        let data_key = DataKey::generate();
        let key_id = keys.len() as i64 + 1;
        let (nonce, wrapped) = master.wrap(key_id, &data_key)?;
        let inserted = stmt::<DB>(
            "INSERT INTO data_keys (key_id, master_key_id, nonce, wrapped, active, created_at) \
             VALUES ($1, $2, $3, $4, TRUE, $5) ON CONFLICT (key_id) DO NOTHING",
        )
        .param(key_id)
        .param(master.id())
        .param(nonce.to_vec())
        .param(wrapped)
        .param(format_time(Utc::now()))
        .run(conn)
        .await?;
        if inserted == 1 {
            keys.insert(key_id, data_key);
            return Ok(KeyRing {
                master: master.clone(),
                keys,
                active: key_id,
            });
        }
    }
    Err(StoreError::Key(
        "no active data key could be created or read".into(),
    ))
}

/// Reads the data keys inside `tx` with `store`'s master key (an error if they do not open with
/// it), to be installed with [`crate::common::Core::install_keys`] once `tx` commits.
pub(crate) async fn keys_in<B: Backend>(store: &B, tx: &mut Tx<'_, B::Db>) -> StoreResult<KeyRing> {
    let master = store.core().master()?;
    let (keys, active) = read_keys::<B::Db>(&mut tx.tx, &master).await?;
    let active = active.ok_or_else(|| StoreError::Key("no active data key".into()))?;
    Ok(KeyRing {
        master,
        keys,
        active,
    })
}

/// On open: a store with no cases has complete facts (there are none to miss), so it is marked
/// as built under the store's rule set. A store with cases and no state row predates the facts
/// and needs a rebuild.
pub(crate) async fn mark_empty_store<B: Backend>(store: &B) -> StoreResult<()> {
    // Acting as the store, so that row-level security lets the check see the cases.
    let mut tx = store.begin(STORE_ACTOR, false).await?;
    stmt::<B::Db>(
        "INSERT INTO report_facts_state (id, basis, built_at) SELECT 1, $1, $2 \
         WHERE NOT EXISTS (SELECT 1 FROM cases) ON CONFLICT (id) DO NOTHING",
    )
    .param(reporting::facts::basis(store.rules()))
    .param(format_time(Utc::now()))
    .run(tx.next()?)
    .await?;
    tx.commit().await
}

/// [`crate::FactsStore::attach_plugin_rules`].
pub(crate) async fn attach_plugin_rules<B: Backend>(
    store: &mut B,
    plugins: Arc<dyn reporting::PluginRules>,
) -> StoreResult<()> {
    store.core_mut().facts_plugins.attach(plugins);
    let basis = store.facts_plugins().basis(store.rules());
    // Acting as the store, so that row-level security lets the check see the cases.
    let mut tx = store.begin(STORE_ACTOR, false).await?;
    stmt::<B::Db>(MARK_EMPTY_STORE_AS)
        .param(basis)
        .param(format_time(Utc::now()))
        .run(tx.next()?)
        .await?;
    tx.commit().await
}
