//! Users, sessions and sign-in state, once for both databases. Changes to users are audited in
//! their own transaction; sessions and sign-in state hold no case data and are not.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::json;

use super::Backend;
use crate::access::{Access, Category};
use crate::audit::{AuditEntry, format_time};
use crate::common::{STORE_ACTOR, actor_of};
use crate::error::{StoreError, StoreResult};
use crate::model::{
    ForceChanges, SIGN_IN_HISTORY_DAYS, Session, SignIn, SignInOutcome, User, UserScope,
};
use crate::row_maps::{RowExt, user_from_row};
use crate::sql::{Param, Run, stmt};
use crate::store::AccountStore;
use crate::tx::Tx;

/// The user (other than `$3`) who already is officer `$2` of force `$1`: an officer identifier
/// names one user within a force.
const OFFICER_TAKEN_SQL: &str =
    "SELECT username FROM users WHERE force = $1 AND officer_id = $2 AND username <> $3";

/// The refusal when an officer identifier of a force is already another user's.
fn officer_taken(force: &str, officer_id: &str, other: &str) -> StoreError {
    StoreError::Invalid(format!(
        "officer `{officer_id}` of force `{force}` is already the user `{other}`"
    ))
}

/// Refuses `officer_id` of `force` when a user other than `username` already is that officer
/// (see [`OFFICER_TAKEN_SQL`]).
async fn check_officer_free<B: Backend>(
    tx: &mut Tx<'_, B::Db>,
    force: &str,
    officer_id: &str,
    username: &str,
) -> StoreResult<()> {
    let taken = stmt::<B::Db>(OFFICER_TAKEN_SQL)
        .param(force)
        .param(officer_id)
        .param(username)
        .optional(tx.next()?)
        .await?;
    match taken {
        Some(row) => Err(officer_taken(force, officer_id, &row.col::<String>(0)?)),
        None => Ok(()),
    }
}

/// Ends `username`'s sessions, so that a change to their account applies from their next
/// sign-in, audits the change (an alteration of the user, with `detail`) and commits.
async fn end_sessions_and_audit<B: Backend>(
    store: &B,
    mut tx: Tx<'_, B::Db>,
    access: &Access,
    username: &str,
    detail: serde_json::Value,
) -> StoreResult<()> {
    stmt::<B::Db>("DELETE FROM sessions WHERE username = $1")
        .param(username)
        .run(tx.next()?)
        .await?;
    let entry = AuditEntry::new(access, Category::Alteration, format!("user:{username}"))
        .with_detail(detail);
    store.write_audit(&mut tx, &[entry], Utc::now()).await?;
    tx.commit().await
}

#[async_trait]
impl<B: Backend> AccountStore for B {
    async fn add_user(&self, access: &Access, user: &User) -> StoreResult<()> {
        let mut tx = self.begin(actor_of(access), true).await?;
        user.check_scope().map_err(StoreError::Invalid)?;
        if let Some(force) = &user.force {
            check_officer_free::<B>(&mut tx, force, &user.officer_id, &user.username).await?;
        }
        let added = stmt::<B::Db>(
            "INSERT INTO users (username, display_name, role, force, national, officer_id, password_hash, disabled, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (username) DO NOTHING",
        )
        .param(&user.username)
        .param(&user.display_name)
        .param(&user.role)
        .param(&user.force)
        .param(user.national)
        .param(&user.officer_id)
        .param(&user.password_hash)
        .param(user.disabled)
        .param(format_time(user.created_at))
        .run(tx.next()?)
        .await?;
        if added == 0 {
            return Err(StoreError::Invalid(format!(
                "user `{}` already exists",
                user.username
            )));
        }
        let entry = AuditEntry::new(
            access,
            Category::Collection,
            format!("user:{}", user.username),
        )
        .with_detail(json!({"role": user.role}));
        self.write_audit(&mut tx, &[entry], Utc::now()).await?;
        tx.commit().await
    }

    async fn user(&self, username: &str) -> StoreResult<Option<User>> {
        let mut conn = self.read_plain().await?;
        let row = stmt::<B::Db>("SELECT * FROM users WHERE username = $1")
            .param(username)
            .optional(conn.next()?)
            .await?;
        conn.finish().await?;
        row.as_ref().map(user_from_row).transpose()
    }

    async fn list_users(&self, access: &Access) -> StoreResult<Vec<User>> {
        self.audit_alone(vec![AuditEntry::new(
            access,
            Category::Consultation,
            "users",
        )])
        .await?;
        let mut conn = self.read_plain().await?;
        let rows = stmt::<B::Db>(B::USERS_BY_NAME).all(conn.next()?).await?;
        conn.finish().await?;
        rows.iter().map(user_from_row).collect()
    }

