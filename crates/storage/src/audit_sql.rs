//! The SQL of the audit chain: the same text for SQLite (sqlx and the audit writer's rusqlite
//! connection) and PostgreSQL.

/// The chain's last record.
pub(crate) const LAST_RECORD: &str = "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1";

/// The chain's last checkpoint.
pub(crate) const LAST_CHECKPOINT: &str =
    "SELECT seq, at FROM audit_checkpoints ORDER BY seq DESC LIMIT 1";

/// The start of an insert of records (the values follow).
pub(crate) const INSERT_RECORDS: &str = "INSERT INTO audit_log \
     (seq, at, actor, category, object, purpose, reason, recipient, detail, prev_hash, hash) ";

/// An insert of one record.
pub(crate) const INSERT_RECORD: &str = "INSERT INTO audit_log \
     (seq, at, actor, category, object, purpose, reason, recipient, detail, prev_hash, hash) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)";

/// An insert of a checkpoint.
pub(crate) const INSERT_CHECKPOINT: &str = "INSERT INTO audit_checkpoints \
     (seq, hash, at, public_key, signature) VALUES ($1, $2, $3, $4, $5) \
     ON CONFLICT (seq) DO NOTHING";

/// The signed head, moved.
pub(crate) const UPSERT_HEAD: &str = "INSERT INTO audit_head \
     (id, seq, hash, at, public_key, signature) VALUES (1, $1, $2, $3, $4, $5) \
     ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash, at = excluded.at, \
     public_key = excluded.public_key, signature = excluded.signature";

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

/// Reads the chain's tail (its last record and last checkpoint) inside a write transaction:
/// `$transaction` is an sqlx transaction of either database. Evaluates to a future of
/// `StoreResult<ChainTail>`. A macro, like `facts_sql!`, so both stores share one copy.
macro_rules! read_chain_tail {
    ($transaction:expr) => {
        async {
            use sqlx::Row as _;
            let mut tail = crate::audit::ChainTail::empty();
            if let Some(row) = sqlx::query(crate::audit_sql::LAST_RECORD)
                .fetch_optional(&mut *$transaction)
                .await?
            {
                tail.seq = row.try_get(0)?;
                tail.hash = row.try_get(1)?;
            }
            if let Some(row) = sqlx::query(crate::audit_sql::LAST_CHECKPOINT)
                .fetch_optional(&mut *$transaction)
                .await?
            {
                let at: String = row.try_get(1)?;
                tail = tail
                    .with_checkpoint(row.try_get(0)?, &at)
                    .map_err(crate::error::StoreError::Corrupt)?;
            }
            Ok::<_, crate::error::StoreError>(tail)
        }
    };
}
pub(crate) use read_chain_tail;

/// Writes a signed checkpoint or head (`$signed`, a `&Checkpoint`) with `$sql` inside
/// `$transaction`, an sqlx transaction of either database; `$what` names it in the error.
/// Evaluates to a future of `StoreResult<()>`.
macro_rules! write_signed {
    ($transaction:expr, $sql:expr, $signed:expr, $what:literal) => {
        async {
            let signed: &crate::audit::Checkpoint = $signed;
            sqlx::query($sql)
                .bind(signed.seq)
                .bind(&signed.hash)
                .bind(&signed.at)
                .bind(&signed.public_key)
                .bind(&signed.signature)
                .execute(&mut *$transaction)
                .await
                .map_err(|error| {
                    crate::error::StoreError::Audit(format!(
                        concat!("cannot write ", $what, ": {}"),
                        error
                    ))
                })?;
            Ok::<_, crate::error::StoreError>(())
        }
    };
}
pub(crate) use write_signed;
