//! Rows to values, the same for both databases (the column names and types agree): [`RowExt`],
//! what a row of either database gives (columns, and the row types here decoded by
//! `sqlx::FromRow`), the row types, and what turns them into the store's values where the two
//! differ. [`crate::audit::Checkpoint`] and [`crate::audit::SignedHead`] are decoded directly.
//!
//! Reading rows is here and binding and running statements in [`crate::sql`], which sits above:
//! `SqlDb` requires its rows to be [`RowExt`], so that `DB: SqlDb` implies every decode below.

use crate::audit::AuditRecord;
use crate::chain::ChainRow;
use crate::common::stored_time;
use crate::error::{StoreError, StoreResult};
use crate::linking::{LinkedSuspect, SealedProfile};
use crate::model::{CaseStatus, CaseSummary, Session, User};
use crate::server_state::{BreakGlassDeclaration, CaseShare, SharedItem};

use sqlx::{ColumnIndex, Decode, FromRow, Row, Type};

/// A column of type `T` that rows of this database give.
pub trait Get<T>: Row {
    /// The column at `index`.
    fn get_at(&self, index: usize) -> sqlx::Result<T>;
}

impl<R: Row, T> Get<T> for R
where
    T: for<'r> Decode<'r, R::Database> + Type<R::Database>,
    usize: ColumnIndex<R>,
{
    fn get_at(&self, index: usize) -> sqlx::Result<T> {
        self.try_get(index)
    }
}

/// A row type `T` (`sqlx::FromRow`) that rows of this database decode into.
pub trait Decodes<T>: Row {
    /// The row as a `T`.
    fn decode_row(&self) -> sqlx::Result<T>;
}

impl<R: Row, T> Decodes<T> for R
where
    T: for<'r> FromRow<'r, R>,
{
    fn decode_row(&self) -> sqlx::Result<T> {
        T::from_row(self)
    }
}

/// A row of either database: the columns and row types the shared SQL reads.
pub trait RowExt:
    Row
    + Get<i64>
    + Get<Option<i64>>
    + Get<f64>
    + Get<bool>
    + Get<String>
    + Get<Option<String>>
    + Get<Vec<u8>>
    + Get<Option<Vec<u8>>>
    + Decodes<SummaryRow>
    + Decodes<UserRow>
    + Decodes<RecordRow>
    + Decodes<crate::audit::Checkpoint>
    + Decodes<crate::audit::SignedHead>
    + Decodes<SessionRow>
    + Decodes<HeldRow>
    + Decodes<ChainRowColumns>
    + Decodes<ProfileRow>
    + Decodes<ShareRow>
{
    /// The column at `index` as a `T`.
    fn col<T>(&self, index: usize) -> sqlx::Result<T>
    where
        Self: Get<T>,
    {
        self.get_at(index)
    }

    /// The row as a `T` (a `sqlx::FromRow` type).
    fn decode<T>(&self) -> sqlx::Result<T>
    where
        Self: Decodes<T>,
    {
        self.decode_row()
    }

    /// The bytes of the column at `index`, borrowed from the row (no copy).
    fn bytes(&self, index: usize) -> sqlx::Result<&[u8]>;
}

impl<R> RowExt for R
where
    R: Row
        + Get<i64>
        + Get<Option<i64>>
        + Get<f64>
        + Get<bool>
        + Get<String>
        + Get<Option<String>>
        + Get<Vec<u8>>
        + Get<Option<Vec<u8>>>
        + Decodes<SummaryRow>
        + Decodes<UserRow>
        + Decodes<RecordRow>
        + Decodes<crate::audit::Checkpoint>
        + Decodes<crate::audit::SignedHead>
        + Decodes<SessionRow>
        + Decodes<HeldRow>
        + Decodes<ChainRowColumns>
        + Decodes<ProfileRow>
        + Decodes<ShareRow>,
    for<'r> &'r [u8]: Decode<'r, R::Database> + Type<R::Database>,
    usize: ColumnIndex<R>,
{
    fn bytes(&self, index: usize) -> sqlx::Result<&[u8]> {
        self.try_get(index)
    }
}