    async fn set_user_disabled(
        &self,
        access: &Access,
        username: &str,
        disabled: bool,
    ) -> StoreResult<()> {
        let mut tx = self.begin(actor_of(access), true).await?;
        let changed = stmt::<B::Db>("UPDATE users SET disabled = $1 WHERE username = $2")
            .param(disabled)
            .param(username)
            .run(tx.next()?)
            .await?;
        if changed == 0 {
            return Err(StoreError::NotFound(format!("user `{username}`")));
        }
        if disabled {
            stmt::<B::Db>("DELETE FROM sessions WHERE username = $1")
                .param(username)
                .run(tx.next()?)
                .await?;
        }
        let entry = AuditEntry::new(access, Category::Alteration, format!("user:{username}"))
            .with_detail(json!({"disabled": disabled}));
        self.write_audit(&mut tx, &[entry], Utc::now()).await?;
        tx.commit().await
    }

    async fn set_user_scope(
        &self,
        access: &Access,
        username: &str,
        force: Option<&str>,
        national: bool,
    ) -> StoreResult<()> {
        let Some(mut user) = self.user(username).await? else {
            return Err(StoreError::NotFound(format!("user `{username}`")));
        };
        user.force = force.map(str::to_owned);
        user.national = national;
        user.check_scope().map_err(StoreError::Invalid)?;
        let mut tx = self.begin(actor_of(access), true).await?;
        if let Some(force) = force {
            check_officer_free::<B>(&mut tx, force, &user.officer_id, username).await?;
        }
        stmt::<B::Db>("UPDATE users SET force = $1, national = $2 WHERE username = $3")
            .param(force)
            .param(national)
            .param(username)
            .run(tx.next()?)
            .await?;
        let detail = json!({"force": force, "national": national});
        end_sessions_and_audit(self, tx, access, username, detail).await
    }

    async fn set_user_role(
        &self,
        access: &Access,
        username: &str,
        role: &str,
        national_allowed: bool,
    ) -> StoreResult<()> {
        let Some(user) = self.user(username).await? else {
            return Err(StoreError::NotFound(format!("user `{username}`")));
        };
        if user.national && !national_allowed {
            return Err(StoreError::Invalid(format!(
                "user `{username}` is national and the role `{role}` may not be"
            )));
        }
        let mut tx = self.begin(actor_of(access), true).await?;
        stmt::<B::Db>("UPDATE users SET role = $1 WHERE username = $2")
            .param(role)
            .param(username)
            .run(tx.next()?)
            .await?;
        let detail = json!({"role": role, "was": user.role});
        end_sessions_and_audit(self, tx, access, username, detail).await
    }

    async fn note_sign_in(
        &self,
        username: &str,
        at: DateTime<Utc>,
        outcome: SignInOutcome,
    ) -> StoreResult<()> {
        let mut tx = self.begin(STORE_ACTOR, false).await?;
        stmt::<B::Db>("DELETE FROM sign_ins WHERE at < $1")
            .param(format_time(
                at - chrono::Duration::days(SIGN_IN_HISTORY_DAYS),
            ))
            .run(tx.next()?)
            .await?;
        stmt::<B::Db>("INSERT INTO sign_ins (username, at, outcome) VALUES ($1, $2, $3)")
            .param(username)
            .param(format_time(at))
            .param(outcome.as_str())
            .run(tx.next()?)
            .await?;
        tx.commit().await
    }

    async fn recent_sign_ins(
        &self,
        access: &Access,
        of: UserScope<'_>,
        since: DateTime<Utc>,
        limit: u32,
    ) -> StoreResult<Vec<SignIn>> {
        let force = match of {
            UserScope::Force(force) => Some(force),
            UserScope::National => None,
            UserScope::Unassigned => return Ok(Vec::new()),
        };
        let entry = AuditEntry::new(access, Category::Consultation, "sign_ins")
            .with_detail(json!({ "force": force }));
        self.audit_alone(vec![entry]).await?;
        let mut conn = self.read_plain().await?;
        let query = match force {
            Some(force) => stmt::<B::Db>(
                "SELECT s.username, s.at, s.outcome FROM sign_ins s \
                 JOIN users u ON u.username = s.username \
                 WHERE s.at >= $1 AND u.force = $2 ORDER BY s.at DESC, s.id DESC LIMIT $3",
            )
            .param(format_time(since))
            .param(force),
            None => stmt::<B::Db>(
                "SELECT username, at, outcome FROM sign_ins WHERE at >= $1 \
                 ORDER BY at DESC, id DESC LIMIT $2",
            )
            .param(format_time(since)),
        };
        let rows = query.param(i64::from(limit)).all(conn.next()?).await?;
        conn.finish().await?;
        rows.iter()
            .map(|row| {
                let at: String = row.col(1)?;
                let outcome: String = row.col(2)?;
                Ok(SignIn {
                    username: row.col(0)?,
                    at: DateTime::parse_from_rfc3339(&at)
                        .map_err(|e| StoreError::Corrupt(format!("sign_ins.at `{at}`: {e}")))?
                        .with_timezone(&Utc),
                    outcome: SignInOutcome::parse(&outcome).ok_or_else(|| {
                        StoreError::Corrupt(format!("sign_ins.outcome `{outcome}`"))
                    })?,
                })
            })
            .collect()
    }

