//! Suspect linkage inside the store (see `docs/linkage.md`): what both implementations share.
//!
//! Each suspect with an identity gets a row in `link_people` holding the identity details
//! linkage compares, sealed like identity; `link_tokens` holds the keyed blind index of its
//! blocking keys; `link_candidates` the suggested, confirmed and rejected links. Names are only
//! ever in clear in memory, inside the store, while a candidate is scored.
//!
//! The SQL is the same text for SQLite and PostgreSQL, so it is written once in
//! [`linking_sql!`] and instantiated for each connection type.

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

/// The SQL of linkage, the same text for both databases (numbered placeholders, `ON CONFLICT`,
/// `RETURNING`), instantiated per connection type.
macro_rules! linking_sql {
    ($db:ty, $conn:ty) => {
        use std::collections::HashMap;

        use linkage::{LinkageKey, MatchIdentity, Profile};
        use sqlx::Row;

        use crate::error::{StoreError, StoreResult};
        use crate::keys::DataKey;
        use crate::linking::{
            CaseLink, LinkStatus, LinkedSuspect, RepeatSuspects, SealedProfile, TOKEN_HITS,
            rank_hits, reasons_list, reasons_text, score_candidates, seal_profile,
        };

        const PROFILE_COLUMNS: &str = "SELECT p.person_id, p.case_id, c.force, c.reference, p.person, c.officer, p.key_id, p.nonce, p.profile \
             FROM link_people p JOIN cases c ON c.case_id = p.case_id";

        fn profile_from_row(row: &<$db as sqlx::Database>::Row) -> StoreResult<SealedProfile> {
            Ok(SealedProfile {
                person_id: row.try_get(0)?,
                case_id: row.try_get(1)?,
                suspect: LinkedSuspect {
                    force: row.try_get(2)?,
                    reference: row.try_get(3)?,
                    person: row.try_get(4)?,
                    officer: row.try_get(5)?,
                },
                key_id: row.try_get(6)?,
                nonce: row.try_get(7)?,
                profile: row.try_get(8)?,
            })
        }

        /// Sealed profiles by id.
        pub(crate) async fn profiles(
            conn: &mut $conn,
            ids: &[i64],
        ) -> StoreResult<Vec<SealedProfile>> {
            let mut out = Vec::with_capacity(ids.len());
            for chunk in ids.chunks(500) {
                let mut query = sqlx::QueryBuilder::<$db>::new(PROFILE_COLUMNS);
                query.push(" WHERE p.person_id IN (");
                let mut list = query.separated(", ");
                for id in chunk {
                    list.push_bind(*id);
                }
                query.push(")");
                for row in query.build().fetch_all(&mut *conn).await? {
                    out.push(profile_from_row(&row)?);
                }
            }
            Ok(out)
        }

        /// The sealed profile of one suspect of a case.
        pub(crate) async fn profile_of(
            conn: &mut $conn,
            case_id: i64,
            person: &str,
        ) -> StoreResult<Option<SealedProfile>> {
            let mut query = sqlx::QueryBuilder::<$db>::new(PROFILE_COLUMNS);
            query.push(" WHERE p.case_id = ").push_bind(case_id);
            query.push(" AND p.person = ").push_bind(person.to_owned());
            query
                .build()
                .fetch_optional(&mut *conn)
                .await?
                .as_ref()
                .map(profile_from_row)
                .transpose()
        }

        /// Everyone sharing a token, up to [`TOKEN_HITS`] per token (crowded blocks dropped, see
        /// [`crate::linking::useful_hits`]).
        pub(crate) async fn token_hits(conn: &mut $conn, tokens: &[i64]) -> StoreResult<Vec<i64>> {
            let mut per_token = Vec::with_capacity(tokens.len());
            for token in tokens {
                let mut hits = Vec::new();
                let rows = sqlx::query("SELECT person_id FROM link_tokens WHERE token = $1 LIMIT $2")
                    .bind(*token)
                    .bind(TOKEN_HITS)
                    .fetch_all(&mut *conn)
                    .await?;
                for row in rows {
                    hits.push(row.try_get::<i64, _>(0)?);
                }
                per_token.push(hits);
            }
            Ok(crate::linking::useful_hits(per_token))
        }

        pub(crate) async fn insert_tokens(
            conn: &mut $conn,
            person_id: i64,
            tokens: &[i64],
        ) -> StoreResult<()> {
            if tokens.is_empty() {
                return Ok(());
            }
            let mut query =
                sqlx::QueryBuilder::<$db>::new("INSERT INTO link_tokens (token, person_id) ");
            query.push_values(tokens, |mut row, token| {
                row.push_bind(*token).push_bind(person_id);
            });
            query.push(" ON CONFLICT DO NOTHING");
            query.build().execute(&mut *conn).await?;
            Ok(())
        }

        pub(crate) async fn delete_tokens(
            conn: &mut $conn,
            person_id: i64,
            tokens: &[i64],
        ) -> StoreResult<()> {
            for token in tokens {
                sqlx::query("DELETE FROM link_tokens WHERE token = $1 AND person_id = $2")
                    .bind(*token)
                    .bind(person_id)
                    .execute(&mut *conn)
                    .await?;
            }
            Ok(())
        }

        /// Stores (or replaces) the sealed profile of a suspect; returns its id and the profile it
        /// replaced, if any.
        #[allow(clippy::too_many_arguments)]
        pub(crate) async fn store_profile(
            conn: &mut $conn,
            key: (i64, &DataKey),
            case_id: i64,
            force: &str,
            reference: &str,
            person: &str,
            identity: &MatchIdentity,
            now: &str,
        ) -> StoreResult<(i64, Option<SealedProfile>)> {
            let (nonce, sealed) = seal_profile(key, force, reference, person, identity)?;
            let old = profile_of(&mut *conn, case_id, person).await?;
            let person_id = match &old {
                Some(old) => {
                    sqlx::query(
                        "UPDATE link_people SET key_id = $1, nonce = $2, profile = $3, updated_at = $4 WHERE person_id = $5",
                    )
                    .bind(key.0)
                    .bind(nonce.to_vec())
                    .bind(sealed)
                    .bind(now)
                    .bind(old.person_id)
                    .execute(&mut *conn)
                    .await?;
                    old.person_id
                }
                None => sqlx::query(
                    "INSERT INTO link_people (case_id, person, key_id, nonce, profile, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6) RETURNING person_id",
                )
                .bind(case_id)
                .bind(person)
                .bind(key.0)
                .bind(nonce.to_vec())
                .bind(sealed)
                .bind(now)
                .fetch_one(&mut *conn)
                .await?
                .try_get(0)?,
            };
            Ok((person_id, old))
        }

        /// Candidates for `profile` among stored suspects: blocked by tokens, unsealed, scored,
        /// at or above the threshold, best first. `exclude` is the suspect's own id; `below`
        /// keeps only ids under it (a re-link scores each pair once).
        pub(crate) async fn candidates(
            conn: &mut $conn,
            keys: &(dyn Fn(i64) -> StoreResult<DataKey> + Sync),
            tokens: &[i64],
            profile: &Profile,
            same_case: Option<i64>,
            exclude: Option<i64>,
            below: Option<i64>,
        ) -> StoreResult<Vec<(SealedProfile, linkage::LinkScore)>> {
            let hits = token_hits(&mut *conn, tokens).await?;
            let ranked = rank_hits(&hits, exclude, below);
            if ranked.is_empty() {
                return Ok(Vec::new());
            }
            let rows = profiles(&mut *conn, &ranked).await?;
            let mut opened = Vec::with_capacity(rows.len());
            for row in rows {
                if Some(row.case_id) == same_case {
                    continue;
                }
                let identity = row.open(keys)?;
                opened.push((row, identity));
            }
            Ok(score_candidates(profile, opened, same_case))
        }

        /// Stores a suggestion between two suspects (or refreshes the score of one still
        /// suggested); a decided link is left as it is. Returns whether a row was written.
        pub(crate) async fn suggest(
            conn: &mut $conn,
            one: i64,
            other: i64,
            score: &linkage::LinkScore,
            now: &str,
        ) -> StoreResult<bool> {
            let (a, b) = if one < other { (one, other) } else { (other, one) };
            let result = sqlx::query(
                "INSERT INTO link_candidates (person_a, person_b, score, reasons, status, suggested_at) \
                 VALUES ($1, $2, $3, $4, 'suggested', $5) \
                 ON CONFLICT (person_a, person_b) DO UPDATE SET score = excluded.score, reasons = excluded.reasons \
                 WHERE link_candidates.status = 'suggested'",
            )
            .bind(a)
            .bind(b)
            .bind(score.score)
            .bind(reasons_text(score))
            .bind(now)
            .execute(&mut *conn)
            .await?;
            Ok(result.rows_affected() > 0)
        }

        /// Profiles, indexes and links a suspect just added with an identity (inside the
        /// append's transaction). Returns the number of suggestions written.
        #[allow(clippy::too_many_arguments)]
        pub(crate) async fn suspect_added(
            conn: &mut $conn,
            keys: &(dyn Fn(i64) -> StoreResult<DataKey> + Sync),
            linkage_key: &LinkageKey,
            active: (i64, &DataKey),
            case_id: i64,
            force: &str,
            reference: &str,
            person: &str,
            identity: &MatchIdentity,
            now: &str,
        ) -> StoreResult<u64> {
            let profile = Profile::new(identity);
            if profile.pnc.is_none() && profile.names.is_empty() {
                return Ok(0);
            }
            let (person_id, old) = store_profile(
                &mut *conn, active, case_id, force, reference, person, identity, now,
            )
            .await?;
            if let Some(old) = old {
                let previous = Profile::new(&old.open(keys)?);
                delete_tokens(&mut *conn, person_id, &linkage_key.tokens(&previous)).await?;
            }
            let tokens = linkage_key.tokens(&profile);
            insert_tokens(&mut *conn, person_id, &tokens).await?;
            let found = candidates(
                &mut *conn,
                keys,
                &tokens,
                &profile,
                Some(case_id),
                Some(person_id),
                None,
            )
            .await?;
            let mut written = 0;
            for (row, score) in &found {
                if suggest(&mut *conn, person_id, row.person_id, score, now).await? {
                    written += 1;
                }
            }
            Ok(written)
        }

        /// The `case_id` of a case.
        pub(crate) async fn case_id(
            conn: &mut $conn,
            force: &str,
            reference: &str,
        ) -> StoreResult<Option<i64>> {
            let row = sqlx::query("SELECT case_id FROM cases WHERE force = $1 AND reference = $2")
                .bind(force)
                .bind(reference)
                .fetch_optional(&mut *conn)
                .await?;
            Ok(match row {
                Some(row) => Some(row.try_get(0)?),
                None => None,
            })
        }

        const LINK_COLUMNS: &str = "SELECT l.link_id, l.score, l.reasons, l.status, l.suggested_at, l.decided_by, l.decided_at, l.rationale, \
             pa.case_id, ca.force, ca.reference, pa.person, ca.officer, \
             pb.case_id, cb.force, cb.reference, pb.person, cb.officer \
             FROM link_candidates l \
             JOIN link_people pa ON pa.person_id = l.person_a JOIN cases ca ON ca.case_id = pa.case_id \
             JOIN link_people pb ON pb.person_id = l.person_b JOIN cases cb ON cb.case_id = pb.case_id";

        /// A link row seen from `case_id` (the side of that case first; from side A when
        /// `case_id` is `None`).
        fn link_from_row(
            row: &<$db as sqlx::Database>::Row,
            case_id: Option<i64>,
        ) -> StoreResult<CaseLink> {
            let status: String = row.try_get(3)?;
            let side = |offset: usize| -> StoreResult<(i64, LinkedSuspect)> {
                Ok((
                    row.try_get(offset)?,
                    LinkedSuspect {
                        force: row.try_get(offset + 1)?,
                        reference: row.try_get(offset + 2)?,
                        person: row.try_get(offset + 3)?,
                        officer: row.try_get(offset + 4)?,
                    },
                ))
            };
            let (a_case, a) = side(8)?;
            let (_, b) = side(13)?;
            let (this, other) = if case_id.is_none_or(|id| id == a_case) {
                (a, b)
            } else {
                (b, a)
            };
            let reasons: String = row.try_get(2)?;
            Ok(CaseLink {
                id: row.try_get(0)?,
                this,
                other,
                score: row.try_get(1)?,
                reasons: reasons_list(&reasons),
                status: LinkStatus::parse(&status)
                    .ok_or_else(|| StoreError::Corrupt(format!("link status `{status}`")))?,
                suggested_at: row.try_get(4)?,
                decided_by: row.try_get(5)?,
                decided_at: row.try_get(6)?,
                rationale: row.try_get(7)?,
            })
        }

        /// Every link of a case's suspects, best score first.
        pub(crate) async fn links_of_case(
            conn: &mut $conn,
            case_id: i64,
        ) -> StoreResult<Vec<CaseLink>> {
            let mut query = sqlx::QueryBuilder::<$db>::new(LINK_COLUMNS);
            query.push(" WHERE pa.case_id = ").push_bind(case_id);
            query.push(" OR pb.case_id = ").push_bind(case_id);
            query.push(" ORDER BY l.score DESC, l.link_id");
            query
                .build()
                .fetch_all(&mut *conn)
                .await?
                .iter()
                .map(|row| link_from_row(row, Some(case_id)))
                .collect()
        }

        /// One link by id.
        pub(crate) async fn link(conn: &mut $conn, link_id: i64) -> StoreResult<Option<CaseLink>> {
            let mut query = sqlx::QueryBuilder::<$db>::new(LINK_COLUMNS);
            query.push(" WHERE l.link_id = ").push_bind(link_id);
            query
                .build()
                .fetch_optional(&mut *conn)
                .await?
                .as_ref()
                .map(|row| link_from_row(row, None))
                .transpose()
        }

        /// Records a decision on a link.
        pub(crate) async fn decide(
            conn: &mut $conn,
            link_id: i64,
            status: LinkStatus,
            actor: &str,
            rationale: &str,
            now: &str,
        ) -> StoreResult<()> {
            sqlx::query(
                "UPDATE link_candidates SET status = $1, decided_by = $2, decided_at = $3, rationale = $4 WHERE link_id = $5",
            )
            .bind(status.as_str())
            .bind(actor)
            .bind(now)
            .bind(rationale)
            .bind(link_id)
            .execute(&mut *conn)
            .await?;
            Ok(())
        }

        /// Repeat-suspect counts, optionally for one force (a suspect of that force with a
        /// confirmed link to any case).
        pub(crate) async fn repeat_suspects(
            conn: &mut $conn,
            force: Option<&str>,
        ) -> StoreResult<RepeatSuspects> {
            let force = force.map(str::to_owned);
            let linked: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM link_people p JOIN cases c ON c.case_id = p.case_id \
                 WHERE ($1 IS NULL OR c.force = $1) AND EXISTS (SELECT 1 FROM link_candidates l \
                 WHERE l.status = 'confirmed' AND (l.person_a = p.person_id OR l.person_b = p.person_id))",
            )
            .bind(force.clone())
            .fetch_one(&mut *conn)
            .await?;
            let mut counts = HashMap::new();
            for status in ["confirmed", "suggested"] {
                let count: i64 = sqlx::query_scalar(
                    "SELECT COUNT(*) FROM link_candidates l \
                     JOIN link_people pa ON pa.person_id = l.person_a JOIN cases ca ON ca.case_id = pa.case_id \
                     JOIN link_people pb ON pb.person_id = l.person_b JOIN cases cb ON cb.case_id = pb.case_id \
                     WHERE l.status = $1 AND ($2 IS NULL OR ca.force = $2 OR cb.force = $2)",
                )
                .bind(status)
                .bind(force.clone())
                .fetch_one(&mut *conn)
                .await?;
                counts.insert(status, count.max(0) as u64);
            }
            Ok(RepeatSuspects {
                linked_suspects: linked.max(0) as u64,
                confirmed_links: counts.get("confirmed").copied().unwrap_or(0),
                suggested_links: counts.get("suggested").copied().unwrap_or(0),
            })
        }

        /// Number of suspect profiles.
        pub(crate) async fn people_count(conn: &mut $conn) -> StoreResult<u64> {
            let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM link_people")
                .fetch_one(&mut *conn)
                .await?;
            Ok(count.max(0) as u64)
        }

        /// Number of sealed identities (the work of the profile phase of a re-link).
        pub(crate) async fn identity_count(conn: &mut $conn) -> StoreResult<u64> {
            let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sealed WHERE field = 'identity'")
                .fetch_one(&mut *conn)
                .await?;
            Ok(count.max(0) as u64)
        }

        /// Re-link, phase 1: profiles from the sealed identities of suspects, one page after
        /// `(case_id, seq)`. Returns the last position, rows read and profiles written.
        pub(crate) async fn profile_page(
            conn: &mut $conn,
            keys: &(dyn Fn(i64) -> StoreResult<DataKey> + Sync),
            active: (i64, &DataKey),
            after: (i64, i64),
            now: &str,
        ) -> StoreResult<Option<((i64, i64), u64, u64)>> {
            let rows = sqlx::query(
                "SELECT s.case_id, s.seq, s.person, s.key_id, s.nonce, s.ciphertext, e.body, c.force, c.reference \
                 FROM sealed s JOIN events e ON e.case_id = s.case_id AND e.seq = s.seq \
                 JOIN cases c ON c.case_id = s.case_id \
                 WHERE s.field = 'identity' AND (s.case_id > $1 OR (s.case_id = $1 AND s.seq > $2)) \
                 ORDER BY s.case_id, s.seq LIMIT $3",
            )
            .bind(after.0)
            .bind(after.1)
            .bind(crate::linking::RELINK_PAGE)
            .fetch_all(&mut *conn)
            .await?;
            let Some(last) = rows.last() else {
                return Ok(None);
            };
            let last = (last.try_get::<i64, _>(0)?, last.try_get::<i64, _>(1)?);
            let mut written = 0;
            for row in &rows {
                let body: String = row.try_get(6)?;
                if !crate::linking::is_suspect_added(&body) {
                    continue;
                }
                let case_id: i64 = row.try_get(0)?;
                let person: String = row.try_get(2)?;
                let force: String = row.try_get(7)?;
                let reference: String = row.try_get(8)?;
                let identity = crate::linking::open_identity(
                    keys,
                    &force,
                    &reference,
                    &person,
                    row.try_get(3)?,
                    &row.try_get::<Vec<u8>, _>(4)?,
                    &row.try_get::<Vec<u8>, _>(5)?,
                )?;
                let profile = Profile::new(&identity);
                if profile.pnc.is_none() && profile.names.is_empty() {
                    continue;
                }
                store_profile(
                    &mut *conn, active, case_id, &force, &reference, &person, &identity, now,
                )
                .await?;
                written += 1;
            }
            Ok(Some((last, rows.len() as u64, written)))
        }

        /// A page of sealed profiles after `after`, by id.
        pub(crate) async fn profile_page_by_id(
            conn: &mut $conn,
            after: i64,
        ) -> StoreResult<Vec<SealedProfile>> {
            let mut query = sqlx::QueryBuilder::<$db>::new(PROFILE_COLUMNS);
            query.push(" WHERE p.person_id > ").push_bind(after);
            query.push(" ORDER BY p.person_id LIMIT ").push_bind(crate::linking::RELINK_PAGE);
            query
                .build()
                .fetch_all(&mut *conn)
                .await?
                .iter()
                .map(profile_from_row)
                .collect()
        }

        /// Re-link, phase 2: the tokens of one page of profiles. Returns tokens written.
        pub(crate) async fn index_page(
            conn: &mut $conn,
            keys: &(dyn Fn(i64) -> StoreResult<DataKey> + Sync),
            linkage_key: &LinkageKey,
            page: &[SealedProfile],
        ) -> StoreResult<u64> {
            let mut pairs: Vec<(i64, i64)> = Vec::new();
            for row in page {
                let profile = Profile::new(&row.open(keys)?);
                for token in linkage_key.tokens(&profile) {
                    pairs.push((token, row.person_id));
                }
            }
            for chunk in pairs.chunks(400) {
                let mut query =
                    sqlx::QueryBuilder::<$db>::new("INSERT INTO link_tokens (token, person_id) ");
                query.push_values(chunk, |mut row, (token, person)| {
                    row.push_bind(*token).push_bind(*person);
                });
                query.push(" ON CONFLICT DO NOTHING");
                query.build().execute(&mut *conn).await?;
            }
            Ok(pairs.len() as u64)
        }

        /// Re-link, phase 3: suggestions for one page of profiles, each pair once (from its
        /// higher id). Returns suggestions written.
        pub(crate) async fn suggest_page(
            conn: &mut $conn,
            keys: &(dyn Fn(i64) -> StoreResult<DataKey> + Sync),
            linkage_key: &LinkageKey,
            page: &[SealedProfile],
            now: &str,
        ) -> StoreResult<u64> {
            let mut written = 0;
            for row in page {
                let profile = Profile::new(&row.open(keys)?);
                let tokens = linkage_key.tokens(&profile);
                let found = candidates(
                    &mut *conn,
                    keys,
                    &tokens,
                    &profile,
                    Some(row.case_id),
                    Some(row.person_id),
                    Some(row.person_id),
                )
                .await?;
                for (other, score) in &found {
                    if suggest(&mut *conn, row.person_id, other.person_id, score, now).await? {
                        written += 1;
                    }
                }
            }
            Ok(written)
        }

        /// Drops every token and every undecided suggestion (the start of a full re-link).
        pub(crate) async fn clear_index(conn: &mut $conn) -> StoreResult<()> {
            sqlx::query("DELETE FROM link_tokens").execute(&mut *conn).await?;
            sqlx::query("DELETE FROM link_candidates WHERE status = 'suggested'")
                .execute(&mut *conn)
                .await?;
            Ok(())
        }
    };
}

pub(crate) mod sqlite_sql {
    linking_sql!(sqlx::Sqlite, sqlx::SqliteConnection);
}

pub(crate) mod pg_sql {
    linking_sql!(sqlx::Postgres, sqlx::PgConnection);
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
        field: crate::sqlite::IDENTITY_FIELD,
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
