-- rasso storage schema, version 1.
-- Portable on purpose: the PostgreSQL schema is the same tables and columns, with BIGINT/BYTEA/
-- BOOLEAN types and identity columns in place of SQLite's INTEGER PRIMARY KEY.

-- One row per case: the projection lists are served from.
CREATE TABLE cases (
    case_id        INTEGER PRIMARY KEY,
    force          TEXT    NOT NULL,
    reference      TEXT    NOT NULL,
    version        BIGINT  NOT NULL,
    status         TEXT    NOT NULL CHECK (status IN ('open', 'closed')),
    officer        TEXT,
    open_findings  BIGINT  NOT NULL,
    people         BIGINT  NOT NULL,
    reported_at    TEXT,
    last_event_at  TEXT,
    updated_at     TEXT    NOT NULL,
    UNIQUE (force, reference)
);
CREATE INDEX cases_by_officer ON cases (officer, force, reference);
CREATE INDEX cases_by_status ON cases (status, force, reference);

-- The event streams. `body` is the original interchange object with `identity` replaced by null
-- (the identity is sealed in `sealed`). `seq` is the arrival order within the case, from 1.
CREATE TABLE events (
    case_id    BIGINT  NOT NULL REFERENCES cases (case_id),
    seq        BIGINT  NOT NULL,
    event_id   TEXT    NOT NULL,
    at         TEXT    NOT NULL,
    kind       TEXT    NOT NULL,
    person     TEXT,
    body       TEXT    NOT NULL,
    audit_seq  BIGINT  NOT NULL,
    PRIMARY KEY (case_id, seq),
    UNIQUE (case_id, event_id)
);
CREATE INDEX events_people ON events (case_id, kind, person);

-- Data keys, wrapped by the master key (which never enters the database).
CREATE TABLE data_keys (
    key_id         INTEGER PRIMARY KEY,
    master_key_id  TEXT    NOT NULL,
    nonce          BLOB    NOT NULL,
    wrapped        BLOB    NOT NULL,
    active         BOOLEAN NOT NULL,
    created_at     TEXT    NOT NULL
);

-- Sealed fields: XChaCha20-Poly1305, associated data binding case, person, field and key.
CREATE TABLE sealed (
    case_id     BIGINT NOT NULL,
    seq         BIGINT NOT NULL,
    field       TEXT   NOT NULL,
    person      TEXT   NOT NULL,
    key_id      BIGINT NOT NULL REFERENCES data_keys (key_id),
    nonce       BLOB   NOT NULL,
    ciphertext  BLOB   NOT NULL,
    PRIMARY KEY (case_id, seq, field),
    FOREIGN KEY (case_id, seq) REFERENCES events (case_id, seq)
);
CREATE INDEX sealed_by_person ON sealed (case_id, person, field);

-- The audit log (DPA 2018 s62), hash-chained.
CREATE TABLE audit_log (
    seq        INTEGER PRIMARY KEY,
    at         TEXT NOT NULL,
    actor      TEXT NOT NULL,
    category   TEXT NOT NULL,
    object     TEXT NOT NULL,
    purpose    TEXT NOT NULL,
    reason     TEXT,
    recipient  TEXT,
    detail     TEXT NOT NULL,
    prev_hash  TEXT NOT NULL,
    hash       TEXT NOT NULL
);

-- Signed checkpoints of the chain.
CREATE TABLE audit_checkpoints (
    seq         BIGINT PRIMARY KEY,
    hash        TEXT NOT NULL,
    at          TEXT NOT NULL,
    public_key  TEXT NOT NULL,
    signature   TEXT NOT NULL
);

-- The signed head of the chain, rewritten by every transaction that adds audit records, so that a
-- truncated tail is detected.
CREATE TABLE audit_head (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    seq         BIGINT NOT NULL,
    hash        TEXT NOT NULL,
    at          TEXT NOT NULL,
    public_key  TEXT NOT NULL,
    signature   TEXT NOT NULL
);

CREATE TABLE users (
    username       TEXT    PRIMARY KEY,
    display_name   TEXT    NOT NULL,
    role           TEXT    NOT NULL,
    force          TEXT,
    password_hash  TEXT    NOT NULL,
    disabled       BOOLEAN NOT NULL,
    created_at     TEXT    NOT NULL
);

CREATE TABLE sessions (
    token_hash    TEXT PRIMARY KEY,
    username      TEXT NOT NULL REFERENCES users (username),
    csrf_token    TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    last_seen_at  TEXT NOT NULL
);
CREATE INDEX sessions_by_user ON sessions (username);

-- The record is append-only: events, sealed fields and the audit log are never updated or deleted
-- in place (erasure by a retention decision will be its own, audited, path).
CREATE TRIGGER events_append_only_update BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
CREATE TRIGGER events_append_only_delete BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
CREATE TRIGGER sealed_append_only_update BEFORE UPDATE ON sealed
BEGIN SELECT RAISE(ABORT, 'sealed fields are append-only'); END;
CREATE TRIGGER audit_append_only_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_append_only_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