/// An event a case already holds, as far as telling a repeat from a reuse of its id needs.
pub(crate) struct HeldEvent {
    pub(crate) body: String,
    /// The sealed identity: person, data key id, nonce, ciphertext.
    pub(crate) sealed: Option<(String, i64, Vec<u8>, Vec<u8>)>,
}

/// A `cases` row as lists read it.
#[derive(Debug, sqlx::FromRow)]
pub struct SummaryRow {
    force: String,
    reference: String,
    version: i64,
    status: String,
    officer: Option<String>,
    open_findings: i64,
    people: i64,
    reported_at: Option<String>,
    last_event_at: Option<String>,
}

impl TryFrom<SummaryRow> for CaseSummary {
    type Error = StoreError;

    fn try_from(row: SummaryRow) -> StoreResult<CaseSummary> {
        Ok(CaseSummary {
            status: CaseStatus::parse(&row.status)
                .ok_or_else(|| StoreError::Corrupt(format!("case status `{}`", row.status)))?,
            force: row.force,
            reference: row.reference,
            version: row.version as u64,
            officer: row.officer,
            open_findings: row.open_findings as u64,
            people: row.people as u64,
            reported_at: row.reported_at,
            last_event_at: row.last_event_at,
        })
    }
}

/// A `users` row.
#[derive(sqlx::FromRow)]
pub struct UserRow {
    username: String,
    display_name: String,
    role: String,
    force: Option<String>,
    national: bool,
    /// Missing for users stored before officer identifiers: their username stands in.
    officer_id: Option<String>,
    password_hash: String,
    disabled: bool,
    created_at: String,
}

/// A `sessions` row.
#[derive(sqlx::FromRow)]
pub struct SessionRow {
    pub(crate) token_hash: String,
    pub(crate) username: String,
    pub(crate) csrf_token: String,
    pub(crate) created_at: String,
    pub(crate) last_seen_at: String,
}

impl std::fmt::Debug for SessionRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the tokens.
        f.debug_struct("SessionRow")
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

impl TryFrom<SessionRow> for Session {
    type Error = StoreError;

    fn try_from(row: SessionRow) -> StoreResult<Session> {
        Ok(Session {
            created_at: stored_time(&row.created_at, "session")?,
            last_seen_at: stored_time(&row.last_seen_at, "session")?,
            token_hash: row.token_hash,
            username: row.username,
            csrf_token: row.csrf_token,
        })
    }
}

impl std::fmt::Debug for UserRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the password hash.
        f.debug_struct("UserRow")
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

impl TryFrom<UserRow> for User {
    type Error = StoreError;

    fn try_from(row: UserRow) -> StoreResult<User> {
        Ok(User {
            created_at: stored_time(&row.created_at, "user")?,
            officer_id: row.officer_id.unwrap_or_else(|| row.username.clone()),
            username: row.username,
            display_name: row.display_name,
            role: row.role,
            force: row.force,
            national: row.national,
            password_hash: row.password_hash,
            disabled: row.disabled,
        })
    }
}

/// An `audit_log` row.
#[derive(Debug, sqlx::FromRow)]
pub struct RecordRow {
    seq: i64,
    at: String,
    actor: String,
    category: String,
    object: String,
    purpose: String,
    reason: Option<String>,
    recipient: Option<String>,
    detail: String,
    prev_hash: String,
    hash: String,
}

impl From<RecordRow> for AuditRecord {
    fn from(row: RecordRow) -> AuditRecord {
        AuditRecord {
            seq: row.seq,
            at: row.at,
            actor: row.actor,
            category: row.category,
            object: row.object,
            purpose: row.purpose,
            reason: row.reason,
            recipient: row.recipient,
            // A detail that is not JSON cannot hash as written: keep it as a string so the chain
            // check reports the record as edited.
            detail: serde_json::from_str(&row.detail)
                .unwrap_or(serde_json::Value::String(row.detail)),
            prev_hash: row.prev_hash,
            hash: row.hash,
        }
    }
}

