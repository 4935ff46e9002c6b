//! The SQL of linkage, the same text for both databases (numbered placeholders, `ON CONFLICT`,
//! `RETURNING`), written once over either database ([`crate::sql::SqlDb`]).

use std::collections::HashMap;

use linkage::{LinkageKey, MatchIdentity, Profile};

use crate::error::{StoreError, StoreResult};
use crate::keys::DataKey;
use crate::linking::{
    CaseLink, LinkStatus, LinkedSuspect, RepeatSuspects, SealedProfile, TOKEN_HITS, rank_hits,
    reasons_list, reasons_text, score_candidates, seal_profile,
};
use crate::row_maps::{RowExt, profile_from_row};
use crate::sql::{Param, Run, SqlDb, stmt};

const PROFILE_COLUMNS: &str = "SELECT p.person_id, p.case_id, c.force, c.reference, p.person, c.officer, p.key_id, p.nonce, p.profile \
     FROM link_people p JOIN cases c ON c.case_id = p.case_id";

/// Sealed profiles by id.
pub(crate) async fn profiles<DB: SqlDb>(
    conn: &mut DB::Connection,
    ids: &[i64],
) -> StoreResult<Vec<SealedProfile>> {
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        let mut query = sqlx::QueryBuilder::<DB>::new(PROFILE_COLUMNS);
        query.push(" WHERE p.person_id IN (");
        for (index, id) in chunk.iter().enumerate() {
            if index > 0 {
                query.push(", ");
            }
            DB::push_to(&mut query, *id);
        }
        query.push(")");
        for row in query.build().all(&mut *conn).await? {
            out.push(profile_from_row(&row)?);
        }
    }
    Ok(out)
}

/// The sealed profile of one suspect of a case.
pub(crate) async fn profile_of<DB: SqlDb>(
    conn: &mut DB::Connection,
    case_id: i64,
    person: &str,
) -> StoreResult<Option<SealedProfile>> {
    let mut query = sqlx::QueryBuilder::<DB>::new(PROFILE_COLUMNS);
    query.push(" WHERE p.case_id = ");
    DB::push_to(&mut query, case_id);
    query.push(" AND p.person = ");
    DB::push_to(&mut query, person);
    query
        .build()
        .optional(&mut *conn)
        .await?
        .as_ref()
        .map(profile_from_row)
        .transpose()
}

/// Everyone sharing a token, up to [`TOKEN_HITS`] per token (crowded blocks dropped, see
/// [`crate::linking::useful_hits`]).
pub(crate) async fn token_hits<DB: SqlDb>(
    conn: &mut DB::Connection,
    tokens: &[i64],
) -> StoreResult<Vec<i64>> {
    let mut per_token = Vec::with_capacity(tokens.len());
    for token in tokens {
        let mut hits = Vec::new();
        let rows = stmt::<DB>("SELECT person_id FROM link_tokens WHERE token = $1 LIMIT $2")
            .param(*token)
            .param(TOKEN_HITS)
            .all(&mut *conn)
            .await?;
        for row in rows {
            hits.push(row.col::<i64>(0)?);
        }
        per_token.push(hits);
    }
    Ok(crate::linking::useful_hits(per_token))
}

/// Adds a suspect's `tokens` to the blind index.
pub(crate) async fn insert_tokens<DB: SqlDb>(
    conn: &mut DB::Connection,
    person_id: i64,
    tokens: &[i64],
) -> StoreResult<()> {
    if tokens.is_empty() {
        return Ok(());
    }
    let pairs: Vec<(i64, i64)> = tokens.iter().map(|token| (*token, person_id)).collect();
    insert_token_rows::<DB>(conn, &pairs).await
}

