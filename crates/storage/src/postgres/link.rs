//! Suspect linkage for the PostgreSQL store: transactions and audit around the shared SQL of
//! [`crate::linking`].

use chrono::Utc;
use domain::CaseKey;
use domain::interchange::Identity;
use linkage::{LinkageKey, Profile};
use serde_json::json;

use super::{PgStore, actor_of};
use crate::access::{Access, Category};
use crate::audit::{AuditEntry, format_time};
use crate::common::case_object;
use crate::error::{StoreError, StoreResult};
use crate::linking::{
    self, CaseLink, LinkDecision, LinkMatch, ProgressSink, RelinkProgress, RelinkReport,
    RepeatSuspects,
};

impl PgStore {
    fn linkage_key(&self) -> StoreResult<LinkageKey> {
        let ring = self
            .keys
            .read()
            .map_err(|_| crate::common::lock_poisoned())?;
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
        self.lookup_candidates(actor_of(access), identity, exclude_case)
            .await
    }

    /// The lookup itself, without its audit record: `cargo xtask bench link` times this, the
    /// work an append does for a new suspect.
    #[doc(hidden)]
    pub async fn lookup_candidates(
        &self,
        actor: &str,
        identity: &Identity,
        exclude_case: Option<&CaseKey>,
    ) -> StoreResult<Vec<LinkMatch>> {
        let linkage_key = self.linkage_key()?;
        let keys = |id| self.data_key(id);
        let mut tx = self.begin(actor, false).await?;
        let same_case = match exclude_case {
            Some(case) => {
                crate::link_sql::case_id::<sqlx::Postgres>(&mut tx.tx, &case.force, &case.reference)
                    .await?
            }
            None => None,
        };
        let profile = Profile::new(&linking::match_identity(identity));
        let tokens = linkage_key.tokens(&profile);
        let found = crate::link_sql::candidates::<sqlx::Postgres>(
            &mut tx.tx, &keys, &tokens, &profile, same_case, None, None,
        )
        .await?;
        tx.commit().await?;
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
        let mut tx = self.begin(actor_of(access), false).await?;
        let links = match crate::link_sql::case_id::<sqlx::Postgres>(
            &mut tx.tx,
            &case.force,
            &case.reference,
        )
        .await?
        {
            Some(case_id) => {
                crate::link_sql::links_of_case::<sqlx::Postgres>(&mut tx.tx, case_id).await?
            }
            None => Vec::new(),
        };
        tx.commit().await?;
        Ok(links)
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
        let mut tx = self.begin(actor_of(access), true).await?;
        let link = crate::link_sql::link::<sqlx::Postgres>(&mut tx.tx, link_id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("link {link_id}")))?;
        crate::link_sql::decide::<sqlx::Postgres>(
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
        let decided = crate::link_sql::link::<sqlx::Postgres>(&mut tx.tx, link_id)
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
        let total = {
            let mut tx = self.begin(actor_of(access), false).await?;
            let total = crate::link_sql::identity_count::<sqlx::Postgres>(&mut tx.tx).await?;
            tx.commit().await?;
            total
        };
        let mut after = (0, 0);
        let mut done = 0;
        loop {
            let mut tx = self.begin(actor_of(access), false).await?;
            let page = crate::link_sql::profile_page::<sqlx::Postgres>(
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
        let mut tx = self.begin(actor_of(access), false).await?;
        crate::link_sql::clear_index::<sqlx::Postgres>(&mut tx.tx).await?;
        tx.commit().await?;
        let total = {
            let mut tx = self.begin(actor_of(access), false).await?;
            let total = crate::link_sql::people_count::<sqlx::Postgres>(&mut tx.tx).await?;
            tx.commit().await?;
            total
        };
        let mut after = 0;
        loop {
            let mut tx = self.begin(actor_of(access), false).await?;
            let page =
                crate::link_sql::profile_page_by_id::<sqlx::Postgres>(&mut tx.tx, after).await?;
            let Some(last) = page.last() else {
                break;
            };
            after = last.person_id;
            report.tokens += crate::link_sql::index_page::<sqlx::Postgres>(
                &mut tx.tx,
                &keys,
                &linkage_key,
                &page,
            )
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
            let mut tx = self.begin(actor_of(access), false).await?;
            let page =
                crate::link_sql::profile_page_by_id::<sqlx::Postgres>(&mut tx.tx, after).await?;
            let Some(last) = page.last() else {
                break;
            };
            after = last.person_id;
            report.suggestions += crate::link_sql::suggest_page::<sqlx::Postgres>(
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
        let mut tx = self.begin(actor_of(access), false).await?;
        let counts = crate::link_sql::repeat_suspects::<sqlx::Postgres>(&mut tx.tx, force).await?;
        tx.commit().await?;
        Ok(counts)
    }
}
