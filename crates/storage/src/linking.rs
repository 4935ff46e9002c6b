//! Suspect linkage inside the store (see `docs/linkage.md`): what both implementations share.
//!
//! Each suspect with an identity gets a row in `link_people` holding the identity details
//! linkage compares, sealed like identity; `link_tokens` holds the keyed blind index of its
//! blocking keys; `link_candidates` the suggested, confirmed and rejected links. Names are only
//! ever in clear in memory, inside the store, while a candidate is scored.
//!
//! The SQL is the same text for SQLite and PostgreSQL, so it is written once in
//! written once over either database (`link_sql.rs`).

use std::collections::HashMap;

use domain::interchange::Identity;
use linkage::{LinkScore, LinkageKey, MatchIdentity, Profile};
use serde::Serialize;

use crate::error::{StoreError, StoreResult};
use crate::keys::{DataKey, SealBinding};

/// The sealed field holding a suspect's match profile.
pub(crate) const PROFILE_FIELD: &str = "link_profile";
/// At most this many stored people are read per blocking token. A token that reaches it is a
/// crowded block (a very common name, or a name code shared by many): it is left out whenever a
/// narrower token (name with date of birth, PNC id) found anything, so that a common name costs a
/// few index reads instead of dozens of unsealings.
pub(crate) const TOKEN_HITS: i64 = 100;
/// At most this many candidates (those sharing the most tokens) are unsealed and scored.
pub(crate) const SCORED: usize = 32;

/// The people to rank from each token's hits: crowded blocks (see [`TOKEN_HITS`]) are dropped
/// unless every block is crowded.
pub(crate) fn useful_hits(per_token: Vec<Vec<i64>>) -> Vec<i64> {
    let crowded = |hits: &Vec<i64>| hits.len() as i64 >= TOKEN_HITS;
    if per_token.iter().all(crowded) {
        return per_token.into_iter().flatten().collect();
    }
    per_token
        .into_iter()
        .filter(|hits| !crowded(hits))
        .flatten()
        .collect()
}
/// Suspects per page when re-linking.
pub(crate) const RELINK_PAGE: i64 = 500;

/// Where a link stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkStatus {
    /// Found by the matcher; a suggestion, not a fact.
    Suggested,
    /// A person confirmed it.
    Confirmed,
    /// A person rejected it.
    Rejected,
}

impl LinkStatus {
    /// As stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            LinkStatus::Suggested => "suggested",
            LinkStatus::Confirmed => "confirmed",
            LinkStatus::Rejected => "rejected",
        }
    }

    /// From the stored form.
    pub fn parse(text: &str) -> Option<LinkStatus> {
        match text {
            "suggested" => Some(LinkStatus::Suggested),
            "confirmed" => Some(LinkStatus::Confirmed),
            "rejected" => Some(LinkStatus::Rejected),
            _ => None,
        }
    }
}

/// A reviewer's decision on a link.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkDecision {
    Confirm,
    Reject,
}

impl LinkDecision {
    /// The status the decision gives.
    pub fn status(self) -> LinkStatus {
        match self {
            LinkDecision::Confirm => LinkStatus::Confirmed,
            LinkDecision::Reject => LinkStatus::Rejected,
        }
    }

    /// As written in audit records.
    pub fn as_str(self) -> &'static str {
        match self {
            LinkDecision::Confirm => "confirm",
            LinkDecision::Reject => "reject",
        }
    }
}

/// A suspect of some case, as a link shows it: the case, the person key and whom to contact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LinkedSuspect {
    pub force: String,
    pub reference: String,
    pub person: String,
    /// The officer in case, to contact.
    pub officer: Option<String>,
}

/// A link seen from one case.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CaseLink {
    pub id: i64,
    /// This case's suspect.
    pub this: LinkedSuspect,
    /// The suspect of the other case.
    pub other: LinkedSuspect,
    pub score: f64,
    /// Reason codes (`linkage::Reason::as_str`).
    pub reasons: Vec<String>,
    pub status: LinkStatus,
    pub suggested_at: String,
    pub decided_by: Option<String>,
    pub decided_at: Option<String>,
    pub rationale: Option<String>,
}

/// A candidate for an identity looked up against the store.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LinkMatch {
    pub suspect: LinkedSuspect,
    pub score: f64,
    pub reasons: Vec<String>,
}

/// What a full re-link did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct RelinkReport {
    /// Suspect profiles made from sealed identities.
    pub profiled: u64,
    /// Suspects indexed.
    pub people: u64,
    /// Blind index tokens written.
    pub tokens: u64,
    /// Suggested links stored (decided links are kept as they are).
    pub suggestions: u64,
}

/// Progress of a re-link: `phase` (`profiles`, `index`, `suggest`), `done` of `total`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RelinkProgress {
    pub phase: &'static str,
    pub done: u64,
    pub total: u64,
}

/// Receives re-link progress.
pub type ProgressSink<'a> = dyn FnMut(RelinkProgress) + Send + 'a;