/// Inserts `(token, person_id)` rows of the blind index, one statement (existing rows kept).
async fn insert_token_rows<DB: SqlDb>(
    conn: &mut DB::Connection,
    pairs: &[(i64, i64)],
) -> StoreResult<()> {
    let mut query =
        sqlx::QueryBuilder::<DB>::new("INSERT INTO link_tokens (token, person_id) VALUES ");
    for (index, (token, person_id)) in pairs.iter().enumerate() {
        query.push(if index == 0 { "(" } else { ", (" });
        DB::push_to(&mut query, *token);
        query.push(", ");
        DB::push_to(&mut query, *person_id);
        query.push(")");
    }
    query.push(" ON CONFLICT DO NOTHING");
    query.build().run(conn).await?;
    Ok(())
}

/// Removes a suspect's `tokens` from the blind index.
pub(crate) async fn delete_tokens<DB: SqlDb>(
    conn: &mut DB::Connection,
    person_id: i64,
    tokens: &[i64],
) -> StoreResult<()> {
    for token in tokens {
        stmt::<DB>("DELETE FROM link_tokens WHERE token = $1 AND person_id = $2")
            .param(*token)
            .param(person_id)
            .run(&mut *conn)
            .await?;
    }
    Ok(())
}

/// Stores (or replaces) the sealed profile of a suspect; returns its id and the profile it
/// replaced, if any.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn store_profile<DB: SqlDb>(
    conn: &mut DB::Connection,
    key: (i64, &DataKey),
    case_id: i64,
    force: &str,
    reference: &str,
    person: &str,
    identity: &MatchIdentity,
    now: &str,
) -> StoreResult<(i64, Option<SealedProfile>)> {
    let (nonce, sealed) = seal_profile(key, force, reference, person, identity)?;
    let old = profile_of::<DB>(&mut *conn, case_id, person).await?;
    let person_id = match &old {
        Some(old) => {
            stmt::<DB>(
                "UPDATE link_people SET key_id = $1, nonce = $2, profile = $3, updated_at = $4 WHERE person_id = $5",
            )
            .param(key.0)
            .param(nonce.to_vec())
            .param(sealed)
            .param(now)
            .param(old.person_id)
            .run(&mut *conn)
            .await?;
            old.person_id
        }
        None => stmt::<DB>(
            "INSERT INTO link_people (case_id, person, key_id, nonce, profile, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING person_id",
        )
        .param(case_id)
        .param(person)
        .param(key.0)
        .param(nonce.to_vec())
        .param(sealed)
        .param(now)
        .one(&mut *conn)
        .await?
        .col(0)?,
    };
    Ok((person_id, old))
}

/// Candidates for `profile` among stored suspects: blocked by tokens, unsealed, scored,
/// at or above the threshold, best first. `exclude` is the suspect's own id; `below`
/// keeps only ids under it (a re-link scores each pair once).
pub(crate) async fn candidates<DB: SqlDb>(
    conn: &mut DB::Connection,
    keys: &(dyn Fn(i64) -> StoreResult<DataKey> + Sync),
    tokens: &[i64],
    profile: &Profile,
    same_case: Option<i64>,
    exclude: Option<i64>,
    below: Option<i64>,
) -> StoreResult<Vec<(SealedProfile, linkage::LinkScore)>> {
    let hits = token_hits::<DB>(&mut *conn, tokens).await?;
    let ranked = rank_hits(&hits, exclude, below);
    if ranked.is_empty() {
        return Ok(Vec::new());
    }
    let rows = profiles::<DB>(&mut *conn, &ranked).await?;
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
pub(crate) async fn suggest<DB: SqlDb>(
    conn: &mut DB::Connection,
    one: i64,
    other: i64,
    score: &linkage::LinkScore,
    now: &str,
) -> StoreResult<bool> {
    let (a, b) = if one < other {
        (one, other)
    } else {
        (other, one)
    };
    let result = stmt::<DB>(
        "INSERT INTO link_candidates (person_a, person_b, score, reasons, status, suggested_at) \
         VALUES ($1, $2, $3, $4, 'suggested', $5) \
         ON CONFLICT (person_a, person_b) DO UPDATE SET score = excluded.score, reasons = excluded.reasons \
         WHERE link_candidates.status = 'suggested'",
    )
    .param(a)
    .param(b)
    .param(score.score)
    .param(reasons_text(score))
    .param(now)
    .run(&mut *conn)
    .await?;
    Ok(result > 0)
}

/// Profiles, indexes and links a suspect just added with an identity (inside the
/// append's transaction). Returns the number of suggestions written.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn suspect_added<DB: SqlDb>(
    conn: &mut DB::Connection,
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
    let (person_id, old) = store_profile::<DB>(
        &mut *conn, active, case_id, force, reference, person, identity, now,
    )
    .await?;
    if let Some(old) = old {
        let previous = Profile::new(&old.open(keys)?);
        delete_tokens::<DB>(&mut *conn, person_id, &linkage_key.tokens(&previous)).await?;
    }
    let tokens = linkage_key.tokens(&profile);
    insert_tokens::<DB>(&mut *conn, person_id, &tokens).await?;
    let found = candidates::<DB>(
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
        if suggest::<DB>(&mut *conn, person_id, row.person_id, score, now).await? {
            written += 1;
        }
    }
    Ok(written)
}

