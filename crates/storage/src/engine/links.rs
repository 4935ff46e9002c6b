//! Suspect linkage (docs/linkage.md), once for both databases: transactions and audit around
//! the shared SQL of `link_sql.rs`.

use async_trait::async_trait;
use chrono::Utc;
use domain::CaseKey;
use domain::interchange::Identity;
use linkage::{LinkageKey, Profile};
use serde_json::json;

use super::Backend;
use super::cases::data_key;
use crate::access::{Access, Category};
use crate::audit::{AuditEntry, case_object, format_time};
use crate::common::{actor_of, lock_poisoned};
use crate::error::{StoreError, StoreResult};
use crate::link_sql;
use crate::linking::{
    self, CaseLink, LinkDecision, LinkMatch, ProgressSink, RelinkProgress, RelinkReport,
    RepeatSuspects,
};
use crate::store::LinkageStore;

/// The keyed blind index's key, derived from the store's data keys.
pub(crate) fn linkage_key<B: Backend>(store: &B) -> StoreResult<LinkageKey> {
    let ring = store.keys().read().map_err(|_| lock_poisoned())?;
    linking::linkage_key(&ring.keys)
}

/// The lookup itself, without its audit record: `cargo xtask bench link` times this, the
/// work an append does for a new suspect.
pub(crate) async fn lookup_candidates<B: Backend>(
    store: &B,
    actor: &str,
    identity: &Identity,
    exclude_case: Option<&CaseKey>,
) -> StoreResult<Vec<LinkMatch>> {
    let linkage_key = linkage_key(store)?;
    let keys = |id| data_key(store, id);
    let mut tx = store.read_cases(actor).await?;
    let same_case = match exclude_case {
        Some(case) => link_sql::case_id::<B::Db>(tx.next()?, &case.force, &case.reference).await?,
        None => None,
    };
    let profile = Profile::new(&linking::match_identity(identity));
    let tokens = linkage_key.tokens(&profile);
    let found =
        link_sql::candidates::<B::Db>(tx.next()?, &keys, &tokens, &profile, same_case, None, None)
            .await?;
    tx.finish().await?;
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

#[async_trait]
impl<B: Backend> LinkageStore for B {
    async fn link_candidates(
        &self,
        access: &Access,
        identity: &Identity,
        exclude_case: Option<&CaseKey>,
    ) -> StoreResult<Vec<LinkMatch>> {
        let entry = AuditEntry::new(access, Category::Consultation, "links")
            .with_detail(json!({"lookup": "candidates"}));
        self.audit_alone(vec![entry]).await?;
        lookup_candidates(self, actor_of(access), identity, exclude_case).await
    }

    async fn case_links(&self, access: &Access, case: &CaseKey) -> StoreResult<Vec<CaseLink>> {
        let entry = AuditEntry::new(
            access,
            Category::Consultation,
            case_object(&case.force, &case.reference),
        )
        .with_detail(json!({"read": "links"}));
        self.audit_alone(vec![entry]).await?;
        let mut tx = self.read_cases(actor_of(access)).await?;
        let links =
            match link_sql::case_id::<B::Db>(tx.next()?, &case.force, &case.reference).await? {
                Some(case_id) => link_sql::links_of_case::<B::Db>(tx.next()?, case_id).await?,
                None => Vec::new(),
            };
        tx.finish().await?;
        Ok(links)
    }

    async fn decide_link(
        &self,
        access: &Access,
        link_id: i64,
        decision: LinkDecision,
        rationale: &str,
    ) -> StoreResult<CaseLink> {
        let rationale = linking::check_rationale(rationale)?;
        let now = Utc::now();
        let mut tx = self.begin(actor_of(access), true).await?;
        let link = link_sql::link::<B::Db>(&mut tx.tx, link_id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("link {link_id}")))?;
        link_sql::decide::<B::Db>(
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
        let decided = link_sql::link::<B::Db>(&mut tx.tx, link_id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("link {link_id}")))?;
        tx.commit().await?;
        Ok(decided)
    }

    async fn relink_all(
        &self,
        access: &Access,
        progress: &mut ProgressSink<'_>,
    ) -> StoreResult<RelinkReport> {
        let entry = AuditEntry::new(access, Category::Combination, "links")
            .with_detail(json!({"relink": "started"}));
        self.audit_alone(vec![entry]).await?;
        let linkage_key = linkage_key(self)?;
        let keys = |id| data_key(self, id);
        let mut report = RelinkReport::default();
        let stamp = format_time(Utc::now());

        // Phase 1: profiles from sealed identities.
        let active = self.core().active_key()?;
        let total = {
            let mut conn = self.read_cases(actor_of(access)).await?;
            let total = link_sql::identity_count::<B::Db>(conn.next()?).await?;
            conn.finish().await?;
            total
        };
        let mut after = (0, 0);
        let mut done = 0;
        loop {
            let mut tx = self.begin(actor_of(access), false).await?;
            let page = link_sql::profile_page::<B::Db>(
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
        link_sql::clear_index::<B::Db>(&mut tx.tx).await?;
        tx.commit().await?;
        let total = {
            let mut conn = self.read_cases(actor_of(access)).await?;
            let total = link_sql::people_count::<B::Db>(conn.next()?).await?;
            conn.finish().await?;
            total
        };
        let mut after = 0;
        loop {
            let mut tx = self.begin(actor_of(access), false).await?;
            let page = link_sql::profile_page_by_id::<B::Db>(&mut tx.tx, after).await?;
            let Some(last) = page.last() else {
                break;
            };
            after = last.person_id;
            report.tokens +=
                link_sql::index_page::<B::Db>(&mut tx.tx, &keys, &linkage_key, &page).await?;
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
            let page = link_sql::profile_page_by_id::<B::Db>(&mut tx.tx, after).await?;
            let Some(last) = page.last() else {
                break;
            };
            after = last.person_id;
            report.suggestions +=
                link_sql::suggest_page::<B::Db>(&mut tx.tx, &keys, &linkage_key, &page, &stamp)
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
        self.audit_alone(vec![entry]).await?;
        Ok(report)
    }

    async fn repeat_suspects(
        &self,
        access: &Access,
        force: Option<&str>,
    ) -> StoreResult<RepeatSuspects> {
        let entry = AuditEntry::new(access, Category::Consultation, "links")
            .with_detail(json!({"count": "repeat_suspects", "force": force}));
        self.audit_alone(vec![entry]).await?;
        let mut conn = self.read_cases(actor_of(access)).await?;
        let counts = link_sql::repeat_suspects::<B::Db>(conn.next()?, force).await?;
        conn.finish().await?;
        Ok(counts)
    }
}