/// A row of [`crate::rows::HELD_EVENTS`]: an event a case already holds, with its sealed
/// identity if it carried one.
#[derive(Debug, sqlx::FromRow)]
pub struct HeldRow {
    seq: i64,
    event_id: String,
    body: String,
    sealed_person: Option<String>,
    key_id: Option<i64>,
    nonce: Option<Vec<u8>>,
    ciphertext: Option<Vec<u8>>,
}

impl HeldRow {
    /// Sequence number, event id, and the event.
    pub(crate) fn into_parts(self) -> StoreResult<(i64, String, HeldEvent)> {
        let sealed = match self.sealed_person {
            Some(person) => Some((
                person,
                self.key_id.ok_or_else(|| missing("key_id"))?,
                self.nonce.ok_or_else(|| missing("nonce"))?,
                self.ciphertext.ok_or_else(|| missing("ciphertext"))?,
            )),
            None => None,
        };
        let held = HeldEvent {
            body: self.body,
            sealed,
        };
        Ok((self.seq, self.event_id, held))
    }
}

fn missing(column: &str) -> StoreError {
    StoreError::Corrupt(format!("a sealed row has no {column}"))
}

/// A row of [`crate::chain::CHAIN_ROWS`].
#[derive(Debug, sqlx::FromRow)]
pub struct ChainRowColumns {
    case_id: i64,
    seq: i64,
    event_id: String,
    at: String,
    kind: String,
    person: Option<String>,
    body: String,
    field: Option<String>,
    sealed_person: Option<String>,
    key_id: Option<i64>,
    nonce: Option<Vec<u8>>,
    ciphertext: Option<Vec<u8>>,
}

impl ChainRowColumns {
    /// The row as the chain reads it.
    pub(crate) fn into_row(self) -> StoreResult<ChainRow> {
        let sealed = match self.field {
            Some(field) => Some((
                field,
                self.sealed_person.ok_or_else(|| missing("person"))?,
                self.key_id.ok_or_else(|| missing("key_id"))?,
                self.nonce.ok_or_else(|| missing("nonce"))?,
                self.ciphertext.ok_or_else(|| missing("ciphertext"))?,
            )),
            None => None,
        };
        Ok(ChainRow {
            case_id: self.case_id,
            seq: self.seq,
            event_id: self.event_id,
            at: self.at,
            kind: self.kind,
            person: self.person,
            body: self.body,
            sealed,
        })
    }
}

/// A row of linkage's profile query (`link_people` joined with `cases`).
#[derive(Debug, sqlx::FromRow)]
pub struct ProfileRow {
    person_id: i64,
    case_id: i64,
    force: String,
    reference: String,
    person: String,
    officer: Option<String>,
    key_id: i64,
    nonce: Vec<u8>,
    profile: Vec<u8>,
}

impl From<ProfileRow> for SealedProfile {
    fn from(row: ProfileRow) -> SealedProfile {
        SealedProfile {
            person_id: row.person_id,
            case_id: row.case_id,
            suspect: LinkedSuspect {
                force: row.force,
                reference: row.reference,
                person: row.person,
                officer: row.officer,
            },
            key_id: row.key_id,
            nonce: row.nonce,
            profile: row.profile,
        }
    }
}

/// Case summaries from rows of a list.
pub(crate) fn summaries<R: RowExt>(rows: &[R]) -> StoreResult<Vec<CaseSummary>> {
    rows.iter()
        .map(|row| row.decode::<SummaryRow>()?.try_into())
        .collect()
}

/// A user from a `users` row.
pub(crate) fn user_from_row<R: RowExt>(row: &R) -> StoreResult<User> {
    row.decode::<UserRow>()?.try_into()
}

/// An audit record from an `audit_log` row.
pub(crate) fn record_from_row<R: RowExt>(row: &R) -> StoreResult<AuditRecord> {
    Ok(row.decode::<RecordRow>()?.into())
}