/// Repeat suspects for reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct RepeatSuspects {
    /// Suspects (a person of a case) with at least one confirmed link.
    pub linked_suspects: u64,
    /// Confirmed links.
    pub confirmed_links: u64,
    /// Suggested links awaiting a decision.
    pub suggested_links: u64,
}

impl From<RepeatSuspects> for reporting::RepeatSuspects {
    fn from(counts: RepeatSuspects) -> Self {
        reporting::RepeatSuspects {
            linked_suspects: counts.linked_suspects,
            confirmed_links: counts.confirmed_links,
            suggested_links: counts.suggested_links,
        }
    }
}

/// The identity details linkage compares.
pub fn match_identity(identity: &Identity) -> MatchIdentity {
    MatchIdentity {
        given_name: identity.given_name.clone(),
        family_name: identity.family_name.clone(),
        date_of_birth: identity.date_of_birth,
        pnc_id: identity.pnc_id.clone(),
        aliases: identity.aliases.clone(),
    }
}

/// The linkage key: derived from the first data key (see `docs/linkage.md`), so it survives
/// master-key rotation, which re-wraps data keys without changing them.
pub(crate) fn linkage_key(keys: &HashMap<i64, DataKey>) -> StoreResult<LinkageKey> {
    keys.iter()
        .min_by_key(|(id, _)| **id)
        .map(|(_, key)| key.linkage_key())
        .ok_or_else(|| StoreError::Key("no data key to derive the linkage key from".into()))
}

/// Seals a match profile for one suspect.
pub(crate) fn seal_profile(
    key: (i64, &DataKey),
    force: &str,
    reference: &str,
    person: &str,
    identity: &MatchIdentity,
) -> StoreResult<([u8; crate::keys::NONCE_LEN], Vec<u8>)> {
    let plaintext = serde_json::to_vec(identity)
        .map_err(|_| StoreError::Invalid("a match profile does not serialise".into()))?;
    let binding = SealBinding {
        force,
        reference,
        person,
        field: PROFILE_FIELD,
        key_id: key.0,
    };
    key.1.seal(&binding, &plaintext)
}

/// A stored profile row, still sealed.
#[derive(Debug, Clone)]
pub(crate) struct SealedProfile {
    pub person_id: i64,
    pub case_id: i64,
    pub suspect: LinkedSuspect,
    pub key_id: i64,
    pub nonce: Vec<u8>,
    pub profile: Vec<u8>,
}

impl SealedProfile {
    /// Unseals the profile with `keys`.
    pub(crate) fn open(
        &self,
        key: impl Fn(i64) -> StoreResult<DataKey>,
    ) -> StoreResult<MatchIdentity> {
        let binding = SealBinding {
            force: &self.suspect.force,
            reference: &self.suspect.reference,
            person: &self.suspect.person,
            field: PROFILE_FIELD,
            key_id: self.key_id,
        };
        let plaintext = key(self.key_id)?.open(&binding, &self.nonce, &self.profile)?;
        // Never include the parser's message: it could quote the identity.
        serde_json::from_slice(&plaintext).map_err(|_| {
            StoreError::Corrupt(format!("sealed {} is not a profile", binding.describe()))
        })
    }
}

/// The people sharing the most tokens first (ties by id), without `exclude`, at most [`SCORED`].
pub(crate) fn rank_hits(hits: &[i64], exclude: Option<i64>, below: Option<i64>) -> Vec<i64> {
    let mut counts: HashMap<i64, u32> = HashMap::new();
    for id in hits {
        if Some(*id) == exclude || below.is_some_and(|below| *id >= below) {
            continue;
        }
        *counts.entry(*id).or_default() += 1;
    }
    let mut ranked: Vec<(i64, u32)> = counts.into_iter().collect();
    ranked.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    ranked.truncate(SCORED);
    ranked.into_iter().map(|(id, _)| id).collect()
}

/// Scores unsealed candidates against `profile`, keeping those at or above the threshold, best
/// first. Candidates of `same_case` are left out: linkage is across cases.
pub(crate) fn score_candidates(
    profile: &Profile,
    candidates: Vec<(SealedProfile, MatchIdentity)>,
    same_case: Option<i64>,
) -> Vec<(SealedProfile, LinkScore)> {
    let mut scored: Vec<(SealedProfile, LinkScore)> = candidates
        .into_iter()
        .filter(|(row, _)| Some(row.case_id) != same_case)
        .map(|(row, identity)| {
            let result = linkage::score(profile, &Profile::new(&identity));
            (row, result)
        })
        .filter(|(_, result)| result.score >= linkage::SUGGEST_THRESHOLD)
        .collect();
    scored.sort_by(|a, b| {
        b.1.score
            .total_cmp(&a.1.score)
            .then(a.0.person_id.cmp(&b.0.person_id))
    });
    scored
}