/// The `case_id` of a case.
pub(crate) async fn case_id<DB: SqlDb>(
    conn: &mut DB::Connection,
    force: &str,
    reference: &str,
) -> StoreResult<Option<i64>> {
    let row = stmt::<DB>("SELECT case_id FROM cases WHERE force = $1 AND reference = $2")
        .param(force)
        .param(reference)
        .optional(&mut *conn)
        .await?;
    Ok(match row {
        Some(row) => Some(row.col(0)?),
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
fn link_from_row<DB: SqlDb>(row: &DB::Row, case_id: Option<i64>) -> StoreResult<CaseLink> {
    let status: String = row.col(3)?;
    let side = |offset: usize| -> StoreResult<(i64, LinkedSuspect)> {
        Ok((
            row.col(offset)?,
            LinkedSuspect {
                force: row.col(offset + 1)?,
                reference: row.col(offset + 2)?,
                person: row.col(offset + 3)?,
                officer: row.col(offset + 4)?,
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
    let reasons: String = row.col(2)?;
    Ok(CaseLink {
        id: row.col(0)?,
        this,
        other,
        score: row.col(1)?,
        reasons: reasons_list(&reasons),
        status: LinkStatus::parse(&status)
            .ok_or_else(|| StoreError::Corrupt(format!("link status `{status}`")))?,
        suggested_at: row.col(4)?,
        decided_by: row.col(5)?,
        decided_at: row.col(6)?,
        rationale: row.col(7)?,
    })
}

/// Every link of a case's suspects, best score first.
pub(crate) async fn links_of_case<DB: SqlDb>(
    conn: &mut DB::Connection,
    case_id: i64,
) -> StoreResult<Vec<CaseLink>> {
    let mut query = sqlx::QueryBuilder::<DB>::new(LINK_COLUMNS);
    query.push(" WHERE pa.case_id = ");
    DB::push_to(&mut query, case_id);
    query.push(" OR pb.case_id = ");
    DB::push_to(&mut query, case_id);
    query.push(" ORDER BY l.score DESC, l.link_id");
    query
        .build()
        .all(&mut *conn)
        .await?
        .iter()
        .map(|row| link_from_row::<DB>(row, Some(case_id)))
        .collect()
}

/// One link by id.
pub(crate) async fn link<DB: SqlDb>(
    conn: &mut DB::Connection,
    link_id: i64,
) -> StoreResult<Option<CaseLink>> {
    let mut query = sqlx::QueryBuilder::<DB>::new(LINK_COLUMNS);
    query.push(" WHERE l.link_id = ");
    DB::push_to(&mut query, link_id);
    query
        .build()
        .optional(&mut *conn)
        .await?
        .as_ref()
        .map(|row| link_from_row::<DB>(row, None))
        .transpose()
}

/// Records a decision on a link.
pub(crate) async fn decide<DB: SqlDb>(
    conn: &mut DB::Connection,
    link_id: i64,
    status: LinkStatus,
    actor: &str,
    rationale: &str,
    now: &str,
) -> StoreResult<()> {
    stmt::<DB>(
        "UPDATE link_candidates SET status = $1, decided_by = $2, decided_at = $3, rationale = $4 WHERE link_id = $5",
    )
    .param(status.as_str())
    .param(actor)
    .param(now)
    .param(rationale)
    .param(link_id)
    .run(&mut *conn)
    .await?;
    Ok(())
}

/// Repeat-suspect counts, optionally for one force (a suspect of that force with a
/// confirmed link to any case).
pub(crate) async fn repeat_suspects<DB: SqlDb>(
    conn: &mut DB::Connection,
    force: Option<&str>,
) -> StoreResult<RepeatSuspects> {
    let force = force.map(str::to_owned);
    let linked: i64 = stmt::<DB>(
        "SELECT COUNT(*) FROM link_people p JOIN cases c ON c.case_id = p.case_id \
         WHERE ($1 IS NULL OR c.force = $1) AND EXISTS (SELECT 1 FROM link_candidates l \
         WHERE l.status = 'confirmed' AND (l.person_a = p.person_id OR l.person_b = p.person_id))",
    )
    .param(force.clone())
    .one(&mut *conn)
    .await?
    .col(0)?;
    let mut counts = HashMap::new();
    for status in ["confirmed", "suggested"] {
        let count: i64 = stmt::<DB>(
            "SELECT COUNT(*) FROM link_candidates l \
             JOIN link_people pa ON pa.person_id = l.person_a JOIN cases ca ON ca.case_id = pa.case_id \
             JOIN link_people pb ON pb.person_id = l.person_b JOIN cases cb ON cb.case_id = pb.case_id \
             WHERE l.status = $1 AND ($2 IS NULL OR ca.force = $2 OR cb.force = $2)",
        )
        .param(status)
        .param(force.clone())
        .one(&mut *conn)
        .await?
        .col(0)?;
        counts.insert(status, count.max(0) as u64);
    }
    Ok(RepeatSuspects {
        linked_suspects: linked.max(0) as u64,
        confirmed_links: counts.get("confirmed").copied().unwrap_or(0),
        suggested_links: counts.get("suggested").copied().unwrap_or(0),
    })
}

/// Number of suspect profiles.
pub(crate) async fn people_count<DB: SqlDb>(conn: &mut DB::Connection) -> StoreResult<u64> {
    let count: i64 = stmt::<DB>("SELECT COUNT(*) FROM link_people")
        .one(&mut *conn)
        .await?
        .col(0)?;
    Ok(count.max(0) as u64)
}

/// Number of sealed identities (the work of the profile phase of a re-link).
pub(crate) async fn identity_count<DB: SqlDb>(conn: &mut DB::Connection) -> StoreResult<u64> {
    let count: i64 = stmt::<DB>("SELECT COUNT(*) FROM sealed WHERE field = 'identity'")
        .one(&mut *conn)
        .await?
        .col(0)?;
    Ok(count.max(0) as u64)
}

/// Re-link, phase 1: profiles from the sealed identities of suspects, one page after
/// `(case_id, seq)`. Returns the last position, rows read and profiles written.
pub(crate) async fn profile_page<DB: SqlDb>(
    conn: &mut DB::Connection,
    keys: &(dyn Fn(i64) -> StoreResult<DataKey> + Sync),
    active: (i64, &DataKey),
    after: (i64, i64),
    now: &str,
) -> StoreResult<Option<((i64, i64), u64, u64)>> {
    let rows = stmt::<DB>(
        "SELECT s.case_id, s.seq, s.person, s.key_id, s.nonce, s.ciphertext, e.body, c.force, c.reference \
         FROM sealed s JOIN events e ON e.case_id = s.case_id AND e.seq = s.seq \
         JOIN cases c ON c.case_id = s.case_id \
         WHERE s.field = 'identity' AND (s.case_id > $1 OR (s.case_id = $1 AND s.seq > $2)) \
         ORDER BY s.case_id, s.seq LIMIT $3",
    )
    .param(after.0)
    .param(after.1)
    .param(crate::linking::RELINK_PAGE)
    .all(&mut *conn)
    .await?;
    let Some(last) = rows.last() else {
        return Ok(None);
    };
    let last = (last.col::<i64>(0)?, last.col::<i64>(1)?);
    let mut written = 0;
    for row in &rows {
        let body: String = row.col(6)?;
        if !crate::linking::is_suspect_added(&body) {
            continue;
        }
        let case_id: i64 = row.col(0)?;
        let person: String = row.col(2)?;
        let force: String = row.col(7)?;
        let reference: String = row.col(8)?;
        let identity = crate::linking::open_identity(
            keys,
            &force,
            &reference,
            &person,
            row.col(3)?,
            &row.col::<Vec<u8>>(4)?,
            &row.col::<Vec<u8>>(5)?,
        )?;
        let profile = Profile::new(&identity);
        if profile.pnc.is_none() && profile.names.is_empty() {
            continue;
        }
        store_profile::<DB>(
            &mut *conn, active, case_id, &force, &reference, &person, &identity, now,
        )
        .await?;
        written += 1;
    }
    Ok(Some((last, rows.len() as u64, written)))
}

/// A page of sealed profiles after `after`, by id.
pub(crate) async fn profile_page_by_id<DB: SqlDb>(
    conn: &mut DB::Connection,
    after: i64,
) -> StoreResult<Vec<SealedProfile>> {
    let mut query = sqlx::QueryBuilder::<DB>::new(PROFILE_COLUMNS);
    query.push(" WHERE p.person_id > ");
    DB::push_to(&mut query, after);
    query.push(" ORDER BY p.person_id LIMIT ");
    DB::push_to(&mut query, crate::linking::RELINK_PAGE);
    query
        .build()
        .all(&mut *conn)
        .await?
        .iter()
        .map(profile_from_row)
        .collect()
}

/// Re-link, phase 2: the tokens of one page of profiles. Returns tokens written.
pub(crate) async fn index_page<DB: SqlDb>(
    conn: &mut DB::Connection,
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
        insert_token_rows::<DB>(conn, chunk).await?;
    }
    Ok(pairs.len() as u64)
}

/// Re-link, phase 3: suggestions for one page of profiles, each pair once (from its
/// higher id). Returns suggestions written.
pub(crate) async fn suggest_page<DB: SqlDb>(
    conn: &mut DB::Connection,
    keys: &(dyn Fn(i64) -> StoreResult<DataKey> + Sync),
    linkage_key: &LinkageKey,
    page: &[SealedProfile],
    now: &str,
) -> StoreResult<u64> {
    let mut written = 0;
    for row in page {
        let profile = Profile::new(&row.open(keys)?);
        let tokens = linkage_key.tokens(&profile);
        let found = candidates::<DB>(
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
            if suggest::<DB>(&mut *conn, row.person_id, other.person_id, score, now).await? {
                written += 1;
            }
        }
    }
    Ok(written)
}

/// Drops every token and every undecided suggestion (the start of a full re-link).
pub(crate) async fn clear_index<DB: SqlDb>(conn: &mut DB::Connection) -> StoreResult<()> {
    stmt::<DB>("DELETE FROM link_tokens")
        .run(&mut *conn)
        .await?;
    stmt::<DB>("DELETE FROM link_candidates WHERE status = 'suggested'")
        .run(&mut *conn)
        .await?;
    Ok(())
}
