//! The SQL of the audit chain: the same text for SQLite (sqlx and the audit writer's rusqlite
//! connection) and PostgreSQL, except where PostgreSQL writes checkpoints and the head through
//! its guarded functions (migration `0010_actor_binding.sql`: the application role may not write
//! those tables itself). The functions are generic over the database ([`crate::sql::SqlDb`]).

use crate::audit::{AuditRecord, ChainTail, Checkpoint, HeadTrust, SignedHead, TailRows};
use crate::error::{StoreError, StoreResult};
use crate::row_maps::RowExt;
use crate::sql::{Param, Run, SqlDb, stmt};

/// The number of checkpoints (read only to upgrade a head of the first format).
pub(crate) const COUNT_CHECKPOINTS: &str = "SELECT count(*) FROM audit_checkpoints";

/// What a writing transaction reads of the chain, in one statement (one round trip): the last
/// record (columns 0-1), the last checkpoint (2-3) and the signed head (4-13, in the order of
/// [`head_from_values`]); each may be missing (NULL).
pub(crate) const TAIL: &str = "SELECT l.seq, l.hash, c.seq, c.at, h.seq, h.hash, h.at, h.records, \
     h.checkpoints, h.last_checkpoint, h.cases, h.state, h.public_key, h.signature \
     FROM (SELECT 1 AS one) AS x \
     LEFT JOIN (SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1) AS l ON TRUE \
     LEFT JOIN (SELECT seq, at FROM audit_checkpoints ORDER BY seq DESC LIMIT 1) AS c ON TRUE \
     LEFT JOIN audit_head AS h ON h.id = 1";

/// Every checkpoint, in chain order.
pub(crate) const CHECKPOINTS: &str = "SELECT seq, hash, at, ordinal, prev_seq, public_key, \
     signature FROM audit_checkpoints ORDER BY seq";

/// The start of an insert of records (the values follow).
pub(crate) const INSERT_RECORDS: &str = "INSERT INTO audit_log \
     (seq, at, actor, category, object, purpose, reason, recipient, detail, prev_hash, hash) ";

/// An insert of one record.
pub(crate) const INSERT_RECORD: &str = "INSERT INTO audit_log \
     (seq, at, actor, category, object, purpose, reason, recipient, detail, prev_hash, hash) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)";

/// An insert of a checkpoint (SQLite).
pub(crate) const INSERT_CHECKPOINT: &str = "INSERT INTO audit_checkpoints \
     (seq, hash, at, ordinal, prev_seq, public_key, signature) VALUES ($1, $2, $3, $4, $5, $6, $7)";

/// The signed head, moved (SQLite).
pub(crate) const UPSERT_HEAD: &str = "INSERT INTO audit_head \
     (id, seq, hash, at, records, checkpoints, last_checkpoint, cases, state, public_key, signature) \
     VALUES (1, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
     ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash, at = excluded.at, \
     records = excluded.records, checkpoints = excluded.checkpoints, \
     last_checkpoint = excluded.last_checkpoint, cases = excluded.cases, state = excluded.state, \
     public_key = excluded.public_key, signature = excluded.signature";

/// A checkpoint added through the guarded function (PostgreSQL), same values as
/// [`INSERT_CHECKPOINT`].
pub(crate) const PG_ADD_CHECKPOINT: &str =
    "SELECT rasso_add_checkpoint($1, $2, $3, $4, $5, $6, $7)";

/// The head moved through the guarded function (PostgreSQL), same values as [`UPSERT_HEAD`].
pub(crate) const PG_WRITE_HEAD: &str =
    "SELECT rasso_write_head($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";

/// Inserts `records` inside `conn`, `per_statement` rows a statement (multi-row inserts: one
/// round trip each), in the column order of [`INSERT_RECORDS`]. The audit writer's rusqlite
/// insert lists the same values in the same order.
pub(crate) async fn insert_records<DB: SqlDb>(
    conn: &mut DB::Connection,
    records: &[AuditRecord],
    per_statement: usize,
) -> StoreResult<()> {
    for chunk in records.chunks(per_statement.max(1)) {
        let mut insert = sqlx::QueryBuilder::<DB>::new(INSERT_RECORDS);
        insert.push("VALUES ");
        for (index, record) in chunk.iter().enumerate() {
            insert.push(if index == 0 { "(" } else { ", (" });
            let mut first = true;
            let mut next = |insert: &mut sqlx::QueryBuilder<DB>| {
                if !first {
                    insert.push(", ");
                }
                first = false;
            };
            next(&mut insert);
            DB::push_to(&mut insert, record.seq);
            for text in [
                &record.at,
                &record.actor,
                &record.category,
                &record.object,
                &record.purpose,
            ] {
                next(&mut insert);
                DB::push_to(&mut insert, text);
            }
            for optional in [&record.reason, &record.recipient] {
                next(&mut insert);
                DB::push_to(&mut insert, optional);
            }
            next(&mut insert);
            DB::push_to(&mut insert, record.detail.to_string());
            for text in [&record.prev_hash, &record.hash] {
                next(&mut insert);
                DB::push_to(&mut insert, text);
            }
            insert.push(")");
        }
        insert
            .build()
            .run(conn)
            .await
            .map_err(|error| StoreError::Audit(format!("cannot write audit record: {error}")))?;
    }
    Ok(())
}