/// Reason codes as stored (comma-separated).
pub(crate) fn reasons_text(score: &LinkScore) -> String {
    score
        .reasons
        .iter()
        .map(|r| r.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

/// Reason codes from the stored text.
pub(crate) fn reasons_list(text: &str) -> Vec<String> {
    text.split(',')
        .filter(|code| !code.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The audit object of a link decision for one case.
pub(crate) fn link_object(force: &str, reference: &str) -> String {
    format!("case:{force}/{reference}")
}

/// Whether a stored event body is a `person_added` of a suspect.
pub(crate) fn is_suspect_added(body: &str) -> bool {
    #[derive(serde::Deserialize)]
    struct Head<'a> {
        #[serde(borrow)]
        kind: Option<&'a str>,
        #[serde(borrow)]
        role: Option<&'a str>,
    }
    serde_json::from_str::<Head<'_>>(body)
        .is_ok_and(|head| head.kind == Some("person_added") && head.role == Some("suspect"))
}

/// Unseals a stored identity into the details linkage compares.
pub(crate) fn open_identity(
    keys: &(dyn Fn(i64) -> StoreResult<DataKey> + Sync),
    force: &str,
    reference: &str,
    person: &str,
    key_id: i64,
    nonce: &[u8],
    ciphertext: &[u8],
) -> StoreResult<MatchIdentity> {
    let binding = SealBinding {
        force,
        reference,
        person,
        field: crate::keys::IDENTITY_FIELD,
        key_id,
    };
    let plaintext = keys(key_id)?.open(&binding, nonce, ciphertext)?;
    let identity: Identity = serde_json::from_slice(&plaintext).map_err(|_| {
        StoreError::Corrupt(format!("sealed {} is not an identity", binding.describe()))
    })?;
    Ok(match_identity(&identity))
}

/// A rationale is required for a decision, and kept short.
pub(crate) fn check_rationale(rationale: &str) -> StoreResult<&str> {
    let rationale = rationale.trim();
    if rationale.is_empty() {
        return Err(StoreError::Invalid(
            "a link decision needs a rationale (`reason`)".into(),
        ));
    }
    if rationale.chars().count() > 2000 {
        return Err(StoreError::Invalid(
            "a link rationale is at most 2,000 characters".into(),
        ));
    }
    Ok(rationale)
}

/// The audit records of a decision: one per case it touches (both, or one when both suspects are
/// of the same case), the rationale as the reason.
pub(crate) fn decision_entries(
    access: &crate::access::Access,
    link: &CaseLink,
    decision: LinkDecision,
    rationale: &str,
) -> Vec<crate::audit::AuditEntry> {
    let mut entries = Vec::with_capacity(2);
    for (this, other) in [(&link.this, &link.other), (&link.other, &link.this)] {
        let object = link_object(&this.force, &this.reference);
        if entries
            .iter()
            .any(|e: &crate::audit::AuditEntry| e.object == object)
        {
            continue;
        }
        let mut entry =
            crate::audit::AuditEntry::new(access, crate::access::Category::Alteration, object)
                .with_detail(serde_json::json!({
                    "link": link.id,
                    "decision": decision.as_str(),
                    "person": this.person,
                    "other_case": format!("{}/{}", other.force, other.reference),
                    "other_person": other.person,
                    "previous_status": link.status.as_str(),
                }));
        entry.reason = Some(rationale.to_owned());
        entries.push(entry);
    }
    entries
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hits_rank_by_shared_tokens_then_id() {
        let hits = [5, 3, 5, 9, 3, 5, 7];
        assert_eq!(rank_hits(&hits, None, None), vec![5, 3, 7, 9]);
        assert_eq!(rank_hits(&hits, Some(5), None), vec![3, 7, 9]);
        assert_eq!(rank_hits(&hits, None, Some(7)), vec![5, 3]);
    }

    #[test]
    fn crowded_blocks_are_dropped_unless_all_are_crowded() {
        let crowded: Vec<i64> = (0..TOKEN_HITS).collect();
        assert_eq!(useful_hits(vec![crowded.clone(), vec![7, 8]]), vec![7, 8]);
        assert_eq!(useful_hits(vec![crowded.clone()]).len(), crowded.len());
        assert!(useful_hits(vec![crowded, Vec::new()]).is_empty());
    }

    #[test]
    fn suspect_bodies_are_recognised() {
        assert!(is_suspect_added(
            r#"{"kind":"person_added","person":"S1","role":"suspect","identity":null}"#
        ));
        assert!(!is_suspect_added(
            r#"{"kind":"person_added","person":"V1","role":"victim"}"#
        ));
        assert!(!is_suspect_added("not json"));
    }

    #[test]
    fn reasons_round_trip_through_text() {
        let score = LinkScore {
            score: 0.9,
            reasons: vec![linkage::Reason::NameExact, linkage::Reason::DobOneDigit],
        };
        assert_eq!(
            reasons_list(&reasons_text(&score)),
            vec!["name_exact".to_owned(), "dob_one_digit".to_owned()]
        );
        assert!(reasons_list("").is_empty());
    }
}