/// A held event from a row of [`crate::rows::HELD_EVENTS`].
pub(crate) fn held_from_row<R: RowExt>(row: &R) -> StoreResult<(i64, String, HeldEvent)> {
    row.decode::<HeldRow>()?.into_parts()
}

/// A chain row from a row of [`crate::chain::CHAIN_ROWS`].
pub(crate) fn chain_row_from<R: RowExt>(row: &R) -> StoreResult<ChainRow> {
    row.decode::<ChainRowColumns>()?.into_row()
}

/// A sealed profile from a row of linkage's profile query.
pub(crate) fn profile_from_row<R: RowExt>(row: &R) -> StoreResult<SealedProfile> {
    Ok(row.decode::<ProfileRow>()?.into())
}

/// A checkpoint from an `audit_checkpoints` row.
pub(crate) fn checkpoint_from_row<R: RowExt>(row: &R) -> StoreResult<crate::audit::Checkpoint> {
    Ok(row.decode()?)
}

/// The signed head from the `audit_head` row.
pub(crate) fn head_from_row<R: RowExt>(row: &R) -> StoreResult<crate::audit::SignedHead> {
    Ok(row.decode()?)
}

/// A `case_shares` row.
#[derive(Debug, sqlx::FromRow)]
pub struct ShareRow {
    pub(crate) id: i64,
    pub(crate) force: String,
    pub(crate) reference: String,
    pub(crate) partner: String,
    pub(crate) shared_by: String,
    pub(crate) items: String,
    pub(crate) reason: String,
    pub(crate) at: String,
    pub(crate) revoked_at: Option<String>,
    pub(crate) revoked_by: Option<String>,
}

impl TryFrom<ShareRow> for CaseShare {
    type Error = StoreError;

    fn try_from(row: ShareRow) -> StoreResult<CaseShare> {
        Ok(CaseShare {
            items: SharedItem::parse_list(&row.items)
                .map_err(|_| StoreError::Corrupt(format!("share {} items", row.id)))?,
            id: row.id,
            force: row.force,
            reference: row.reference,
            partner: row.partner,
            shared_by: row.shared_by,
            reason: row.reason,
            at: stored_time(&row.at, "share")?,
            revoked_at: row
                .revoked_at
                .map(|at| stored_time(&at, "share"))
                .transpose()?,
            revoked_by: row.revoked_by,
        })
    }
}

/// A case's id and version by force (`$1`) and reference (`$2`): the conditional read's version
/// lookup in both stores.
pub(crate) const CASE_VERSION: &str =
    "SELECT case_id, version FROM cases WHERE force = $1 AND reference = $2";

/// A session by token hash (`$1`), in the columns and order of [`SessionRow`]: the sqlx read and
/// SQLite's point read run this one statement.
pub(crate) const SESSION_BY_TOKEN: &str = "SELECT token_hash, username, csrf_token, created_at, \
     last_seen_at FROM sessions WHERE token_hash = $1";

/// A session from a `sessions` row.
pub(crate) fn session_from_row<R: RowExt>(row: &R) -> StoreResult<Session> {
    row.decode::<SessionRow>()?.try_into()
}

/// A share from a `case_shares` row.
pub(crate) fn share_from_row<R: RowExt>(row: &R) -> StoreResult<CaseShare> {
    row.decode::<ShareRow>()?.try_into()
}

/// A `break_glass` row, as [`crate::server_state::BreakGlassDeclaration`] lists it.
pub(crate) fn declaration_from_row<R: RowExt>(row: &R) -> StoreResult<BreakGlassDeclaration> {
    Ok(BreakGlassDeclaration {
        force: row.col(0)?,
        reference: row.col(1)?,
        session: row.col(2)?,
        actor: row.col(3)?,
        reason: row.col(4)?,
        at: stored_time(&row.col::<String>(5)?, "break-glass declaration")?,
    })
}