    async fn create_session(&self, session: &Session) -> StoreResult<()> {
        let mut conn = self.write_plain().await?;
        stmt::<B::Db>(
            "INSERT INTO sessions (token_hash, username, csrf_token, created_at, last_seen_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .param(&session.token_hash)
        .param(&session.username)
        .param(&session.csrf_token)
        .param(format_time(session.created_at))
        .param(format_time(session.last_seen_at))
        .run(conn.next()?)
        .await?;
        conn.finish().await
    }

    async fn session(&self, token_hash: &str) -> StoreResult<Option<Session>> {
        Backend::session(self, token_hash).await
    }

    async fn session_with_force_changes(
        &self,
        token_hash: &str,
    ) -> StoreResult<Option<(Session, Option<ForceChanges>)>> {
        Backend::session_with_force_changes(self, token_hash).await
    }

    async fn touch_session(&self, token_hash: &str, at: DateTime<Utc>) -> StoreResult<()> {
        let mut conn = self.write_plain().await?;
        stmt::<B::Db>("UPDATE sessions SET last_seen_at = $1 WHERE token_hash = $2")
            .param(format_time(at))
            .param(token_hash)
            .run(conn.next()?)
            .await?;
        conn.finish().await
    }

    async fn delete_session(&self, token_hash: &str) -> StoreResult<()> {
        let mut conn = self.write_plain().await?;
        stmt::<B::Db>("DELETE FROM sessions WHERE token_hash = $1")
            .param(token_hash)
            .run(conn.next()?)
            .await?;
        conn.finish().await
    }

    async fn expire_sessions(
        &self,
        idle_before: DateTime<Utc>,
        created_before: DateTime<Utc>,
    ) -> StoreResult<u64> {
        let mut conn = self.write_plain().await?;
        let expired =
            stmt::<B::Db>("DELETE FROM sessions WHERE last_seen_at < $1 OR created_at < $2")
                .param(format_time(idle_before))
                .param(format_time(created_before))
                .run(conn.next()?)
                .await?;
        conn.finish().await?;
        Ok(expired)
    }

    async fn note_sign_in_failure(
        &self,
        username: &str,
        at: DateTime<Utc>,
        window_start: DateTime<Utc>,
    ) -> StoreResult<u64> {
        let window_start = format_time(window_start);
        let mut tx = self.begin(STORE_ACTOR, false).await?;
        stmt::<B::Db>("DELETE FROM sign_in_failures WHERE username = $1 AND at < $2")
            .param(username)
            .param(&window_start)
            .run(tx.next()?)
            .await?;
        stmt::<B::Db>("INSERT INTO sign_in_failures (username, at) VALUES ($1, $2)")
            .param(username)
            .param(format_time(at))
            .run(tx.next()?)
            .await?;
        let count: i64 =
            stmt::<B::Db>("SELECT COUNT(*) FROM sign_in_failures WHERE username = $1 AND at >= $2")
                .param(username)
                .param(&window_start)
                .one(tx.next()?)
                .await?
                .col(0)?;
        tx.commit().await?;
        Ok(count as u64)
    }

    async fn sign_in_failures(
        &self,
        username: &str,
        window_start: DateTime<Utc>,
    ) -> StoreResult<u64> {
        let mut conn = self.read_plain().await?;
        let count: i64 =
            stmt::<B::Db>("SELECT COUNT(*) FROM sign_in_failures WHERE username = $1 AND at >= $2")
                .param(username)
                .param(format_time(window_start))
                .one(conn.next()?)
                .await?
                .col(0)?;
        conn.finish().await?;
        Ok(count as u64)
    }

    async fn clear_sign_in_failures(&self, username: &str) -> StoreResult<()> {
        let mut tx = self.begin(STORE_ACTOR, false).await?;
        stmt::<B::Db>("DELETE FROM sign_in_failures WHERE username = $1")
            .param(username)
            .run(tx.next()?)
            .await?;
        tx.commit().await
    }

    async fn record_first_sign_in(
        &self,
        username: &str,
        session: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<bool> {
        let mut tx = self.begin(STORE_ACTOR, false).await?;
        let recorded = stmt::<B::Db>(
            "INSERT INTO first_sign_ins (username, session, at) VALUES ($1, $2, $3) \
             ON CONFLICT (username) DO NOTHING",
        )
        .param(username)
        .param(session)
        .param(format_time(at))
        .run(tx.next()?)
        .await?;
        tx.commit().await?;
        Ok(recorded == 1)
    }

    async fn first_sign_in_session(&self, username: &str) -> StoreResult<Option<String>> {
        let mut conn = self.read_plain().await?;
        let row = stmt::<B::Db>("SELECT session FROM first_sign_ins WHERE username = $1")
            .param(username)
            .optional(conn.next()?)
            .await?;
        conn.finish().await?;
        Ok(row.map(|row| row.col(0)).transpose()?)
    }
}
