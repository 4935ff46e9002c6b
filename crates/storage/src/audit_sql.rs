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
