//! The SQL of the audit chain: the same text for SQLite (sqlx and the audit writer's rusqlite
//! connection) and PostgreSQL, except where PostgreSQL writes checkpoints and the head through
//! its guarded functions (migration `0010_actor_binding.sql`: the application role may not write
//! those tables itself).

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

/// Binds an audit record's eleven values to `$query` with `$bind` (`bind` on an sqlx query,
/// `push_bind` on a query builder's row), in the column order of [`INSERT_RECORD`] and
/// [`INSERT_RECORDS`]; evaluates to what the last bind returns. The audit writer's rusqlite insert
/// lists the same values in the same order.
macro_rules! bind_record {
    ($query:expr, $bind:ident, $record:expr) => {{
        let record: &crate::audit::AuditRecord = $record;
        $query
            .$bind(record.seq)
            .$bind(&record.at)
            .$bind(&record.actor)
            .$bind(&record.category)
            .$bind(&record.object)
            .$bind(&record.purpose)
            .$bind(&record.reason)
            .$bind(&record.recipient)
            .$bind(record.detail.to_string())
            .$bind(&record.prev_hash)
            .$bind(&record.hash)
    }};
}
pub(crate) use bind_record;

/// Reads the chain's tail (its last record, last checkpoint and signed head, one statement) inside
/// a write transaction and checks the head with `$trust` (a [`crate::audit::HeadTrust`]); `$transaction`
/// is an sqlx transaction of either database; with `$upgrade` true a head of the first format is
/// accepted (the store's upgrade). Evaluates to a future of `StoreResult<ChainTail>`. A macro, like
/// `facts_sql!`, so both stores share one copy.
macro_rules! read_chain_tail {
    ($transaction:expr, $trust:expr, $upgrade:expr) => {
        async {
            use sqlx::Row as _;
            let row = sqlx::query(crate::audit_sql::TAIL)
                .fetch_one(&mut *$transaction)
                .await?;
            let mut rows = crate::audit::TailRows::default();
            if let (Some(seq), Some(hash)) = (row.try_get(0)?, row.try_get(1)?) {
                rows.last = Some((seq, hash));
            }
            if let (Some(seq), Some(at)) = (row.try_get(2)?, row.try_get(3)?) {
                rows.checkpoint = Some((seq, at));
            }
            if let (Some(seq), Some(hash), Some(at), Some(public_key), Some(signature)) = (
                row.try_get(4)?,
                row.try_get(5)?,
                row.try_get(6)?,
                row.try_get(12)?,
                row.try_get(13)?,
            ) {
                rows.head = Some(crate::audit_sql::head_from_values(
                    seq,
                    hash,
                    at,
                    [
                        row.try_get(7)?,
                        row.try_get(8)?,
                        row.try_get(9)?,
                        row.try_get(10)?,
                    ],
                    row.try_get(11)?,
                    public_key,
                    signature,
                ));
            }
            if $upgrade
                && rows
                    .head
                    .as_ref()
                    .is_some_and(|head| head.counts().is_none())
            {
                let count: i64 = sqlx::query_scalar(crate::audit_sql::COUNT_CHECKPOINTS)
                    .fetch_one(&mut *$transaction)
                    .await?;
                rows.legacy_checkpoints = Some(count);
            }
            let trust: &crate::audit::HeadTrust = $trust;
            trust.tail(rows)
        }
    };
}
pub(crate) use read_chain_tail;

/// A signed head from the head's columns of [`TAIL`].
pub(crate) fn head_from_values(
    seq: i64,
    hash: String,
    at: String,
    [records, checkpoints, last_checkpoint, cases]: [Option<i64>; 4],
    state: Option<String>,
    public_key: String,
    signature: String,
) -> crate::audit::SignedHead {
    crate::audit::SignedHead {
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

/// Writes a signed checkpoint (`$checkpoint`, a `&Checkpoint`) with `$sql` inside `$transaction`,
/// an sqlx transaction of either database. Evaluates to a future of `StoreResult<()>`.
macro_rules! write_checkpoint {
    ($transaction:expr, $sql:expr, $checkpoint:expr) => {
        async {
            let signed: &crate::audit::Checkpoint = $checkpoint;
            sqlx::query($sql)
                .bind(signed.seq)
                .bind(&signed.hash)
                .bind(&signed.at)
                .bind(signed.ordinal)
                .bind(signed.prev_seq)
                .bind(&signed.public_key)
                .bind(&signed.signature)
                .execute(&mut *$transaction)
                .await
                .map_err(|error| {
                    crate::error::StoreError::Audit(format!(
                        "cannot write an audit checkpoint: {error}"
                    ))
                })?;
            Ok::<_, crate::error::StoreError>(())
        }
    };
}
pub(crate) use write_checkpoint;

/// Writes the signed head (`$head`, a `&SignedHead`) with `$sql` inside `$transaction`, an sqlx
/// transaction of either database. Evaluates to a future of `StoreResult<()>`.
macro_rules! write_head {
    ($transaction:expr, $sql:expr, $head:expr) => {
        async {
            let head: &crate::audit::SignedHead = $head;
            sqlx::query($sql)
                .bind(head.seq)
                .bind(&head.hash)
                .bind(&head.at)
                .bind(head.records)
                .bind(head.checkpoints)
                .bind(head.last_checkpoint)
                .bind(head.cases)
                .bind(&head.state)
                .bind(&head.public_key)
                .bind(&head.signature)
                .execute(&mut *$transaction)
                .await
                .map_err(|error| {
                    crate::error::StoreError::Audit(format!("cannot write the audit head: {error}"))
                })?;
            Ok::<_, crate::error::StoreError>(())
        }
    };
}
pub(crate) use write_head;
