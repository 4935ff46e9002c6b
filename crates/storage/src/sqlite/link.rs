//! Suspect linkage for the SQLite store: transactions and audit around the shared SQL of
//! [`crate::linking`].

use chrono::Utc;
use domain::CaseKey;
use domain::interchange::Identity;
use linkage::{LinkageKey, Profile};
use serde_json::json;

use super::{SqliteStore, case_object};
use crate::access::{Access, Category};
use crate::audit::{AuditEntry, format_time};
use crate::error::{StoreError, StoreResult};
use crate::linking::{
    self, CaseLink, LinkDecision, LinkMatch, ProgressSink, RelinkProgress, RelinkReport,
    RepeatSuspects,
};

impl SqliteStore {
    fn linkage_key(&self) -> StoreResult<LinkageKey> {
        let ring = self.keys.read().map_err(|_| super::lock_poisoned())?;
        linking::linkage_key(&ring.keys)
    }

    pub(super) async fn link_candidates_impl(
        &self,
        access: &Access,
        identity: &Identity,
        exclude_case: Option<&CaseKey>,
    ) -> StoreResult<Vec<LinkMatch>> {
        let entry = AuditEntry::new(access, Category::Consultation, "links")
            .with_detail(json!({"lookup": "candidates"}));
        self.audit_alone(&[entry]).await?;
        self.lookup_candidates(identity, exclude_case).await
    }

    /// The lookup itself, without its audit record: `cargo xtask bench link` times this, the
    /// work an append does for a new suspect.
    #[doc(hidden)]
    pub async fn lookup_candidates(
        &self,
        identity: &Identity,
        exclude_case: Option<&CaseKey>,
    ) -> StoreResult<Vec<LinkMatch>> {
        let linkage_key = self.linkage_key()?;
        let keys = |id| self.data_key(id);
        let mut conn = self.reader.acquire().await?;
        let same_case = match exclude_case {
            Some(case) => {
                crate::link_sql::case_id::<sqlx::Sqlite>(&mut conn, &case.force, &case.reference)
                    .await?
            }
            None => None,
        };
        let profile = Profile::new(&linking::match_identity(identity));
        let tokens = linkage_key.tokens(&profile);
        let found = crate::link_sql::candidates::<sqlx::Sqlite>(
            &mut conn, &keys, &tokens, &profile, same_case, None, None,
        )
        .await?;
        Ok(found
            .into_iter()
            .map(|(row, score)| LinkMatch {
                suspect: row.suspect,
                score: score.score,
                reasons: score
                    .reasons
                    .iter()
                    .map(|r| r.as_str().to_owned())
                    .collect(),
            })
            .collect())
    }

    pub(super) async fn case_links_impl(
        &self,
        access: &Access,
        case: &CaseKey,
    ) -> StoreResult<Vec<CaseLink>> {
        let entry = AuditEntry::new(
            access,
            Category::Consultation,
            case_object(&case.force, &case.reference),
        )
        .with_detail(json!({"read": "links"}));
        self.audit_alone(&[entry]).await?;
        let mut conn = self.reader.acquire().await?;
        match crate::link_sql::case_id::<sqlx::Sqlite>(&mut conn, &case.force, &case.reference)
            .await?
        {
            Some(case_id) => {
                crate::link_sql::links_of_case::<sqlx::Sqlite>(&mut conn, case_id).await
            }
            None => Ok(Vec::new()),
        }
    }