/// Reads the chain's tail (its last record, last checkpoint and signed head, one statement) inside
/// a write transaction and checks the head with `trust`; with `upgrade` a head of the first
/// format is accepted (the store's upgrade).
pub(crate) async fn read_chain_tail<DB: SqlDb>(
    conn: &mut DB::Connection,
    trust: &HeadTrust,
    upgrade: bool,
) -> StoreResult<ChainTail> {
    let row = stmt::<DB>(TAIL).one(&mut *conn).await?;
    let mut rows = TailRows::default();
    if let (Some(seq), Some(hash)) = (row.col(0)?, row.col(1)?) {
        rows.last = Some((seq, hash));
    }
    if let (Some(seq), Some(at)) = (row.col(2)?, row.col(3)?) {
        rows.checkpoint = Some((seq, at));
    }
    if let (Some(seq), Some(hash), Some(at), Some(public_key), Some(signature)) = (
        row.col(4)?,
        row.col(5)?,
        row.col(6)?,
        row.col(12)?,
        row.col(13)?,
    ) {
        rows.head = Some(head_from_values(
            seq,
            hash,
            at,
            [row.col(7)?, row.col(8)?, row.col(9)?, row.col(10)?],
            row.col(11)?,
            public_key,
            signature,
        ));
    }
    if upgrade
        && rows
            .head
            .as_ref()
            .is_some_and(|head| head.counts().is_none())
    {
        let count: i64 = stmt::<DB>(COUNT_CHECKPOINTS)
            .one(&mut *conn)
            .await?
            .col(0)?;
        rows.legacy_checkpoints = Some(count);
    }
    trust.tail(rows)
}

/// A signed head from the head's columns of [`TAIL`].
pub(crate) fn head_from_values(
    seq: i64,
    hash: String,
    at: String,
    [records, checkpoints, last_checkpoint, cases]: [Option<i64>; 4],
    state: Option<String>,
    public_key: String,
    signature: String,
) -> SignedHead {
    SignedHead {
        seq,
        hash,
        at,
        records,
        checkpoints,
        last_checkpoint,
        cases,
        state,
        public_key,
        signature,
    }
}

/// Writes a signed checkpoint with `sql` ([`INSERT_CHECKPOINT`] or [`PG_ADD_CHECKPOINT`]) inside
/// `conn`.
pub(crate) async fn write_checkpoint<DB: SqlDb>(
    conn: &mut DB::Connection,
    sql: &'static str,
    signed: &Checkpoint,
) -> StoreResult<()> {
    stmt::<DB>(sql)
        .param(signed.seq)
        .param(&signed.hash)
        .param(&signed.at)
        .param(signed.ordinal)
        .param(signed.prev_seq)
        .param(&signed.public_key)
        .param(&signed.signature)
        .run(conn)
        .await
        .map_err(|error| StoreError::Audit(format!("cannot write an audit checkpoint: {error}")))?;
    Ok(())
}

/// Writes the signed head with `sql` ([`UPSERT_HEAD`] or [`PG_WRITE_HEAD`]) inside `conn`.
pub(crate) async fn write_head<DB: SqlDb>(
    conn: &mut DB::Connection,
    sql: &'static str,
    head: &SignedHead,
) -> StoreResult<()> {
    stmt::<DB>(sql)
        .param(head.seq)
        .param(&head.hash)
        .param(&head.at)
        .param(head.records)
        .param(head.checkpoints)
        .param(head.last_checkpoint)
        .param(head.cases)
        .param(&head.state)
        .param(&head.public_key)
        .param(&head.signature)
        .run(conn)
        .await
        .map_err(|error| StoreError::Audit(format!("cannot write the audit head: {error}")))?;
    Ok(())
}
