//! Suspect linkage on SQLite beyond what `crate::engine` does for both stores: the link
//! benchmark's bulk loader of suspects.

use chrono::Utc;
use domain::interchange::Identity;
use linkage::Profile;

use super::SqliteStore;
use crate::audit::format_time;
use crate::error::StoreResult;
use crate::linking;

/// One suspect for [`SqliteStore::bulk_load_suspects`].
#[doc(hidden)]
#[derive(Debug, Clone)]
pub struct BulkSuspect {
    pub force: String,
    pub reference: String,
    pub person: String,
    pub identity: Identity,
}

impl SqliteStore {
    /// Benchmarks only (`cargo xtask bench link`): writes many suspects' linkage rows in one
    /// transaction, exactly as an append writes them (a `cases` row, the sealed profile in
    /// `link_people`, the blind index tokens in `link_tokens`), but without their events, sealed
    /// identities, audit records or suggestions. Returns the tokens written.
    #[doc(hidden)]
    pub async fn bulk_load_suspects(&self, suspects: &[BulkSuspect]) -> StoreResult<u64> {
        let linkage_key = crate::engine::linkage_key(self)?;
        let active = self.core.active_key()?;
        let stamp = format_time(Utc::now());
        let mut tx = self.begin_write().await?;
        let mut tokens = 0;
        for suspect in suspects {
            let case_id: i64 = sqlx::query_scalar(
                "INSERT INTO cases (force, reference, version, status, officer, open_findings, people, reported_at, last_event_at, updated_at) \
                 VALUES ($1, $2, 0, 'open', NULL, 0, 1, NULL, NULL, $3) RETURNING case_id",
            )
            .bind(&suspect.force)
            .bind(&suspect.reference)
            .bind(&stamp)
            .fetch_one(&mut *tx.tx)
            .await?;
            sqlx::query(crate::case_changes::COUNT_CHANGES)
                .bind(&suspect.force)
                .bind(1_i64)
                .execute(&mut *tx.tx)
                .await?;
            let identity = linking::match_identity(&suspect.identity);
            let (nonce, sealed) = linking::seal_profile(
                (active.0, &active.1),
                &suspect.force,
                &suspect.reference,
                &suspect.person,
                &identity,
            )?;
            let person_id: i64 = sqlx::query_scalar(
                "INSERT INTO link_people (case_id, person, key_id, nonce, profile, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6) RETURNING person_id",
            )
            .bind(case_id)
            .bind(&suspect.person)
            .bind(active.0)
            .bind(nonce.to_vec())
            .bind(sealed)
            .bind(&stamp)
            .fetch_one(&mut *tx.tx)
            .await?;
            let list = linkage_key.tokens(&Profile::new(&identity));
            crate::link_sql::insert_tokens::<sqlx::Sqlite>(&mut tx.tx, person_id, &list).await?;
            tokens += list.len() as u64;
        }
        tx.commit().await?;
        Ok(tokens)
    }
}
