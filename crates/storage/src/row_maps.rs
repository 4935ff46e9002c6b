//! Rows to values, the same for both databases (the column names and types agree), instantiated
//! per row type so that the SQLite and PostgreSQL stores share one copy.

macro_rules! row_mappers {
    ($row:ty) => {
        use sqlx::Row;

        #[allow(unused_imports)]
        use crate::audit::{AuditRecord, Checkpoint, SignedHead};
        #[allow(unused_imports)]
        use crate::error::{StoreError, StoreResult};
        #[allow(unused_imports)]
        use crate::model::{CaseStatus, CaseSummary, Session, User};

        pub(crate) fn summary_from_row(row: &$row) -> StoreResult<CaseSummary> {
            let status: String = row.try_get("status")?;
            Ok(CaseSummary {
                force: row.try_get("force")?,
                reference: row.try_get("reference")?,
                version: row.try_get::<i64, _>("version")? as u64,
                status: CaseStatus::parse(&status)
                    .ok_or_else(|| StoreError::Corrupt(format!("case status `{status}`")))?,
                officer: row.try_get("officer")?,
                open_findings: row.try_get::<i64, _>("open_findings")? as u64,
                people: row.try_get::<i64, _>("people")? as u64,
                reported_at: row.try_get("reported_at")?,
                last_event_at: row.try_get("last_event_at")?,
            })
        }

        pub(crate) fn user_from_row(row: &$row) -> StoreResult<User> {
            Ok(User {
                username: row.try_get("username")?,
                display_name: row.try_get("display_name")?,
                role: row.try_get("role")?,
                force: row.try_get("force")?,
                national: row.try_get("national")?,
                officer_id: {
                    let officer: Option<String> = row.try_get("officer_id")?;
                    match officer {
                        Some(officer) => officer,
                        None => row.try_get("username")?,
                    }
                },
                password_hash: row.try_get("password_hash")?,
                disabled: row.try_get("disabled")?,
                created_at: row.try_get("created_at")?,
            })
        }

        // SQLite reads sessions as a point read (`sqlite::point_read`); PostgreSQL uses this.
        #[allow(dead_code)]
        pub(crate) fn session_from_row(row: &$row) -> StoreResult<Session> {
            Ok(Session {
                token_hash: row.try_get("token_hash")?,
                username: row.try_get("username")?,
                csrf_token: row.try_get("csrf_token")?,
                created_at: row.try_get("created_at")?,
                last_seen_at: row.try_get("last_seen_at")?,
            })
        }

        pub(crate) fn record_from_row(row: &$row) -> StoreResult<AuditRecord> {
            let detail: String = row.try_get("detail")?;
            let seq: i64 = row.try_get("seq")?;
            Ok(AuditRecord {
                seq,
                at: row.try_get("at")?,
                actor: row.try_get("actor")?,
                category: row.try_get("category")?,
                object: row.try_get("object")?,
                purpose: row.try_get("purpose")?,
                reason: row.try_get("reason")?,
                recipient: row.try_get("recipient")?,
                // A detail that is not JSON cannot hash as written: keep it as a string so the chain
                // check reports the record as edited.
                detail: serde_json::from_str(&detail).unwrap_or(serde_json::Value::String(detail)),
                prev_hash: row.try_get("prev_hash")?,
                hash: row.try_get("hash")?,
            })
        }

        pub(crate) fn checkpoint_from_row(row: &$row) -> StoreResult<Checkpoint> {
            Ok(Checkpoint {
                seq: row.try_get("seq")?,
                hash: row.try_get("hash")?,
                at: row.try_get("at")?,
                ordinal: row.try_get("ordinal")?,
                prev_seq: row.try_get("prev_seq")?,
                public_key: row.try_get("public_key")?,
                signature: row.try_get("signature")?,
            })
        }

        /// A row of [`crate::rows::HELD_EVENTS`]: sequence number, event id, and the event.
        pub(crate) fn held_from_row(
            row: &$row,
        ) -> StoreResult<(i64, String, crate::rows::HeldEvent)> {
            let person: Option<String> = row.try_get(3)?;
            let sealed = match person {
                Some(person) => Some((person, row.try_get(4)?, row.try_get(5)?, row.try_get(6)?)),
                None => None,
            };
            let held = crate::rows::HeldEvent {
                body: row.try_get(2)?,
                sealed,
            };
            Ok((row.try_get(0)?, row.try_get(1)?, held))
        }

        /// A row of [`crate::chain::CHAIN_ROWS`].
        pub(crate) fn chain_row_from(row: &$row) -> StoreResult<crate::chain::ChainRow> {
            let field: Option<String> = row.try_get("field")?;
            let sealed = match field {
                Some(field) => Some((
                    field,
                    row.try_get("sealed_person")?,
                    row.try_get("key_id")?,
                    row.try_get("nonce")?,
                    row.try_get("ciphertext")?,
                )),
                None => None,
            };
            Ok(crate::chain::ChainRow {
                case_id: row.try_get("case_id")?,
                seq: row.try_get("seq")?,
                event_id: row.try_get("event_id")?,
                at: row.try_get("at")?,
                kind: row.try_get("kind")?,
                person: row.try_get("person")?,
                body: row.try_get("body")?,
                sealed,
            })
        }

        pub(crate) fn head_from_row(row: &$row) -> StoreResult<SignedHead> {
            Ok(SignedHead {
                seq: row.try_get("seq")?,
                hash: row.try_get("hash")?,
                at: row.try_get("at")?,
                records: row.try_get("records")?,
                checkpoints: row.try_get("checkpoints")?,
                last_checkpoint: row.try_get("last_checkpoint")?,
                cases: row.try_get("cases")?,
                state: row.try_get("state")?,
                public_key: row.try_get("public_key")?,
                signature: row.try_get("signature")?,
            })
        }
    };
}

pub(crate) mod sqlite {
    row_mappers!(sqlx::sqlite::SqliteRow);
}

pub(crate) mod postgres {
    row_mappers!(sqlx::postgres::PgRow);
}