    pub(super) async fn decide_link_impl(
        &self,
        access: &Access,
        link_id: i64,
        decision: LinkDecision,
        rationale: &str,
    ) -> StoreResult<CaseLink> {
        let rationale = linking::check_rationale(rationale)?;
        let now = Utc::now();
        let mut tx = self.begin_write().await?;
        let link = crate::link_sql::link::<sqlx::Sqlite>(&mut tx.tx, link_id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("link {link_id}")))?;
        crate::link_sql::decide::<sqlx::Sqlite>(
            &mut tx.tx,
            link_id,
            decision.status(),
            &access.actor,
            rationale,
            &format_time(now),
        )
        .await?;
        let entries = linking::decision_entries(access, &link, decision, rationale);
        self.write_audit(&mut tx, &entries, now).await?;
        let decided = crate::link_sql::link::<sqlx::Sqlite>(&mut tx.tx, link_id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("link {link_id}")))?;
        tx.commit().await?;
        Ok(decided)
    }

    pub(super) async fn relink_all_impl(
        &self,
        access: &Access,
        progress: &mut ProgressSink<'_>,
    ) -> StoreResult<RelinkReport> {
        let entry = AuditEntry::new(access, Category::Combination, "links")
            .with_detail(json!({"relink": "started"}));
        self.audit_alone(&[entry]).await?;
        let linkage_key = self.linkage_key()?;
        let keys = |id| self.data_key(id);
        let mut report = RelinkReport::default();
        let stamp = format_time(Utc::now());

        // Phase 1: profiles from sealed identities.
        let active = self.active_key()?;
        let total =
            crate::link_sql::identity_count::<sqlx::Sqlite>(&mut *self.reader.acquire().await?)
                .await?;
        let mut after = (0, 0);
        let mut done = 0;
        loop {
            let mut tx = self.begin_write().await?;
            let page = crate::link_sql::profile_page::<sqlx::Sqlite>(
                &mut tx.tx,
                &keys,
                (active.0, &active.1),
                after,
                &stamp,
            )
            .await?;
            tx.commit().await?;
            let Some((last, read, written)) = page else {
                break;
            };
            after = last;
            done += read;
            report.profiled += written;
            progress(RelinkProgress {
                phase: "profiles",
                done,
                total,
            });
        }

        // Phase 2: the blind index, from scratch.
        let mut tx = self.begin_write().await?;
        crate::link_sql::clear_index::<sqlx::Sqlite>(&mut tx.tx).await?;
        tx.commit().await?;
        let total =
            crate::link_sql::people_count::<sqlx::Sqlite>(&mut *self.reader.acquire().await?)
                .await?;
        let mut after = 0;
        loop {
            let mut tx = self.begin_write().await?;
            let page =
                crate::link_sql::profile_page_by_id::<sqlx::Sqlite>(&mut tx.tx, after).await?;
            let Some(last) = page.last() else {
                break;
            };
            after = last.person_id;
            report.tokens +=
                crate::link_sql::index_page::<sqlx::Sqlite>(&mut tx.tx, &keys, &linkage_key, &page)
                    .await?;
            tx.commit().await?;
            report.people += page.len() as u64;
            progress(RelinkProgress {
                phase: "index",
                done: report.people,
                total,
            });
        }

        // Phase 3: suggestions, each pair once.
        let mut after = 0;
        let mut done = 0;
        loop {
            let mut tx = self.begin_write().await?;
            let page =
                crate::link_sql::profile_page_by_id::<sqlx::Sqlite>(&mut tx.tx, after).await?;
            let Some(last) = page.last() else {
                break;
            };
            after = last.person_id;
            report.suggestions += crate::link_sql::suggest_page::<sqlx::Sqlite>(
                &mut tx.tx,
                &keys,
                &linkage_key,
                &page,
                &stamp,
            )
            .await?;
            tx.commit().await?;
            done += page.len() as u64;
            progress(RelinkProgress {
                phase: "suggest",
                done,
                total,
            });
        }
        let entry = AuditEntry::new(access, Category::Combination, "links")
            .with_detail(json!({"relink": "finished", "people": report.people, "suggestions": report.suggestions}));
        self.audit_alone(&[entry]).await?;
        Ok(report)
    }

    pub(super) async fn repeat_suspects_impl(
        &self,
        access: &Access,
        force: Option<&str>,
    ) -> StoreResult<RepeatSuspects> {
        let entry = AuditEntry::new(access, Category::Consultation, "links")
            .with_detail(json!({"count": "repeat_suspects", "force": force}));
        self.audit_alone(&[entry]).await?;
        let mut conn = self.reader.acquire().await?;
        crate::link_sql::repeat_suspects::<sqlx::Sqlite>(&mut conn, force).await
    }
}

/// One suspect for [`SqliteStore::bulk_load_suspects`].
#[cfg(any(test, feature = "harness"))]
#[doc(hidden)]
#[derive(Debug, Clone)]
pub struct BulkSuspect {
    pub force: String,
    pub reference: String,
    pub person: String,
    pub identity: Identity,
}

#[cfg(any(test, feature = "harness"))]
impl SqliteStore {
    /// Benchmarks only (`cargo xtask bench link`): writes many suspects' linkage rows in one
    /// transaction, exactly as an append writes them (a `cases` row, the sealed profile in
    /// `link_people`, the blind index tokens in `link_tokens`), but without their events, sealed
    /// identities, audit records or suggestions. Returns the tokens written.
    #[doc(hidden)]
    pub async fn bulk_load_suspects(&self, suspects: &[BulkSuspect]) -> StoreResult<u64> {
        let linkage_key = self.linkage_key()?;
        let active = self.active_key()?;
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
